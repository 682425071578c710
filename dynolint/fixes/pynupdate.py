"""PynamoDB: ``save()`` of an instance read with ``get()`` becomes ``update()`` of the
attributes the code changed, with a condition.

``save()`` writes every attribute back, so a concurrent change of any attribute the code did
not touch is lost. ``update(actions=[...])`` writes only what the code changed: a counter
(``obj.n = obj.n + d``, ``obj.n += d``) as ``Model.n.add(d)``, any other assignment as
``Model.a.set(obj.a)``. The condition keeps what the path relied on: the item still exists
(``Model.<hash key>.exists()``; ``get()`` proved it did) and each attribute a decision on the
path compared still holds the value read. An ``update()`` that already names its actions
only gets the condition. PynamoDB refreshes the instance from the write (``ALL_NEW``), so a
value the code returns afterwards (``obj.n``) is the stored total, not the stale read plus one.

It changes nothing when the instance is used in a way an update cannot express (passed to a
call, a method other than the write, an attribute mutated in place, an assignment in a
branch or after the write, the key reassigned), when a decided attribute is also assigned
(the value read is gone), or when the write sits in a ``try`` (its handlers expect
``PutError``; ``update()`` raises ``UpdateError``).
"""

from __future__ import annotations

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, add_kwargs, kwarg, parse_expr, walk
from dynolint.fixes.plans import GuardPlan
from dynolint.fixes.scope import facts_of

TITLE = ("Write only what the code changed: save() becomes update() with an action per attribute assigned (a "
         "counter as an atomic add), conditioned on the item still existing and on the attributes the code decided "
         "on still holding the values read; callers must handle UpdateError (ConditionalCheckFailedException)")

_Code = cst.Module([]).code_for_node


def actions_for(scope: cst.CSTNode, call: cst.Call, plan: GuardPlan) -> tuple[str, ...]:
    """The ``update()`` actions for the attribute assignments to ``plan.item_expr`` that come
    before the write in its block (empty for an ``update()`` that has its own)."""
    item, model = plan.item_expr, plan.model_name
    if item is None or model is None:
        raise FixSkipped("the instance read, or its model class, is not named where it is written")
    facts = facts_of(scope)
    statement, block = _statement_of(facts.parents, call)
    if any(isinstance(node, cst.Try) for node in _ancestors(facts.parents, call, scope)):
        raise FixSkipped("the write is inside try: its handlers expect PutError, and update() raises UpdateError; "
                         "rewrite it by hand")
    straight = set()
    if block is not None:
        for sibling in block.body:
            if sibling is statement:
                break
            straight.add(id(sibling))
    assigned: dict[str, str] = {}
    read_after: set[str] = set()
    for node in walk(scope):
        if isinstance(node, cst.Name) and node.value == item:
            holder = facts.parents.get(id(node))
            if not (isinstance(holder, cst.Attribute) and holder.attr is node) and \
                    not (isinstance(holder, cst.Arg) and holder.keyword is node):  # ``f(page=1)``: not the instance
                _check_use(facts.parents, node, call, straight, scope)
    for sibling in block.body if block is not None else ():
        if sibling is statement:
            break
        for node in walk(sibling):  # what this statement reads of attributes changed before it
            if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == item \
                    and node.attr.value in assigned and not _is_target(facts.parents, node):
                read_after.add(node.attr.value)
        for small in sibling.body if isinstance(sibling, cst.SimpleStatementLine) else ():
            attribute, action = _assignment(small, item, model)
            if attribute is None:
                continue
            if attribute == plan.key_attr:
                raise FixSkipped("the code changes the key attribute: that writes another item; no automatic fix")
            if attribute in assigned and ".add(" in assigned[attribute] + action:
                raise FixSkipped(f"{item}.{attribute} is changed twice before the write; no automatic fix")
            assigned[attribute] = action
    if read_after & {a for a, action in assigned.items() if ".add(" in action}:
        raise FixSkipped("the code uses the counter's new value before the write: an atomic add cannot give it "
                         "that value; no automatic fix")
    clash = sorted(set(plan.decided) & set(assigned))
    if clash:
        raise FixSkipped(f"the code decides on {', '.join(clash)} and changes it before the write: the value read "
                         "is gone, so no condition can keep that decision; no automatic fix")
    if plan.op == "save" and not assigned:
        raise FixSkipped("no attribute assignment is found before save(): nothing to turn into update actions")
    return tuple(assigned.values())


def derived_pins(plan: GuardPlan, actions: tuple[str, ...]) -> tuple[str, ...]:
    """The attributes the written values are computed from that the condition must pin as read
    (``Counter.value.set(c.value + by)`` is stale once ``value`` changed): all but those the code
    assigned on the instance before a save() (an action of theirs: a counter added to atomically
    needs no pin, and the instance no longer holds the value read of the others)."""
    assigned = {a for a in plan.derived if any(action.startswith(f"{plan.model_name}.{a}.") for action in actions)}
    return tuple(a for a in plan.derived if a not in assigned and a not in plan.decided and a != plan.key_attr)


