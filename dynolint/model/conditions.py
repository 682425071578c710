"""Which attributes a write's condition pins: a ``ConditionExpression`` string (names
resolved through ``ExpressionAttributeNames``), a ``boto3.dynamodb.conditions`` builder
(``Attr("status").eq("NEW") & Attr("pk").exists()``), or a legacy ``Expected`` map.

A condition pins an attribute's *value* when it compares it or tests it with a function
(``#s = :v``, ``begins_with(a, :p)``, ``size(tags) < :n``); ``attribute_exists(a)`` pins only
that ``a`` exists; ``attribute_not_exists(a)`` pins that it is absent. Whether that covers
what the code decided on the read is :mod:`dynolint.model.guard_cover`'s question.

Anything the parser cannot read exactly (a name placeholder with no known name, a string
built from unknown parts, a condition object of unknown make) gives ``None``: the caller
then keeps treating the write as guarded, so a condition it cannot read never makes noise."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dynolint.model.values import (
    ArithV, CallV, ClassV, ConstV, DictV, FreshV, OneOf, OpaqueV, SeqV, StrV, Val, alts, children, const_str,
)
from dynolint.model.values_aws import PynAttrV

VALUE, EXISTS, ABSENT = "value", "exists", "absent"
_STRENGTH = {EXISTS: 0, VALUE: 1, ABSENT: 2}


@dataclass(frozen=True, slots=True)
class Pin:
    """One attribute the condition looks at (the top-level attribute of the path), and how."""

    attribute: str
    how: str  # VALUE | EXISTS | ABSENT
    # compared for equality (``qty = :seen``): the value the write expects, not a range it may
    # be in (``qty >= :n``), which two writers that read the same value both pass
    exact: bool = False
    # an alternative asks for this attribute to be missing instead (``attribute_not_exists(pk) OR
    # #s = :new``): the pin holds where that is the item's absence, a key attribute ("": always)
    unless: str = ""


@dataclass(frozen=True, slots=True)
class ConditionPins:
    """What a condition pins, and how it reads (for messages)."""

    pins: tuple[Pin, ...]
    text: str

    def how(self, attribute: str) -> str | None:
        """The strongest way the condition looks at ``attribute`` (None: not at all)."""
        found = [pin.how for pin in self.pins if pin.attribute == attribute]
        return max(found, key=_STRENGTH.__getitem__) if found else None

    def exactly(self, attribute: str) -> bool:
        """Does the condition compare ``attribute`` for equality with a value?"""
        return any(pin.exact for pin in self.pins if pin.attribute == attribute)

    def attributes(self, how: str) -> tuple[str, ...]:
        return tuple(sorted({pin.attribute for pin in self.pins if pin.how == how}))

    def resolved(self, keys: set[str]) -> ConditionPins:
        """The pins that hold for an item with the key attributes ``keys`` (all when they are
        not known): one whose other alternative asks for a non-key attribute to be missing
        holds for none (an item there without that attribute passes it)."""
        if not keys or all(not pin.unless or pin.unless in keys for pin in self.pins):
            return self
        return ConditionPins(tuple(pin for pin in self.pins if not pin.unless or pin.unless in keys), self.text)


# -- the expression language ------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<value>:[A-Za-z0-9_]+)
  | (?P<path>[#A-Za-z_][A-Za-z0-9_]*(?:\s*(?:\.\s*[#A-Za-z_][A-Za-z0-9_]*|\[\s*\d+\s*\]))*)
  | (?P<op><>|<=|>=|=|<|>)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
""", re.VERBOSE)
_KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
_FUNCTIONS = frozenset({"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with",
                        "contains", "size"})
_FIRST = re.compile(r"[#A-Za-z_][A-Za-z0-9_]*")
_EXISTENCE = {"attribute_exists": EXISTS, "attribute_not_exists": ABSENT}


