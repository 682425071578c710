"""DYN102: read, add, write back becomes one atomic ``ADD`` of the delta."""

from __future__ import annotations

import re

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, kwarg, literal_text, replace_kwarg, set_dict_entry, string
from dynolint.fixes.plans import AtomicPlan

TITLE = "Replace the read-add-write with an atomic ADD of the delta (no read needed for the counter)"

_CLAUSE = re.compile(r"\b(SET|ADD|REMOVE|DELETE)\b", re.IGNORECASE)


def _split(body: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in body:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def rewrite_expression(text: str, placeholder: str) -> str:
    """``SET a = :x, #n = :v`` -> ``SET a = :x ADD #n :v`` for the action assigning ``placeholder``."""
    pieces = _CLAUSE.split(text)
    clauses: list[tuple[str, list[str]]] = []
    for index in range(1, len(pieces) - 1, 2):
        clauses.append((pieces[index].upper(), _split(pieces[index + 1])))
    target: tuple[int, int, str] | None = None
    for clause_index, (clause, items) in enumerate(clauses):
        if clause != "SET":
            continue
        for item_index, item in enumerate(items):
            left, _, right = item.partition("=")
            if right.strip() == placeholder:
                target = (clause_index, item_index, left.strip())
                break
    if target is None:
        raise FixSkipped(f"the UpdateExpression has no 'SET <attribute> = {placeholder}' action")
    out: list[str] = []
    added = False
    for clause_index, (clause, items) in enumerate(clauses):
        kept = [item for item_index, item in enumerate(items)
                if (clause_index, item_index) != (target[0], target[1])]
        if clause == "ADD":
            kept.append(f"{target[2]} {placeholder}")
            added = True
        if kept:
            out.append(f"{clause} {', '.join(kept)}")
    if not added:
        out.append(f"ADD {target[2]} {placeholder}")
    return " ".join(out)


def atomic_call(call: cst.Call, plan: AtomicPlan, delta: cst.BaseExpression) -> cst.Call:
    expression = kwarg(call, "UpdateExpression")
    text = literal_text(expression.value) if expression is not None else None
    if text is None:
        raise FixSkipped("the UpdateExpression is not a string literal")
    values = kwarg(call, "ExpressionAttributeValues")
    if values is None:
        raise FixSkipped("the update has no ExpressionAttributeValues")
    amount = cst.UnaryOperation(cst.Minus(), cst.parse_expression(f"({cst.Module([]).code_for_node(delta)})")) \
        if plan.negate else delta
    if plan.flavor == "low":
        code = cst.Module([]).code_for_node(amount)
        amount = cst.parse_expression(f'{{"N": str({code})}}')
    call = replace_kwarg(call, "UpdateExpression", string(rewrite_expression(text, plan.placeholder)))
    return replace_kwarg(call, "ExpressionAttributeValues", set_dict_entry(values.value, plan.placeholder, amount))
