"""The DYN205 fix: ``TenantId=`` the tenant id the invoking function already read.

The analysis gives the positions where the function read a tenant id (``event["tenantId"]``,
a claim of the authorizer, ...); the name to pass is the variable that one of those reads was
assigned to, before the call, in the same function, and never assigned anything else there.
Where several variables hold tenant ids (the tenant a request asks for, the caller's), the one
the call passes on; with none, or with the call passing on more than one, there is no fix:
guessing a tenant is how tenants get mixed."""

from __future__ import annotations

from typing import Any

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, walk
from dynolint.fixes.plans import TenantIdPlan

TITLE = "pass TenantId= the tenant id this function read"


def tenant_name(scope: cst.CSTNode, call: cst.Call, plan: TenantIdPlan, positions: dict[cst.CSTNode, Any]) -> str:
    """The variable of ``scope`` (the function holding ``call``) bound to a tenant id read."""
    call_start = positions[call].start
    bindings: dict[str, int] = {}
    candidates: list[tuple[int, str]] = []
    for node in walk(scope):
        targets: list[cst.BaseExpression] = []
        value: cst.BaseExpression | None = None
        if isinstance(node, cst.Assign):
            targets, value = [t.target for t in node.targets], node.value
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets, value = [node.target], node.value
        elif isinstance(node, (cst.For, cst.CompFor)):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        elif isinstance(node, cst.NamedExpr):
            targets, value = [node.target], node.value
        for target in targets:
            for name in walk(target):
                if isinstance(name, cst.Name):
                    bindings[name.value] = bindings.get(name.value, 0) + 1
        if (value is not None and len(targets) == 1 and isinstance(targets[0], cst.Name)
                and isinstance(node, (cst.Assign, cst.AnnAssign)) and _holds_a_source(value, plan, positions)):
            where = positions[node].start
            if (where.line, where.column) < (call_start.line, call_start.column):
                candidates.append((where.line, targets[0].value))
    params = {param.name.value for param in walk(scope) if isinstance(param, cst.Param)}
    held = list(dict.fromkeys(variable for _, variable in sorted(candidates, reverse=True)
                              if bindings.get(variable) == 1 and variable not in params))
    if len(held) > 1:  # several tenant ids (the one asked for, the caller's): the one the call passes on
        passed = {node.value for node in walk(call) if isinstance(node, cst.Name)}
        held = [variable for variable in held if variable in passed]
        if len(held) != 1:
            raise FixSkipped("the function read several tenant ids and the call does not tell which one it runs "
                             "for: pass TenantId= by hand")
    if held:
        other = _payload_tenant(scope, call, held[0])
        if other is not None:
            raise FixSkipped(f"the call says it runs for the tenant in {other}, not {held[0]}: pass TenantId= by hand")
        return held[0]
    raise FixSkipped("no variable of this function holds the tenant id it read: pass TenantId= by hand")


def _payload_tenant(scope: cst.CSTNode, call: cst.Call, name: str) -> str | None:
    """What the call's payload names as its tenant, where that is not ``name``: an entry or
    keyword whose name says tenant (``{"tenant": target}``, ``dict(tenant_id=other)``,
    ``payload["tenant"] = target``), in the call or in what a variable it passes was given.
    Work sent on behalf of another tenant (``body.get("on_behalf_of", tenant_id)``) must run
    in that tenant's environment, not the reader's."""
    passed = {node.value for node in walk(call) if isinstance(node, cst.Name)}
    places: list[cst.CSTNode] = [call]
    for node in walk(scope):
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Name) and target.value in passed:
                places.append(node.value)
            elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) \
                    and target.value.value in passed and len(target.slice) == 1 \
                    and isinstance(target.slice[0].slice, cst.Index):
                key = target.slice[0].slice.value
                if isinstance(key, cst.SimpleString) and _says_tenant(key.evaluated_value, "") \
                        and not _is_name(node.value, name):
                    return cst.Module([]).code_for_node(node.value)
    for place in places:
        for node in walk(place):
            if isinstance(node, cst.DictElement) and isinstance(node.key, cst.SimpleString):
                label: object = node.key.evaluated_value
            elif isinstance(node, cst.Arg) and node.keyword is not None:
                label = node.keyword.value
            else:
                continue
            if _says_tenant(label, "TenantId") and not _is_name(node.value, name):
                return cst.Module([]).code_for_node(node.value)
    return None


def _says_tenant(label: object, exempt: str) -> bool:
    """``tenant``, ``tenant_id``, ``targetTenantId``: a name for the tenant itself (not
    ``tenant_name`` or ``tenant_tier``, which describe it)."""
    if not isinstance(label, str) or label == exempt:
        return False
    plain = label.lower().replace("_", "").replace("-", "")
    return plain == "tenant" or plain.endswith("tenantid")


def _is_name(value: cst.BaseExpression, name: str) -> bool:
    return isinstance(value, cst.Name) and value.value == name


def _holds_a_source(value: cst.BaseExpression, plan: TenantIdPlan, positions: dict[cst.CSTNode, Any]) -> bool:
    """Is ``value`` a tenant id read (as a whole, not a string built from one)?"""
    node: cst.BaseExpression = value
    while isinstance(node, cst.Call) and node.args and isinstance(node.func, cst.Name) and node.func.value == "str":
        node = node.args[0].value  # str(event["tenantId"])
    if not isinstance(node, (cst.Subscript, cst.Call, cst.Attribute, cst.Name)):
        return False
    where = positions.get(node)
    if where is None:
        return False
    start, end = (where.start.line, where.start.column + 1), (where.end.line, where.end.column + 1)
    return any(start <= source <= end for source in plan.sources)


def add_tenant_id(call: cst.Call, name: str) -> cst.Call:
    """``call`` with ``TenantId=name`` as its last argument."""
    if any(arg.keyword is not None and arg.keyword.value == "TenantId" for arg in call.args):
        return call
    if any(arg.star == "**" for arg in call.args):
        raise FixSkipped("the call passes **kwargs: TenantId may be among them")
    argument = cst.Arg(value=cst.Name(name), keyword=cst.Name("TenantId"),
                       equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                             whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if args and isinstance(args[-1].comma, cst.Comma):
        # a trailing comma (a call laid out one argument a line): the new argument takes it, and
        # the argument before it the separator the others use
        separator = (args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma)
                     else cst.Comma(whitespace_after=call.whitespace_before_args))
        args.append(argument.with_changes(comma=args[-1].comma))
        args[-2] = args[-2].with_changes(comma=separator)
    else:
        args.append(argument)
    return call.with_changes(args=args)


__all__ = ["TITLE", "add_tenant_id", "tenant_name"]