def _flip(how: str) -> str:
    """What a pin becomes under NOT: existence and absence swap, a value stays pinned."""
    return {EXISTS: ABSENT, ABSENT: EXISTS}.get(how, how)


def parse_condition(text: str, names: dict[str, str] | None = None,
                    clocks: frozenset[str] = frozenset()) -> ConditionPins | None:
    """The pins of a condition expression string, or None when it cannot be read exactly.
    ``clocks``: the value placeholders the call gives the current time (``:now``), so that an
    alternative that only asks for a lease to have run out (``lease_until < :now``) is read as
    the takeover of a claim whose owner died (domain: the claim and lease state machine), not
    as a way around the attributes the other alternatives pin."""
    names = names or {}
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        if match.lastgroup != "space":
            tokens.append((match.lastgroup or "", match.group()))
    pins: list[Pin] = []
    # per open parenthesis: the function it belongs to ("" for a group), and whether a NOT
    # negates it (counting the NOTs around it): NOT attribute_exists(a) pins a's absence
    stack: list[tuple[str, bool]] = []
    negate = False  # a NOT just read, for the group or function that follows
    # the conjunct (part joined by a top-level AND) each pin is in, and the conjuncts with an OR
    conjunct, between, of_pin, with_or = 0, False, [], set()
    alternative, of_alternative = 0, []  # the alternatives (parts joined by OR) of a conjunct, counted
    expiring: set[int] = set()  # the pins that compare an attribute as earlier than the clock
    for index, (kind, token) in enumerate(tokens):
        following = tokens[index + 1][0] if index + 1 < len(tokens) else ""
        negated = (stack[-1][1] if stack else False) != negate
        if kind == "path" and token.upper() == "NOT":
            negate = not negate
            continue
        if kind == "open":
            stack.append(("", negated))
        elif kind == "close":
            if not stack:
                return None
            stack.pop()
        elif kind == "path" and token.upper() in _KEYWORDS:
            word = token.upper()
            if word == "OR" and not negated:  # (NOT (a OR b) is NOT a AND NOT b)
                with_or.add(conjunct)
                alternative += 1
            elif word == "BETWEEN" or word == "AND" and between:
                between = word == "BETWEEN"  # (the AND of ``a BETWEEN :lo AND :hi`` joins nothing)
            elif word == "AND" and not stack:
                conjunct, alternative = conjunct + 1, 0
        elif kind == "path" and following == "open":
            if token not in _FUNCTIONS:
                return None
            stack.append((token, negated))
            tokens[index + 1] = ("", "(")  # its parenthesis opens the function: already pushed
        elif kind == "path":
            first = _FIRST.match(token)
            attribute = first.group() if first else token
            if attribute.startswith("#"):
                if attribute not in names:
                    return None
                attribute = names[attribute]
            function, inverted = next(((f, n) for f, n in reversed(stack) if f), ("", False))
            how = _EXISTENCE.get(function, VALUE)
            before = tokens[index - 1] if index else ("", "")
            after = tokens[index + 1] if following else ("", "")
            equal = not function and not negated and ("op", "=") in (before, after)
            pins.append(Pin(attribute, _flip(how) if inverted else how, equal))
            of_pin.append(conjunct)
            of_alternative.append(alternative)
            if not function and not negated and _expires(tokens, index, clocks):
                expiring.add(len(pins) - 1)
        if kind:
            negate = False
    if stack or not pins:
        return None
    kept: list[Pin | None] = list(pins)
    for part in with_or:
        mine = [i for i, c in enumerate(of_pin) if c == part]
        ends = {of_alternative[i] for i in mine} - {of_alternative[i] for i in mine if i not in expiring}
        for i, pin in zip(mine, _alternatives([pins[i] for i in mine], [of_alternative[i] for i in mine], ends)):
            kept[i] = pin
    return ConditionPins(tuple(dict.fromkeys(pin for pin in kept if pin is not None)), " ".join(text.split()))


