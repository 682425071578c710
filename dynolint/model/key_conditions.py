"""A query's key condition: the key values it fixes (``KeyConditionExpression="pk = :p"``, boto3's
``Key("pk").eq(v)``), for the model to know which items a query reads."""

from __future__ import annotations

import re

from dynolint.model.conditions import _names, _text
from dynolint.model.literals import leading_text
from dynolint.model.values import ArithV, CallV, ConstV, DictV, SeqV, Val, alts, const_str, one_of

_EQUALITY = re.compile(r"^\s*\(?\s*(#?[A-Za-z_][\w]*)\s*=\s*(:[\w]+)\s*\)?\s*$")


def key_equalities(kwargs: dict[str, Val], field: str = "KeyConditionExpression") -> tuple[tuple[str, Val], ...]:
    """The attributes a query's key condition sets equal to a value, with the value: every item
    the query returns holds it (``Key("pk").eq(v) & Key("sk").gt(n)``, ``"#p = :p AND sk > :n"``
    with its names and values, a legacy ``KeyConditions`` entry whose operator is ``EQ``).
    ``field`` "FilterExpression": those of a filter (``Attr("org").eq(org) & ...``)."""
    found: list[tuple[str, Val]] = []
    condition = kwargs.get(field)
    if condition is not None:
        text = _text(condition)
        if text is None:
            _key_builder(condition, "eq", found, 0)
        else:
            names, given = _names_and_values(kwargs)
            for part in re.split(r"\s+AND\s+", text, flags=re.IGNORECASE):
                match = _EQUALITY.match(part)
                if match is None or names is None:
                    continue
                attribute = names.get(match.group(1), match.group(1))
                if not attribute.startswith("#") and match.group(2) in given:
                    found.append((attribute, given[match.group(2)]))
    for alt in alts(kwargs.get("KeyConditions", ConstV(None)) if field == "KeyConditionExpression" else ConstV(None)):
        for key, spec in alt.items if isinstance(alt, DictV) else ():
            fields = {const_str(k): v for k, v in spec.items} if isinstance(spec, DictV) else {}
            operands = fields.get("AttributeValueList")
            if const_str(key) is not None and const_str(fields.get("ComparisonOperator", ConstV(None))) == "EQ" \
                    and isinstance(operands, SeqV) and len(operands.elts) == 1:
                found.append((const_str(key), operands.elts[0]))  # type: ignore[arg-type]
    return tuple(dict.fromkeys(found))


_BEGINS = re.compile(r"begins_with\s*\(\s*(#?[A-Za-z_][\w]*)\s*,\s*(:[\w]+)\s*\)", re.IGNORECASE)


def key_prefixes(kwargs: dict[str, Val]) -> tuple[tuple[str, str], ...]:
    """The literal prefixes a query's key condition gives a sort key (``Key("sk").begins_with("HOLD#")``,
    ``"begins_with(sk, :p)"`` with ``:p`` a literal; of ``f"HOLD#{hold}#"`` the literal text it
    starts with): every item it returns starts so there."""
    condition = kwargs.get("KeyConditionExpression")
    if condition is None:
        return ()
    terms: list[tuple[str, Val]] = []
    text = _text(condition)
    if text is None:
        _key_builder(condition, "begins_with", terms, 0)
    else:
        names, given = _names_and_values(kwargs)
        for match in _BEGINS.finditer(text):
            attribute = names.get(match.group(1), match.group(1)) if names is not None else match.group(1)
            if not attribute.startswith("#") and match.group(2) in given:
                terms.append((attribute, given[match.group(2)]))
    return tuple((name, prefix) for name, value in terms
                 if (prefix := const_str(value)) is not None or (prefix := leading_text(value)))


def _names_and_values(kwargs: dict[str, Val]) -> tuple[dict[str, str] | None, dict[str | None, Val]]:
    """A condition string's ``ExpressionAttributeNames`` (None: not known) and the entries of
    its ``ExpressionAttributeValues``."""
    values = kwargs.get("ExpressionAttributeValues")
    given = {const_str(k): v for alt in alts(values) if isinstance(alt, DictV) for k, v in alt.items} \
        if values is not None else {}
    return _names(kwargs.get("ExpressionAttributeNames")), given


def _key_builder(value: Val, op: str, found: list[tuple[str, Val]], depth: int) -> None:
    """The ``Key(name).<op>(value)`` terms (``eq``, ``begins_with``) of a condition builder
    joined by ``&``."""
    if depth > 16:
        return
    if isinstance(value, ArithV) and value.op == "&":
        _key_builder(value.left, op, found, depth + 1)
        _key_builder(value.right, op, found, depth + 1)
    elif isinstance(value, CallV) and value.fn == op and len(value.args) == 1 and isinstance(value.recv, CallV) \
            and value.recv.fn.rsplit(".", 1)[-1] in ("Key", "Attr") and len(value.recv.args) == 1 \
            and value.recv.recv is None:
        name = const_str(value.recv.args[0])
        if name is not None:
            found.append((name, value.args[0]))


def key_condition_values(condition: Val, values: Val) -> Val:
    """The ``ExpressionAttributeValues`` entries a key condition string uses (``:pk`` in
    ``"pk = :pk"``); all of them when the condition's text is not known."""
    text = _text(condition)
    if text is None:
        return values
    used = set(re.findall(r":[\w]+", text))
    kept: list[Val] = []
    for alt in alts(values):
        if not isinstance(alt, DictV) or alt.spreads:
            return values
        kept.append(DictV(tuple((k, v) for k, v in alt.items if const_str(k) in used)))
    return one_of(kept) if kept else values
