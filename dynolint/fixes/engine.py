"""Apply the fixes of one file (``dynolint fix``): parse it, find each target by position,
run the transformers, verify the result. The pieces shared with the report edits
(:mod:`dynolint.fixes.edits`): the positioned index of a module, the transformer, how a
guard or an atomic update rewrites its call, where a claim goes and its helper."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from dynolint.findings import Finding
from dynolint.fixes import (
    atomic, claim, guard, imports, layout, projectconf, putcounter, rewrite, tenantid, tmpdir,
)
from dynolint.fixes.cstutil import FixSkipped, walk
from dynolint.fixes.plans import AtomicPlan, ClaimPlan, GuardPlan, Skip, TenantIdPlan, TmpDirPlan, may_be_safe
from dynolint.fixes.cstutil import contains as _contains
from dynolint.phase1.positions import node_classes, node_positions
from dynolint.phase1.summarize import parse
from dynolint.phase1.syntax import parse_ast

# the nodes whose positions the fixes look at
POSITIONED = (cst.Call, cst.BinaryOperation, cst.BaseStatement, cst.BaseSuite)


@dataclass
class FixOutcome:
    source: bytes
    applied: list[Finding] = field(default_factory=list)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)


def applicability(finding: Finding, unsafe_because: str | None = None) -> str:
    """"safe" when the plan may be safe (:func:`plans.may_be_safe`) and rendering found no
    reason it is not (``unsafe_because``), else "unsafe"."""
    return "safe" if may_be_safe(finding.plan) and unsafe_because is None else "unsafe"


def title(finding: Finding, unsafe_because: str | None = None) -> str:
    """What the fix does; when the plan may be safe but the fix is not, why not."""
    text = _title(finding)
    plan = finding.plan
    if unsafe_because is None and isinstance(plan, AtomicPlan) and plan.unsafe_because:
        unsafe_because = plan.unsafe_because
    if unsafe_because is not None and isinstance(plan, AtomicPlan):
        text += f" (unsafe: {unsafe_because})"
    return text


def _title(finding: Finding) -> str:
    plan = finding.plan
    if isinstance(plan, GuardPlan):
        return guard.TITLES[plan.mode]
    if isinstance(plan, AtomicPlan):
        base = putcounter.TITLE if plan.put else atomic.TITLE
        return base + ("; the checks made on the value read become its condition, and a failed condition takes "
                       "the code's refusal branch" if plan.conditions else "")
    if isinstance(plan, ClaimPlan):
        return claim.TITLE
    if isinstance(plan, TenantIdPlan):
        return tenantid.TITLE
    if isinstance(plan, TmpDirPlan):
        return tmpdir.TITLE
    return ""


_CALL, _BINOP, _BLOCK, _FUNCTION, _IF = (node_classes((kind,)) for kind in (
    cst.Call, cst.BinaryOperation, cst.IndentedBlock, cst.FunctionDef, cst.If))


class _Index:
    """The positioned nodes of a module, by kind (built from ``node_positions``)."""

    def __init__(self, positions: dict[cst.CSTNode, Any]) -> None:
        self.positions = positions
        self.calls: dict[tuple[int, int], cst.Call] = {}
        self.chained: dict[tuple[int, int], list[cst.Call]] = {}  # every call starting there
        self.binops: dict[tuple[int, int], cst.BinaryOperation] = {}
        self.blocks: list[cst.IndentedBlock] = []
        self.functions: list[cst.FunctionDef] = []
        self.ifs: list[cst.If] = []
        for node, where in positions.items():
            kind = type(node)  # a set lookup, not an ABC check per node (a module has thousands)
            if kind in _CALL:
                at = (where.start.line, where.start.column + 1)
                self.calls[at] = node  # type: ignore[assignment]
                self.chained.setdefault(at, []).append(node)  # type: ignore[arg-type]
            elif kind in _BINOP:
                self.binops[(where.start.line, where.start.column + 1)] = node  # type: ignore[assignment]
            elif kind in _BLOCK:
                self.blocks.append(node)  # type: ignore[arg-type]
            elif kind in _FUNCTION:
                self.functions.append(node)  # type: ignore[arg-type]
            elif kind in _IF:
                self.ifs.append(node)  # type: ignore[arg-type]
        self._statements: dict[int, list[tuple[cst.IndentedBlock, int]]] | None = None

    def write_call(self, plan: GuardPlan | AtomicPlan | TenantIdPlan | TmpDirPlan) -> cst.Call | None:
        """The call a plan rewrites. Calls chained from one position start there alike
        (``Model(...).save()``, ``table.put_item(...).get("Attributes")``): the one calling
        the guarded write's method, when one does, else the innermost. A ``super().save()``
        is an override's own write: guarding it there would guard every subclass alike, so it
        keeps the innermost (``super()``), which no fix rewrites."""
        method = plan.op.rsplit(" ", 1)[-1] if isinstance(plan, GuardPlan) else ""
        for call in self.chained.get((plan.line, plan.column), ()):
            func = call.func
            if method and isinstance(func, cst.Attribute) and func.attr.value == method and not (
                    isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name)
                    and func.value.func.value == "super"):
                return call
        return self.calls.get((plan.line, plan.column))

    def statements_at(self, line: int) -> list[tuple[cst.IndentedBlock, int]]:
        """The blocks (in :attr:`blocks` order) with a statement starting on ``line``, and
        its index: one pass over the blocks for all the claims of a file."""
        if self._statements is None:
            self._statements = {}
            for block in self.blocks:
                for number, statement in enumerate(block.body):
                    self._statements.setdefault(self.positions[statement].start.line, []).append((block, number))
        return self._statements.get(line, [])


class _Apply(cst.CSTTransformer):
    """Applies the planned changes to calls and blocks. It only descends into positioned
    nodes that hold a target: the rest of the tree is kept as it is without being walked
    (walking a whole function through LibCST's transformer was most of a claim's cost)."""

    def __init__(self, positions: dict[cst.CSTNode, Any]) -> None:
        self.calls: dict[int, list[object]] = {}
        self.blocks: dict[int, object] = {}
        self.failures: dict[int, str] = {}  # id(plan finding) -> reason
        self.produced: set[int] = set()  # ids of the nodes the fixes made (for the tree check)
        self.keep: list[cst.CSTNode] = []  # keeps those ids alive and unique
        self.positions = positions
        self.targets: list[Any] = []  # the ranges of the calls and blocks to change
        self.original_calls: set[int] | None = None  # ids of the calls of the module as parsed

    def on_call(self, call: cst.Call, action: object) -> None:
        self.calls.setdefault(id(call), []).append(action)
        self.targets.append(self.positions[call])

    def on_block(self, block: cst.IndentedBlock, action: object) -> None:
        self.blocks[id(block)] = action
        self.targets.append(self.positions[block])

    def on_visit(self, node: cst.CSTNode) -> bool:
        where = self.positions.get(node)
        if where is not None and not any(_contains(where, target) for target in self.targets):
            return False
        return super().on_visit(node)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        actions = self.calls.get(id(original), [])
        for action in actions:
            updated = action(updated)  # type: ignore[operator]
        if actions:
            self.produced.add(id(updated))
            self.keep.append(updated)
        return updated

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        action = self.blocks.get(id(original))
        if action is None:
            return updated
        before = {id(statement) for statement in updated.body}
        updated = updated.with_changes(body=action(list(updated.body)))  # type: ignore[operator]
        self.produced.add(id(updated))
        self.keep.append(updated)
        if self.original_calls is None:
            self.original_calls = {id(node) for node in self.positions if type(node) is cst.Call}
        # calls a move pushed past the line length: laid out again
        moved: frozenset[int] = getattr(action, "relayout", frozenset())
        for statement in updated.body:  # the calls the fix wrote (not the code's own it moved): laid out to fit
            if id(statement) not in before:
                calls = [node for node in walk(statement) if type(node) is cst.Call
                         and (id(node) in moved or id(node) not in self.original_calls)]
                self.produced.update(id(node) for node in calls)
                self.keep.extend(calls)
        return updated


class _Mask(cst.CSTTransformer):
    """Replaces the given nodes (calls and blocks a fix changes) by a placeholder and drops
    the given module statements, so that what is left must be the same before and after."""

    def __init__(self, nodes: set[int], dropped: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.nodes = nodes
        self.dropped = dropped

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.nodes

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        return cst.Name("__dynolint_fixed__") if id(original) in self.nodes else updated

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if id(original) not in self.nodes:
            return updated
        return updated.with_changes(body=[cst.SimpleStatementLine([cst.Expr(cst.Name("__dynolint_fixed__"))])])

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.dropped:
            return updated
        kept = [s for s, o in zip(updated.body, original.body) if id(o) not in self.dropped]
        return updated.with_changes(body=kept)


def same_change(planned: object, action: object) -> bool:
    """Do two findings' block changes make the same change (DYN301: a folder the function
    makes and a file written in it move together)?"""
    return isinstance(planned, tmpdir.TmpDirBlock) and isinstance(action, tmpdir.TmpDirBlock) \
        and planned.key == action.key


def tree_check(module: cst.Module, targets: set[int], updated: cst.Module, produced: set[int],
               inserted: set[int]) -> str | None:
    """Black's safety check, narrowed to what a fix may touch: the syntax tree of the fixed
    module must equal the original's outside the changed calls and blocks (and the inserted
    helper statements). Returns what differs, or None."""
    try:
        before = ast.dump(parse_ast(module.visit(_Mask(targets)).code))
        after = ast.dump(parse_ast(updated.visit(_Mask(produced, inserted)).code))
    except SyntaxError as exc:
        return f"the fixed code does not parse ({exc})"
    if before != after:
        at = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
        return f"the fix would change code outside the calls it guards (near: {after[max(0, at - 60):at + 60]!r})"
    return None


def fix_source(data: bytes, findings: list[Finding],
               claim_module: ClaimImport | None = None) -> FixOutcome:
    """Apply the plans of ``findings`` to ``data`` (the file's bytes). A claim (DYN104) imports
    the claim helper module with ``claim_module`` (the import statement, the name it binds and
    the project root that tells first-party imports), by default the helper beside the file."""
    outcome = FixOutcome(data)
    bound = claim_import(findings[0].path if findings else None, claim_module)[1]
    try:
        module = parse(data)
    except Exception as exc:  # noqa: BLE001 - reported per finding
        outcome.skipped.extend((f, f"the file no longer parses: {exc}") for f in findings)
        return outcome
    positions = node_positions(module, POSITIONED)
    index = _Index(positions)
    apply = _Apply(positions)
    claims: set[str] = set()
    planned: list[Finding] = []
    # safe fixes first: when two fixes change one block, the one `--fix` applies is the one kept
    # (``edits.describe_all`` goes in the same order)
    for number, finding in sorted(enumerate(findings), key=lambda item: not may_be_safe(item[1].plan)):
        plan = finding.plan
        try:
            if plan is None or isinstance(plan, Skip):
                raise FixSkipped(plan.reason if isinstance(plan, Skip) else "no automatic fix for this finding")
            if isinstance(plan, (GuardPlan, AtomicPlan, TenantIdPlan, TmpDirPlan)):
                call = index.write_call(plan)
                if call is None:
                    raise FixSkipped("the write call is not where the analysis saw it")
                change, _, block, _ = rewrite.call_change(module, index, positions, plan, call, finding.path)
                if block is not None:
                    if id(block[0]) not in apply.blocks:
                        apply.on_block(block[0], block[1])
                    elif not same_change(apply.blocks[id(block[0])], block[1]):
                        raise FixSkipped("another fix changes the same block: run dynolint fix again")
                apply.on_call(call, change)
            elif isinstance(plan, ClaimPlan):
                _plan_claim(plan, index, positions, apply, number, bound,
                            claim_import(findings[0].path, claim_module)[3])
                claims.add(plan.flavor)
            planned.append(finding)
        except FixSkipped as exc:
            outcome.skipped.append((finding, str(exc)))
    if not planned:
        return outcome
    try:
        updated = module.visit(apply)
        inserted: set[int] = set()
        if claims:
            statement, _, root, helper = claim_import(findings[0].path, claim_module)
            updated, inserted = imports.add_import(updated, statement, bound, root, helper)
        updated, added = tmpdir.add_imports(updated, list(apply.blocks.values()))
        inserted |= added
        updated = fit_module(updated, apply, findings[0].path if findings else None)
        new = updated.bytes + _lost_tail(data, module)
        _still_python(data, new)
        cst.parse_module(new)
        targets = set(apply.calls) | set(apply.blocks)
        problem = tree_check(module, targets, updated, apply.produced, inserted)
        if problem is not None:
            raise FixSkipped(f"{problem}; nothing was changed (a dynolint bug: please report it)")
    except FixSkipped as exc:
        outcome.skipped.extend((f, str(exc)) for f in planned)
        return outcome
    except (SyntaxError, cst.ParserSyntaxError, ValueError) as exc:
        outcome.skipped.extend((f, f"the fixed code would not parse ({exc}); nothing was changed") for f in planned)
        return outcome
    outcome.source = new
    outcome.applied = planned
    return outcome


def fit_module(updated: cst.Module, apply: _Apply, path: str | None) -> cst.Module:
    """``updated`` with the calls the fixes wrote split where they pass the project's line
    length (:mod:`dynolint.fixes.layout`)."""
    render = layout.renderer(updated.default_indent, updated.default_newline, [])
    fitted = layout.fit(updated, lambda node: type(node) is cst.Call and id(node) in apply.produced, render,
                        projectconf.line_length(path), updated.default_indent, 0, apply.produced, apply.keep)
    assert isinstance(fitted, cst.Module)
    return fitted


def _still_python(data: bytes, new: bytes) -> None:
    """Raise SyntaxError if ``new`` does not parse; FixSkipped if ``data`` does not parse on
    the running CPython either (syntax newer than it, which LibCST judged for the analysis,
    :mod:`dynolint.phase1.syntax`): the safety check of the fixes compares CPython's syntax trees."""
    try:
        parse_ast(new)
    except SyntaxError:
        try:
            parse_ast(data)
        except (SyntaxError, ValueError):
            version = ".".join(map(str, sys.version_info[:2]))
            raise FixSkipped(f"the file uses syntax Python {version} cannot parse, so the fix cannot be checked; "
                             "run dynolint fix on the Python the project targets; nothing was changed") from None
        raise


def _lost_tail(data: bytes, module: cst.Module) -> bytes:
    """What LibCST's code generation drops at the end of ``data``: with CR-only line endings it
    loses the final CR (``parse_module(b"a\\r").bytes == b"a"``). The fixed code loses the same
    bytes, so they are put back and every untouched byte survives the round trip."""
    if not data.endswith(b"\r"):
        return b""
    roundtrip = module.bytes
    return data[len(roundtrip):] if roundtrip != data and data.startswith(roundtrip) else b""


def _plan_claim(plan: ClaimPlan, index: _Index, positions: object, apply: _Apply, number: int,
                module: str = claim.HELPER, helper: Path | None = None) -> None:
    call = index.calls.get((plan.write_line, plan.write_column))
    if call is None:
        raise FixSkipped("the write call is not where the analysis saw it")
    for block, read_index in index.statements_at(plan.read_line)[:1]:
        if id(block) in apply.blocks:
            raise FixSkipped("another fix changes the same block: run dynolint fix again")
        statements = list(block.body)
        if_index = next((i for i, s in enumerate(statements) if i > read_index and isinstance(s, cst.If)
                         and positions[s].start.line == plan.test_line), None)  # type: ignore[index]
        if if_index is None:
            raise FixSkipped("the miss test is not in the same block as the read")
        test_statement = statements[if_index]
        assert isinstance(test_statement, cst.If)
        write_in_body = _contains(positions[test_statement.body], positions[call])  # type: ignore[index]
        write_after = positions[call].start.line > positions[test_statement].end.line  # type: ignore[index]
        if not (_contains(positions[test_statement], positions[call]) or write_after):  # type: ignore[index]
            raise FixSkipped("the write is not on the miss path after the read")
        if write_after and not write_in_body and not claim.leaves(test_statement.body):
            # ``if cached: if fresh(cached): return ...``: a stale hit falls through to the work,
            # which the claim loop (taken only on a miss) would leave unclaimed and its write refused
            raise FixSkipped("the hit branch can fall through to the work (a test inside it): the claim "
                             "would not cover that path")
        owner = f"_dl_claim{'' if number == 0 else number}"
        release = claim.runs_in_tail(statements[if_index:], call, positions) \
            and claim.helper_has(helper, claim.RELEASE_METHOD)
        claim.claim_block(statements, read_index, if_index, plan, write_in_body, owner, module, release)  # dry run
        if helper is not None and claim.awaited_read(statements[read_index:if_index]) \
                and not claim.helper_has(helper, claim.ASYNC_CLASS):
            raise FixSkipped(f"the read is awaited (async SDK) and the project's claim helper module {helper} has "
                             "no AsyncClaim (an older dynolint wrote it, or it is the project's own): delete it and "
                             "run dynolint fix again to write the current one")
        apply.on_call(call, lambda node, p=plan, o=owner: claim.fence_call(node, p, o))
        apply.on_block(block, lambda body, r=read_index, i=if_index, p=plan, w=write_in_body, o=owner, m=module,
                       e=release: claim.claim_block(body, r, i, p, w, o, m, e))
        return
    raise FixSkipped("the read is not a statement of a block that also holds the miss test")


ClaimImport = tuple[str, str, Path, Path]  # statement, name it binds, project root, the helper's file


def claim_import(path: str | None, claim_module: ClaimImport | None) -> ClaimImport:
    """The import of the claim helper module for the file ``path``: ``claim_module`` when the
    run placed it, else the helper beside the file."""
    if claim_module is not None:
        return claim_module
    fixed = Path(path or "stdin.py")
    helper = fixed.parent / f"{claim.HELPER}.py"
    statement, name = imports.import_for(fixed, helper, fixed.parent)
    return statement, name, fixed.parent, helper


