"""Apply the fixes of one file: parse it once more (only files with fixable findings),
find each target by position, run the transformers, verify the result, and describe the
change as edits."""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import libcst as cst

from dynolint.findings import Edit, Finding, Fix
from dynolint.fixes import atomic, claim, guard
from dynolint.fixes.cstutil import FixSkipped
from dynolint.fixes.plans import AtomicPlan, ClaimPlan, GuardPlan, Skip
from dynolint.positions import generate, node_positions
from dynolint.summarize import parse

# the nodes whose positions the fixes look at
POSITIONED = (cst.Call, cst.BinaryOperation, cst.BaseStatement, cst.BaseSuite)


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


class _Index:
    """The positioned nodes of a module, by kind (built from ``node_positions``)."""

    def __init__(self, positions: dict[cst.CSTNode, Any]) -> None:
        self.positions = positions
        self.calls: dict[tuple[int, int], cst.Call] = {}
        self.binops: dict[tuple[int, int], cst.BinaryOperation] = {}
        self.blocks: list[cst.IndentedBlock] = []
        self.functions: list[cst.FunctionDef] = []
        for node, where in positions.items():
            at = (where.start.line, where.start.column + 1)
            if isinstance(node, cst.Call):
                self.calls[at] = node
            elif isinstance(node, cst.BinaryOperation):
                self.binops[at] = node
            elif isinstance(node, cst.IndentedBlock):
                self.blocks.append(node)
            elif isinstance(node, cst.FunctionDef):
                self.functions.append(node)


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
        return super().on_visit(node)  # type: ignore[no-any-return]

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
        updated = updated.with_changes(body=action(list(updated.body)))  # type: ignore[operator]
        self.produced.add(id(updated))
        self.keep.append(updated)
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


def tree_check(module: cst.Module, targets: set[int], updated: cst.Module, produced: set[int],
               inserted: set[int]) -> str | None:
    """Black's safety check, narrowed to what a fix may touch: the syntax tree of the fixed
    module must equal the original's outside the changed calls and blocks (and the inserted
    helper statements). Returns what differs, or None."""
    try:
        before = ast.dump(ast.parse(module.visit(_Mask(targets)).code))
        after = ast.dump(ast.parse(updated.visit(_Mask(produced, inserted)).code))
    except SyntaxError as exc:
        return f"the fixed code does not parse ({exc})"
    if before != after:
        at = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
        return f"the fix would change code outside the calls it guards (near: {after[max(0, at - 60):at + 60]!r})"
    return None


def _contains(outer: object, inner: object) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
        (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)  # type: ignore[attr-defined]


def fix_source(data: bytes, findings: list[Finding]) -> FixOutcome:
    """Apply the plans of ``findings`` to ``data`` (the file's bytes)."""
    outcome = FixOutcome(data)
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
    for number, finding in enumerate(findings):
        plan = finding.plan
        try:
            if plan is None or isinstance(plan, Skip):
                raise FixSkipped(plan.reason if isinstance(plan, Skip) else "no automatic fix for this finding")
            if isinstance(plan, (GuardPlan, AtomicPlan)):
                call = index.calls.get((plan.line, plan.column))
                if call is None:
                    raise FixSkipped("the write call is not where the analysis saw it")
                apply.on_call(call, _call_change(module, index, positions, plan, call)[0])
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
        inserted: set[int] = set()
        if claims:
            updated, inserted = _add_claim_helpers(updated, claims)
        new = updated.bytes
        ast.parse(new)
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
                         and positions[s].start.line == plan.test_line), None)  # type: ignore[index]
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
        apply.on_call(call, lambda node, p=plan, o=owner: claim.fence_call(node, p, o))
        apply.on_block(block, lambda body, r=read_index, i=if_index, p=plan, w=write_in_body, o=owner:
                       claim.claim_block(body, r, i, p, w, o))
        return
    raise FixSkipped("the read is not a statement of a block that also holds the miss test")


