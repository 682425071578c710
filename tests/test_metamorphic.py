"""Metamorphic tests over the labelled fixture projects (fixtures/cases/*, fixtures/demo).

Each transformation below rewrites a project's Python files without changing what the code
does; the set of findings (code, file, line, with lines mapped through the transformation)
must not change. Every variant also goes through the fix round trip: the fixed files
compile and fixing again changes nothing.

- comments: comment lines, blank lines and trailing comments inserted where Python allows;
- rename: function-local variables renamed consistently (a LibCST transformer over the
  scope analysis: keyword arguments, attributes, parameters, globals and nonlocals are left
  alone; names inside f-strings are renamed with their variable);
- reorder: runs of module-level function and class definitions, and of the methods of
  module-level classes, shuffled among themselves (only runs whose definitions do not use
  each other when they are defined, and with no name defined twice);
- permute: the entries of dict literals (``Key={...}``, ``Item={...}``) and the keyword
  arguments of calls reordered, where their values have no side effects;
- async: project helper functions made ``async def`` and their calls awaited (callers that
  become async in turn), or run with ``asyncio.run`` from callers that stay synchronous
  (Lambda handlers: the Python runtime does not await a coroutine handler);
- async body: each Lambda handler's body moved into a nested ``async def`` that the handler
  runs with ``asyncio.run`` (the body reaches the event and context through a closure);
- class: helper functions wrapped in a class as ``@staticmethod``s and called through the
  class (found: a static or class method called through its class was not followed, e.g. a
  tenant-keyed lru_cache'd session factory reached that way looked unkeyed, DYN203).

A transformation that does not apply to a project (nothing to rename, no two definitions in
a row, no helper) is skipped with that reason. Cases where a transformation legitimately
changes the analysis are excluded explicitly below, with the reason.

``make test`` runs one composite variant (all the transformations but the class one, in
sequence) of every fourth project, at most 90, and the class variant of every third, at most
100; ``DYNOLINT_FUZZ_EXAMPLES`` (``make fuzz``) runs each
transformation separately too, with more seeded variants of each project."""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import tokenize
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import libcst as cst
import pytest
from libcst.metadata import (FunctionScope, MetadataWrapper, PositionProvider, ScopeProvider,
                             WhitespaceInclusivePositionProvider)

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES
from tests.fuzzkit import COUNTS, FUZZING, VARIANT_SEEDS, _report_counts, sampled, time_limit  # noqa: F401 - fixture

def _parses(case: Path) -> bool:
    """Does the project expect every file to parse? (One that expects DYN000, code newer than
    its target Python, is a project the transformations cannot round-trip: left out.)"""
    return not any(f["code"] == "DYN000" for f in json.loads((case / "expect.json").read_text())["findings"])


CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if (p / "expect.json").is_file() and _parses(p)) \
    + [FIXTURES / "demo"]
IGNORED_DIRS = shutil.ignore_patterns(".dynolint_cache", "__pycache__")

Finding3 = tuple[str, str, int]  # (code, project-relative path, line)
LineMap = Callable[[int], int]


@dataclass
class Variant:
    files: dict[str, str]  # project-relative path -> new text (changed files only)
    line_maps: dict[str, LineMap] = field(default_factory=dict)  # identity when absent
    what: str = ""


# -- running the checker on a project --------------------------------------------------------

def python_files(case: Path) -> dict[str, str]:
    return {p.relative_to(case).as_posix(): p.read_text() for p in sorted(case.rglob("*.py"))
            if ".dynolint_cache" not in p.parts}


def other_text(case: Path) -> str:
    """The text of the project's non-Python files (infrastructure names handlers in them)."""
    return "\n".join(p.read_text(errors="replace") for p in sorted(case.rglob("*"))
                     if p.is_file() and p.suffix != ".py" and ".dynolint_cache" not in p.parts)


def run(case: Path, work: Path, files: dict[str, str], fix: bool = True) -> set[Finding3]:
    """Copy ``case`` to ``work`` with ``files`` replaced, check it, and (``fix``) run the fix
    round trip (``dynolint fix --unsafe-fixes`` twice). Returns the findings before fixing."""
    shutil.copytree(case, work, ignore=IGNORED_DIRS)
    for rel, text in files.items():
        (work / rel).write_text(text)
    config = discover(work, set(KNOWN_CODES))
    options = Options(use_cache=False, jobs=1)
    with time_limit(120):
        report = fix_paths([work], config, options, unsafe=True, write=fix, only=None if fix else lambda f: False)
    before = report.before
    assert before.errors == []
    found = {(f.code, Path(f.path).resolve().relative_to(work.resolve()).as_posix(), f.line)
             for f in before.findings}
    assert not [f for f in found if f[0] == "DYN000"], found
    assert report.not_written == []
    for path, _, new in report.changed:
        assert_valid(new, path)
    if report.changed:
        COUNTS["metamorphic projects changed by fixes"] += 1
        with time_limit(120):
            again = fix_paths([work], config, options, unsafe=True)
        assert again.changed == [], f"a second fix changed {[p for p, _, _ in again.changed]}"
        assert again.before.errors == []
    return found


_original: dict[Path, set[Finding3]] = {}


def assert_valid(text: str, rel: str) -> None:
    """``text`` is valid Python: CPython's verdict, or LibCST's for syntax newer than the
    CPython running the tests (the fixtures of Python 3.12+ features)."""
    try:
        compile(text, rel, "exec")
    except SyntaxError:
        cst.parse_module(text)  # raises too when the text is not Python of any version


def original_findings(case: Path, tmp_path: Path) -> set[Finding3]:
    if case not in _original:
        _original[case] = run(case, tmp_path / "original", {})
    return _original[case]


