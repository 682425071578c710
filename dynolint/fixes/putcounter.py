"""DYN102 on a put_item: read the item, add to a counter in Python, put the whole item back.

The put becomes an ``update_item`` that ``ADD``s the delta to the counter (a missing counter
counts from zero, as ``SET #n = if_not_exists(#n, :zero) + :d`` would) and ``SET``s the
other attributes the code writes, with the key attributes in ``Key=``. Attributes the code
did not write are left as they are in the table rather than overwritten with the values read.
"""

from __future__ import annotations

import json

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, kwarg, literal_text, walk
from dynolint.fixes.keep import placeholder as _placeholder
from dynolint.fixes.plans import AtomicPlan

TITLE = ("Replace the read-add-put with an update_item that ADDs the delta to the counter and SETs the other "
         "attributes written (no read needed for the counter)")
REMOVERS = frozenset({"pop", "popitem", "clear", "update", "setdefault"})


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def item_values(call: cst.Call, plan: AtomicPlan, scope: cst.CSTNode) -> tuple[dict[str, str], str | None]:
    """The source of each attribute's value in the put's ``Item=``, and the variable holding
    the item (None for a dict literal)."""
    item = kwarg(call, "Item")
    if item is None:
        raise FixSkipped("the put_item has no Item= argument")
    wanted = [*plan.key_attrs, *plan.sets]
    if isinstance(item.value, cst.Name):
        name = item.value.value
        for node in walk(scope):
            if isinstance(node, cst.Del) and any(isinstance(n, cst.Name) and n.value == name for n in walk(node)):
                raise FixSkipped(f"the code deletes attributes of {name!r}: the put removed them, an update would not")
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                    isinstance(node.func.value, cst.Name) and node.func.value.value == name and \
                    node.func.attr.value in REMOVERS:
                raise FixSkipped(f"the code changes {name!r} with {node.func.attr.value}(): the attributes written "
                                 "are not known")
        return {attribute: f"{name}[{json.dumps(attribute)}]" for attribute in wanted}, name
    if not isinstance(item.value, cst.Dict):
        raise FixSkipped("the put_item's Item= is neither a dict nor a variable")
    sources: dict[str, str] = {}
    for element in item.value.elements:
        key = literal_text(element.key) if isinstance(element, cst.DictElement) else None
        if key is None:
            raise FixSkipped("the put_item's item has attribute names that are not literals")
        sources[key] = _code(element.value)
    if any(attribute not in sources for attribute in wanted):
        raise FixSkipped("the put_item's item is not where the analysis saw it")
    return sources, None


def counter_entry(call: cst.Call, plan: AtomicPlan) -> cst.BaseExpression | None:
    """The expression the counter is written from, in a dict literal ``Item=``."""
    item = kwarg(call, "Item")
    if item is not None and isinstance(item.value, cst.Dict):
        for element in item.value.elements:
            if isinstance(element, cst.DictElement) and literal_text(element.key) == plan.attribute:
                return element.value
    return None


def _dict(keyword: str, entries: list[tuple[str, str]], width: int = 88) -> str:
    """``keyword={...}`` on one line, or one entry a line when that is longer than ``width``
    at the depth of a call's arguments (as black lays it out)."""
    flat = f"{keyword}={{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"
    if len(flat) + 9 <= width:
        return flat
    inner = "".join(f"            {k}: {v},\n" for k, v in entries)
    return f"{keyword}={{\n{inner}        }}"


def put_to_update(call: cst.Call, plan: AtomicPlan, delta: cst.BaseExpression, sources: dict[str, str]) -> cst.Call:
    """The put_item ``call`` as the update_item that writes the same attributes atomically."""
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "put_item":
        raise FixSkipped("the write is not a put_item method call")
    for argument in call.args:
        if argument.keyword is None or argument.star:
            raise FixSkipped("the put_item passes positional or ** arguments")
        if argument.keyword.value in ("ReturnValues", "ConditionExpression", "Expected", "ConditionalOperator",
                                      "ExpressionAttributeNames", "ExpressionAttributeValues"):
            raise FixSkipped(f"the put_item passes {argument.keyword.value}: convert it by hand")
    amount = _code(delta)
    if plan.negate:
        amount = f"-({amount})"
    names = {f"#dl_{_placeholder(a)}": a for a in (*plan.sets, plan.attribute)}
    values = {f":dl_{_placeholder(a)}": sources[a] for a in plan.sets}
    values[f":dl_{_placeholder(plan.attribute)}"] = amount
    sets = ", ".join(f"#dl_{_placeholder(a)} = :dl_{_placeholder(a)}" for a in plan.sets)
    counter = _placeholder(plan.attribute)
    expression = (f"SET {sets} " if sets else "") + f"ADD #dl_{counter} :dl_{counter}"
    arguments = [_dict("Key", [(json.dumps(a), sources[a]) for a in plan.key_attrs]),
                 f"UpdateExpression={json.dumps(expression)}",
                 _dict("ExpressionAttributeNames", [(json.dumps(k), json.dumps(v)) for k, v in names.items()]),
                 _dict("ExpressionAttributeValues", [(json.dumps(k), v) for k, v in values.items()])]
    arguments += [_code(a).strip().rstrip(",") for a in call.args if a.keyword and a.keyword.value != "Item"]
    receiver = _code(call.func.value)
    inner = "".join(f"        {argument},\n" for argument in arguments)
    wrapper = cst.parse_module(f"def _():\n    {receiver}.update_item(\n{inner}    )\n")
    function = wrapper.body[0]
    assert isinstance(function, cst.FunctionDef) and isinstance(function.body, cst.IndentedBlock)
    statement = function.body.body[0]
    assert isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Expr)
    new = statement.body[0].value
    assert isinstance(new, cst.Call)
    return new.with_changes(lpar=call.lpar, rpar=call.rpar)
