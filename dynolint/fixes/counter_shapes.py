"""What a counter's values are made of, read off their abstract values: the arithmetic a
written value is, how the counter was read from the item (to read the new value back from the
write), whether it goes through a conversion or its low-level number type, and whether a value
has a type boto3 sends as it is. The atomic-update plans (:mod:`dynolint.fixes.planning`) ask."""

from __future__ import annotations

import json

from typing import TYPE_CHECKING

from dynolint.fixes.plans import Condition, Skip
from dynolint.model.values import ArithV, CallV, ConstV, DictV, OneOf, ReadItemV, SubV, Val, alts, const_str

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


def result_template(value: Val, depth: int = 0) -> str | None:
    """How ``value`` reads the counter from the item, with ``{}`` for the item: the same
    expression reads the new value from the write's ``Attributes``."""
    if depth > 4:
        return None
    found = {result_template(alt, depth + 1) if isinstance(alt, (SubV, CallV)) else None for alt in alts(value)
             if not isinstance(alt, ConstV)} if isinstance(value, OneOf) else None
    if found is not None:
        found.discard(None)
        return found.pop() if len(found) == 1 else None
    if isinstance(value, SubV) and const_str(value.index) is not None:
        base = value.base
        index = json.dumps(const_str(value.index))
        if isinstance(base, ReadItemV):
            return "{}[" + index + "]"
        inner = result_template(base, depth + 1) if isinstance(base, SubV) else None
        return inner + "[" + index + "]" if inner is not None else None
    if isinstance(value, CallV):
        if value.fn == "get" and isinstance(value.recv, ReadItemV) and value.args and const_str(value.args[0]):
            return "{}[" + json.dumps(const_str(value.args[0])) + "]"  # the update made it exist
        if value.fn in ("int", "float", "Decimal", "decimal.Decimal") and value.recv is None and len(value.args) == 1:
            inner = result_template(value.args[0], depth + 1)
            if inner is None or value.fn not in ("int", "float"):
                return inner  # a Decimal is what the resource returns already
            return f"{value.fn}({inner})"
    return None


def arith_of(value: Val, number: bool = False) -> ArithV | None:
    """The arithmetic a written value is, through conversions that keep it a number
    (``int()``, ``Decimal()``; ``str()`` only inside a low-level ``{"N": ...}``, which
    ``number`` says: elsewhere ``str()`` stores a string, which an atomic ADD cannot add to).
    None for a value computed in several ways (``balance - fee // 2`` on one branch, ``0`` on
    another): one atomic ADD would apply one of them on every path."""
    if len(alts(value)) != 1:
        return None
    for alt in alts(value):
        if isinstance(alt, ArithV):
            return alt
        if isinstance(alt, DictV) and len(alt.items) == 1 and const_str(alt.items[0][0]) == "N":
            return arith_of(alt.items[0][1], number=True)
        if isinstance(alt, CallV) and alt.fn in ("int", "Decimal", "decimal.Decimal") and alt.args:
            return arith_of(alt.args[0], number)
        if isinstance(alt, CallV) and alt.fn == "str" and number and alt.args:
            return arith_of(alt.args[0], number)
    return None


_NUMBER_CONVERSIONS = ("int", "float", "Decimal", "decimal.Decimal", "str")


def converted(value: Val, depth: int = 0) -> bool:
    """Does the counter's read value go through a conversion that also accepts a string
    (``int(item["n"])``)? Then the stored attribute may be a string, which the code added to
    and an atomic ADD would fail on."""
    if depth > 8:
        return False
    for alt in alts(value):
        if isinstance(alt, CallV) and alt.recv is None and alt.fn in _NUMBER_CONVERSIONS:
            return True
        if isinstance(alt, ArithV) and (converted(alt.left, depth + 1) or converted(alt.right, depth + 1)):
            return True
    return False


_TYPE_TAGS = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")


def number_typed(value: Val, depth: int = 0) -> bool:
    """On the low-level client: is the counter read through its number type (``item["n"]["N"]``)?"""
    if depth > 8:
        return False
    for alt in alts(value):
        if isinstance(alt, SubV) and const_str(alt.index) in _TYPE_TAGS:
            return const_str(alt.index) == "N"
        if isinstance(alt, CallV) and alt.fn == "get" and alt.recv is not None and alt.args \
                and const_str(alt.args[0]) in _TYPE_TAGS:
            return const_str(alt.args[0]) == "N"
        if isinstance(alt, CallV) and any(number_typed(a, depth + 1) for a in alt.args):
            return True
        if isinstance(alt, ArithV) and (number_typed(alt.left, depth + 1) or number_typed(alt.right, depth + 1)):
            return True
    return False


def known_type(value: Val) -> bool:
    """Is ``value`` an int, a Decimal, a string or a bool, which boto3 sends as they are (a float it refuses)?"""
    found = alts(value)
    return bool(found) and all(
        (isinstance(alt, ConstV) and isinstance(alt.value, (int, str, bool)))
        or (isinstance(alt, CallV) and alt.recv is None and alt.fn in ("int", "str", "Decimal", "decimal.Decimal",
                                                                        "len", "bool"))
        for alt in found)


_NUMBER_CALLS = ("int", "float", "Decimal", "decimal.Decimal", "len", "abs", "round", "sum", "min", "max",
                 "math.floor", "math.ceil")