def check_variant(case: Path, tmp_path: Path, variant: Variant, name: str, fix: bool = True) -> None:
    for rel, text in variant.files.items():
        assert_valid(text, rel)  # the transformation made valid Python
    before = original_findings(case, tmp_path)
    same: LineMap = lambda line: line  # noqa: E731
    expected = {(code, path, variant.line_maps.get(path, same)(line)) for code, path, line in before}
    got = run(case, tmp_path / f"variant-{name}", variant.files, fix)
    COUNTS[f"metamorphic variants ({name.rsplit('-', 1)[0]})"] += 1
    assert got == expected, f"{variant.what}\nmissing: {sorted(expected - got)}\nnew: {sorted(got - expected)}"


def seeds(case: Path, transformation: str) -> list[random.Random]:
    return [random.Random(f"{case.name}/{transformation}/{n}") for n in range(VARIANT_SEEDS)]


def offsets_map(inserted_before: Sequence[int]) -> LineMap:
    """The line map of inserting one line before each line number in ``inserted_before``
    (numbers of the original file, repeats allowed)."""
    points = sorted(inserted_before)
    return lambda line: line + bisect_right(points, line)


# -- 1. comments and blank lines ---------------------------------------------------------------

SUPPRESSION = re.compile(r"#\s*(dynolint|noqa)", re.IGNORECASE)