def _add_claim_helpers(module: cst.Module, flavors: set[str]) -> tuple[cst.Module, set[int]]:
    """The module with the claim helpers and the imports they need; and the ids of the
    statements inserted."""
    defined = {s.name.value for s in module.body if isinstance(s, cst.FunctionDef)}
    body = list(module.body)
    insert_at = _helper_index(module)
    helpers: list[cst.BaseStatement] = []
    for flavor in sorted(flavors):
        if claim.helper_name(flavor) in defined:
            continue
        parsed = list(_helper_statements(flavor, module.default_newline))
        if helpers:
            parsed = [s for s in parsed if not (isinstance(s, cst.SimpleStatementLine)
                                                 and isinstance(s.body[0], cst.Assign))]
        helpers.extend(parsed)
    body[insert_at:insert_at] = helpers
    # ``import time`` / ``import uuid`` where the module does not bind those names at top
    # level yet. (LibCST's AddImportsVisitor does the same but resolves scope metadata over
    # the whole module first: half a second per file here, for two import lines.)
    bound = set()
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import):
                    bound.update(alias.evaluated_alias or alias.evaluated_name for alias in small.names)
                elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                    bound.update(alias.evaluated_alias or alias.evaluated_name for alias in small.names)
    needed = [name for name in ("time", "uuid") if name not in bound]
    if any(name in bound for name in ("time", "uuid") if name not in needed and _binds_other(module, name)):
        raise FixSkipped("the module binds 'time' or 'uuid' to something else than the module")
    imports = [cst.parse_statement(f"import {name}{module.default_newline}") for name in needed]
    last_import = max((i for i, s in enumerate(body) if isinstance(s, cst.SimpleStatementLine)
                       and all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body)
                       and i < insert_at), default=-1)
    body[last_import + 1:last_import + 1] = imports
    return module.with_changes(body=body), {id(s) for s in (*helpers, *imports)}


_HELPERS: dict[tuple[str, str], tuple[cst.BaseStatement, ...]] = {}


def _helper_statements(flavor: str, newline: str) -> tuple[cst.BaseStatement, ...]:
    """The claim helper's statements, parsed once per flavour and newline."""
    key = (flavor, newline)
    if key not in _HELPERS:
        _HELPERS[key] = tuple(cst.parse_module(claim.helper_source(flavor).replace("\n", newline)).body)
    return _HELPERS[key]