def _expires(tokens: list[tuple[str, str]], index: int, clocks: frozenset[str]) -> bool:
    """Is the attribute at ``tokens[index]`` compared as earlier than a clock value
    (``lease_until < :now``, ``:now > lease_until``)?"""
    after = tokens[index + 1:index + 3]
    before = tokens[max(index - 2, 0):index]
    return (len(after) == 2 and after[0] in (("op", "<"), ("op", "<=")) and after[1][1] in clocks) or \
        (len(before) == 2 and before[1] in (("op", ">"), ("op", ">=")) and before[0][1] in clocks)


def _alternatives(pins: list[Pin], groups: list[int], expiry: set[int] | None = None) -> list[Pin | None]:
    """The pins of alternatives joined by OR (``groups``: the alternative of each pin). An
    attribute is pinned only where every alternative pins it or asks for the item's absence
    (``attribute_not_exists(pk) OR #s = :new``: made now, or in the state decided); one that
    some alternative lets through whatever it holds is pinned by none (None: ``a = :v OR b = :w``
    holds with ``a`` changed; ``attribute_exists(pk) OR ...`` holds for any item there). A pin
    stays an equality where every other alternative compares it for equality or asks for
    absence (``attribute_not_exists(v) OR v = :seen``: the version read, or none yet)."""
    by_group: dict[int, list[Pin]] = {}
    for pin, group in zip(pins, groups):
        by_group.setdefault(group, []).append(pin)
    # an alternative that only asks for a lease to have run out passes only once the claim's
    # owner is gone: the other alternatives' pins hold against every live writer
    by_group = {group: mine for group, mine in by_group.items()
                if expiry is None or group not in expiry or len(by_group) < 2}
    absence = {group for group, mine in by_group.items() if all(pin.how == ABSENT for pin in mine)}
    out: list[Pin | None] = []
    for pin in pins:
        if not all(group in absence or any(p.attribute == pin.attribute for p in mine)
                   for group, mine in by_group.items()):
            out.append(None)
            continue
        # the alternatives that pass without it, by asking for another attribute to be missing
        excuses = sorted({p.attribute for group, mine in by_group.items() if group in absence
                          and not any(p.attribute == pin.attribute for p in mine) for p in mine})
        exact = pin.exact and all(group in absence or any(
            p.attribute == pin.attribute and (p.exact or p.how == ABSENT) for p in mine)
            for group, mine in by_group.items())
        out.append(Pin(pin.attribute, pin.how, exact, pin.unless or (excuses[0] if excuses else "")))
    return out


# -- values as the interpreter saw them ---------------------------------------------------
_BUILDERS = ("Attr", "Key")
_METHODS = {"exists": EXISTS, "not_exists": ABSENT}
_PYNAMODB_METHODS = {"exists": EXISTS, "does_not_exist": ABSENT}
PYN_COMPARE = ("==", "!=", "<", "<=", ">", ">=")  # a PynamoDB attribute compared (model/evaluate.py)


def _text(value: Val, depth: int = 0) -> str | None:
    """The exact text of a string value (constants, f-strings and ``+`` of constants)."""
    if depth > 16:
        return None
    text = const_str(value)
    if text is not None:
        return text
    if isinstance(value, StrV):
        parts = [_text(part, depth + 1) for part in value.parts]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    if isinstance(value, ArithV) and value.op == "+":
        left, right = _text(value.left, depth + 1), _text(value.right, depth + 1)
        return left + right if left is not None and right is not None else None
    return None


def _names(value: Val | None) -> dict[str, str] | None:
    """``ExpressionAttributeNames`` as a map, or None when some name is not a constant."""
    if value is None:
        return {}
    out: dict[str, str] = {}
    for alt in alts(value):
        if not isinstance(alt, DictV) or alt.spreads:
            return None
        for key, name in alt.items:
            placeholder, attribute = const_str(key), const_str(name)
            if placeholder is None or attribute is None:
                return None
            if out.get(placeholder, attribute) != attribute:
                return None  # two alternatives name the placeholder differently
            out[placeholder] = attribute
    return out