def add_comments(text: str, rng: random.Random) -> tuple[str, LineMap] | None:
    lines = text.splitlines(keepends=True)
    if not lines:
        return None
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    tokens = list(tokenize.generate_tokens(io.StringIO("".join(lines)).readline))
    unsafe: set[int] = set()  # lines a new line cannot go before
    line_end: dict[int, bool] = {}  # line -> a trailing comment may go at its end
    for token in tokens:
        if token.start[0] != token.end[0]:  # a string over several lines
            unsafe.update(range(token.start[0] + 1, token.end[0] + 1))
        if token.type in (tokenize.NEWLINE, tokenize.NL):
            line_end.setdefault(token.start[0], True)
        if token.type == tokenize.COMMENT:
            line_end[token.start[0]] = False
    for number, line in enumerate(lines, 1):
        if line.rstrip("\r\n").endswith("\\"):  # a continued line: the next one is part of it
            unsafe.add(number + 1)
            line_end[number] = False
        # A suppression comment applies to the line below it: keep them together (inserting a
        # line in between would legitimately change what is suppressed).
        if line.lstrip().startswith("#") and SUPPRESSION.search(line):
            unsafe.add(number + 1)
        # a shebang or coding cookie must stay on line 1 or 2
        if number <= 2 and line.startswith("#"):
            unsafe.update({1, 2, 3})
    unsafe.add(1)
    candidates = [n for n in range(1, len(lines) + 2) if n not in unsafe]
    if not candidates:
        return None
    chosen = sorted(rng.choices(candidates, k=rng.randint(1, max(1, len(candidates) // 4))))
    fillers = ["\n", "# a comment added by the metamorphic test\n", "    # indented comment\n", "\n\n"]
    inserts: dict[int, list[str]] = {}
    points: list[int] = []
    for number in chosen:
        filler = rng.choice(fillers)
        inserts.setdefault(number, []).append(filler)
        points.extend([number] * filler.count("\n"))
    out: list[str] = []
    for number, line in enumerate(lines + [""], 1):
        out.extend(inserts.get(number, []))
        if line and line_end.get(number) and rng.random() < 0.2:
            body = line.rstrip("\r\n")
            line = body + "  # trailing note" + line[len(body):]
        out.append(line)
    return "".join(out), offsets_map(points)


# -- 2. renaming function-local variables -----------------------------------------------------

BLOCKED_CALLS = {"locals", "vars", "eval", "exec"}


class _Renamer(cst.CSTTransformer):
    def __init__(self, renames: dict[cst.Name, str]) -> None:
        self.renames = renames

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        new = self.renames.get(original)
        return updated.with_changes(value=new) if new is not None else updated


def rename_locals(text: str, rng: random.Random, keep: float = 0.3) -> str | None:
    """``text`` with its function-local variables renamed (each kept with probability ``keep``)."""
    module = cst.parse_module(text)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    used = {n.value for n in _walk(module, cst.Name)}
    # Names bound by match patterns (not in LibCST's scope analysis), or declared global or
    # nonlocal anywhere, are left alone.
    blocked = {n.value for pattern in _walk(module, (cst.MatchAs, cst.MatchStar, cst.MatchMapping))
               for n in [getattr(pattern, "name", None) or getattr(pattern, "rest", None)] if n is not None}
    for stmt in _walk(module, (cst.Global, cst.Nonlocal)):
        blocked.update(item.name.value for item in stmt.names)
    renames: dict[cst.Name, str] = {}
    counter = 0
    for function in _walk(module, cst.FunctionDef):
        calls = {c.func.value for c in _walk(function, cst.Call) if isinstance(c.func, cst.Name)}
        if calls & BLOCKED_CALLS:
            continue
        inner = function.body.body[0] if isinstance(function.body, cst.IndentedBlock) else function.body
        scope = scopes.get(inner)
        if not isinstance(scope, FunctionScope):
            continue
        by_name: dict[str, list[object]] = {}
        for assignment in scope.assignments:
            by_name.setdefault(assignment.name, []).append(assignment)
        for name, assignments in sorted(by_name.items()):
            if name in blocked or rng.random() < keep:
                continue
            nodes = [a.node for a in assignments]  # type: ignore[attr-defined]
            references = [r.node for a in assignments for r in a.references]  # type: ignore[attr-defined]
            if not all(isinstance(n, cst.Name) for n in nodes + references):
                continue  # parameters, imports, nested defs, string annotations
            counter += 1
            new = f"mm{counter}_{name}" if rng.random() < 0.5 else f"_v{counter}"
            while new in used:
                new += "_"
            used.add(new)
            for node in nodes + references:
                renames[node] = new
    if not renames:
        return None
    return wrapper.module.visit(_Renamer(renames)).code


def _walk(node: cst.CSTNode, kind: type | tuple[type, ...]) -> list[Any]:
    found: list[Any] = []

    class Visitor(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            if isinstance(n, kind):
                found.append(n)
            return True

    node.visit(Visitor())
    return found


# -- 3. reordering module-level definitions ------------------------------------------------------

DEFS = (cst.FunctionDef, cst.ClassDef)


def _definition_time_names(stmt: cst.CSTNode) -> set[str]:
    """Names a def or class statement evaluates when it runs: decorators, defaults,
    annotations, bases, and a class body (but not function bodies)."""
    names: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            for part in [*node.decorators, node.params, node.returns]:
                if part is not None:
                    names.update(n.value for n in _walk(part, cst.Name))
            return False

        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

    if isinstance(stmt, cst.FunctionDef):
        Visitor().visit_FunctionDef(stmt)
    else:
        stmt.visit(Visitor())
    return names


def _lines_before(module: cst.Module, index: int) -> int:
    """How many lines the module's header and its first ``index`` statements take."""
    return sum(module.code_for_node(line).count("\n") for line in module.header) + \
        sum(module.code_for_node(stmt).count("\n") for stmt in module.body[:index])


def _shuffled_runs(body: Sequence[cst.BaseStatement], rng: random.Random) -> list[tuple[list[int], list[int]]]:
    """Runs of consecutive definitions in ``body`` that may be reordered, each with its new
    order (statement indexes)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, stmt in enumerate([*body, None]):
        if isinstance(stmt, DEFS):
            current.append(index)
            continue
        if len(current) >= 2:
            runs.append(current)
        current = []
    out = []
    for run in runs:
        names = [body[i].name.value for i in run]  # type: ignore[attr-defined]
        if len(set(names)) != len(names):
            continue  # a later definition replaces an earlier one (or a property's setter): order matters
        if any(_definition_time_names(body[i]) & (set(names) - {body[i].name.value}) for i in run):  # type: ignore[attr-defined]
            continue  # one uses another when it is defined (a decorator, a base class...)
        shuffled = run[:]
        while shuffled == run:
            rng.shuffle(shuffled)
        out.append((run, shuffled))
    return out


def reorder_definitions(text: str, rng: random.Random) -> tuple[str, LineMap] | None:
    """Shuffle runs of module-level definitions, and of method definitions in module-level
    classes."""
    module = cst.parse_module(text)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(WhitespaceInclusivePositionProvider)
    # (first line, last line, new first line) of moved statements: methods within their class,
    # then module-level statements (which carry their classes' methods along)
    moves: dict[str, list[tuple[int, int, int]]] = {"methods": [], "module": []}
    new_blocks: dict[int, list[cst.BaseStatement]] = {}  # id(body owner) -> new statements

    def plan(owner: cst.CSTNode, body: Sequence[cst.BaseStatement], level: str) -> None:
        order = list(range(len(body)))
        for run, shuffled in _shuffled_runs(body, rng):
            lengths = {i: module.code_for_node(body[i]).count("\n") for i in run}
            line = positions[body[run[0]]].start.line
            for slot, index in zip(run, shuffled):
                order[slot] = index
                first = positions[body[index]].start.line
                moves[level].append((first, first + lengths[index] - 1, line))
                line += lengths[index]
        if order != list(range(len(body))):
            new_blocks[id(owner)] = [body[i] for i in order]

    plan(module, module.body, "module")
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            plan(stmt, stmt.body.body, "methods")
    if not new_blocks:
        return None

    def rebuilt(stmt: cst.BaseStatement) -> cst.BaseStatement:
        if isinstance(stmt, cst.ClassDef) and id(stmt) in new_blocks:
            return stmt.with_changes(body=stmt.body.with_changes(body=new_blocks[id(stmt)]))
        return stmt

    body = new_blocks.get(id(module), list(module.body))
    new = module.with_changes(body=[rebuilt(stmt) for stmt in body]).code

    def move(level: str, old: int) -> int:
        for first, last, new_first in moves[level]:
            if first <= old <= last:
                return new_first + old - first
        return old

    def line_map(old: int) -> int:
        return move("module", move("methods", old))

    old_lines, new_lines = text.splitlines(), new.splitlines()
    for number, line in enumerate(old_lines, 1):  # the map is right: every line is where it says
        assert new_lines[line_map(number) - 1] == line, (number, line)
    return new, line_map


# -- reordering dict entries and keyword arguments ---------------------------------------------

PURE = (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Ellipsis)


def is_pure(node: cst.CSTNode) -> bool:
    """An expression whose evaluation has no side effect (so evaluation order is free)."""
    if isinstance(node, PURE):
        return True
    if isinstance(node, cst.Attribute):
        return is_pure(node.value)
    if isinstance(node, cst.Subscript):
        return is_pure(node.value) and all(
            isinstance(e.slice, cst.Index) and is_pure(e.slice.value) for e in node.slice)
    if isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        return all(is_pure(c) for c in node.children if not isinstance(c, (cst.LeftCurlyBrace, cst.RightCurlyBrace,
                                                                            cst.LeftSquareBracket, cst.RightSquareBracket,
                                                                            cst.LeftParen, cst.RightParen)))
    if isinstance(node, (cst.DictElement, cst.Element)):
        return all(is_pure(c) for c in [getattr(node, "key", None), node.value] if c is not None)
    if isinstance(node, cst.FormattedString):
        return all(is_pure(p.expression) for p in node.parts if isinstance(p, cst.FormattedStringExpression))
    if isinstance(node, cst.ConcatenatedString):
        return is_pure(node.left) and is_pure(node.right)
    if isinstance(node, cst.BinaryOperation):
        return is_pure(node.left) and is_pure(node.right)
    if isinstance(node, cst.UnaryOperation):
        return is_pure(node.expression)
    return False


class _Permute(cst.CSTTransformer):
    """Permute the entries of dict literals (string keys, no ``**``) and the keyword arguments
    of calls, when their values have no side effects; in place, each entry taking the
    whitespace and comma of the slot it lands in. Only where every entry sits on one line of
    its own, or all on the container's line, so that lines can be mapped."""

    def __init__(self, positions: Any, rng: random.Random) -> None:
        self.positions, self.rng = positions, rng
        self.moves: dict[int, int] = {}  # old line -> new line

    def _order(self, items: Sequence[cst.CSTNode], container: cst.CSTNode) -> list[int] | None:
        if len(items) < 2 or not all(is_pure(i) for i in items):
            return None
        spans = [(self.positions[i].start.line, self.positions[i].end.line) for i in items]
        if any(a != b for a, b in spans):
            return None
        lines = [a for a, _ in spans]
        if len(set(lines)) not in (1, len(lines)):
            return None
        where = self.positions[container]
        if len(set(lines)) > 1 and not where.start.line < min(lines) <= max(lines) < where.end.line:
            return None  # an entry shares its line with the call or the brackets: the line holds more than it
        order = list(range(len(items)))
        self.rng.shuffle(order)
        if len(set(lines)) > 1:
            for slot, index in enumerate(order):
                self.moves[lines[index]] = lines[slot]
        return order

    def leave_Dict(self, original: cst.Dict, updated: cst.Dict) -> cst.Dict:
        elements = list(original.elements)
        if not all(isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in elements):
            return updated
        if len({e.key.value for e in elements}) != len(elements):  # type: ignore[attr-defined]
            return updated  # a repeated key: the last one wins, order matters
        order = self._order(elements, original)
        if order is None:
            return updated
        new = list(updated.elements)
        return updated.with_changes(elements=[
            new[index].with_changes(comma=new[slot].comma, whitespace_before_colon=new[slot].whitespace_before_colon)
            for slot, index in enumerate(order)])

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        args = list(original.args)
        keywords = [i for i, a in enumerate(args) if a.keyword is not None and not a.star]
        if not keywords or keywords != list(range(keywords[0], len(args))):
            return updated  # keywords followed by positional or ** arguments
        order = self._order([args[i].value for i in keywords], original)
        if order is None:
            return updated
        new = list(updated.args)
        head = new[:keywords[0]]
        moved = [new[keywords[index]].with_changes(comma=new[keywords[slot]].comma,
                                                   whitespace_after_arg=new[keywords[slot]].whitespace_after_arg)
                 for slot, index in enumerate(order)]
        return updated.with_changes(args=head + moved)


def permute_entries(text: str, rng: random.Random) -> tuple[str, LineMap] | None:
    module = cst.parse_module(text)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    permute = _Permute(positions, rng)
    new = module.visit(permute).code
    if new == text:
        return None
    moves = dict(permute.moves)
    return new, lambda line: moves.get(line, line)


# -- shared by the async and class transformations: which helpers can be rewritten -------------

HANDLER_PARAMS = {"event", "evt", "_event", "request"}


@dataclass
class Helper:
    name: str
    path: str  # the file that defines it
    node: cst.FunctionDef
    calls: list[tuple[str, cst.Call, cst.FunctionDef | None, bool]] = field(default_factory=list)
    # (file, call, innermost enclosing function, inside a lambda or comprehension)


def _stem(path: str) -> str:
    return Path(path).stem


class _Uses(cst.CSTVisitor):
    """Every use of the candidate names in one file: calls (by bare name, or as
    ``module.name``) with their context, and any other use (which disqualifies)."""

    def __init__(self, path: str, candidates: dict[str, Helper], bad: set[str]) -> None:
        self.path = path
        self.candidates = candidates
        self.bad = bad
        self.functions: list[cst.FunctionDef] = []
        self.closures = 0  # depth of lambdas and comprehensions
        self.handled: set[int] = set()  # id() of Name nodes already accounted for
        self.imported: set[str] = set()

    def _helper_of(self, func: cst.BaseExpression) -> Helper | None:
        if isinstance(func, cst.Name) and func.value in self.candidates:
            helper = self.candidates[func.value]
            if helper.path == self.path or func.value in self.imported:
                self.handled.add(id(func))
                return helper
            self.bad.add(func.value)  # a name this file neither defines nor imports
            return None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and func.attr.value in self.candidates:
            helper = self.candidates[func.attr.value]
            if _stem(helper.path) == func.value.value:
                self.handled.add(id(func.attr))
                return helper
        return None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value in self.candidates and self.candidates[node.name.value].node is node:
            self.handled.add(id(node.name))
        self.functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            return False
        module = cst.helpers.get_full_name_for_node(node.module) if node.module is not None else ""
        for alias in node.names:
            name = alias.name.value if isinstance(alias.name, cst.Name) else ""
            if name in self.candidates:
                helper = self.candidates[name]
                if alias.asname is None and module and module.rsplit(".", 1)[-1] == _stem(helper.path):
                    self.imported.add(name)
                    self.handled.add(id(alias.name))
                else:
                    self.bad.add(name)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.closures += 1

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.closures -= 1

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self.closures += 1

    def leave_ListComp(self, node: cst.ListComp) -> None:
        self.closures -= 1

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp  # type: ignore[assignment]
    leave_SetComp = leave_GeneratorExp = leave_DictComp = leave_ListComp  # type: ignore[assignment]

    def visit_Call(self, node: cst.Call) -> None:
        helper = self._helper_of(node.func)
        if helper is not None:
            enclosing = self.functions[-1] if self.functions else None
            helper.calls.append((self.path, node, enclosing, self.closures > 0))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.candidates and id(node) not in self.handled:
            self.bad.add(node.value)  # used other than by a call: passed, assigned, shadowed

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.handled.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in self.candidates and id(node.attr) not in self.handled:
            self.handled.add(id(node.attr))
            if not (isinstance(node.value, cst.Name) and node.value.value == _stem(self.candidates[node.attr.value].path)):
                self.bad.add(node.attr.value)  # obj.name: maybe another object's method of that name


def is_generator(function: cst.FunctionDef) -> bool:
    found = False

    class Visitor(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Yield(self, node: cst.Yield) -> None:
            nonlocal found
            found = True

    function.visit(Visitor())
    return found


def looks_like_handler(function: cst.FunctionDef, infra: str) -> bool:
    """A Lambda handler (or another entry point named by the infrastructure): rewriting it
    would change what the platform calls."""
    params = [p.name.value for p in function.params.params]
    return bool(params and params[0] in HANDLER_PARAMS) or function.name.value in infra \
        or function.name.value in ("handler", "lambda_handler", "main")


def is_entry_point(function: cst.FunctionDef, infra: str) -> bool:
    """A function the platform or a framework calls (a Lambda handler, a route), not project
    code: never called from inside an event loop."""
    if looks_like_handler(function, infra):
        return True
    for decorator in function.decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call) and isinstance(target.func, cst.Attribute) \
                and "cache" not in target.func.attr.value:
            return True  # @app.route(...), @router.get(...)
    return False


def helpers(modules: dict[str, cst.Module], infra: str, allow_generators: bool) -> tuple[dict[str, Helper], set[str]]:
    """The module-level, undecorated, non-handler functions whose every use is a call, by name
    (names defined twice in the project are left out), and the names that are not."""
    defined: dict[str, list[Helper]] = {}
    for path, module in modules.items():
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef):
                defined.setdefault(stmt.name.value, []).append(Helper(stmt.name.value, path, stmt))
    bad: set[str] = set()
    candidates: dict[str, Helper] = {}
    for name, found in defined.items():
        helper = found[0]
        if len(found) > 1 or helper.node.decorators or looks_like_handler(helper.node, infra) \
                or (is_generator(helper.node) and not allow_generators) or name.startswith("__"):
            bad.add(name)
        candidates[name] = helper
    for path, module in modules.items():
        module.visit(_Uses(path, candidates, bad))
    return {n: h for n, h in candidates.items() if n not in bad}, bad


# -- 4. making helpers async --------------------------------------------------------------------

def _parens(node: cst.Await) -> cst.Await:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Asyncify(cst.CSTTransformer):
    def __init__(self, made_async: set[int], awaited: set[int], run: set[int]) -> None:
        self.made_async, self.awaited, self.run = made_async, awaited, run

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if id(original) in self.made_async:
            return updated.with_changes(asynchronous=cst.Asynchronous())
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if id(original) in self.awaited:
            # (await f(x))["Item"]: await binds less tightly than a subscript or attribute
            return _parens(cst.Await(expression=updated.with_changes(lpar=[], rpar=[]),
                                     lpar=list(updated.lpar), rpar=list(updated.rpar)))
        if id(original) in self.run:
            return cst.Call(func=cst.Attribute(cst.Name("asyncio"), cst.Name("run")), args=[cst.Arg(updated)])
        return updated

    def _bare(self, value: cst.BaseExpression | None) -> cst.BaseExpression | None:
        if isinstance(value, cst.Await) and len(value.lpar) == 1:
            return value.with_changes(lpar=[], rpar=[])
        return value

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.Expr:
        return updated.with_changes(value=self._bare(updated.value))

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        return updated.with_changes(value=self._bare(updated.value))

    def leave_Return(self, original: cst.Return, updated: cst.Return) -> cst.Return:
        return updated.with_changes(value=self._bare(updated.value))


def _insert_import(module: cst.Module, statement: str) -> tuple[cst.Module, int]:
    """``module`` with ``statement`` added after its docstring and __future__ imports, and
    the line it went on."""
    body = list(module.body)
    index = 0
    while index < len(body):
        stmt = body[index]
        if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, cst.Expr) and isinstance(s.value, (cst.SimpleString, cst.ConcatenatedString))
                or isinstance(s, cst.ImportFrom) and isinstance(s.module, cst.Name) and s.module.value == "__future__"
                for s in stmt.body):
            index += 1
            continue
        break
    line = _lines_before(module, index) + 1
    new = cst.parse_statement(statement)
    return module.with_changes(body=body[:index] + [new] + body[index:]), line


def asyncify(files: dict[str, str], infra: str) -> Variant | None:
    modules = {path: cst.parse_module(text) for path, text in files.items()}
    candidates, _ = helpers(modules, infra, allow_generators=False)
    already_async = {id(f) for m in modules.values() for f in _walk(m, cst.FunctionDef) if f.asynchronous is not None}
    entries = {id(s) for m in modules.values() for s in m.body
               if isinstance(s, cst.FunctionDef) and s.asynchronous is None and is_entry_point(s, infra)}
    chosen = dict(candidates)
    changed = True
    while changed:
        changed = False
        async_ids = already_async | {id(h.node) for h in chosen.values()}
        for name, helper in list(chosen.items()):
            for _, _, enclosing, closure in helper.calls:
                # A helper stays synchronous when it is called at module level, in a lambda or
                # comprehension of an async function (no await there), or from a synchronous
                # function other than an entry point: asyncio.run() there could run inside an
                # event loop (a sync method called from async code), which raises.
                if enclosing is None or (closure and id(enclosing) in async_ids) \
                        or (id(enclosing) not in async_ids and id(enclosing) not in entries):
                    del chosen[name]
                    changed = True
                    break
    if not chosen:
        return None
    async_ids = already_async | {id(h.node) for h in chosen.values()}
    made_async = {id(h.node) for h in chosen.values()}
    awaited = {id(call) for h in chosen.values() for _, call, enclosing, _ in h.calls
               if enclosing is not None and id(enclosing) in async_ids}
    run = {id(call) for h in chosen.values() for _, call, enclosing, _ in h.calls} - awaited
    out: dict[str, str] = {}
    maps: dict[str, LineMap] = {}
    for path, module in modules.items():
        new = module.visit(_Asyncify(made_async, awaited, run))
        if new.code == module.code:
            continue
        if any(id(call) in run for h in chosen.values() for p, call, _, _ in h.calls if p == path) \
                and "import asyncio" not in module.code:
            new, line = _insert_import(new, "import asyncio")
            maps[path] = offsets_map([line])
        out[path] = new.code
    return Variant(out, maps, f"made async: {sorted(chosen)}")


def rebinds_a_parameter(function: cst.FunctionDef) -> bool:
    """Does the body assign one of the function's parameters (``item = dict(item)``), or declare
    a name global or nonlocal? Moved into a nested function, such a body means something else
    (the parameter becomes a local of the nested function: an UnboundLocalError where it is
    read first), so the transformation leaves the function as it is."""
    params = {p.name.value for p in _walk(function.params, cst.Param)}
    targets: list[cst.CSTNode] = []
    for node in _walk(function.body, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.AsName,
                                      cst.NamedExpr, cst.Global, cst.Nonlocal)):
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            return True
        targets.append(node.name if isinstance(node, cst.AsName) else node.target)
    return any(name.value in params for target in targets for name in _walk(target, cst.Name))


def async_handler_bodies(files: dict[str, str], infra: str) -> Variant | None:
    """Each synchronous Lambda handler's body moved into a nested ``async def`` that the
    handler runs with ``asyncio.run``: the body now reaches ``event`` and ``context`` through
    a closure, and its ``return`` statements return through the coroutine."""
    out: dict[str, str] = {}
    maps: dict[str, LineMap] = {}
    for path, text in files.items():
        module = cst.parse_module(text)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        inclusive = wrapper.resolve(WhitespaceInclusivePositionProvider)
        used = {n.value for n in _walk(module, cst.Name)}
        inner = "_handler_body"
        while inner in used:
            inner += "_"
        targets = {id(stmt) for stmt in module.body
                   if isinstance(stmt, cst.FunctionDef) and stmt.asynchronous is None
                   and looks_like_handler(stmt, infra) and not is_generator(stmt)
                   and not rebinds_a_parameter(stmt)
                   and isinstance(stmt.body, cst.IndentedBlock) and not stmt.body.footer}
        if not targets:
            continue
        points: list[int] = []
        body = []
        for stmt in module.body:
            if id(stmt) not in targets:
                body.append(stmt)
                continue
            block = stmt.body
            assert isinstance(block, cst.IndentedBlock)
            nested = cst.FunctionDef(cst.Name(inner), cst.Parameters(), block.with_changes(header=cst.TrailingWhitespace()),
                                     asynchronous=cst.Asynchronous())
            run = cst.parse_statement(f"return asyncio.run({inner}())")
            body.append(stmt.with_changes(body=block.with_changes(body=[nested, run])))
            points.append(inclusive[block.body[0]].start.line)  # the `async def` line goes above the body
            points.append(positions[stmt].end.line + 1)  # the `return asyncio.run(...)` line below it
        new = module.with_changes(body=body)
        if "import asyncio" not in text:
            new, line = _insert_import(new, "import asyncio")
            points.append(line)
        line_map = offsets_map(points)
        old_lines, new_lines = text.splitlines(), new.code.splitlines()
        for number, line_text in enumerate(old_lines, 1):  # the map is right (indentation aside)
            assert new_lines[line_map(number) - 1].strip() == line_text.strip(), (path, number, line_text)
        out[path] = new.code
        maps[path] = line_map
    return Variant(out, maps, "handler bodies in nested async functions") if out else None


# -- 5. wrapping helpers in classes as static methods -------------------------------------------

class _Classify(cst.CSTTransformer):
    def __init__(self, wrapped: dict[int, str], through: dict[int, str], imports: dict[int, str]) -> None:
        self.wrapped, self.through, self.imports = wrapped, through, imports

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        holder = self.through.get(id(original))
        if holder is None:
            return updated
        func = updated.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value  # type: ignore[attr-defined]
        if isinstance(func, cst.Attribute):  # module.helper(...) -> module.Holder.helper(...)
            return updated.with_changes(func=func.with_changes(value=cst.Attribute(func.value, cst.Name(holder))))
        return updated.with_changes(func=cst.Attribute(cst.Name(holder), cst.Name(name)))

    def leave_ImportAlias(self, original: cst.ImportAlias, updated: cst.ImportAlias) -> cst.ImportAlias:
        holder = self.imports.get(id(original.name))
        return updated.with_changes(name=cst.Name(holder)) if holder else updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body = []
        for old, new in zip(original.body, updated.body):
            holder = self.wrapped.get(id(old))
            if holder is None:
                body.append(new)
                continue
            method = new.with_changes(decorators=[cst.Decorator(cst.Name("staticmethod"))], leading_lines=[])
            body.append(cst.ClassDef(cst.Name(holder), cst.IndentedBlock([method]), leading_lines=new.leading_lines))
        return updated.with_changes(body=body)


def classify(files: dict[str, str], infra: str) -> Variant | None:
    modules = {path: cst.parse_module(text) for path, text in files.items()}
    chosen, _ = helpers(modules, infra, allow_generators=True)
    if not chosen:
        return None
    holder = {name: f"{name.title().replace('_', '')}Ops" for name in chosen}
    out: dict[str, str] = {}
    maps: dict[str, LineMap] = {}
    for path, module in modules.items():
        wrapped = {id(h.node): holder[n] for n, h in chosen.items() if h.path == path}
        through = {id(call): holder[n] for n, h in chosen.items() for p, call, _, _ in h.calls if p == path}
        imports = {}
        for stmt in _walk(module, cst.ImportFrom):
            if not isinstance(stmt.names, cst.ImportStar):
                for alias in stmt.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value in chosen:
                        imports[id(alias.name)] = holder[alias.name.value]
        new = module.visit(_Classify(wrapped, through, imports))
        if new.code == module.code:
            continue
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        # two lines (class, @staticmethod) before each wrapped def
        def_lines = [positions[h.node].start.line for h in chosen.values() if h.path == path]
        maps[path] = offsets_map(def_lines * 2)
        out[path] = new.code
    return Variant(out, maps, f"wrapped in classes: {sorted(chosen)}")


# -- the tests -----------------------------------------------------------------------------------

# Projects where a transformation legitimately changes the findings, with the reason.
EXCLUDED: dict[tuple[str, str], str] = {
    # the sample took this case once the session of 2026-12-07 (11) added 32 fixtures: the
    # async-body step moves the cached function's return into a nested coroutine, and the
    # credentials it caches are reported at the cached function's own return, which is now
    # ``return asyncio.run(_handler_body())``, a line below the mapped one: that is where the
    # value enters the cache, so the report stays there
    ("composite", "tenant-scoped-cachetools-key-function"):
        "credentials cached by a function whose body runs in a nested coroutine are reported at its own return",
    # taken by the sample once the session of 2026-12-07 (12) added 29 fixtures; the code before
    # that session gives the same on its variant: the project declares its tenant word only by the
    # name it gives Lambda's tenant (``salon_id = context.tenant_id``), and the rename step renames
    # that local, so no word is declared and no code is tenant-aware (a name is what declares it)
    ("composite", "tenant11-context-tenant-named-settings-global"):
        "the tenant word declared by a local's name (salon_id = context.tenant_id) is renamed away",
    # the sample took these two when the session's last fixtures were added, the same as above: a
    # cached function's own return is ``return asyncio.run(...)`` (where the credentials enter the
    # cache), and a word declared only by ``promoter_id = context.tenant_id`` renamed away (the code
    # before that session gives the same on the second; the first is a case of that session)
    ("composite", "state12-cached-session-key-tuple"):
        "credentials cached by a function whose body runs in a nested coroutine are reported at its own return",
    ("composite", "tenant11-terraform-url-in-string-shared-tmp"):
        "the tenant word declared by a local's name (promoter_id = context.tenant_id) is renamed away",
}


def _exclusion(case: Path, transformation: str) -> None:
    reason = EXCLUDED.get((transformation, case.name))
    if reason is not None:
        pytest.skip(f"excluded: {reason}")


def _per_file(case: Path, transformation: str, make: Callable[[str, random.Random], object]) -> list[Variant]:
    variants: list[Variant] = []
    files = python_files(case)
    for rng in seeds(case, transformation):
        changed: dict[str, str] = {}
        maps: dict[str, LineMap] = {}
        for rel, text in files.items():
            made = make(text, rng)
            if made is None:
                continue
            new, line_map = made if isinstance(made, tuple) else (made, None)
            changed[rel] = new
            if line_map is not None:
                maps[rel] = line_map
        if changed:
            variants.append(Variant(changed, maps, f"{transformation} (seed {len(variants)})"))
    return variants


ids = [c.name for c in CASES]
# Each transformation on its own, with VARIANT_SEEDS seeds: under `make fuzz`. `make test`
# runs test_composite_variant instead (all of them in sequence, one variant per project),
# and the class variant.
SEPARATE = CASES if FUZZING else []
separate_ids = [c.name for c in SEPARATE]


def compose(first: LineMap, then: LineMap) -> LineMap:
    return lambda line: then(first(line))


def composite(case: Path, rng: random.Random) -> Variant:
    """rename, permute, reorder, comments (each file), then async handler bodies and async
    helpers (the project), one after the other; their line maps composed."""
    original = python_files(case)
    files = dict(original)
    maps: dict[str, LineMap] = {}
    applied: list[str] = []
    for name, make in [("rename", rename_locals), ("permute", permute_entries),
                       ("reorder", reorder_definitions), ("comments", add_comments)]:
        for rel, text in files.items():
            made = make(text, rng)  # type: ignore[operator]
            if made is None:
                continue
            new, line_map = made if isinstance(made, tuple) else (made, None)
            files[rel] = new
            if line_map is not None:
                maps[rel] = compose(maps.get(rel, lambda line: line), line_map)
            applied.append(f"{name}:{rel}")
    infra = other_text(case)
    for name, project in [("async-body", async_handler_bodies), ("async", asyncify)]:
        variant = project(files, infra)
        if variant is None:
            continue
        files.update(variant.files)
        for rel, line_map in variant.line_maps.items():
            maps[rel] = compose(maps.get(rel, lambda line: line), line_map)
        applied.append(variant.what)
    changed = {rel: text for rel, text in files.items() if text != original[rel]}
    return Variant(changed, maps, "composite: " + ", ".join(applied))


# every fourth project under `make test` (the variant of each is a whole fix round trip), all
# of them under `make fuzz`
COMPOSITE = sampled(CASES, every=4, at_most=90)


@pytest.mark.parametrize("case", COMPOSITE, ids=[c.name for c in COMPOSITE])
def test_composite_variant(case: Path, tmp_path: Path) -> None:
    _exclusion(case, "composite")
    for number, rng in enumerate(seeds(case, "composite")):
        check_variant(case, tmp_path, composite(case, rng), f"composite-{number}")


# each transformation of one file at a time: (name, transformer, why a project may have nothing to change)
PER_FILE = [
    ("comments", add_comments, None),  # every project has Python files to comment
    ("rename", rename_locals, "no function-local variable to rename"),
    ("reorder", reorder_definitions, "no run of independent module-level definitions to reorder"),
    ("permute", permute_entries, "no dict literal or keyword arguments to reorder"),
]


@pytest.mark.parametrize("name, make, nothing_to_do", PER_FILE, ids=[p[0] for p in PER_FILE])
@pytest.mark.parametrize("case", SEPARATE, ids=separate_ids)
def test_per_file_transformation(case: Path, tmp_path: Path, name: str,
                                 make: Callable[[str, random.Random], object], nothing_to_do: str | None) -> None:
    _exclusion(case, name)
    variants = _per_file(case, name, make)
    if nothing_to_do is None:
        assert variants, f"{name} applies to every project"
    elif not variants:
        pytest.skip(nothing_to_do)
    for number, variant in enumerate(variants):
        check_variant(case, tmp_path, variant, f"{name}-{number}")


@pytest.mark.parametrize("case", SEPARATE, ids=separate_ids)
def test_async_helpers(case: Path, tmp_path: Path) -> None:
    _exclusion(case, "async")
    variant = asyncify(python_files(case), other_text(case))
    if variant is None:
        pytest.skip("no helper function that can be made async")
    check_variant(case, tmp_path, variant, "async-0")


@pytest.mark.parametrize("case", SEPARATE, ids=separate_ids)
def test_async_handler_bodies(case: Path, tmp_path: Path) -> None:
    _exclusion(case, "async-body")
    variant = async_handler_bodies(python_files(case), other_text(case))
    if variant is None:
        pytest.skip("no synchronous Lambda handler")
    check_variant(case, tmp_path, variant, "async-body-0")


# every third project under `make test`, all of them under `make fuzz`
CLASSIFIED = sampled(CASES, every=3, at_most=100)


@pytest.mark.parametrize("case", CLASSIFIED, ids=[c.name for c in CLASSIFIED])
def test_static_method_helpers(case: Path, tmp_path: Path) -> None:
    _exclusion(case, "class")
    variant = classify(python_files(case), other_text(case))
    if variant is None:
        pytest.skip("no helper function to wrap in a class")
    check_variant(case, tmp_path, variant, "class-0")


# -- the transformations themselves ------------------------------------------------------------

def test_transformations_preserve_meaning() -> None:
    """Spot checks of the rewriting machinery on small inputs."""
    renamed = rename_locals(
        "def f(item, event):\n"
        "    count = item['n']\n"
        "    key = {'pk': event['id']}\n"
        "    table.put_item(Item=item, Key=key, count=count)\n"
        "    return f'{count} {key!r}', [count for _ in key], obj.count\n",
        random.Random(1), keep=0)
    assert renamed is not None and "    count =" not in renamed and "    key =" not in renamed
    assert "Item=item" in renamed and "count=" in renamed and "obj.count" in renamed
    assert "def f(item, event)" in renamed
    compile(renamed, "x.py", "exec")
    new, line_map = reorder_definitions("import x\n\ndef a():\n    return 1\n\n\ndef b():\n    return 2\n",
                                        random.Random(0))  # type: ignore[misc]
    assert new.index("def b") < new.index("def a")
    assert new.splitlines()[line_map(7) - 1] == "def b():" and new.splitlines()[line_map(3) - 1] == "def a():"
    files = {"app.py": "from store import load\n\ndef handler(event, context):\n    return load(event)['Item']\n",
             "store.py": "def load(key):\n    return table.get_item(Key=key)\n\n\ndef other():\n    return load(1)\n"}
    made = asyncify(files, "")
    assert made is not None
    assert "asyncio.run(load(event))['Item']" in made.files["app.py"]
    assert "async def load" in made.files["store.py"] and "return await load(1)" in made.files["store.py"]
    assert made.line_maps["app.py"](1) == 2
    wrapped = classify(files, "")
    assert wrapped is not None
    assert "from store import LoadOps" in wrapped.files["app.py"] and "LoadOps.load(event)" in wrapped.files["app.py"]
    assert "    @staticmethod\n    def load(key):" in wrapped.files["store.py"]
    assert wrapped.line_maps["store.py"](1) == 3
    permuted, moved = permute_entries(  # type: ignore[misc]
        "table.put_item(\n    Item={'pk': a, 'sk': b},\n    ConditionExpression=c,\n)\nf(x=g(), y=1)\n",
        random.Random(3))
    assert "'sk': b, 'pk': a" in permuted and "f(x=g(), y=1)" in permuted
    assert permuted.splitlines()[moved(3) - 1].strip() == "ConditionExpression=c,"
    nested = async_handler_bodies(files, "")
    assert nested is not None
    assert "    async def _handler_body():\n        return load(event)['Item']\n    return asyncio.run(_handler_body())" \
        in nested.files["app.py"]
    assert nested.line_maps["app.py"](4) == 6
    for variant in (made, wrapped):
        for rel, text in variant.files.items():
            compile(text, rel, "exec")