def _helper_index(module: cst.Module) -> int:
    """Where the claim helper goes: after the module's docstring and imports."""
    insert_at = 0
    for position, statement in enumerate(module.body):
        if isinstance(statement, cst.SimpleStatementLine) and all(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
            insert_at = position + 1
        elif position == 0 and isinstance(statement, cst.SimpleStatementLine) and isinstance(
                statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.SimpleString):
            insert_at = 1
    return insert_at


def _binds_other(module: cst.Module, name: str) -> bool:
    """``from x import time``: the name is bound, but not to the module."""
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                    if any((alias.evaluated_alias or alias.evaluated_name) == name for alias in small.names):
                        return True
    return False


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


def describe_all(data: bytes, findings: list[Finding], module: cst.Module | None = None,
                 positions: dict[cst.CSTNode, Any] | None = None) -> list[tuple[Fix | None, str]]:
    """The fix of each finding of one file, as edits (or None and the reason it has none).

    ``module`` is ``data`` already parsed (phase 1 keeps it), and ``positions`` its
    :data:`POSITIONED` nodes' positions if already known; otherwise the file is parsed
    once, only its definitions that hold findings. A fix confined to one call (a guard, an
    atomic update) is rendered from that call alone and replaces exactly its text; a claim
    rewrite changes several places and goes through the whole-module transform."""
    out: list[tuple[Fix | None, str]] = []
    if module is None:
        data = sparse_source(data, findings)  # same lines and columns as the file
        try:
            module = parse(data)
        except Exception as exc:  # noqa: BLE001
            return [(None, f"the file no longer parses: {exc}")] * len(findings)
        positions = None
    if positions is None:
        positions = node_positions(module, POSITIONED)
    index = _Index(positions)
    claims: list[int] = []  # positions in ``out`` of claim rewrites, checked below
    helpers: dict[str, list[Edit] | str] = {}  # flavour -> the edits adding its helper (or why not)
    for finding in findings:
        plan = finding.plan
        if plan is None or isinstance(plan, Skip):
            out.append((None, plan.reason if isinstance(plan, Skip) else "no automatic fix"))
            continue
        if isinstance(plan, ClaimPlan):
            claims.append(len(out))
            out.append(_claim_fix(module, index, positions, data, finding, check=False, helpers=helpers))
            continue
        try:
            call = index.calls.get((plan.line, plan.column))  # type: ignore[union-attr]
            if call is None:
                raise FixSkipped("the write call is not where the analysis saw it")
            new_call = _call_change(module, index, positions, plan, call)[1]
        except FixSkipped as exc:
            out.append((None, str(exc)))
            continue
        where = positions[call]
        code = _render(module, index, positions, call, new_call)
        edit = Edit(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1, code)
        out.append((Fix(applicability(finding), title(finding), (edit,)), ""))
    _check_claims(data, out, claims)
    return out


def _check_claims(data: bytes, out: list[tuple[Fix | None, str]], claims: list[int]) -> None:
    """Each claim rewrite must leave a file that parses. Checked once for all of them
    together (a parse per claim cost a fifth of rendering every fix of a project); if that
    fails, one by one, and those that fail lose their fix."""
    made = [position for position in claims if out[position][0] is not None]
    if not made:
        return
    text = data.decode("utf-8", "surrogateescape")

    def parses(edits: list[Edit]) -> str | None:
        try:
            ast.parse(_apply_edits(text, edits))
        except (SyntaxError, ValueError) as exc:
            return f"the fixed code would not parse ({exc})"
        return None

    together = [edit for position in made for edit in out[position][0].edits]  # type: ignore[union-attr]
    spans = sorted((e.line, e.column, e.end_line, e.end_column) for e in together)
    overlapping = any(a[2:] > b[:2] for a, b in zip(spans, spans[1:]))
    if not overlapping and parses(together) is None:
        return
    for position in made:
        problem = parses(list(out[position][0].edits))  # type: ignore[union-attr]
        if problem is not None:
            out[position] = (None, problem)


def sparse_source(data: bytes, findings: list[Finding]) -> bytes:
    """``data`` with the top-level functions and classes that hold none of the findings'
    places blanked out, line for line: the same positions, far less for LibCST to parse.
    (Module-level statements, imports and leading comments such as an encoding cookie are
    kept: a claim helper goes after the imports.) ``data`` itself when that saves nothing."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return data
    wanted: set[int] = set()
    for finding in findings:
        wanted.update(range(finding.stmt_line or finding.line, (finding.stmt_end_line or finding.line) + 1))
        wanted.add(finding.line)
        plan = finding.plan
        for name in ("line", "delta_line", "write_line", "read_line", "test_line"):
            value = getattr(plan, name, None)
            if isinstance(value, int):
                wanted.add(value)
    lines = data.splitlines(keepends=True)
    keep = bytearray(len(lines) + 2)  # 1-based: 1 keeps the line
    first = tree.body[0].lineno if tree.body else len(lines) + 1
    for number in range(1, min(first, len(lines) + 1)):
        keep[number] = 1
    blanked = 0
    for statement in tree.body:
        start = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        end = statement.end_lineno or statement.lineno
        definition = isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if definition and not any(start <= line <= end for line in wanted):
            blanked += end - start + 1
            continue
        for number in range(start, min(end, len(lines)) + 1):
            keep[number] = 1
    if not blanked:
        return data
    out = []
    for number, line in enumerate(lines, start=1):
        if keep[number]:
            out.append(line)
        else:
            body = line.rstrip(b"\r\n")
            out.append(line[len(body):])  # the line ending alone
    return b"".join(out)


def _call_change(module: cst.Module, index: _Index, positions: Any, plan: object,
                 call: cst.Call) -> tuple[Callable[[cst.Call], cst.Call], cst.Call]:
    """How a guard or an atomic-update plan rewrites a call (given the call as it stands,
    its children possibly changed by other fixes), and ``call`` so rewritten; raises
    FixSkipped, before anything changes, if the rewrite cannot be made."""
    function = [f for f in index.functions if _contains(positions[f], positions[call])]
    if isinstance(plan, GuardPlan):
        scope = function[-1] if function else module
        if plan.mode in ("not_exists", "exists", "pinned"):
            plan = replace(plan, path=guard.path_state(scope, plan.presence, call))
        if plan.mode == "pinned":
            plan = replace(plan, pins=guard.pins_for(scope, call, plan))
        change: Callable[[cst.Call], cst.Call] = lambda node, p=plan: guard.guard_call(node, p)
    elif isinstance(plan, AtomicPlan):
        binop = index.binops.get((plan.delta_line, plan.delta_column))
        if binop is None:
            raise FixSkipped("the arithmetic is not where the analysis saw it")
        if not function or not _contains(positions[function[-1]], positions[binop]):
            raise FixSkipped("the arithmetic is computed in another function than the write")
        delta = binop.right if plan.delta_side == "right" else binop.left
        change = lambda node, p=plan, d=delta: atomic.atomic_call(node, p, d)
    else:
        raise FixSkipped("no automatic fix for this finding")
    return change, change(call)


def _claim_fix(module: cst.Module, index: _Index, positions: object, data: bytes,
               finding: Finding, check: bool = True,
               helpers: dict[str, list[Edit] | str] | None = None) -> tuple[Fix | None, str]:
    """One claim rewrite as edits. ``helpers`` remembers, per flavour, the edits that add
    the helper to this module (the same for every claim of the file)."""
    plan = finding.plan
    assert isinstance(plan, ClaimPlan)
    apply = _Apply(positions)
    try:
        call = index.calls.get((plan.write_line, plan.write_column))
        functions = [f for f in index.functions if call is not None and _contains(positions[f], positions[call])]
        if not functions:
            raise FixSkipped("the write is not inside a function")
        _plan_claim(plan, index, positions, apply, 0)
        # Transform only the function, and the top of the module for the helper: the rest of
        # the file is not walked again.
        function = functions[-1]
        code = data.decode("utf-8", "surrogateescape") if module.encoding.lower().replace("-", "") == "utf8" \
            else module.code
        old_text = _render(module, index, positions, function, function)
        new_text = _render(module, index, positions, function, function.visit(apply))
        offset = code[:code.index(old_text)].count("\n") if old_text in code else -1
        if offset < 0:
            raise FixSkipped("the function's text could not be located")
        helpers = {} if helpers is None else helpers
        if plan.flavor not in helpers:
            prefix = module.with_changes(body=list(module.body)[:_helper_index(module)])
            try:
                new_prefix, _ = _add_claim_helpers(prefix, {plan.flavor})
                helpers[plan.flavor] = list(edits_between(prefix.bytes, new_prefix.bytes))
            except FixSkipped as exc:
                helpers[plan.flavor] = str(exc)
        made = helpers[plan.flavor]
        if isinstance(made, str):
            raise FixSkipped(made)
        edits = list(made)
        edits.extend(replace(e, line=e.line + offset, end_line=e.end_line + offset)
                     for e in edits_between(old_text.encode("utf-8"), new_text.encode("utf-8")))
        if check:
            ast.parse(_apply_edits(data.decode("utf-8", "surrogateescape"), edits))
    except FixSkipped as exc:
        return None, str(exc)
    except (SyntaxError, ValueError) as exc:
        return None, f"the fixed code would not parse ({exc})"
    return Fix(applicability(finding), title(finding), tuple(edits)), ""


def _render(module: cst.Module, index: _Index, positions: object, original: cst.CSTNode,
            node: cst.CSTNode) -> str:
    """The code of ``node`` standing where ``original`` stands: with the indentation of the
    blocks around it, which a multi-line call or a nested function carries on each line."""
    from libcst._nodes.internal import CodegenState

    where = positions[original]  # type: ignore[index]
    enclosing = [b for b in index.blocks if b is not original and _contains(positions[b], where)
                 and b is not getattr(original, "body", None)]  # type: ignore[index]
    enclosing.sort(key=lambda b: (positions[b].start.line, -positions[b].end.line))  # type: ignore[index]
    state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    state.indent_tokens.extend(b.indent if b.indent is not None else module.default_indent for b in enclosing)
    generate(node, state)
    return "".join(state.tokens)


def _apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply line/column edits (1-based, end exclusive), last first."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    def offset(line: int, column: int) -> int:
        return (starts[line - 1] if line - 1 < len(starts) else starts[-1]) + column - 1
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        text = text[:start] + edit.content + text[end:]
    return text


def describe(data: bytes, finding: Finding) -> tuple[Fix | None, str]:
    """The fix of one finding as edits; or None and the reason it has none."""
    if finding.plan is None or isinstance(finding.plan, Skip):
        return None, finding.plan.reason if isinstance(finding.plan, Skip) else "no automatic fix"
    outcome = fix_source(data, [finding])
    if not outcome.applied:
        return None, outcome.skipped[0][1] if outcome.skipped else "the fix could not be made"
    return Fix(applicability(finding), title(finding), edits_between(data, outcome.source)), ""