def _builder(value: Val, pins: list[Pin], spelled: list[str], depth: int = 0, negated: bool = False) -> bool:
    """Add the pins of a condition builder to ``pins`` (and how each reads to ``spelled``);
    False when it is not one."""
    if depth > 24:
        return False
    if isinstance(value, OneOf):
        return all(_builder(alt, pins, spelled, depth + 1, negated) for alt in value.alts)
    if isinstance(value, ArithV) and value.op in ("&", "|"):
        start, said = len(pins), len(spelled)
        found = _builder(value.left, pins, spelled, depth + 1, negated)
        middle, told = len(pins), len(spelled)
        found = found and _builder(value.right, pins, spelled, depth + 1, negated)
        if value.op == "|" and not negated:  # (``~(a | b)`` is ``~a & ~b``)
            groups = [0] * (middle - start) + [1] * (len(pins) - middle)
            pins[start:] = [pin for pin in _alternatives(pins[start:], groups) if pin is not None]
            spelled[said:] = [" | ".join(" & ".join(side) for side in (spelled[said:told], spelled[told:]) if side)]
        return found
    if isinstance(value, OpaqueV) and value.loc[1] == -1 and len(value.deps) == 1:  # ``~condition``
        return _builder(value.deps[0], pins, spelled, depth + 1, not negated)
    if isinstance(value, OpaqueV) and value.loc[1] == -2:  # a PynamoDB comparison the model cannot read
        # (``3 < Order.n``, ``a < Order.n < b``): its operator is not known, so it counts as an equality
        compared = [dep.name for dep in value.deps if isinstance(dep, PynAttrV)]
        pins.extend(Pin(name, VALUE, exact=True) for name in compared)
        spelled.extend(f"a comparison of {name}" for name in compared)
        return bool(compared)
    if isinstance(value, CallV) and isinstance(value.recv, PynAttrV):  # ``Order.pk.exists()``, ``Order.n >= 3``
        how = _PYNAMODB_METHODS.get(value.fn, VALUE)
        # only ``==`` says the attribute still holds the value compared: ``balance >= amount`` is a range
        pins.append(Pin(value.recv.name, _flip(how) if negated else how, value.fn == "==" and not negated))
        owner = value.recv.model.cls.qualname if isinstance(value.recv.model.cls, ClassV) else "Model"
        spelled.append(("~" if negated else "") + f"{owner}.{value.recv.name}"
                       + (f" {value.fn} ..." if value.fn in PYN_COMPARE else f".{value.fn}()"))
        return True
    if not isinstance(value, CallV) or not isinstance(value.recv, CallV):
        return False
    base = value.recv
    if base.fn.rsplit(".", 1)[-1] not in _BUILDERS or len(base.args) != 1 or base.recv is not None:
        return False
    attribute = const_str(base.args[0])
    if attribute is None:
        return False
    how = _METHODS.get(value.fn, VALUE)
    one = value.fn == "is_in" and len(value.args) == 1 and isinstance(value.args[0], SeqV) \
        and len(value.args[0].elts) == 1  # ``Attr(a).is_in([seen])``: an equality
    pins.append(Pin(attribute.split(".", 1)[0].split("[", 1)[0], _flip(how) if negated else how,
                    (value.fn == "eq" or one) and not negated))
    spelled.append(("~" if negated else "") +
                   f"{base.fn.rsplit('.', 1)[-1]}({attribute!r}).{value.fn}({'...' if value.args else ''})")
    return True


def is_condition(value: Val) -> bool:
    """Is ``value`` a condition a builder made (``Attr("v").eq(n)``, ``Order.n == 3``, and
    their ``&``, ``|`` and ``~``)?"""
    return _builder(value, [], [])


