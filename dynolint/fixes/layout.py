"""Code a reviewer merges: the lines a fix writes stay within the project's line length.

A call (or a dict or list in it) that a fix made and that no longer fits on its line is laid
out as black lays it out: one argument (element) a line, indented one level more than the line
it starts on, with a trailing comma, and the closing bracket on a line of its own. The outermost
bracket of the line goes first, then whatever still does not fit inside it. Only what the fixes
wrote is touched (a line of the user's that was long already stays as it is), and a line that
no split can shorten (a long string) is left long, as black leaves it.

The line length is the project's (:func:`dynolint.fixes.projectconf.line_length`).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Container

import libcst as cst
from libcst._position import CodePosition, CodeRange

from dynolint.fixes import exprlayout
from dynolint.fixes.cstutil import contains, walk
from dynolint.phase1.positions import SiteCodegen, _TypedCodegen, generate, line_starts, span_of

_NEWLINE = re.compile(r"\r\n?|\n")
BRACKETS = (cst.Call, cst.Dict, cst.List)
RECORDED = (*BRACKETS, cst.SimpleString)
ROUNDS = 64  # the most brackets (strings, expressions) :func:`fit` splits in one tree


class _All:
    """The set of every id (what is under a root that is itself eligible)."""

    def __contains__(self, item: object) -> bool:
        return True


_ALL = _All()
Render = Callable[[cst.CSTNode], tuple[str, dict[cst.CSTNode, CodeRange]]]


def renderer(default_indent: str, default_newline: str, indents: list[str]) -> Render:
    """Code of a node standing inside blocks indented by ``indents``, and the ranges of its
    brackets (lines 1-based from the node's first line, columns 0-based)."""
    module = cst.Module([], default_indent=default_indent, default_newline=default_newline)
    last: list[Any] = [None, None]  # the node rendered last and what it gave (``fit`` ends with it rendered)

    def render(node: cst.CSTNode) -> tuple[str, dict[cst.CSTNode, CodeRange]]:
        if node is last[0]:
            return last[1]  # type: ignore[no-any-return]
        last[:] = node, remember(node)
        return last[1]  # type: ignore[no-any-return]

    def remember(node: cst.CSTNode) -> tuple[str, dict[cst.CSTNode, CodeRange]]:
        state = _TypedCodegen(module, RECORDED)
        state.indent_tokens.extend(indents)
        generate(node, state)
        code = state.code()
        starts = line_starts(code)
        at = state.offsets()
        ranges = {}
        for found, (start, end) in zip(state.nodes, state.spans):
            span = span_of(starts, at[start], at[end])
            ranges[found] = CodeRange(CodePosition(span.line, span.column - 1),
                                      CodePosition(span.end_line, span.end_column - 1))
        return code, ranges

    return render


def code_of(node: cst.CSTNode, default_indent: str, default_newline: str, indents: list[str]) -> str:
    """What ``renderer(default_indent, default_newline, indents)(node)`` gives as code, without
    the ranges."""
    state = SiteCodegen(default_indent, default_newline, {})
    state.indent_tokens.extend(indents)
    generate(node, state)
    return state.code()


def fit(root: cst.CSTNode, eligible: Callable[[cst.CSTNode], bool], render: Render, limit: int, unit: str,
        first_column: int = 0, produced: set[int] | None = None, keep: list[cst.CSTNode] | None = None,
        first_indent: str = "", splits: list[int] | None = None) -> cst.CSTNode:
    """``root`` with the brackets that ``eligible`` accepts (the calls a fix wrote) split, one
    element a line, until the lines they are on fit in ``limit`` columns (``root``'s first line
    starts at ``first_column``). Nodes rebuilt on the way whose originals are in ``produced``
    are added to it (and kept alive in ``keep``), so that the fix's safety check still masks them.
    ``first_indent``: the indentation of the line ``root`` starts on, when ``root`` is rendered
    alone (a report's edit): the lines split from its first line are indented from it.
    ``splits``, when given, gets the number of replacements made (at most :data:`ROUNDS`)."""
    produced = produced if produced is not None else set()
    keep = keep if keep is not None else []
    splits = splits if splits is not None else []
    splits.append(0)
    commented: dict[int, tuple[cst.CSTNode, bool]] = {}  # id -> node, _commented(node): nodes never change
    for _ in range(ROUNDS):  # each round splits one bracket
        code, ranges = render(root)
        lines = _NEWLINE.split(code)  # as the positions count lines (CR-only files too)
        inside: Container[int] = _ALL  # every node rendered is under ``root``: when it is eligible, no walk
        if not (root in ranges and eligible(root)):
            inside = set()
            for node in ranges:  # outermost first: a node already inside brought its own nodes along
                if id(node) not in inside and eligible(node):
                    inside.update(id(inner) for inner in walk(node))

        def uncommented(node: cst.CSTNode) -> bool:
            known = commented.get(id(node))
            if known is None or known[0] is not node:
                known = commented[id(node)] = (node, _commented(node))
            return not known[1]

        def width(number: int) -> int:
            return len(lines[number - 1].rstrip("\r")) + (first_column if number == 1 else 0)

        def indent_of(number: int) -> str:
            return (first_indent if number == 1 else "") + _indent(lines[number - 1])

        target: tuple[cst.CSTNode, cst.CSTNode] | None = None
        ordered = sorted(ranges.items(), key=lambda item: (item[1].start.line, item[1].start.column))
        # a long line: the outermost bracket a fix wrote around it that is not laid out one element a
        # line yet (a call spread over lines as it was is laid out again); of several on the line, the
        # last (black's right-hand split)
        long_lines = [number for number in range(1, len(lines) + 1) if width(number) > limit]
        for line in long_lines:
            around = [(node, where) for node, where in ordered if isinstance(node, BRACKETS) and id(node) in inside
                      and where.start.line <= line <= where.end.line and _elements(node)
                      and not _exploded(node) and uncommented(node)]
            # a short call chained after a bracket (``table.get_item(...).get("Item")``) waits while that
            # bracket can be split: black splits it and keeps ``).get("Item")`` on the closing line
            around = [(node, where) for node, where in around if not _trailer_of(node, ranges, line)]
            outer = [(node, where) for node, where in around
                     if not any(other is not node and contains(other_where, where) for other, other_where in around)]
            if outer:
                node, where = outer[-1]
                target = (node, explode(node, indent_of(where.start.line), unit))
                break
        for node, where in ordered if target is None else ():  # then a long string on a line of its own
            line = where.start.line
            if isinstance(node, cst.SimpleString) and id(node) in inside and where.end.line == line \
                    and width(line) > limit:
                split = split_string(node, indent_of(line), unit, limit)
                if split is not None:
                    target = (node, split)
                    break
        if target is None:
            target = _long_argument(ordered, inside, lines, width, indent_of, unit, limit)
        if target is None:
            return root
        root = Replace([target], produced, keep).transform(root)
        splits[-1] += 1
    return root


def _long_argument(ordered: list[tuple[cst.CSTNode, CodeRange]], inside: Container[int], lines: list[str],
                   width: Callable[[int], int], indent_of: Callable[[int], str], unit: str,
                   limit: int) -> tuple[cst.CSTNode, cst.CSTNode] | None:
    """An expression (``a & (b | c)``) given as an argument of a call a fix wrote, laid out one
    argument a line, whose line is still too long: split at its operators as black splits it."""
    for node, where in ordered:
        if not isinstance(node, cst.Call) or id(node) not in inside or not _exploded(node):
            continue
        arg_indent = indent_of(where.start.line) + unit
        for arg in node.args:
            value = arg.value
            if not isinstance(value, exprlayout.EXPRESSIONS):
                continue
            text = cst.Module([]).code_for_node(value)
            if "\n" in text:
                continue
            keyword = len(arg.keyword.value) + 1 if arg.keyword is not None else len(arg.star)
            first = len(arg_indent) + keyword
            if first + len(text) + 1 <= limit:
                continue
            split = exprlayout.split_expression(value, first, 1, arg_indent, unit, limit)
            if split is not value:
                return value, split
    return None


def _trailer_of(node: cst.CSTNode, ranges: dict[cst.CSTNode, CodeRange], line: int) -> bool:
    """Is ``node`` a call of a method on a bracket (awaited or not) that holds ``line`` (the long line) and can
    still shorten it: not yet split, or split with ``line`` inside it rather than its closing
    line ``)...get("Item")``? Black splits that bracket and leaves the chained call whole."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False
    receiver = node.func.value
    while isinstance(receiver, (cst.Attribute, cst.Subscript, cst.Await)):  # (await t.get_item(...)).get
        receiver = receiver.expression if isinstance(receiver, cst.Await) else receiver.value
    where = ranges.get(receiver) if isinstance(receiver, BRACKETS) else None
    if where is None or not where.start.line <= line <= where.end.line:
        return False
    return not _exploded(receiver) or line < where.end.line


def _exploded(node: cst.CSTNode) -> bool:
    """Laid out one element a line already (a break after the opening bracket and each comma)."""
    opening = node.whitespace_before_args if isinstance(node, cst.Call) else \
        node.lbrace.whitespace_after if isinstance(node, cst.Dict) else node.lbracket.whitespace_after  # type: ignore[attr-defined]
    return isinstance(opening, cst.ParenthesizedWhitespace) and all(
        isinstance(item.comma, cst.Comma) and isinstance(item.comma.whitespace_after, cst.ParenthesizedWhitespace)
        for item in _elements(node))


def _commented(node: cst.CSTNode) -> bool:
    """Does the node's own layout hold a comment (laying it out again would lose it)?"""
    return any(isinstance(inner, cst.Comment) for inner in walk(node))


def _indent(text: str) -> str:
    return text[:len(text) - len(text.lstrip(" \t"))]


def split_string(node: cst.SimpleString, indent: str, unit: str, limit: int) -> cst.BaseExpression | None:
    """A long plain string as implicitly concatenated pieces in parentheses, one a line, cut
    after spaces (never inside an escape): the same value, in lines that fit where they can.
    A condition expression is cut between its top-level ``AND``/``OR`` clauses first, and
    inside a clause only when the clause alone does not fit."""
    quote = node.quote
    if node.prefix or len(quote) != 1 or node.lpar:
        return None
    body = node.value[len(quote):-len(quote)]
    room = max(limit - len(indent) - len(unit) - 2, 16)
    pieces: list[str] = []
    current = ""
    for clause in _clauses(body):
        if current and len(current + clause) + 1 > room:
            pieces.append(current)
            current = ""
        if len(current + clause) + 1 <= room:
            current += clause
            continue
        for word in clause.split(" "):  # a clause longer than a line: cut between its words
            candidate = f"{current} {word}" if current and not current.endswith(" ") else current + word
            if current and len(candidate) + 1 > room:
                pieces.append(current if current.endswith(" ") else current + " ")
                current = word
            else:
                current = candidate
    pieces.append(current)
    if "".join(pieces) != body:
        return None
    strings = [cst.SimpleString(f"{quote}{piece}{quote}") for piece in pieces]
    joined: cst.SimpleString | cst.ConcatenatedString = strings[-1]  # one piece: the string alone on its line fits
    for piece in reversed(strings[:-1]):
        joined = cst.ConcatenatedString(left=piece, right=joined, whitespace_between=_break(indent + unit))
    assert isinstance(joined, (cst.ConcatenatedString, cst.SimpleString))
    return joined.with_changes(lpar=[cst.LeftParen(whitespace_after=_break(indent + unit))],
                               rpar=[cst.RightParen(whitespace_before=_break(indent))])


def _clauses(text: str) -> list[str]:
    """``text`` cut after each ``AND``/``OR`` outside parentheses (the operator and its space
    end the clause before the cut): the pieces join to ``text``."""
    out: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char == " ":
            for word in ("AND ", "OR "):
                if text.startswith(word, i + 1):
                    out.append(text[start:i + 1 + len(word)])
                    start = i + 1 + len(word)
    out.append(text[start:])
    return [piece for piece in out if piece]


def _elements(node: cst.CSTNode) -> list[Any]:
    if isinstance(node, cst.Call):
        return list(node.args)
    if isinstance(node, (cst.Dict, cst.List)):
        return list(node.elements)
    return []


def _break(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), empty_lines=[], indent=False,
                                       last_line=cst.SimpleWhitespace(indent))


