"""Apply the fixes of one file: parse it once more (only files with fixable findings),
find each target by position, run the transformers, verify the result, and describe the
change as edits."""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from dynolint.findings import Edit, Finding, Fix
from dynolint.fixes import atomic, claim, guard
from dynolint.fixes.cstutil import FixSkipped
from dynolint.fixes.plans import AtomicPlan, ClaimPlan, GuardPlan, Skip


@dataclass
class FixOutcome:
    source: bytes
    applied: list[Finding] = field(default_factory=list)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)


def applicability(finding: Finding) -> str:
    plan = finding.plan
    if isinstance(plan, AtomicPlan) and plan.safe:
        return "safe"
    return "unsafe"


def title(finding: Finding) -> str:
    plan = finding.plan
    if isinstance(plan, GuardPlan):
        return guard.TITLES[plan.mode]
    if isinstance(plan, AtomicPlan):
        return atomic.TITLE
    if isinstance(plan, ClaimPlan):
        return claim.TITLE
    return ""


class _Index(cst.CSTVisitor):
    def __init__(self, positions: object) -> None:
        self.positions = positions
        self.calls: dict[tuple[int, int], cst.Call] = {}
        self.binops: dict[tuple[int, int], cst.BinaryOperation] = {}
        self.blocks: list[cst.IndentedBlock] = []
        self.functions: list[cst.FunctionDef] = []

    def _at(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node]  # type: ignore[index]
        return (where.start.line, where.start.column + 1)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls[self._at(node)] = node

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self.binops[self._at(node)] = node

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)


class _Apply(cst.CSTTransformer):
    def __init__(self) -> None:
        self.calls: dict[int, list[object]] = {}
        self.blocks: dict[int, object] = {}
        self.failures: dict[int, str] = {}  # id(plan finding) -> reason

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        for action in self.calls.get(id(original), []):
            updated = action(updated)  # type: ignore[operator]
        return updated

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        action = self.blocks.get(id(original))
        if action is None:
            return updated
        return updated.with_changes(body=action(list(updated.body)))  # type: ignore[operator]


def _contains(outer: object, inner: object) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
        (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)  # type: ignore[attr-defined]


def fix_source(data: bytes, findings: list[Finding]) -> FixOutcome:
    """Apply the plans of ``findings`` to ``data`` (the file's bytes)."""
    outcome = FixOutcome(data)
    try:
        module = cst.parse_module(data)
    except Exception as exc:  # noqa: BLE001 - reported per finding
        outcome.skipped.extend((f, f"the file no longer parses: {exc}") for f in findings)
        return outcome
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    index = _Index(positions)
    module.visit(index)
    apply = _Apply()
    claims: set[str] = set()
    planned: list[Finding] = []
    for number, finding in enumerate(findings):
        plan = finding.plan
        try:
            if plan is None or isinstance(plan, Skip):
                raise FixSkipped(plan.reason if isinstance(plan, Skip) else "no automatic fix for this finding")
            if isinstance(plan, GuardPlan):
                call = index.calls.get((plan.line, plan.column))
                if call is None:
                    raise FixSkipped("the write call is not where the analysis saw it")
                function = [f for f in index.functions if _contains(positions[f], positions[call])]
                scope = function[-1] if function else module
                if plan.mode in ("not_exists", "exists", "pinned"):
                    plan = replace(plan, path=guard.path_state(scope, plan.presence, call))
                if plan.mode == "pinned":
                    plan = replace(plan, pins=guard.pins_for(scope, call, plan))
                guard.guard_call(call, plan)  # raises FixSkipped before anything changes
                apply.calls.setdefault(id(call), []).append(lambda node, p=plan: guard.guard_call(node, p))
            elif isinstance(plan, AtomicPlan):
                call = index.calls.get((plan.line, plan.column))
                binop = index.binops.get((plan.delta_line, plan.delta_column))
                if call is None or binop is None:
                    raise FixSkipped("the write or the arithmetic is not where the analysis saw it")
                function = [f for f in index.functions if _contains(positions[f], positions[call])]
                if not function or not _contains(positions[function[-1]], positions[binop]):
                    raise FixSkipped("the arithmetic is computed in another function than the write")
                delta = binop.right if plan.delta_side == "right" else binop.left
                atomic.atomic_call(call, plan, delta)
                apply.calls.setdefault(id(call), []).append(
                    lambda node, p=plan, d=delta: atomic.atomic_call(node, p, d))
            elif isinstance(plan, ClaimPlan):
                _plan_claim(plan, index, positions, apply, number)
                claims.add(plan.flavor)
            planned.append(finding)
        except FixSkipped as exc:
            outcome.skipped.append((finding, str(exc)))
    if not planned:
        return outcome
    try:
        updated = module.visit(apply)
        if claims:
            updated = _add_claim_helpers(updated, claims)
        new = updated.bytes
        ast.parse(new)
        cst.parse_module(new)
    except FixSkipped as exc:
        outcome.skipped.extend((f, str(exc)) for f in planned)
        return outcome
    except (SyntaxError, cst.ParserSyntaxError, ValueError) as exc:
        outcome.skipped.extend((f, f"the fixed code would not parse ({exc}); nothing was changed") for f in planned)
        return outcome
    outcome.source = new
    outcome.applied = planned
    return outcome


