"""A kept decision on an attribute the item may not have.

Code that reads an attribute with a default (``attempts = item.get("attempts", 0)``) decides
on the default where the attribute is missing: ``if attempts >= LIMIT: refuse`` lets a
first attempt through. A DynamoDB comparison with a missing attribute is false, so the
condition ``#a < :limit`` alone refuses that first attempt, which the code allowed. Where
the default passes the kept test, the condition must allow the attribute's absence too:
``(attribute_not_exists(#a) OR #a < :limit)``; where it fails the test, the code refused a
missing attribute and the comparison alone does the same. A default or a bound the fix
cannot evaluate makes the fix unsafe (a person decides).
"""

from __future__ import annotations

import operator
from typing import Callable

import libcst as cst

from dynolint.fixes.cstutil import walk

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}


def module_numbers(module: cst.Module) -> dict[str, float]:
    """The module's top-level names bound once to a number (``LIMIT = 5``)."""
    found: dict[str, float] = {}
    seen: set[str] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                    and isinstance(small.targets[0].target, cst.Name):
                name = small.targets[0].target.value
                number = _number(small.value, {})
                if name in seen or number is None:
                    found.pop(name, None)
                else:
                    found[name] = number
                seen.add(name)
    return found


def _number(node: cst.BaseExpression, names: dict[str, float]) -> float | None:
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _number(node.expression, names)
        return None if inner is None else -inner
    if isinstance(node, cst.Name):
        return names.get(node.value)
    return None


def _defaults(scope: cst.CSTNode, attribute: str) -> list[cst.BaseExpression | None]:
    """The defaults ``scope`` reads ``attribute`` with (``.get("a", d)``; None: ``.get("a")``)."""
    found: list[cst.BaseExpression | None] = []
    for node in walk(scope):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" \
                and node.args and isinstance(node.args[0].value, cst.SimpleString) \
                and node.args[0].value.evaluated_value == attribute:
            found.append(node.args[1].value if len(node.args) > 1 else None)
    return found


def allows_absence(scope: cst.CSTNode, attribute: str, op: str, other: cst.BaseExpression,
                   numbers: dict[str, float]) -> bool | None:
    """Must the condition kept for ``attribute op other`` (holding on the path) also hold where
    the attribute is missing? None where that cannot be told (a default or a bound known only
    at run time)."""
    defaults = [d for d in _defaults(scope, attribute) if d is not None and not _is_none(d)]
    if not defaults:
        return False  # read as item["a"] (a KeyError), or .get("a") (None: the comparison raises)
    bound = _number(other, numbers)
    values = [_number(d, numbers) for d in defaults]
    if bound is None or any(v is None for v in values) or len(set(values)) > 1 or op not in _OPS:
        return None
    return _OPS[op](values[0], bound)  # type: ignore[arg-type]


def unknown(attribute: str) -> str:
    """Why a fix whose condition may refuse a missing attribute the code let through is unsafe."""
    return (f"{attribute!r} is read with a default where the item lacks it, compared with a value known only when "
            "the code runs: where the default passes that test, the condition (false on a missing attribute) "
            "refuses what the code allowed; add attribute_not_exists(...) OR to it there")


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
