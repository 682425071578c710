"""Positions without LibCST's PositionProvider: one code generation pass that records, for
the nodes that were asked for, where their code starts and ends.

PositionProvider computes a range for every node, with a regular expression per token and a
context manager per node; here that pass costs less than plain code generation: a token
costs one C call (no running offset: the pass records token indexes, turned into character
offsets once at the end), and LibCST's generator-based ``_parenthesize`` is replaced, for
the duration of the pass, by an equivalent plain context manager (see :func:`generate`).
"""

from __future__ import annotations

import inspect
import re
from bisect import bisect_right
from contextlib import nullcontext
from itertools import accumulate
from typing import Any, Literal

import libcst as cst
from libcst._nodes.expression import _BaseParenthesizedNode
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange

from dynolint.phase1 import ir
from dynolint.process import in_worker

_NEWLINE = re.compile(r"\r\n?|\n")
_NULL = nullcontext()


class SiteCodegen(CodegenState):
    """Code generation that records spans for wanted nodes: ``wanted`` maps ``id(node)``
    to a site number (nodes that ask for a syntactic position: expressions and
    statements); ``found`` maps a site to its (start, end) token indexes."""

    def __init__(self, default_indent: str, default_newline: str, wanted: dict[int, int]) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.wanted = wanted
        self.found: dict[int, tuple[int, int]] = {}
        setattr(self, "add_token", self.tokens.append)  # tokens.append itself: a call less per token
        self.popped: list[str] = []

    def pop_trailing_newline(self) -> None:
        if self.tokens:  # still counted in the offsets of what ended after it
            self.popped.append(self.tokens.pop())

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Any = None,
                                  end_node: Any = None) -> Any:
        site = self.wanted.get(id(node))
        if site is None:
            return _NULL
        return _Recorder(self, site)

    def code(self) -> str:
        return "".join(self.tokens)

    def offsets(self) -> list[int]:
        """The character offset at each token index."""
        return [0, *accumulate(map(len, self.tokens + self.popped))]


class _Recorder:
    __slots__ = ("state", "site", "start")

    def __init__(self, state: SiteCodegen, site: int) -> None:
        self.state = state
        self.site = site
        self.start = 0

    def __enter__(self) -> None:
        self.start = len(self.state.tokens)

    def __exit__(self, *exc: object) -> None:
        self.state.found.setdefault(self.site, (self.start, len(self.state.tokens)))


class _Parens:
    """What LibCST's ``_BaseParenthesizedNode._parenthesize`` does, without a generator."""

    __slots__ = ("node", "state", "inner")

    def __init__(self, node: Any, state: CodegenState) -> None:
        self.node = node
        self.state = state

    def __enter__(self) -> None:
        state = self.state
        for lpar in self.node.lpar:
            lpar._codegen(state)
        self.inner = state.record_syntactic_position(self.node)
        self.inner.__enter__()

    def __exit__(self, kind: Any, exc: Any, traceback: Any) -> Literal[False]:
        self.inner.__exit__(kind, exc, traceback)
        if kind is None:
            for rpar in self.node.rpar:
                rpar._codegen(self.state)
        return False


# (None if a LibCST version no longer has it: then the pass uses LibCST's own)
_STOCK_PARENTHESIZE = _BaseParenthesizedNode.__dict__.get("_parenthesize")


def _parenthesize(node: Any, state: CodegenState) -> Any:
    if node.lpar or node.rpar:
        return _Parens(node, state)
    return state.record_syntactic_position(node)  # what the stock method does without parentheses


def generate(node: cst.CSTNode, state: CodegenState) -> None:
    """``node._codegen(state)``, with LibCST's generator-based ``_parenthesize`` (a sixth
    of the pass) replaced by :class:`_Parens` while it runs. (The switch is process-wide
    for the duration: code another thread generates meanwhile uses it too; it writes the
    same tokens.) In a worker process, also without the per-node hooks (see
    :func:`_drop_codegen_hooks`)."""
    if not _hooks_dropped[0] and in_worker():
        _drop_codegen_hooks()
    if _STOCK_PARENTHESIZE is None:
        node._codegen(state)
        return
    setattr(_BaseParenthesizedNode, "_parenthesize", _parenthesize)
    try:
        node._codegen(state)
    finally:
        setattr(_BaseParenthesizedNode, "_parenthesize", _STOCK_PARENTHESIZE)


_hooks_dropped = [False]


