"""Literal structures the interpreter evaluated: the text of a constant or an f-string, a
dict literal's constant keys, a sequence's elements, a batch request's items."""

from __future__ import annotations

from typing import Iterable

from dynolint.model.values import (
    NONE, UNKNOWN, ArithV, AttrV, CallV, ConstV, DictV, ElemV, EventV, OneOf, OpaqueV, ParamV, ReadItemV, SeqV, StrV, SubV,
    Val, alts, const_str, one_of,
)

# values that may be a dict the code was given, parsed or got from a call, whose entries the
# model does not know: an entry stored into one (``body["id"] = v``) makes a ``DictV`` of
# that entry spread over the value, and a lookup of another entry looks in the value
# (a part of the invocation's event, such as its parsed body, too; the event itself stays
# the event, which tenancy follows whole)
OPEN_MAPPINGS = (CallV, SubV, ParamV, ElemV, AttrV)


def is_open_mapping(value: Val) -> bool:
    return isinstance(value, OPEN_MAPPINGS) or isinstance(value, EventV) and bool(value.path)


def names_entry(index: Val) -> bool:
    """Is ``index`` surely the name of a dict's entry (a string, literal or built)?"""
    return isinstance(const_str(index), str) or isinstance(index, StrV)


def open_spread(base: DictV) -> Val | None:
    """The value a dict made by storing entries into an open mapping was spread from."""
    if len(base.spreads) == 1 and is_open_mapping(base.spreads[0]):
        return base.spreads[0]
    return None


def const_text(value: Val | None) -> str | None:
    if value is None:
        return None
    text = const_str(value)
    if text is not None:
        return text
    if isinstance(value, StrV):
        parts = [const_str(p) for p in value.parts]
        if all(p is not None for p in parts):
            return "".join(parts)  # type: ignore[arg-type]
        return "".join(p if p is not None else "x" for p in parts)
    return None

# the keyword under which a call passes what it spread with ``**`` and the model cannot
# enumerate (``store(**device)``) to a callee that collects keywords (``def store(**fields)``)
SPREAD_KWARGS = "**"


def as_kwargs(value: Val) -> dict[str, Val]:
    """The entries of a dict literal (of each alternative) by their constant names; a spread of
    dicts with known names (``{"Put": {..., **guard}}``, ``guard`` one of two dicts) gives its
    entries as keyword arguments spread into a call do (:func:`spread_entries`)."""
    out: dict[str, Val] = {}
    for alt in alts(value):
        if isinstance(alt, DictV):
            for key, item in alt.items:
                text = const_str(key)
                if text is not None:
                    out[text] = item
            for spread in alt.spreads:
                for text, item in (spread_entries(spread) or {}).items():
                    out.setdefault(text, item)
    return out


def spread_entries(value: Val) -> dict[str, Val] | None:
    """``**value`` where every alternative of ``value`` is a dict with known names: each name with
    the values the dicts give it (one of them; None besides where only some give it: absent on
    the others' paths). None: a value the model cannot enumerate."""
    options = list(alts(value))
    dicts = [a for a in options if isinstance(a, DictV) and not a.spreads
             and all(const_str(key) is not None for key, _ in a.items)]
    if not options or len(dicts) != len(options):
        return None
    merged: dict[str, list[Val]] = {}
    for option in dicts:
        for key, item in option.items:
            text = const_str(key)
            if text is not None:
                merged.setdefault(text, []).append(item)
    return {text: one_of(items + [NONE] if len(items) < len(dicts) else items) for text, items in merged.items()}

def dict_get(value: Val, key: str) -> Val:
    return as_kwargs(value).get(key, UNKNOWN)

def dict_field(value: Val, key: str) -> list[Val]:
    found = as_kwargs(value).get(key)
    return [found] if found is not None else []

def elements(value: Val | None) -> list[Val]:
    out: list[Val] = []
    for alt in alts(value if value is not None else UNKNOWN):
        if isinstance(alt, SeqV):
            out.extend(alt.elts)
        elif isinstance(alt, OpaqueV) and alt.deps:
            out.append(alt.deps[0])
    return out

def request_items(value: Val | None) -> list[tuple[Val, Val]]:
    out: list[tuple[Val, Val]] = []
    for alt in alts(value if value is not None else UNKNOWN):
        if isinstance(alt, DictV):
            for table, request in alt.items:
                for element in elements(request) or [request]:
                    out.append((table, element))
    return out


def merge_dicts(parts: Iterable[Val]) -> DictV:
    """``{**a, **b}`` or ``a | b``: later keys win, first position kept, as in Python; a part
    that is no dict literal is kept as a spread."""
    items: dict[Val, Val] = {}
    spreads: list[Val] = []
    for part in parts:
        if type(part) is OneOf and NONE in part.alts:  # ``{**None}`` raises: no path goes on with it
            part = one_of([alt for alt in alts(part) if alt != NONE])
        if isinstance(part, DictV):
            items.update(part.items)
            spreads.extend(part.spreads)
        else:
            spreads.append(part)
    return DictV(tuple(items.items()), tuple(spreads))


def may_be_position(index: Val) -> bool:
    """May ``index`` be a position in a sequence the code computed (a counter, a loop's number),
    not a slice, a name or a literal?"""
    return all(isinstance(alt, (ElemV, ArithV, ParamV)) or isinstance(alt, CallV) and alt.fn in ("int", "len")
               for alt in alts(index))


def surely_mapping(value: Val) -> bool:
    """Is ``value`` surely a mapping (a dict built in the code, an item read)?"""
    return any(isinstance(a, (DictV, ReadItemV)) for a in alts(value))


def empty_dict(value: Val) -> bool:
    """Is ``value`` an empty dict literal on every path (``{}``, a missing item's stand-in)?"""
    options = list(alts(value))
    return bool(options) and all(isinstance(alt, DictV) and not alt.items and not alt.spreads for alt in options)


def typed_constant(value: Val) -> bool:
    """A constant, or a constant in a low-level AttributeValue (``{"S": "open"}``)."""
    if isinstance(value, DictV) and len(value.items) == 1 and not value.spreads:
        value = value.items[0][1]
    return isinstance(value, ConstV)


def leading_text(value: Val) -> str:
    """The literal text a string starts with (``f"HOLD#{hold_id}"``: ``HOLD#``)."""
    text = ""
    for part in value.parts if type(value) is StrV else (value,):
        if type(part) is not ConstV:
            break
        text += str(part.value)
    return text