def numeric(value: Val, depth: int = 0) -> bool:
    """Is ``value`` a number wherever the code ran (an int or float constant, a conversion to
    one, ``len()``, arithmetic only numbers do)? ``+`` also joins strings and lists, so a counter
    plus a delta of unknown type may be a concatenation, which an atomic ADD cannot do."""
    if depth > 8:
        return False
    found = alts(value)
    return bool(found) and all(
        (isinstance(alt, ConstV) and isinstance(alt.value, (int, float)))
        or (isinstance(alt, CallV) and alt.recv is None and alt.fn in _NUMBER_CALLS)
        or (isinstance(alt, ArithV) and (alt.op in ("-", "/", "//", "**")
                                         or numeric(alt.left, depth + 1) and numeric(alt.right, depth + 1)))
        for alt in found)


def reads_attr(value: Val, attribute: str, depth: int = 0) -> bool:
    """Is ``value`` the attribute ``attribute`` of a read item (through int(), a default)?"""
    if depth > 8:
        return False
    for alt in alts(value):
        if isinstance(alt, SubV):
            base = alt.base
            if isinstance(base, ReadItemV) and const_str(alt.index) == attribute:
                return True
            if isinstance(base, SubV) and isinstance(base.base, ReadItemV) and const_str(base.index) == attribute:
                return True  # low-level {"N": ...}
            if reads_attr(base, attribute, depth + 1):
                return True
        elif isinstance(alt, CallV):
            if alt.fn == "get" and isinstance(alt.recv, ReadItemV) and alt.args and const_str(alt.args[0]) == attribute:
                return True
            if any(reads_attr(a, attribute, depth + 1) for a in (*alt.args, *( [alt.recv] if alt.recv else []))):
                return True
        elif isinstance(alt, OneOf):
            continue
        elif isinstance(alt, ConstV):
            continue
    return False



def missing_default(value: Val, attribute: str, depth: int = 0) -> Val | None:
    """What the code counts from where the item read has no ``attribute`` (or there is no
    item), when that is not zero: ``item.get("credits", 10)``, ``item["n"] if item else 3``,
    ``(found or {"left": 100})["left"]``. An atomic ADD starts a missing attribute from 0, so
    it is the code's write only where the code starts from 0 too."""
    if depth > 8:
        return None
    for alt in alts(value):
        if isinstance(alt, ConstV):
            if not zero(alt):
                return alt  # an alternative of the counter itself: the value where the read found none
        elif isinstance(alt, CallV) and alt.fn == "get" and alt.args and const_str(alt.args[0]) in (attribute, "N"):
            default = alt.args[1] if len(alt.args) > 1 else None  # (``.get("N", "0")``: the low-level number)
            if default is not None and not _zero_default(default):
                return default
            if alt.recv is not None and (found := missing_default(alt.recv, attribute, depth + 1)) is not None:
                return found
        elif isinstance(alt, CallV):  # a conversion (``int(...)``) or a method of what was read
            for part in ([alt.recv] if alt.recv is not None else list(alt.args[:1])):
                if (found := missing_default(part, attribute, depth + 1)) is not None:
                    return found
        elif isinstance(alt, SubV) and const_str(alt.index) == attribute:
            for stand_in in alts(alt.base):  # ``(item or {"left": 100})["left"]``
                if isinstance(stand_in, DictV):
                    entry = next((v for k, v in stand_in.items if const_str(k) == attribute), None)
                    if entry is not None and not _zero_default(entry):
                        return entry
        elif isinstance(alt, SubV) and (found := missing_default(alt.base, attribute, depth + 1)) is not None:
            return found  # low-level ``item["n"]["N"]``
    return None


def zero(value: ConstV) -> bool:
    """A constant 0 (a number, or a number's text as the low-level API sends it)."""
    number = value.value
    if isinstance(number, str):
        try:
            return float(number) == 0
        except ValueError:
            return False
    return isinstance(number, (int, float)) and not isinstance(number, bool) and number == 0


def counts_from(model: Model, read: int, counter: Val, attribute: str,
                 conditions: tuple[Condition, ...]) -> Skip | None:
    """No ADD where the code counts a missing attribute (or item) from something other than 0:
    a stand-in the counter's value shows, or a default the code gave ``get`` of that attribute
    of the item read (the interpreter keeps the entry as the value, and the default aside).
    Where the path decided on the counter, the kept condition says what a missing one does
    (fixes/absent.py: refused as the code refuses it, or the fix is unsafe and says why)."""
    if any(condition.attribute == attribute for condition in conditions):
        return None
    default = missing_default(counter, attribute)
    if default is None:  # any ``get`` of the attribute on the item read, wherever the code made it
        default = next((given for given in model.interp.read_defaults.get((read, attribute), ())
                        if not _zero_default(given)), None)
    if default is None:
        return None
    shown = repr(default.value) if isinstance(default, ConstV) else "a value of its own"
    return Skip(f"the code counts a missing {attribute!r} from {shown}: an atomic ADD would count it from 0")


def _zero_default(value: Val) -> bool:
    """``0``, ``"0"``, the low-level ``{"N": "0"}``, or ``{}`` (``item.get("n", {}).get("N", "0")``:
    the code reads on into it, and the default it reads there is the counter's)."""
    if isinstance(value, ConstV):
        return zero(value)
    if isinstance(value, DictV) and not value.items and not value.spreads:
        return True
    return isinstance(value, DictV) and len(value.items) == 1 and const_str(value.items[0][0]) == "N" \
        and isinstance(value.items[0][1], ConstV) and zero(value.items[0][1])


__all__ = ["arith_of", "converted", "counts_from", "known_type", "missing_default", "number_typed", "numeric",
           "reads_attr", "result_template", "zero"]