def _plan_claim(plan: ClaimPlan, index: _Index, positions: object, apply: _Apply, number: int) -> None:
    call = index.calls.get((plan.write_line, plan.write_column))
    if call is None:
        raise FixSkipped("the write call is not where the analysis saw it")
    for block in index.blocks:
        statements = list(block.body)
        starts = [positions[s].start.line for s in statements]  # type: ignore[index]
        read_index = next((i for i, line in enumerate(starts) if line == plan.read_line), None)
        if read_index is None:
            continue
        if_index = next((i for i, s in enumerate(statements) if i > read_index and isinstance(s, cst.If)
                         and positions[s.test].start.line == plan.test_line), None)  # type: ignore[index]
        if if_index is None:
            raise FixSkipped("the miss test is not in the same block as the read")
        test_statement = statements[if_index]
        assert isinstance(test_statement, cst.If)
        write_in_body = _contains(positions[test_statement.body], positions[call])  # type: ignore[index]
        write_after = positions[call].start.line > positions[test_statement].end.line  # type: ignore[index]
        if not (_contains(positions[test_statement], positions[call]) or write_after):  # type: ignore[index]
            raise FixSkipped("the write is not on the miss path after the read")
        owner = f"_dl_owner{'' if number == 0 else number}"
        claim.claim_block(statements, read_index, if_index, plan, write_in_body, owner)  # dry run
        apply.calls.setdefault(id(call), []).append(lambda node, p=plan, o=owner: claim.fence_call(node, p, o))
        apply.blocks[id(block)] = (lambda body, r=read_index, i=if_index, p=plan, w=write_in_body, o=owner:
                                   claim.claim_block(body, r, i, p, w, o))
        return
    raise FixSkipped("the read is not a statement of a block that also holds the miss test")


def _add_claim_helpers(module: cst.Module, flavors: set[str]) -> cst.Module:
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    defined = {s.name.value for s in module.body if isinstance(s, cst.FunctionDef)}
    body = list(module.body)
    insert_at = 0
    for position, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and all(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
            insert_at = position + 1
        elif position == 0 and isinstance(statement, cst.SimpleStatementLine) and isinstance(
                statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.SimpleString):
            insert_at = 1
    helpers: list[cst.BaseStatement] = []
    for flavor in sorted(flavors):
        if claim.helper_name(flavor) in defined:
            continue
        source = claim.helper_source(flavor).replace("\n", module.default_newline)
        parsed = list(cst.parse_module(source).body)
        if helpers:
            parsed = [s for s in parsed if not (isinstance(s, cst.SimpleStatementLine)
                                                 and isinstance(s.body[0], cst.Assign))]
        helpers.extend(parsed)
    body[insert_at:insert_at] = helpers
    module = module.with_changes(body=body)
    context = CodemodContext()
    for name in ("time", "uuid"):
        AddImportsVisitor.add_needed_import(context, name)
    return AddImportsVisitor(context).transform_module(module)


def edits_between(old: bytes, new: bytes) -> tuple[Edit, ...]:
    """Line-range replacements that turn ``old`` into ``new``."""
    old_lines = old.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)
    new_lines = new.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)
    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(Edit(i1 + 1, 1, i2 + 1, 1, "".join(new_lines[j1:j2])))
    return tuple(edits)


def describe(data: bytes, finding: Finding) -> tuple[Fix | None, str]:
    """The fix of one finding as edits; or None and the reason it has none."""
    if finding.plan is None or isinstance(finding.plan, Skip):
        return None, finding.plan.reason if isinstance(finding.plan, Skip) else "no automatic fix"
    outcome = fix_source(data, [finding])
    if not outcome.applied:
        return None, outcome.skipped[0][1] if outcome.skipped else "the fix could not be made"
    return Fix(applicability(finding), title(finding), edits_between(data, outcome.source)), ""