def explode(node: cst.CSTNode, indent: str, unit: str) -> cst.CSTNode:
    """``node`` (a call, dict or list on one line) with one element a line, as black splits it."""
    items = _elements(node)
    inner = _break(indent + unit)
    laid = [item.with_changes(comma=cst.Comma(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=inner if index < len(items) - 1 else _break(indent)))
            for index, item in enumerate(items)]
    if isinstance(node, cst.Call):
        laid = [arg.with_changes(whitespace_after_arg=cst.SimpleWhitespace("")) for arg in laid]
        return node.with_changes(whitespace_before_args=inner, args=laid)
    if isinstance(node, cst.Dict):
        return node.with_changes(lbrace=cst.LeftCurlyBrace(whitespace_after=inner),
                                 rbrace=cst.RightCurlyBrace(whitespace_before=cst.SimpleWhitespace("")),
                                 elements=laid)
    assert isinstance(node, cst.List)
    return node.with_changes(lbracket=cst.LeftSquareBracket(whitespace_after=inner),
                             rbracket=cst.RightSquareBracket(whitespace_before=cst.SimpleWhitespace("")),
                             elements=laid)


class Replace(cst.CSTTransformer):
    """Puts each new node of ``pairs`` (old, new) where its old one is; every node rebuilt on
    the way whose original was produced by a fix is produced too."""

    def __init__(self, pairs: list[tuple[cst.CSTNode, cst.CSTNode]], produced: set[int],
                 keep: list[cst.CSTNode]) -> None:
        super().__init__()
        self.new = {id(old): (old, new) for old, new in pairs}
        self.produced, self.keep = produced, keep
        self.path: set[int] = set()

    def transform(self, root: cst.CSTNode, path: set[int] | None = None) -> cst.CSTNode:
        """``root`` with the replacements; ``path``: the ids of the old nodes and of every node
        above them, when known (else found by walking ``root``)."""
        self.path = path if path is not None else {
            id(node) for old, _ in self.new.values() for node in _ancestors(root, old)}
        result = root.visit(self)
        assert isinstance(result, cst.CSTNode)
        return result

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.path

    def on_leave(self, original: cst.CSTNode, updated: Any) -> Any:
        pair = self.new.get(id(original))
        result = pair[1] if pair is not None and pair[0] is original else updated
        if result is not original and id(original) in self.produced:
            self.produced.add(id(result))
            self.keep.append(result)
        return result


def _ancestors(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode]:
    parents: dict[int, cst.CSTNode] = {}
    for node in walk(root, parents):
        if node is target:
            chain = [node]
            while id(chain[-1]) in parents:
                chain.append(parents[id(chain[-1])])
            return chain
    return []
