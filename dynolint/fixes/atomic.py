"""DYN102: read, add, write back becomes one atomic ``ADD`` of the delta."""

from __future__ import annotations

import re

import libcst as cst

from dynolint.fixes.cstutil import (
    PLACEHOLDER,
    FixSkipped,
    fresh,
    kwarg,
    literal_text,
    replace_kwarg,
    set_dict_entry,
    string,
    taken_placeholders,
)
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


def rewrite_expression(text: str, placeholder: str, action: int | None = None, counter: str | None = None) -> str:
    """``SET a = :x, #n = :v`` -> ``SET a = :x ADD #n :v`` for the action assigning ``placeholder``:
    the ``action``-th of the expression (counted over all its clauses; None: the first that
    assigns ``placeholder``), whose ADD takes ``counter`` (default ``placeholder``)."""
    pieces = _CLAUSE.split(text)
    clauses: list[tuple[str, list[str]]] = []
    for index in range(1, len(pieces) - 1, 2):
        clauses.append((pieces[index].upper(), _split(pieces[index + 1])))
    target: tuple[int, int, str] | None = None
    number = -1
    for clause_index, (clause, items) in enumerate(clauses):
        for item_index, item in enumerate(items):
            number += 1
            left, _, right = item.partition("=")
            if clause == "SET" and right.strip() == placeholder and action in (None, number):
                target = (clause_index, item_index, left.strip())
                break
        if target is not None:
            break
    if target is None:
        raise FixSkipped(f"the UpdateExpression has no 'SET <attribute> = {placeholder}' action")
    added_action = f"{target[2]} {counter or placeholder}"
    out: list[str] = []
    added = False
    for clause_index, (clause, items) in enumerate(clauses):
        kept = [item for item_index, item in enumerate(items)
                if (clause_index, item_index) != (target[0], target[1])]
        if clause == "ADD" and not added:
            kept.append(added_action)
            added = True
        if kept:
            out.append(f"{clause} {', '.join(kept)}")
    if not added:
        out.append(f"ADD {added_action}")
    return " ".join(out)


def _uses(text: str, placeholder: str) -> int:
    return PLACEHOLDER.findall(text).count(placeholder)


def counter_placeholder(call: cst.Call, plan: AtomicPlan, reserved: set[str]) -> str:
    """The placeholder the ADD takes: the counter's own when the request uses it only in the
    counter's action, else a fresh one (another action or the condition still needs the value
    the code gave it). Raises FixSkipped when a condition that is not a string may use it."""
    text = literal_text(getattr(kwarg(call, "UpdateExpression"), "value", None)) or ""
    uses = _uses(text, plan.placeholder)
    condition = kwarg(call, "ConditionExpression")
    if condition is not None:
        condition_text = literal_text(condition.value)
        if condition_text is None:
            raise FixSkipped(f"the ConditionExpression is not a string literal: it may use {plan.placeholder}, "
                             "whose value the atomic ADD would change")
        uses += _uses(condition_text, plan.placeholder)
    if uses <= 1:
        return plan.placeholder
    return fresh(":dl_delta", taken_placeholders(call) | reserved)


def atomic_call(call: cst.Call, plan: AtomicPlan, delta: cst.BaseExpression, reserved: frozenset[str] = frozenset()) -> cst.Call:
    """``call`` with the counter's action made an ADD of ``delta``, under a placeholder that
    is none of ``reserved`` (those the kept conditions add)."""
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
    counter = counter_placeholder(call, plan, set(reserved))
    call = replace_kwarg(call, "UpdateExpression",
                         string(rewrite_expression(text, plan.placeholder, plan.action, counter)))
    return replace_kwarg(call, "ExpressionAttributeValues", set_dict_entry(values.value, counter, amount))
