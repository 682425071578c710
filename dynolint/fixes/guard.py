"""DYN101: add a condition to an unguarded write.

String expressions with ``#dl_``/``:dl_`` placeholders that cannot collide with the call's
own (boto3 silently merges ``Attr`` objects into ``#n0``/``:v0``), existing names and
values merged rather than replaced, AttributeValue-typed values on the low-level client.
"""

from __future__ import annotations

import re

import libcst as cst

from dynolint.fixes.cstutil import (
    FixSkipped, add_kwargs, has_star_kwargs, kwarg, literal_text, merge_dict, parse_expr, replace_kwarg,
    set_dict_entry, string, taken_placeholders, fresh,
)
from dynolint.fixes.plans import GuardPlan

TITLES = {
    "not_exists": "Make the write create-only (attribute_not_exists on the key); callers must handle "
                  "ConditionalCheckFailedException when the item already exists",
    "exists": "Require the checked item to still exist (attribute_exists on the key); callers must handle "
              "ConditionalCheckFailedException when it was deleted meanwhile",
    "version": "Guard the write with an optimistic lock on the version attribute; callers must handle "
               "ConditionalCheckFailedException (re-read and retry, or report a conflict)",
}


def guard_call(call: cst.Call, plan: GuardPlan) -> cst.Call:
    if plan.flavor == "pynamodb":
        return _pynamodb(call, plan)
    if plan.flavor not in ("resource", "low"):
        raise FixSkipped("add a ConditionExpression to the transaction element by hand")
    for legacy in ("Expected", "AttributeUpdates"):
        if kwarg(call, legacy) is not None:
            raise FixSkipped(f"the call uses the legacy {legacy} parameter, which cannot be mixed with a "
                             "ConditionExpression: rewrite it with expressions first")
    if has_star_kwargs(call):
        raise FixSkipped("the call passes **kwargs: add the ConditionExpression where they are built")
    taken = taken_placeholders(call)
    low = plan.flavor == "low"
    names: list[tuple[str, cst.BaseExpression]] = []
    values: list[tuple[str, cst.BaseExpression]] = []
    if plan.mode in ("not_exists", "exists"):
        if plan.key_attr is None:
            raise FixSkipped("the table's key attribute is not known")
        key = fresh("#dl_key", taken)
        names.append((key, string(plan.key_attr)))
        function = "attribute_not_exists" if plan.mode == "not_exists" else "attribute_exists"
        condition = f"{function}({key})"
    else:
        if plan.version_attr is None or plan.item_expr is None:
            raise FixSkipped("the version attribute or the item read is not known")
        version = fresh("#dl_ver", taken)
        seen = fresh(":dl_ver", taken)
        names.append((version, string(plan.version_attr)))
        current = f"{plan.item_expr}[{plan.version_attr!r}]"
        values.append((seen, parse_expr(current)))
        condition = f"{version} = {seen}"
        following = (f'{{"N": str(int({current}["N"]) + 1)}}' if low else f"{current} + 1")
        call = _bump_version(call, plan, version, following, taken, values)
    existing = kwarg(call, "ConditionExpression")
    if existing is not None:
        old = literal_text(existing.value)
        if old is None:
            raise FixSkipped("the existing ConditionExpression is not a string literal")
        call = replace_kwarg(call, "ConditionExpression", string(f"({old}) AND {condition}"))
        additions: list[tuple[str, cst.BaseExpression]] = []
    else:
        additions = [("ConditionExpression", string(condition))]
    for field, entries in (("ExpressionAttributeNames", names), ("ExpressionAttributeValues", values)):
        if not entries:
            continue
        present = kwarg(call, field)
        if present is not None:
            call = replace_kwarg(call, field, merge_dict(present.value, entries))
        else:
            additions.append((field, merge_dict(None, entries)))
    return add_kwargs(call, additions)


def _bump_version(call: cst.Call, plan: GuardPlan, version: str, following: str, taken: set[str],
                  values: list[tuple[str, cst.BaseExpression]]) -> cst.Call:
    assert plan.version_attr is not None
    if plan.op == "put_item":
        item = kwarg(call, "Item")
        if item is None:
            raise FixSkipped("put_item has no Item= argument")
        return replace_kwarg(call, "Item", set_dict_entry(item.value, plan.version_attr, parse_expr(following)))
    if plan.op == "update_item":
        expression = kwarg(call, "UpdateExpression")
        text = literal_text(expression.value) if expression is not None else None
        if text is None:
            raise FixSkipped("the UpdateExpression is not a string literal")
        following_name = fresh(":dl_ver_next", taken)
        values.append((following_name, parse_expr(following)))
        action = f"{version} = {following_name}"
        match = re.search(r"\bSET\b", text, re.IGNORECASE)
        if match:
            updated = f"{text[:match.end()]} {action},{text[match.end():]}"
        else:
            updated = f"SET {action} {text}"
        return replace_kwarg(call, "UpdateExpression", string(updated))
    return call  # delete_item: the condition alone


def _pynamodb(call: cst.Call, plan: GuardPlan) -> cst.Call:
    if kwarg(call, "condition") is not None:
        raise FixSkipped("the write already passes condition=")
    if plan.key_attr is None or plan.mode not in ("not_exists", "exists"):
        raise FixSkipped("no condition can be derived for this PynamoDB write")
    func = call.func
    if not isinstance(func, cst.Attribute):
        raise FixSkipped("the PynamoDB write is not a method call")
    receiver = cst.Module([]).code_for_node(func.value)
    model = plan.model_name or f"type({receiver})"
    method = "does_not_exist" if plan.mode == "not_exists" else "exists"
    return add_kwargs(call, [("condition", parse_expr(f"{model}.{plan.key_attr}.{method}()"))])
