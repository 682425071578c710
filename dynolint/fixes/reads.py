"""How the code read an attribute it compared: whether a condition kept for the comparison
decides as the code did (:mod:`dynolint.fixes.keep`)."""

from __future__ import annotations

import libcst as cst

from dynolint.fixes.cstutil import walk
from dynolint.fixes.plans import Condition


def unsafe_read(side: cst.BaseExpression, condition: Condition, low: bool) -> str | None:
    """Why the condition kept for a comparison whose attribute side is ``side`` may decide
    otherwise than the code did, or None. DynamoDB compares the stored value as it is: the code
    must read the attribute plainly (``item["a"]``; on the low-level client through its type,
    ``int(item["a"]["N"])``). A default (``item.get("a", 0)``) decides for an item that lacks
    the attribute, which the condition (false on a missing attribute) may not; ``int()`` or
    ``float()`` on a resource value also accept a number stored as a string, which DynamoDB
    does not compare with a number."""
    inner = side
    if low and isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name) and len(inner.args) == 1 \
            and inner.func.value in ("int", "float", "Decimal") and condition.type_tag == "N":
        inner = inner.args[0].value
    if all(isinstance(node, (cst.Name, cst.Subscript, cst.SubscriptElement, cst.Index, cst.SimpleString,
                             cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftParen, cst.RightParen,
                             cst.SimpleWhitespace, cst.Attribute, cst.Dot))
           for node in walk(inner)):
        return None
    if any(isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get"
           for node in walk(side)):
        return (f"{condition.attribute!r} is read with .get() at line {condition.line}: for an item that lacks it "
                "the condition fails where the code may have gone on")
    return (f"{condition.attribute!r} is converted before the comparison at line {condition.line}: DynamoDB "
            "compares the stored value, whose type the code does not show")
