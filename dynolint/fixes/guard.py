"""DYN101: add a condition to an unguarded write.

String expressions with ``#dl_``/``:dl_`` placeholders that cannot collide with the call's
own (boto3 silently merges ``Attr`` objects into ``#n0``/``:v0``), existing names and
values merged rather than replaced, AttributeValue-typed values on the low-level client.
"""

from __future__ import annotations

import json
import re
from typing import Sequence

import libcst as cst

from dynolint.fixes.cstutil import (
    FixSkipped, and_condition, add_kwargs, has_star_kwargs, kwarg, literal_text, parse_expr, replace_kwarg,
    set_dict_entry, string, taken_placeholders, fresh, with_attributes,
)
from dynolint.fixes import pynupdate, version_use, versioning
from dynolint.fixes.plans import GuardPlan
from dynolint.fixes.scope import accesses, facts_of

TITLES = {
    "not_exists": "Make the write create-only (attribute_not_exists on the key); callers must handle "
                  "ConditionalCheckFailedException when the item already exists",
    "exists": "Require the checked item to still exist (attribute_exists on the key); callers must handle "
              "ConditionalCheckFailedException when it was deleted meanwhile",
    "version": "Guard the write with an optimistic lock on the version attribute; callers must handle "
               "ConditionalCheckFailedException (re-read and retry, or report a conflict)",
    "introduce": versioning.TITLE,
    "allocate": versioning.ALLOCATE_TITLE,
    "pyn_update": pynupdate.TITLE,
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
    if plan.mode in ("not_exists", "exists", "pinned", "allocate"):
        if plan.key_attr is None:
            raise FixSkipped("the table's key attribute is not known")
        wanted = "absent" if plan.mode == "not_exists" else "present"
        if plan.path != wanted and plan.mode != "allocate":  # an allocated key is new by construction
            raise FixSkipped(f"the code does not show that the item read is {wanted} where it is written, so a "
                             f"condition could reject writes that are meant to succeed; set [tool.dynolint.tables."
                             f"{plan.table_label or '<table>'}] version-attribute for an optimistic-lock fix")
        key = fresh("#dl_key", taken)
        names.append((key, string(plan.key_attr)))
        function = "attribute_not_exists" if plan.mode in ("not_exists", "allocate") else "attribute_exists"
        condition = f"{function}({key})"
        for attribute, optional in plan.pins:
            name, value = fresh("#dl_seen", taken), fresh(":dl_seen", taken)
            names.append((name, string(attribute)))
            # a missing attribute as the value of a low-level client: {"NULL": True} (None is refused)
            missing = ', {"NULL": True}' if low else ""
            access = f"{plan.item_expr}.get({json.dumps(attribute)}{missing})" if optional else \
                f"{plan.item_expr}[{json.dumps(attribute)}]"
            values.append((value, parse_expr(access)))
            pin = f"{name} = {value}"
            condition += f" AND (attribute_not_exists({name}) OR {pin})" if optional else f" AND {pin}"
    else:
        if plan.version_attr is None or plan.item_expr is None:
            raise FixSkipped("the version attribute or the item read is not known")
        version = fresh("#dl_ver", taken)
        seen = fresh(":dl_ver", taken)
        names.append((version, string(plan.version_attr)))
        # where the write is reached with the item not found (``**(cached or {})`` writes it either
        # way) the version is read from ``(cached or {})``: ``cached.get(...)`` would raise on None
        item = f"({plan.item_expr} or {{}})" if plan.item_may_miss else plan.item_expr
        current, following = versioning.read_and_bump(item, plan.version_attr, low, plan.typed)
        values.append((seen, parse_expr(current)))
        # items written before the version attribute existed lack it: they pass once, as version 0
        condition = f"(attribute_not_exists({version}) OR {version} = {seen})"
        call = _bump_version(call, plan, version, following, taken, values)
    call, additions = and_condition(call, condition)
    return with_attributes(call, names, values, additions)


TITLES["pinned"] = ("Require the item to still exist and hold the values that were read for the attributes the "
                    "write depends on; callers must handle ConditionalCheckFailedException")


def pins_for(scope: cst.CSTNode, call: cst.Call, plan: GuardPlan) -> tuple[tuple[str, bool], ...]:
    """The attributes of the read item (held in ``plan.item_expr``) that the write depends
    on: tested in an ``if`` of the function, or carried into the write's arguments. The
    item must not be changed in Python, or the values to compare are gone. (The function's
    tests and mutations come from one walk of it, shared by its writes: :mod:`.scope`.)"""
    item = plan.item_expr
    if item is None:
        if plan.needs_pins:
            raise FixSkipped("the item that was read is not held in a variable where it is written")
        return ()
    facts = facts_of(scope)
    found: dict[str, bool] = dict(facts.tested.get(item, {}))
    mine: dict[str, dict[str, bool]] = {}
    accesses(call, mine, only=item)
    for key, optional in mine.get(item, {}).items():
        found[key] = found.get(key, True) and optional
    # what the path decided on must not change unseen either, nor what the written values were
    # computed from; read with .get() where the function only ever reads it so (it may be missing)
    seen = facts.accessed.get(item, {})
    for name in plan.decided:
        found.setdefault(name, seen.get(name, False))
    for name in plan.derived:
        found.setdefault(name, seen.get(name, True))
    mutated = facts.first_mutation(item)
    if mutated is not None:
        raise FixSkipped(f"the item read is changed in Python before it is written ({mutated}): set "
                         f"[tool.dynolint.tables.{plan.table_label or '<table>'}] version-attribute for an "
                         "optimistic-lock fix")
    pins = tuple(sorted((name, optional) for name, optional in found.items()
                        if name != plan.key_attr and name not in plan.changed))
    for name, _ in pins:
        projected = version_use.projected_without(scope, name)
        if projected is not None:  # the code never saw the stored value: the pin would compare with a default
            raise FixSkipped(f"the read {projected}: the guard would compare the stored {name!r} with a value "
                             f"never read, and fail whenever the item has one; add {name!r} to the projection first")
    if plan.needs_pins and not pins:
        raise FixSkipped(f"no version attribute is known for table {plan.table_label or '<table>'}: set "
                         f"[tool.dynolint.tables.{plan.table_label or '<table>'}] version-attribute to enable an "
                         "optimistic-lock fix")
    return pins


def _names_in(expr: cst.BaseExpression, names: tuple[str, ...]) -> bool:
    """A name bound to the read (item or response), or the read call itself written inline
    (awaited too: ``(await table.get_item(...))["Item"]``)."""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and isinstance(expr.func.value, cst.Call):
        expr = expr.func.value  # table.get_item(...).get("Item")
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get_item":
        return True
    return isinstance(expr, cst.Name) and expr.value in names


def _when(test: cst.BaseExpression, names: tuple[str, ...], truth: bool) -> str | None:
    """What ``test`` being ``truth`` says about the read item: "present", "absent" or None."""
    flip = {"present": "absent", "absent": "present"}
    if _names_in(test, names):
        return "present" if truth else "absent"
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _when(test.expression, names, not truth)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value in ("len", "bool") \
            and len(test.args) == 1 and _names_in(test.args[0].value, names):
        return "present" if truth else "absent"
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and test.func.attr.value == "get" \
            and _names_in(test.func.value, names) and test.args and literal_text(test.args[0].value) in ("Item", "Items"):
        return "present" if truth else "absent"
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        operator, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if isinstance(operator, (cst.Is, cst.Equal, cst.IsNot, cst.NotEqual)) and isinstance(right, cst.Name) \
                and right.value == "None" and _names_in(test.left, names):
            is_none = isinstance(operator, (cst.Is, cst.Equal))
            answer = "absent" if is_none else "present"
            return answer if truth else flip[answer]
        if isinstance(operator, (cst.In, cst.NotIn)) and literal_text(test.left) in ("Item", "Items") \
                and _names_in(right, names):
            answer = "present" if isinstance(operator, cst.In) else "absent"
            return answer if truth else flip[answer]
    if isinstance(test, cst.BooleanOperation):
        conjunction = isinstance(test.operator, cst.And)
        if conjunction == truth:  # all operands hold: any of them tells
            return _when(test.left, names, truth) or _when(test.right, names, truth)
    return None


def _exits(block: cst.BaseSuite) -> bool:
    body = block.body if isinstance(block, cst.IndentedBlock) else block.body
    last = body[-1] if body else None
    small = last.body[-1] if isinstance(last, cst.SimpleStatementLine) and last.body else last
    if isinstance(block, cst.SimpleStatementSuite):
        small = block.body[-1] if block.body else None
    return isinstance(small, (cst.Return, cst.Raise, cst.Continue, cst.Break))


def path_state(scope: cst.CSTNode, names: tuple[str, ...], call: cst.Call, item: str | None = None) -> str | None:
    """Is the read item present or absent where ``call`` runs (from the ifs on its path, and
    from unconditional subscripts of it before the call, which raise when the read found
    nothing: ``item = resp["Item"]``, ``old = item["name"]``)? ``item``: the name holding the
    read item."""
    state: list[str | None] = [None]
    parents = facts_of(scope).parents
    holding: set[int] = set()  # the nodes that hold ``call``: found once, not per statement
    node: cst.CSTNode | None = call
    while node is not None:
        holding.add(id(node))
        node = parents.get(id(node))

    def _contains(outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        return id(outer) in holding

    def block(statements: Sequence[cst.CSTNode]) -> None:
        for statement in statements:
            if _contains(statement, call):
                if isinstance(statement, cst.If):
                    if _contains(statement.body, call):
                        state[0] = _when(statement.test, names, True) or state[0]
                        block(statement.body.body)
                    elif statement.orelse is not None:
                        state[0] = _when(statement.test, names, False) or state[0]
                        inner = statement.orelse
                        block([inner] if isinstance(inner, cst.If) else inner.body.body)
                else:
                    for child in statement.children:
                        if isinstance(child, cst.BaseSuite) and _contains(child, call):
                            block(child.body)
                return
            if isinstance(statement, cst.If) and statement.orelse is None and _exits(statement.body):
                state[0] = _when(statement.test, names, False) or state[0]
            elif isinstance(statement, cst.SimpleStatementLine):
                if _binds(statement, names):
                    state[0] = None  # what was known of an earlier value no longer holds
                if _subscripts_read(statement, names, item):
                    state[0] = "present"

    body = scope.body if isinstance(scope, cst.FunctionDef) else scope
    block(body.body if isinstance(body, (cst.IndentedBlock, cst.Module)) else [])
    return state[0]


def _binds(statement: cst.SimpleStatementLine, names: tuple[str, ...]) -> bool:
    """Does the statement (re)bind one of ``names``?"""
    for small in statement.body:
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else \
            [small.target] if isinstance(small, (cst.AnnAssign, cst.AugAssign)) else []
        if any(isinstance(t, cst.Name) and t.value in names for t in targets):
            return True
    return False


# the parts of an expression that run only sometimes: not a proof that anything ran
_SOMETIMES = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.IfExp)


def _subscripts_read(statement: cst.SimpleStatementLine, names: tuple[str, ...], item: str | None) -> bool:
    """Does the statement unconditionally subscript the read item (any literal key) or the
    response's ``"Item"``? Reaching the next statement then means the item was there."""
    stack: list[cst.CSTNode] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, _SOMETIMES):
            continue
        if isinstance(node, cst.BooleanOperation):
            stack.append(node.left)  # the right operand is short-circuited
            continue
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = literal_text(node.slice[0].slice.value)
            if key is not None and (isinstance(node.value, cst.Name) and node.value.value == item
                                    or key == "Item" and _names_in(node.value, names)):
                return True
        stack.extend(node.children)
    return False


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
    if plan.mode == "pyn_update":
        return pynupdate.update_call(call, plan)
    if kwarg(call, "condition") is not None:
        raise FixSkipped("the write already passes condition=")
    if plan.key_attr is None or plan.mode not in ("not_exists", "exists", "allocate"):
        raise FixSkipped("no condition can be derived for this PynamoDB write")
    func = call.func
    if not isinstance(func, cst.Attribute):
        raise FixSkipped("the PynamoDB write is not a method call")
    receiver = cst.Module([]).code_for_node(func.value)
    model = plan.model_name or f"type({receiver})"
    method = "exists" if plan.mode == "exists" else "does_not_exist"
    return add_kwargs(call, [("condition", parse_expr(f"{model}.{plan.key_attr}.{method}()"))])
