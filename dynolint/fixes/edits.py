"""Fix edits for the reports (JSON, SARIF): each fixable finding's fix as line/column edits
of the file, rendered from the module phase 1 kept (or a parse of only the definitions
that hold findings), without rewriting the file: a fix confined to one call replaces that
call's text, a claim rewrite its function's lines and the top of the module."""

from __future__ import annotations

import ast
import codecs
import difflib
from dataclasses import replace
from typing import Any, Sequence, cast

import libcst as cst
from libcst._nodes.internal import CodegenState

from dynolint.findings import Edit, Finding, Fix
from dynolint.fixes import imports, layout, projectconf, tmpdir
from dynolint.fixes.cstutil import FixSkipped
from dynolint.fixes.fitparts import fit_code
from dynolint.fixes.engine import (
    POSITIONED, _Apply, _Index, _plan_claim, claim_import,
    applicability, same_change, title,
)
from dynolint.fixes.rewrite import call_change
from dynolint.fixes.plans import ClaimPlan, Skip, TmpDirPlan, may_be_safe
from dynolint.fixes.scope import enclosing
from dynolint.phase1.positions import node_positions
from dynolint.phase1.summarize import parse
from dynolint.phase1.syntax import parse_ast


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


def module_edits(module: cst.Module, changed: cst.Module, data: bytes) -> tuple[Edit, ...]:
    """``edits_between(module.bytes, changed.bytes)`` where ``changed`` is ``module`` with
    statements added or changed near its top (an import) and ``data`` the bytes ``module`` was
    parsed from (which its code generation gives back): only the statements before the ones
    the two modules share to the end are generated, not the whole module twice."""
    old, new = module.body, changed.body
    shared = 0
    while shared < min(len(old), len(new)) and old[len(old) - 1 - shared] is new[len(new) - 1 - shared]:
        shared += 1
    same = changed.header is module.header and changed.footer is module.footer and (
        changed.has_trailing_newline, changed.encoding, changed.default_indent, changed.default_newline) == (
        module.has_trailing_newline, module.encoding, module.default_indent, module.default_newline)
    # (LibCST drops a final CR, engine._lost_tail, and a byte order mark: there ``data`` is not its code)
    if not shared or not same or data.endswith(b"\r") or data.startswith(codecs.BOM_UTF8):
        return edits_between(module.bytes, changed.bytes)

    def top(of: cst.Module, body: Sequence[cst.BaseStatement]) -> bytes:
        """The code ``of`` generates for its header and ``body``, the start of its code."""
        state = CodegenState(default_indent=of.default_indent, default_newline=of.default_newline)
        for node in (*of.header, *body):
            node._codegen(state)
        return "".join(state.tokens).encode(of.encoding)

    before = top(module, old[:len(old) - shared])
    if not data.startswith(before):
        return edits_between(module.bytes, changed.bytes)
    return edits_between(data, top(changed, new[:len(new) - shared]) + data[len(before):])


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
    helpers: dict[str, list[Edit] | str] = {}  # "import" -> the edits importing the claim helper (or why not)
    blocks: dict[int, object] = {}  # the blocks changed so far, and how: `dynolint fix` changes each once per run
    # safe fixes first, as ``engine.fix_source`` makes them: of two fixes of one block, the safe one
    order = sorted(range(len(findings)), key=lambda position: not may_be_safe(findings[position].plan))
    out.extend([(None, "")] * len(findings))
    for position in order:
        finding = findings[position]
        plan = finding.plan
        if plan is None or isinstance(plan, Skip):
            out[position] = (None, plan.reason if isinstance(plan, Skip) else "no automatic fix")
            continue
        if isinstance(plan, ClaimPlan):
            claims.append(position)
            out[position] = _claim_fix(module, index, positions, data, finding, check=False, helpers=helpers,
                                       blocks=blocks)
            continue
        try:
            call = index.write_call(plan)
            if call is None:
                raise FixSkipped("the write call is not where the analysis saw it")
            change, new_call, block, unsafe_because = call_change(module, index, positions, plan, call,
                                                                   finding.path)
        except FixSkipped as exc:
            out[position] = (None, str(exc))
            continue
        if block is not None:  # statements change too: render the whole function, as a claim
            claims.append(position)
            out[position] = _claim_fix(module, index, positions, data, finding, check=False, helpers=helpers,
                                       changes=(call, _made_once(call, change, new_call), block), blocks=blocks,
                                       unsafe_because=unsafe_because)
            continue
        where = positions[call]
        code = _render(module, index, positions, call, new_call, finding.path, where.start.column,
                       {id(new_call)})
        edit = Edit(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1, code)
        out[position] = (Fix(applicability(finding, unsafe_because), title(finding, unsafe_because), (edit,)), "")
    _check_claims(data, out, claims)
    return out


def _made_once(call: cst.Call, change: Any, made: cst.Call) -> Any:
    """``change``, which made ``made`` of ``call`` already: the transform that applies it
    again to the same call (a copy of it, equal to it) gets ``made`` (a put rewritten as an
    update parses its new code: once per fix, not twice)."""
    return lambda node: made if node.deep_equals(call) else change(node)


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
            parse_ast(_apply_edits(text, edits))
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
    if any(isinstance(finding.plan, TmpDirPlan) for finding in findings):
        return data  # the DYN301 fix asks whether other code of the module uses the same path
    try:
        tree = parse_ast(data)
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


