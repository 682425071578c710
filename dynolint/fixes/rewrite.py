"""How one finding's plan rewrites its call: a guard, an atomic update (with the decisions
it keeps), ``TenantId=`` on an invoke, a per-invocation temporary directory. Shared by
``dynolint fix`` (:mod:`.engine`) and the report edits (:mod:`.edits`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

import libcst as cst

from dynolint.fixes import (
    absent, atomic, guard, keep, lowtyped, projectconf, putcounter, pynupdate, tenantid, tmpdir, version_use,
)
from dynolint.fixes.cstutil import FixSkipped, contains, walk
from dynolint.fixes.joins import joined_kind, reevaluated
from dynolint.fixes.plans import AtomicPlan, GuardPlan, TenantIdPlan, TmpDirPlan
from dynolint.fixes.scope import enclosing
from dynolint.phase1.positions import node_positions

if TYPE_CHECKING:
    from dynolint.fixes.engine import _Index


def _annotated(function: cst.CSTNode) -> bool:
    """Does mypy check the function's body (a parameter or the return is annotated)?"""
    assert isinstance(function, cst.FunctionDef)
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return function.returns is not None or any(p.annotation is not None for p in every)


def tenant_change(module: cst.Module, index: _Index,
                  plan: TenantIdPlan) -> tuple[Callable[[cst.Call], cst.Call], cst.Call]:
    """How a DYN205 fix rewrites its invoke, and the invoke so rewritten (FixSkipped when no
    variable holds the tenant id)."""
    call = index.calls.get((plan.line, plan.column))
    if call is None:
        raise FixSkipped("the invoke is not where the analysis saw it")
    function = enclosing(module, call, cst.FunctionDef, index.positions)
    if not function:
        raise FixSkipped("the invoke is not in a function")
    scope = function[-1]
    kinds = (cst.Call, cst.Subscript, cst.Attribute, cst.Name, cst.Assign, cst.AnnAssign)
    name = tenantid.tenant_name(scope, call, plan, node_positions(module, kinds))
    change: Callable[[cst.Call], cst.Call] = lambda node: tenantid.add_tenant_id(node, name)
    return change, change(call)


def call_change(module: cst.Module, index: _Index, positions: Any, plan: object,
                 call: cst.Call, path: str | None = None) -> tuple[Callable[[cst.Call], cst.Call], cst.Call, Any, str | None]:
    """How a guard or an atomic-update plan rewrites a call (given the call as it stands,
    its children possibly changed by other fixes), ``call`` so rewritten, the block
    whose statements change with it and how (an atomic update that keeps a decision is
    wrapped in try/except; None when only the call changes), and why the fix is unsafe
    though its plan may be safe (None: no reason found); raises FixSkipped, before
    anything changes, if the rewrite cannot be made."""
    if isinstance(plan, TenantIdPlan):
        tenant, new_call = tenant_change(module, index, plan)
        return tenant, new_call, None, None
    function = enclosing(module, call, cst.FunctionDef, positions)
    if isinstance(plan, TmpDirPlan):
        body, action, call = tmpdir.block_change(module, function, call, plan, positions)
        action.limit = projectconf.line_length(path)
        return lambda node: node, call, (body, action), None
    block: tuple[cst.IndentedBlock, Callable[[list[cst.BaseStatement]], list[cst.BaseStatement]] | None] | None = None
    if isinstance(plan, GuardPlan):
        scope = function[-1] if function else module
        if plan.mode in ("not_exists", "exists", "pinned"):
            plan = replace(plan, path=guard.path_state(scope, plan.presence, call, plan.item_expr))
        if plan.mode == "pinned":
            plan = replace(plan, pins=guard.pins_for(scope, call, plan))
        if plan.mode == "pyn_update":
            actions = pynupdate.actions_for(scope, call, plan)
            plan = replace(plan, actions=actions, derived=pynupdate.derived_pins(plan, actions))
        if plan.mode in ("version", "introduce"):
            version_use.check(scope, call, plan, positions)
        if plan.flavor == "low" and (plan.mode in ("version", "introduce") or plan.pins):
            lowtyped.check(scope, plan.item_expr)
        if function and (_annotated(function[-1]) or projectconf.mypy_checks_untyped(path)):
            plan = replace(plan, typed=True)  # mypy checks the body
        change: Callable[[cst.Call], cst.Call] = lambda node: guard.guard_call(node, plan)
    elif isinstance(plan, AtomicPlan):
        binop = index.binops.get((plan.delta_line, plan.delta_column))
        if binop is None:
            raise FixSkipped("the arithmetic is not where the analysis saw it")
        if not function or not contains(positions[function[-1]], positions[binop]):
            raise FixSkipped("the arithmetic is computed in another function than the write")
        delta = binop.right if plan.delta_side == "right" else binop.left
        joined = joined_kind(delta, function[-1]) if function else None
        if joined is not None:
            raise FixSkipped(f"the value added ({cst.Module([]).code_for_node(delta)}) is {joined}: + joins it, and an "
                             "atomic ADD only adds numbers (every call would fail); guard the write with a "
                             "condition on the value read instead")
        changed = reevaluated(delta, function[-1], positions[binop], positions[call], positions)
        if changed is not None:
            raise FixSkipped(f"the value added ({cst.Module([]).code_for_node(delta)}) {changed}: the atomic "
                             "update would compute it again where it writes; bind it to a name first")
        kept = keep.Kept()
        scope = function[-1]
        rebind_to = None
        if plan.put:
            sources, holder = putcounter.item_values(call, plan, scope)
            entry = putcounter.counter_entry(call, plan)
            rebind_to = (holder, f'{holder}["{plan.attribute}"]') if holder is not None else \
                (entry.value, entry.value) if isinstance(entry, cst.Name) else (None, None)
        if plan.conditions or plan.result is not None:
            names = {node.value for node in walk(scope) if isinstance(node, cst.Name)}
            kept = keep.keep(plan, call, scope, positions, index.ifs, index.blocks, names, keep.decimal_in(module),
                             rebind_to, absent.module_numbers(module))
        if plan.put:
            change = lambda node: keep.apply_to_call(putcounter.put_to_update(node, plan, delta, sources), kept)
        else:
            reserved = frozenset(name for name, _ in kept.values or ())
            change = lambda node: keep.apply_to_call(atomic.atomic_call(node, plan, delta, reserved), kept)
        if kept.block is not None:
            block = (kept.block, kept.change)
        return change, change(call), block, kept.unsafe
    else:
        raise FixSkipped("no automatic fix for this finding")
    return change, change(call), block, None
