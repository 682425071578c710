"""Is the item a low-level client write is guarded with held in DynamoDB's typed form?

A guard on ``boto3.client("dynamodb")`` compares with ``item["a"]`` (pins) or
``item.get("version", {"N": "0"})`` (versions): values that must be AttributeValues
(``{"N": "3"}``). Code often converts the item read to plain Python first
(``account = to_plain(resp["Item"])`` with a ``TypeDeserializer``) and back at the write
(``Item=to_typed(account)``). A guard built from the plain item sends a ``Decimal`` where
botocore wants a map (``ParamValidationError`` on every call), and a version bump
``account.get("version", {"N": "0"})["N"]`` fails on every item that has one. So the guard
is only written when the function shows the item typed (``item["a"]["N"]``, ``item["a"]``
put into a typed map, or the item taken straight from the response) and never uses an
attribute of it as a plain value (arithmetic, a comparison, ``int(item["a"])``).
"""

from __future__ import annotations

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, literal_text, walk
from dynolint.fixes.scope import facts_of

TYPE_TAGS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
_PLAIN_CALLS = frozenset({"int", "float", "Decimal", "round", "abs", "len", "sum", "max", "min"})


def _of_item(node: cst.CSTNode, item: str) -> bool:
    """``item["a"]`` or ``item.get("a"...)``."""
    if isinstance(node, cst.Subscript):
        return isinstance(node.value, cst.Name) and node.value.value == item and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index) and literal_text(node.slice[0].slice.value) is not None
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
        and isinstance(node.func.value, cst.Name) and node.func.value.value == item \
        and node.func.attr.value == "get" and bool(node.args) and literal_text(node.args[0].value) is not None


def _from_response(value: cst.BaseExpression) -> bool:
    """``resp["Item"]``, ``resp.get("Item")``, ``client.get_item(...)["Item"]``."""
    if isinstance(value, cst.Subscript) and len(value.slice) == 1 and isinstance(value.slice[0].slice, cst.Index):
        return literal_text(value.slice[0].slice.value) in ("Item", "Items", "Attributes")
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "get" \
        and bool(value.args) and literal_text(value.args[0].value) in ("Item", "Attributes")


def _evidence(scope: cst.CSTNode, item: str) -> tuple[bool, str | None]:
    """(typed evidence seen, the first plain use of an attribute, if any)."""
    parents = facts_of(scope).parents
    typed, plain = False, None
    for node in walk(scope):
        if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == item
                                                for t in node.targets) and _from_response(node.value):
            typed = True
        elif isinstance(node, cst.For) and isinstance(node.target, cst.Name) and node.target.value == item \
                and _from_response(node.iter):
            typed = True
        if not _of_item(node, item):
            continue
        parent = parents.get(id(node))
        if isinstance(parent, cst.Subscript) and parent.value is node and len(parent.slice) == 1 \
                and isinstance(parent.slice[0].slice, cst.Index) \
                and literal_text(parent.slice[0].slice.value) in TYPE_TAGS:
            typed = True
        elif isinstance(parent, cst.DictElement) and parent.value is node:
            typed = True  # put into a map the low-level client sends (``Key={"pk": row["pk"]}``)
        elif isinstance(parent, (cst.BinaryOperation, cst.Comparison, cst.ComparisonTarget, cst.UnaryOperation)):
            plain = plain or "used in arithmetic or a comparison"
        elif isinstance(parent, cst.Arg):
            call = parents.get(id(parent))
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in _PLAIN_CALLS:
                plain = plain or f"passed to {call.func.value}()"
    return typed, plain


def check(scope: cst.CSTNode, item: str | None) -> None:
    """Raise FixSkipped when ``item`` is not shown to hold the typed item in ``scope``."""
    if item is None:
        return
    typed, plain = _evidence(scope, item)
    if plain is not None:
        raise FixSkipped(f"the low-level client needs typed values ({{'N': ...}}), but an attribute of {item} is "
                         f"{plain}: it holds the item converted to plain Python, and a guard built from it would "
                         "fail on every call; guard the write by hand with the values as read, typed")
    if not typed:
        raise FixSkipped(f"the low-level client needs typed values ({{'N': ...}}), and nothing in the function shows "
                         f"that {item} holds the item as read (typed) rather than converted to plain Python; guard "
                         "the write by hand")


__all__ = ["check"]