def _claim_fix(module: cst.Module, index: _Index, positions: dict[cst.CSTNode, Any], data: bytes,
               finding: Finding, check: bool = True,
               helpers: dict[str, list[Edit] | str] | None = None,
               changes: tuple[cst.Call, Any, Any] | None = None, blocks: dict[int, object] | None = None,
               unsafe_because: str | None = None) -> tuple[Fix | None, str]:
    """One claim rewrite as edits (or, with ``changes``, a call and block change that goes
    beyond the call: the function is rendered the same way). ``helpers`` remembers, per
    flavour, the edits that import the claim helper into this module (the same for every claim of the file).
    ``blocks`` holds the ids of the blocks earlier fixes of the file change: as in
    ``engine.fix_source``, a block is changed by one fix per run (the next run makes the next)."""
    plan = finding.plan
    apply = _Apply(positions)
    try:
        if changes is not None:
            call: cst.Call | None = changes[0]
            apply.on_block(changes[2][0], changes[2][1])
            apply.on_call(changes[0], changes[1])
        else:
            assert isinstance(plan, ClaimPlan)
            call = index.calls.get((plan.write_line, plan.write_column))
        functions = enclosing(module, call, cst.FunctionDef, positions) if call is not None else []
        if not functions:
            raise FixSkipped("the write is not inside a function")
        statement, bound, root, helper_file = claim_import(finding.path, None)
        if changes is None and isinstance(plan, ClaimPlan):  # it is (asserted above)
            _plan_claim(plan, index, positions, apply, 0, bound)
        if blocks is not None:
            if any(block in blocks and not same_change(blocks[block], action) for block, action in apply.blocks.items()):
                raise FixSkipped("another fix changes the same block: run dynolint fix again")
            blocks.update(apply.blocks)
        # Transform only the function, and the top of the module for the helper: the rest of
        # the file is not walked again.
        function = functions[-1]
        code = data.decode("utf-8", "surrogateescape") if module.encoding.lower().replace("-", "") == "utf8" \
            else module.code
        old_text = _render(module, index, positions, function, function)
        changed = cast(cst.FunctionDef, function.visit(apply))  # _Apply changes nodes, never removes one
        new_text = _render(module, index, positions, function, changed, finding.path, 0, apply.produced)
        offset = code[:code.index(old_text)].count("\n") if old_text in code else -1
        if offset < 0:
            raise FixSkipped("the function's text could not be located")
        helpers = {} if helpers is None else helpers
        if isinstance(plan, ClaimPlan) and "import" not in helpers:
            try:
                with_import, _ = imports.add_import(module, statement, bound, root, helper_file)
                helpers["import"] = list(module_edits(module, with_import, data))
            except FixSkipped as exc:
                helpers["import"] = str(exc)
        made = helpers["import"] if isinstance(plan, ClaimPlan) else []
        if changes is not None and changes[2] is not None:  # a DYN301 fix imports tempfile (and os)
            with_imports, added = tmpdir.add_imports(module, [changes[2][1]])
            if added:
                made = list(module_edits(module, with_imports, data))
        if isinstance(made, str):
            raise FixSkipped(made)
        edits = list(made)
        edits.extend(replace(e, line=e.line + offset, end_line=e.end_line + offset)
                     for e in edits_between(old_text.encode("utf-8"), new_text.encode("utf-8")))
        if check:
            parse_ast(_apply_edits(data.decode("utf-8", "surrogateescape"), edits))
    except FixSkipped as exc:
        return None, str(exc)
    except (SyntaxError, ValueError) as exc:
        return None, f"the fixed code would not parse ({exc})"
    return Fix(applicability(finding, unsafe_because), title(finding, unsafe_because), tuple(edits)), ""


def _render(module: cst.Module, index: _Index, positions: dict[cst.CSTNode, Any], original: cst.CSTNode,
            node: cst.CSTNode, path: str | None = None, column: int = 0, produced: set[int] | None = None) -> str:
    """The code of ``node`` standing where ``original`` stands: with the indentation of the
    blocks around it, which a multi-line call or a nested function carries on each line. With
    ``produced`` (ids of the calls a fix wrote), those are split to fit the line length of
    ``path``'s project, ``node`` starting at ``column`` of its first line."""
    blocks = enclosing(module, original, cst.IndentedBlock, positions)  # outermost first
    indents = [b.indent if b.indent is not None else module.default_indent for b in blocks]  # type: ignore[attr-defined]
    if not produced:
        return layout.code_of(node, module.default_indent, module.default_newline, indents)
    return fit_code(node, lambda inner: type(inner) is cst.Call and id(inner) in produced, module.default_indent,
                    module.default_newline, indents, projectconf.line_length(path), column, produced, [],
                    "".join(indents))


def _apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply line/column edits (1-based, end exclusive), last first."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    def offset(line: int, column: int) -> int:
        return (starts[line - 1] if line - 1 < len(starts) else starts[-1]) + column - 1
    pieces: list[str] = []
    rest = len(text)  # the text from here on is kept; pieces are gathered last edit first
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        pieces.append(text[max(end, 0):rest] if end < rest else "")
        pieces.append(edit.content)
        rest = min(rest, start)
    pieces.append(text[:rest])
    return "".join(reversed(pieces))  # one join: linear in the text and the edits
