"""What a key attribute's value is made of, as the key index compares them: the value a
conversion gives back (``str(x)``, ``x.strip()``), what follows a prefix (``s.removeprefix("DOC#")``,
``s.split("#", 1)[1]``) of a string whose beginning is known, a low-level AttributeValue with or
without its type tag, and the name a part was taken under (model/keys.py)."""

from __future__ import annotations

from typing import Callable

from dynolint.model.values import AttrV, CallV, ClassV, ConstV, DictV, ElemV, EventV, ParamV, StrV, SubV, Val, const_str
from dynolint.phase1.ir_expr import SliceFrom

ATTRIBUTE_VALUE_TYPES = frozenset({"S", "N", "B", "BOOL", "SS", "NS", "BS", "L", "M", "NULL"})

# conversions that give a key attribute's value back as it was (``str(row["pk"])`` of a string,
# ``int(row["n"])`` of a number key, which boto3 reads as a Decimal; ``row["pk"].strip()``)
_SAME_VALUE_CALLS = frozenset({"str", "int"})
_SAME_VALUE_METHODS = frozenset({"strip", "lstrip", "rstrip"})


def after_prefix(value: Val) -> tuple[Val, str | int, bool] | None:
    """(the string, the text, up to it) when ``value`` is what follows a prefix in a string:
    ``s.removeprefix(p)`` (the text ``p``), ``s[n:]`` (a text of ``n`` characters), ``s.split(sep, 1)[1]``
    and ``s.partition(sep)[2]`` (everything up to the first ``sep``: ``up_to``)."""
    if type(value) is CallV and value.fn == "removeprefix" and value.recv is not None and len(value.args) == 1:
        prefix = const_str(value.args[0])
        return (value.recv, prefix, False) if prefix else None
    if type(value) is SubV and type(value.index) is ConstV and type(value.index.value) is SliceFrom:
        return (value.base, value.index.value.start, False) if value.index.value.start else None
    if type(value) is not SubV or type(value.base) is not CallV:
        return None
    call, index = value.base, value.index
    sep = const_str(call.args[0]) if call.args else None
    once = call.fn == "split" and len(call.args) == 2 and call.args[1] == ConstV(1) and index == ConstV(1)
    if call.recv is None or not sep or not (once or call.fn == "partition" and len(call.args) == 1
                                            and index == ConstV(2)):
        return None
    return call.recv, sep, True


def strip_prefix(whole: Val, text: str | int, up_to: bool) -> Val | None:
    """``whole`` without its beginning ``text`` (or everything up to the first ``text``; a number:
    that many characters), when its known beginning (a constant part) shows it: ``"DOC#" + id`` less
    ``"DOC#"`` is ``id``."""
    if not (type(whole) is StrV and whole.parts and type(whole.parts[0]) is ConstV):
        return None
    head = whole.parts[0].value
    if not isinstance(head, str):
        return None
    if isinstance(text, int):
        end = text if len(head) >= text else -1
    elif up_to:
        found = head.find(text)
        end = found + len(text) if found >= 0 else -1
    else:
        end = len(text) if head.startswith(text) else -1
    if end < 0:
        return None
    parts = ((ConstV(head[end:]),) if head[end:] else ()) + whole.parts[1:]
    return (parts[0] if len(parts) == 1 else StrV(parts)) if parts else ConstV("")


def prefix_put_back(parts: tuple[Val, ...], canon: Callable[[Val], Val]) -> tuple[Val, ...]:
    """``parts`` of a string with a prefix taken off a value and written back before it made
    the value again: ``"ADV#" + pk.removeprefix("ADV#")`` is ``pk``, and so is ``"ADV#" +
    pk.split("#", 1)[1]`` (the code's prefix is the one the value was split at: the key
    convention both sides follow). ``canon`` gives the value as the index compares it."""
    out: list[Val] = []
    for part in parts:
        rest = after_prefix(part) if out and type(out[-1]) is ConstV and isinstance(out[-1].value, str) else None
        if rest is not None:
            whole, cut, up_to = rest
            head = const_str(out[-1]) or ""
            # (``"WS#" + pk[3:]``: the prefix's last characters are what was cut)
            text = cut if isinstance(cut, str) else head[-cut:] if len(head) >= cut else None
            if text is not None and head.endswith(text):
                kept = head[:-len(text)]
                if up_to:  # the word before the separator is the value's own: back to the separator before it
                    kept = kept[:kept.rfind(text) + len(text)] if text in kept else ""
                out[-1:] = [ConstV(kept)] if kept else []
                out.append(canon(whole))
                continue
        out.append(part)
    return tuple(out)