def _drop_codegen_hooks() -> None:
    """Make every concrete node class's ``_codegen`` its ``_codegen_impl``. LibCST's
    ``CSTNode._codegen`` calls the state's ``before_codegen`` and ``after_codegen`` around
    each node: no-ops for every state dynolint uses (the recording states note positions
    where syntactic positions are recorded), and a quarter of a recording pass. Only for a
    worker process, for the rest of its life: it runs nothing else, on one thread (LibCST
    metadata that relies on the hooks, such as PositionProvider, would be wrong in it)."""
    stock = cst.CSTNode.__dict__["_codegen"]
    # only where LibCST's own _codegen (the hooks and nothing else) would run
    classes = [kind for kind in node_classes((cst.CSTNode,)) if kind is not cst.CSTNode
               and not inspect.isabstract(kind) and getattr(kind, "_codegen") is stock]
    for kind in classes:
        kind._codegen = kind._codegen_impl  # type: ignore[attr-defined]
    _hooks_dropped[0] = True


def line_starts(code: str) -> list[int]:
    starts = [0]
    for match in _NEWLINE.finditer(code):
        starts.append(match.end())
    return starts


def span_of(starts: list[int], start: int, end: int) -> ir.Span:
    """1-based line and column, end column exclusive."""
    line = bisect_right(starts, start)
    end_line = bisect_right(starts, max(start, end - 1)) if end > start else line
    return ir.Span(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)


def node_classes(types: tuple[type, ...]) -> frozenset[type]:
    """The classes among ``types`` and all their subclasses (an ``isinstance`` against
    LibCST's abstract bases costs an ABC check per node; a set lookup does not)."""
    found: set[type] = set()
    pending = list(types)
    while pending:
        kind = pending.pop()
        if kind in found:
            continue
        found.add(kind)
        pending.extend(kind.__subclasses__())
    return frozenset(found)


class _TypedCodegen(SiteCodegen):
    """Records the span of every node of the given types, and the sites of ``wanted`` too,
    in the one code generation pass. The types must be ones whose code generation records
    a syntactic position (expressions and statements, blocks): that is where they are
    noted, in source order (no hook runs for every node)."""

    def __init__(self, module: cst.Module, types: tuple[type, ...], wanted: dict[int, int] | None = None) -> None:
        super().__init__(module.default_indent, module.default_newline, wanted or {})
        self.types = node_classes(types)
        self.nodes: list[cst.CSTNode] = []
        self.spans: list[tuple[int, int]] = []

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Any = None,
                                  end_node: Any = None) -> Any:
        site = self.wanted.get(id(node))
        if type(node) not in self.types:
            return _NULL if site is None else _Recorder(self, site)
        return _SyntacticRecorder(self, node, site)


class _SyntacticRecorder:
    __slots__ = ("state", "node", "site", "start", "at")

    def __init__(self, state: _TypedCodegen, node: cst.CSTNode, site: int | None) -> None:
        self.state = state
        self.node = node
        self.site = site

    def __enter__(self) -> None:
        state = self.state
        self.start = len(state.tokens)
        self.at = len(state.nodes)  # LibCST records a node's syntactic position once
        state.nodes.append(self.node)
        state.spans.append((0, 0))

    def __exit__(self, *exc: object) -> None:
        state = self.state
        where = (self.start, len(state.tokens))
        state.spans[self.at] = where
        if self.site is not None:
            state.found.setdefault(self.site, where)


def site_spans_of(state: SiteCodegen, count: int, starts: list[int] | None = None,
                  at: list[int] | None = None) -> tuple[ir.Span, ...]:
    """The spans of sites 0 .. count-1 that ``state`` recorded (unrecorded: 1:1)."""
    starts = starts if starts is not None else line_starts(state.code())
    at = at if at is not None else state.offsets()
    found = state.found
    return tuple(span_of(starts, at[found[index][0]], at[found[index][1]]) if index in found
                 else span_of(starts, 0, 0) for index in range(count))


def node_positions(module: cst.Module, types: tuple[type, ...]) -> dict[cst.CSTNode, CodeRange]:
    """CodeRanges (1-based lines, 0-based columns; for expressions, what LibCST's
    PositionProvider gives) for every node of ``types`` in ``module``, in source order, from
    one recording code generation pass (no visitor, no metadata)."""
    return positions_and_sites(module, types, {}, 0)[0]


def positions_and_sites(module: cst.Module, types: tuple[type, ...], wanted: dict[int, int],
                        count: int) -> tuple[dict[cst.CSTNode, CodeRange], tuple[ir.Span, ...]]:
    """:func:`node_positions` and the spans of the ``count`` sites of ``wanted`` (id of node
    -> site, as :func:`dynolint.phase1.summarize.site_spans`), from the same one pass."""
    state = _TypedCodegen(module, types, wanted)
    generate(module, state)
    starts = line_starts(state.code())
    at = state.offsets()
    out: dict[cst.CSTNode, CodeRange] = {}
    for node, (start, end) in zip(state.nodes, state.spans):
        span = span_of(starts, at[start], at[end])
        out[node] = CodeRange(CodePosition(span.line, span.column - 1), CodePosition(span.end_line, span.end_column - 1))
    return out, site_spans_of(state, count, starts, at)
