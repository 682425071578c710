"""The code of a fixed function with the calls the fixes wrote laid out to fit the line
length (:func:`layout.fit`), fitted one statement at a time.

:func:`layout.fit` renders the tree it lays out once per bracket it splits, and walks it to
find what to split: for a claim rewrite that tree is the whole function, rendered three times
on average, when the calls the fix wrote are in one or two of its statements. A statement's
lines hold nothing but that statement, and a split in one statement changes no line of
another: so each statement that holds such calls is fitted alone (rendered with the
indentation of the blocks around it), which makes the same splits in the same statements as
fitting the whole function, and the function is rendered once, at the end.

The whole function is fitted as before when that might not hold: when a call the fix wrote
is outside every statement of the function (a decorator), when a node that may be split (a
call, dict, list, string or an operation in an argument) is in two places of the tree (what
is split is found by identity, and its place by its range), or when the statements together
need more splits than :func:`layout.fit` makes in one tree (:data:`layout.ROUNDS`: which of
them it would make depends on the order of the lines).
"""

from __future__ import annotations

from typing import Callable, cast

import libcst as cst

from dynolint.fixes import layout
from dynolint.fixes.cstutil import walk
from dynolint.fixes.exprlayout import EXPRESSIONS
from dynolint.phase1.positions import node_classes

_SPLIT = node_classes((*layout.RECORDED, *EXPRESSIONS))  # what a round of ``layout.fit`` finds by identity
_STATEMENTS = node_classes((cst.BaseStatement,))


def fit_code(root: cst.CSTNode, eligible: Callable[[cst.CSTNode], bool], default_indent: str,
             default_newline: str, indents: list[str], limit: int, column: int, produced: set[int],
             keep: list[cst.CSTNode], first_indent: str) -> str:
    """The code of ``root`` (standing inside blocks indented by ``indents``) once
    ``layout.fit(root, eligible, layout.renderer(default_indent, default_newline, indents),
    limit, default_indent, column, produced, keep, first_indent)`` has laid it out."""
    parents: dict[int, cst.CSTNode] = {}
    units = _statements(root, eligible, indents, default_indent, parents)
    if units is not None:
        splits: list[int] = []
        fitted: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        for statement, inner in units:
            render = layout.renderer(default_indent, default_newline, inner)
            new = layout.fit(statement, eligible, render, limit, default_indent, 0, produced, keep, "", splits)
            if new is not statement:
                fitted.append((statement, new))
        if sum(splits) <= layout.ROUNDS:
            path: set[int] = set()  # the statements changed and the nodes above them
            for old, _ in fitted:
                current: cst.CSTNode | None = old
                while current is not None:
                    path.add(id(current))
                    current = parents.get(id(current))
            root = layout.Replace(fitted, produced, keep).transform(root, path)
            return layout.code_of(root, default_indent, default_newline, indents)
    render = layout.renderer(default_indent, default_newline, indents)
    root = layout.fit(root, eligible, render, limit, default_indent, column, produced, keep, first_indent)
    return render(root)[0]  # the last round rendered it


def _statements(root: cst.CSTNode, eligible: Callable[[cst.CSTNode], bool], indents: list[str],
                default_indent: str, parents: dict[int, cst.CSTNode]) -> list[tuple[cst.BaseStatement, list[str]]] | None:
    """The outermost of the innermost statements under ``root`` (a compound statement, whose
    first line none of them starts on) that hold the nodes ``eligible`` accepts, each with the
    indentation of the blocks around it; None when they cannot be fitted one by one.
    ``parents`` gets the parent of each node under ``root``, by id (from the one walk of it)."""
    if not isinstance(root, cst.BaseCompoundStatement):
        return None
    seen: set[int] = set()
    wanted: list[cst.CSTNode] = []
    for node in walk(root, parents):
        if type(node) in _SPLIT:
            if id(node) in seen:
                return None
            seen.add(id(node))
        if eligible(node):
            wanted.append(node)
    holders: dict[int, cst.BaseStatement] = {}  # id -> the innermost statement holding an eligible node
    for node in wanted:
        current = parents.get(id(node))
        while current is not None and current is not root and type(current) not in _STATEMENTS:
            current = parents.get(id(current))
        if current is None or current is root:
            return None
        holders[id(current)] = cast(cst.BaseStatement, current)
    units: list[tuple[cst.BaseStatement, list[str]]] = []
    for statement in holders.values():
        blocks: list[str] = []
        current = parents.get(id(statement))
        while current is not None and current is not root and id(current) not in holders:
            if isinstance(current, cst.IndentedBlock):
                blocks.append(default_indent if current.indent is None else current.indent)
            current = parents.get(id(current))
        if current is root:  # not inside another holder
            units.append((statement, [*indents, *reversed(blocks)]))
    return units