def _expected(value: Val) -> ConditionPins | None:
    """A legacy ``Expected`` map: ``{"a": {"Value": ...}}`` pins a, ``{"Exists": False}`` its absence."""
    pins: list[Pin] = []
    for alt in alts(value):
        if not isinstance(alt, DictV) or alt.spreads:
            return None
        for key, spec in alt.items:
            attribute = const_str(key)
            if attribute is None or not isinstance(spec, DictV):
                return None
            fields = {const_str(k): v for k, v in spec.items}
            exists = fields.get("Exists")
            if isinstance(exists, ConstV) and exists.value is False:
                pins.append(Pin(attribute, ABSENT))
            elif "Value" in fields or "AttributeValueList" in fields or "ComparisonOperator" in fields:
                operator = fields.get("ComparisonOperator")
                equal = const_str(operator) == "EQ" if operator is not None else "Value" in fields
                pins.append(Pin(attribute, VALUE, equal))
            else:
                pins.append(Pin(attribute, EXISTS))
    return ConditionPins(tuple(dict.fromkeys(pins)), describe(pins)) if pins else None


def describe(pins: list[Pin] | tuple[Pin, ...]) -> str:
    """How a list of pins reads: ``attribute_exists(pk) AND status``."""
    spelled = {EXISTS: "attribute_exists({})", ABSENT: "attribute_not_exists({})", VALUE: "{}"}
    return " AND ".join(spelled[how].format(attribute) for attribute, how in dict.fromkeys(
        (pin.attribute, pin.how) for pin in pins))


def condition_pins(param: str, value: Val, names: Val | None, values: Val | None = None) -> ConditionPins | None:
    """The pins of the guard parameter ``param`` (``ConditionExpression`` or ``Expected``)
    given as ``value``, with the call's ``ExpressionAttributeNames`` ``names`` (and
    ``ExpressionAttributeValues`` ``values``: which of them is the clock)."""
    if param == "Expected":
        return _expected(value)
    if param == "condition=":  # PynamoDB: condition objects only
        return _builder_pins(value)
    if param != "ConditionExpression":
        return None
    texts = [_text(alt) for alt in alts(value)]
    if all(text is not None for text in texts):
        mapping = _names(names)
        if mapping is None:
            return None
        clocks = _clocks(values)
        parsed = [parse_condition(text, mapping, clocks) for text in texts]  # type: ignore[arg-type]
        if any(p is None for p in parsed):
            return None
        pins = tuple(dict.fromkeys(pin for p in parsed for pin in p.pins))  # type: ignore[union-attr]
        return ConditionPins(pins, " | ".join(dict.fromkeys(p.text for p in parsed)))  # type: ignore[union-attr]
    return _builder_pins(value)


def _clocks(values: Val | None) -> frozenset[str]:
    """The placeholders of ``ExpressionAttributeValues`` whose value is made of a value that
    differs at every evaluation (the time, in a comparison: ``{":now": {"N": str(int(time.time()))}}``)."""
    found: set[str] = set()
    for alt in alts(values) if values is not None else ():
        if type(alt) is DictV:
            for key, item in alt.items:
                name = const_str(key)
                if name is not None and _fresh(item, 0):
                    found.add(name)
    return frozenset(found)


def _fresh(value: Val, depth: int) -> bool:
    if type(value) is FreshV:
        return True
    return depth < 6 and any(_fresh(child, depth + 1) for child in children(value))


def _builder_pins(value: Val) -> ConditionPins | None:
    """The pins of a condition object (boto3 ``Attr``/``Key``, PynamoDB model attributes)."""
    found: list[Pin] = []
    spelled: list[str] = []
    if not _builder(value, found, spelled) or not spelled:  # (read, it may pin nothing: ``a | b``)
        return None
    return ConditionPins(tuple(dict.fromkeys(found)), " & ".join(dict.fromkeys(spelled)))