def leaf_name(value: Val) -> str | None:
    """The name a key part was taken under: a parameter's, a variable read from a
    dict's entry or an attribute, an event field's."""
    value = converted_from(value)
    if type(value) is ParamV:
        return value.name
    if type(value) is SubV:
        return const_str(value.index)
    if type(value) is AttrV:
        return value.name
    if type(value) is EventV and value.path:
        if value.path[-1] == EVENT_ELEMENT:  # an element of the event's list (``for sku in body["skus"]``)
            return singular(value.path[-2]) if len(value.path) > 1 else None
        return value.path[-1]
    if type(value) is ElemV and type(value.of) is ClassV:  # ``for dimension in Dimension``: an enum's member
        return value.of.qualname.rsplit(".", 1)[-1]
    if type(value) is ElemV:  # ``for order_id in order_ids``: an element of ``*_ids`` is an id
        of = value.of
        while type(of) is CallV and of.fn in KEEP_ELEMENTS and len(of.args) == 1 and of.recv is None:
            of = of.args[0]  # (``dict.fromkeys(ids)``, ``sorted(set(ids))``)
        return singular(leaf_name(of)) if type(of) is not ElemV else None
    return None


def singular(plural: str | None) -> str | None:
    """What a collection named in the plural holds (``order_ids``: ``order_id``), else None."""
    return plural[:-1] if plural and plural.endswith("s") and len(plural) > 2 else None


EVENT_ELEMENT = "?"  # the step of an event field's path into an element of its list (model/containers.py)


# calls that return a collection of the elements of their one argument
KEEP_ELEMENTS = frozenset({"dict.fromkeys", "set", "frozenset", "list", "tuple", "sorted", "reversed"})


def field_of(how: str) -> str | None:
    """The field a tenant id was read from, as its source names it (``authorizer claims
    (custom:fleet_id)``: ``custom:fleet_id``)."""
    if how.endswith(")") and "(" in how:
        return how[how.rindex("(") + 1:-1] or None
    return None


def id_name(name: str) -> str:
    """A name as spelled in any case style (``account_id``, ``accountId``, ``AccountID``)."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def converted_from(value: Val) -> Val:
    """The value a key attribute's conversion was made of (``str(x)``, ``int(x)``, ``x.strip()``),
    else the value."""
    for _ in range(4):
        if type(value) is CallV and not value.kwargs and value.recv is None and value.fn in _SAME_VALUE_CALLS \
                and len(value.args) == 1:
            value = value.args[0]
        elif type(value) is CallV and not value.kwargs and not value.args and value.fn in _SAME_VALUE_METHODS \
                and value.recv is not None:
            value = value.recv
        else:
            break
    return value


def untyped(value: Val) -> Val:
    """An attribute of a low-level item without its type tag (``item["pk"]["S"]``: ``item["pk"]``),
    else the value."""
    if isinstance(value, SubV) and const_str(value.index) in ATTRIBUTE_VALUE_TYPES and isinstance(value.base, SubV):
        return value.base
    return value


def typed(value: Val) -> Val:
    """The value inside a low-level AttributeValue (``{"S": v}``: v), else the value."""
    if isinstance(value, DictV) and len(value.items) == 1 and not value.spreads \
            and const_str(value.items[0][0]) in ATTRIBUTE_VALUE_TYPES:
        return value.items[0][1]
    return value