def update_call(call: cst.Call, plan: GuardPlan) -> cst.Call:
    """``obj.save()`` -> ``obj.update(actions=[...], condition=...)``; ``obj.update(actions=...)``
    gets the condition."""
    if kwarg(call, "condition") is not None or not isinstance(call.func, cst.Attribute):
        raise FixSkipped("the write already passes condition=, or is not a method call")
    model, item = plan.model_name, plan.item_expr
    condition = f"{model}.{plan.key_attr}.exists()"
    for name in (*plan.decided, *plan.derived):
        if name != plan.key_attr:
            # PynamoDB reads a missing attribute and a stored NULL alike as None: accept both
            same = f"{model}.{name} == {item}.{name}"
            condition += f" & ({model}.{name}.does_not_exist() | ({same}) if {item}.{name} is None else {same})"
    if plan.op == "save":
        if call.args:
            raise FixSkipped("save() is called with arguments; no automatic fix")
        actions = ", ".join(plan.actions)
        call = call.with_changes(func=call.func.with_changes(attr=cst.Name("update")))
        return add_kwargs(call, [("actions", parse_expr(f"[{actions}]")), ("condition", parse_expr(condition))])
    if kwarg(call, "actions") is None:
        raise FixSkipped("update() is not given actions= by keyword")
    return add_kwargs(call, [("condition", parse_expr(condition))])


def _assignment(small: cst.BaseSmallStatement, item: str, model: str) -> tuple[str | None, str]:
    """``item.a = v`` / ``item.a += d``: the attribute and its update action."""
    if isinstance(small, cst.AugAssign) and _attr_of(small.target, item):
        name = small.target.attr.value  # type: ignore[attr-defined]
        delta = _Code(small.value)
        if isinstance(small.operator, cst.AddAssign) and not _mentions(small.value, item):
            return name, f"{model}.{name}.add({delta})"
        if isinstance(small.operator, cst.SubtractAssign) and not _mentions(small.value, item):
            return name, f"{model}.{name}.add(-({delta}))"
        return name, f"{model}.{name}.set({item}.{name})"
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and _attr_of(small.targets[0].target, item):
        name = small.targets[0].target.attr.value  # type: ignore[attr-defined]
        value = small.value
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Add, cst.Subtract)):
            left_is, right_is = _is_attr(value.left, item, name), _is_attr(value.right, item, name)
            if left_is and not _mentions(value.right, item):
                sign = "" if isinstance(value.operator, cst.Add) else "-"
                delta = _Code(value.right)
                return name, f"{model}.{name}.add({sign + '(' + delta + ')' if sign else delta})"
            if right_is and isinstance(value.operator, cst.Add) and not _mentions(value.left, item):
                return name, f"{model}.{name}.add({_Code(value.left)})"
        return name, f"{model}.{name}.set({item}.{name})"
    return None, ""


def _check_use(parents: dict[int, cst.CSTNode], name: cst.Name, call: cst.Call, straight: set[int],
               scope: cst.CSTNode) -> None:
    """Every use of the instance name must be a binding, an attribute read, an assignment
    to one of its attributes in a statement before the write in its block, or the write."""
    parent = parents.get(id(name))
    if isinstance(parent, cst.AssignTarget) or isinstance(parent, cst.Param):
        return  # its binding (the get)
    if isinstance(parent, cst.Attribute) and parent.value is name:
        outer = parents.get(id(parent))
        if outer is call:
            return
        if isinstance(outer, cst.Call) and outer.func is parent:
            raise FixSkipped(f"the code calls {parent.attr.value}() on the instance: update() could not repeat "
                             "what it does; no automatic fix")
        if _is_target(parents, parent):
            statement = _statement_of(parents, parent)[0]
            if id(statement) not in straight:
                raise FixSkipped("an attribute of the instance is assigned in a branch, a loop or after the write: "
                                 "update actions cannot follow it; no automatic fix")
            return
        grand = outer
        if isinstance(grand, cst.Attribute) and isinstance(parents.get(id(grand)), cst.Call) and \
                parents[id(grand)].func is grand:  # type: ignore[attr-defined]
            raise FixSkipped(f"the code changes or calls into {name.value}.{parent.attr.value} in place; "
                             "no automatic fix")
        if isinstance(grand, cst.Subscript) and _is_target(parents, grand):
            raise FixSkipped(f"the code changes {name.value}.{parent.attr.value} in place; no automatic fix")
        return
    raise FixSkipped(f"the instance {name.value} is passed on or used whole before the write: what the code does "
                     "to it cannot be known; no automatic fix")


def _is_target(parents: dict[int, cst.CSTNode], node: cst.CSTNode) -> bool:
    parent = parents.get(id(node))
    return (isinstance(parent, cst.AssignTarget) and parent.target is node) or \
        (isinstance(parent, cst.AugAssign) and parent.target is node)


def _statement_of(parents: dict[int, cst.CSTNode], node: cst.CSTNode) -> tuple[cst.CSTNode | None, cst.IndentedBlock | None]:
    current: cst.CSTNode | None = node
    while current is not None:
        parent = parents.get(id(current))
        if isinstance(parent, cst.IndentedBlock) and isinstance(current, cst.BaseStatement):
            return current, parent
        current = parent
    return None, None


def _ancestors(parents: dict[int, cst.CSTNode], node: cst.CSTNode, scope: cst.CSTNode) -> list[cst.CSTNode]:
    out = []
    current = parents.get(id(node))
    while current is not None and current is not scope:
        out.append(current)
        current = parents.get(id(current))
    return out


def _attr_of(node: cst.BaseExpression, item: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == item


def _is_attr(node: cst.BaseExpression, item: str, name: str) -> bool:
    return _attr_of(node, item) and node.attr.value == name  # type: ignore[attr-defined]


def _mentions(node: cst.CSTNode, item: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == item for n in walk(node))
