"""Positions without LibCST's PositionProvider: one code generation pass that tracks only
character offsets, and records them for the nodes that were asked for.

PositionProvider computes a range for every node, with a regular expression per token and a
context manager per node; here that pass costs about as much as plain code generation.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from contextlib import nullcontext
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange

from dynolint import ir

_NEWLINE = re.compile(r"\r\n?|\n")
_NULL = nullcontext()


class SiteCodegen(CodegenState):  # type: ignore[misc]
    """Code generation that only tracks offsets, and records spans for wanted nodes:
    ``wanted`` maps ``id(node)`` to a site number (nodes that ask for a syntactic position:
    expressions and statements)."""

    def __init__(self, default_indent: str, default_newline: str, wanted: dict[int, int]) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.offset = 0
        self.wanted = wanted
        self.found: dict[int, tuple[int, int]] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.tokens.append(token)
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Any = None,
                                  end_node: Any = None) -> Any:
        site = self.wanted.get(id(node))
        if site is None:
            return _NULL
        return _Recorder(self, site)


class _Recorder:
    __slots__ = ("state", "site", "start")

    def __init__(self, state: SiteCodegen, site: int) -> None:
        self.state = state
        self.site = site
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *exc: object) -> None:
        self.state.found.setdefault(self.site, (self.start, self.state.offset))


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


def _concrete(types: tuple[type, ...]) -> frozenset[type]:
    """The concrete node classes among ``types`` and their subclasses (an ``isinstance``
    against LibCST's abstract bases costs an ABC check per node; a set lookup does not)."""
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
    in the one code generation pass."""

    def __init__(self, module: cst.Module, types: tuple[type, ...], wanted: dict[int, int] | None = None) -> None:
        super().__init__(module.default_indent, module.default_newline, wanted or {})
        self.types = _concrete(types)
        self.nodes: list[cst.CSTNode] = []
        self.spans: list[tuple[int, int]] = []
        self._open: list[tuple[int, int]] = []  # (index in nodes, start offset)
        self._syntactic: dict[int, tuple[int, int]] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in self.types:
            self._open.append((len(self.nodes), self.offset))
            self.nodes.append(node)
            self.spans.append((0, 0))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in self.types:
            index, start = self._open.pop()
            self.spans[index] = self._syntactic.pop(id(node), (start, self.offset))

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Any = None,
                                  end_node: Any = None) -> Any:
        site = self.wanted.get(id(node))
        if type(node) not in self.types:
            return _NULL if site is None else _Recorder(self, site)
        return _SyntacticRecorder(self, node, site)


class _SyntacticRecorder:
    __slots__ = ("state", "node", "site", "start")

    def __init__(self, state: _TypedCodegen, node: cst.CSTNode, site: int | None) -> None:
        self.state = state
        self.node = node
        self.site = site
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *exc: object) -> None:
        where = (self.start, self.state.offset)
        self.state._syntactic.setdefault(id(self.node), where)
        if self.site is not None:
            self.state.found.setdefault(self.site, where)


def site_spans_of(found: dict[int, tuple[int, int]], starts: list[int], count: int) -> tuple[ir.Span, ...]:
    """The spans of sites 0 .. count-1 from their recorded offsets (unrecorded: 1:1)."""
    return tuple(span_of(starts, *found.get(index, (0, 0))) for index in range(count))


def node_positions(module: cst.Module, types: tuple[type, ...]) -> dict[cst.CSTNode, CodeRange]:
    """CodeRanges (as LibCST's PositionProvider gives them: 1-based lines, 0-based columns)
    for every node of ``types`` in ``module``, in source order, from one offset-tracking code
    generation pass (no visitor, no metadata)."""
    return positions_and_sites(module, types, {}, 0)[0]


def positions_and_sites(module: cst.Module, types: tuple[type, ...], wanted: dict[int, int],
                        count: int) -> tuple[dict[cst.CSTNode, CodeRange], tuple[ir.Span, ...]]:
    """:func:`node_positions` and the spans of the ``count`` sites of ``wanted`` (id of node
    -> site, as :func:`dynolint.summarize.site_spans`), from the same one pass."""
    state = _TypedCodegen(module, types, wanted)
    module._codegen(state)
    starts = line_starts("".join(state.tokens))
    out: dict[cst.CSTNode, CodeRange] = {}
    for node, (start, end) in zip(state.nodes, state.spans):
        span = span_of(starts, start, end)
        out[node] = CodeRange(CodePosition(span.line, span.column - 1), CodePosition(span.end_line, span.end_column - 1))
    return out, site_spans_of(state.found, starts, count)
