"""Syntax newer than a file's target, in a module its parser accepted (DYN000).

The parser that accepted a module knows more syntax than the file's target may allow: LibCST's
parser accepts every construct it knows whatever version it is told (it judges files whose
target is newer than the running CPython), and the running CPython's ``compile`` accepts all
of its own syntax (it judges files whose target is as old as it, or older). Each construct
that a Python version introduced is in :data:`FEATURES` with that version; a module whose
parser may have accepted one newer than its target (``target < version <= ceiling``) is
searched for it.

The cost is kept off files that use none: a feature's bytes test (a regular expression that
every use of the feature matches, and that little else does) must match the source before
the tree is walked at all, and only the features newer than the target are looked for (none,
for a file CPython judged whose target is at least the running version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import libcst as cst

from dynolint.phase1.pyversions import Version


@dataclass(frozen=True)
class Feature:
    name: str  # as the message spells it
    version: Version  # the first Python that accepts it
    where: re.Pattern[bytes]  # matches the source wherever the feature may be used


_QUOTES = rb"""(?:"[^"\n]*\{[^"}\n]*(?:["\\#]|$)|'[^'\n]*\{[^'}\n]*(?:['\\#]|$)|\"\"\"|''')"""

MATCH = Feature("a `match` statement (PEP 634)", (3, 10),
                re.compile(rb"^[ \t]*match\b(?![ \t]*(?:[=.,)\]:]|[-+*/%&|^@<>]=))", re.M))
EXCEPT_STAR = Feature("`except*` (PEP 654)", (3, 11), re.compile(rb"(?<![\w.])except[ \t]*\*"))
TYPE_PARAMS = Feature("type parameters (`def f[T]`, `class C[T]`: PEP 695)", (3, 12),
                      re.compile(rb"(?<![\w.])(?:def|class|type)\s+\w+\s*\["))
TYPE_ALIAS = Feature("a `type` statement (PEP 695)", (3, 12), re.compile(rb"(?<![\w.])type\s+\w+\s*[\[=]"))
FSTRING = Feature("an f-string of PEP 701", (3, 12), re.compile(rb"(?<![\w.])(?:[fF][rR]?|[rR][fF])" + _QUOTES, re.M))
TYPE_DEFAULT = Feature("a type parameter default (`[T = str]`: PEP 696)", (3, 13),
                       re.compile(rb"(?<![\w.])(?:def|class|type)\s+\w+\s*\["))
EXCEPT_TUPLE = Feature("`except A, B:` without parentheses (PEP 758)", (3, 14),
                       re.compile(rb"(?<![\w.])except\b[^:\n]*,"))
TSTRING = Feature("a t-string (`t\"...\"`: PEP 750)", (3, 14), re.compile(rb"(?<![\w.])(?:[tT][rR]?|[rR][tT])[\"']"))

FEATURES: tuple[Feature, ...] = (MATCH, EXCEPT_STAR, TYPE_PARAMS, TYPE_ALIAS, FSTRING, TYPE_DEFAULT,
                                 EXCEPT_TUPLE, TSTRING)

_EMPTY = cst.Module(body=[])


def candidates(source: bytes, target: Version, ceiling: Version) -> tuple[Feature, ...]:
    """The features newer than ``target`` that a parser knowing ``ceiling`` accepts and
    that ``source`` may use (their bytes test matches)."""
    return tuple(f for f in FEATURES if target < f.version <= ceiling and f.where.search(source) is not None)


def too_new(module: cst.Module, source: bytes, target: Version,
            ceiling: Version) -> tuple[Feature, cst.CSTNode] | None:
    """The newest feature newer than ``target`` that ``module`` uses (a parser knowing
    ``ceiling`` accepted it), with its first use; None when there is none."""
    wanted = candidates(source, target, ceiling)
    if not wanted:
        return None
    finder = _Finder(wanted)
    module.visit(finder)
    if not finder.found:
        return None
    newest = max(finder.found, key=lambda feature: feature.version)  # the first found among the newest
    node, name = finder.found[newest]
    return Feature(name, newest.version, newest.where), node


def message(feature: Feature, target: Version) -> str:
    return (f"{feature.name} needs Python {feature.version[0]}.{feature.version[1]}; "
            f"the project targets {target[0]}.{target[1]}")


class _Finder(cst.CSTVisitor):
    """Notes the first use of each wanted feature, in source order."""

    def __init__(self, wanted: Sequence[Feature]) -> None:
        super().__init__()
        self.wanted = frozenset(wanted)
        self.found: dict[Feature, tuple[cst.CSTNode, str]] = {}  # feature -> first use, what it is
        self.quotes: list[tuple[str, cst.FormattedString]] = []  # the f-strings we are in: closing quote, node
        self.fields = 0  # depth of replacement-field expressions of f-strings we are in

    def note(self, feature: Feature, node: cst.CSTNode, name: str = "") -> None:
        if feature in self.wanted and feature not in self.found:
            self.found[feature] = node, name or feature.name

    def visit_Match(self, node: cst.Match) -> None:
        self.note(MATCH, node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.note(EXCEPT_STAR, node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if isinstance(node.type, cst.Tuple) and not node.type.lpar:
            self.note(EXCEPT_TUPLE, node.type)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if isinstance(node.type, cst.Tuple) and not node.type.lpar:
            self.note(EXCEPT_TUPLE, node.type)

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        self.note(TYPE_ALIAS, node)

    def visit_TypeParam(self, node: cst.TypeParam) -> None:
        self.note(TYPE_PARAMS, node.param.name)
        if node.default is not None:
            self.note(TYPE_DEFAULT, node.default)

    def visit_TemplatedString(self, node: cst.TemplatedString) -> None:
        self.note(TSTRING, node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self.quotes.append((node.end, node))

    def leave_FormattedString(self, original_node: cst.FormattedString) -> None:
        self.quotes.pop()

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        if FSTRING in self.wanted and FSTRING not in self.found and self.quotes:
            quote, outer = self.quotes[-1]
            field = _EMPTY.code_for_node(node)
            expression = "".join(_EMPTY.code_for_node(part) for part in (
                node.whitespace_before_expression, node.expression, node.whitespace_after_expression))
            if quote in field:
                self.note(FSTRING, outer, f"an f-string reusing its quote {quote} inside a replacement field (PEP 701)")
            elif "\\" in expression:
                self.note(FSTRING, outer, "a backslash in an f-string's replacement field (PEP 701)")
            elif len(quote) == 1 and "\n" in field:
                self.note(FSTRING, outer, "a line break in a replacement field of a one-line f-string (PEP 701)")
        self.fields += 1

    def leave_FormattedStringExpression(self, original_node: cst.FormattedStringExpression) -> None:
        self.fields -= 1

    def visit_Comment(self, node: cst.Comment) -> None:
        if self.fields and self.quotes:  # a comment inside a replacement field
            self.note(FSTRING, self.quotes[-1][1], "a comment in an f-string's replacement field (PEP 701)")
