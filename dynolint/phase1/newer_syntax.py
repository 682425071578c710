"""Syntax newer than a file's target, in a module its parser accepted (DYN000).

The parser that accepted a module knows more syntax than the file's target may allow: LibCST's
parser accepts every construct it knows whatever version it is told (it judges files whose
target is newer than the running CPython), and the running CPython's ``compile`` accepts all
of its own syntax (it judges files whose target is as old as it, or older). Each construct
that a Python version introduced is in :data:`FEATURES` with that version; a module whose
parser may have accepted one newer than its target (``target < version <= ceiling``) is
searched for it.

The cost is kept off files that use none: only the features newer than the target are looked
for (none, for a file CPython judged whose target is at least the running version), and the
tree is walked only when one's bytes test (true for every use of the feature, and for little
else: a regular expression that starts with a literal, or ``bytes.find``) holds for the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import libcst as cst

from dynolint.phase1.pyversions import Version


@dataclass(frozen=True)
class Feature:
    name: str  # as the message spells it
    version: Version  # the first Python that accepts it
    used: Callable[[bytes], object]  # true for every source that uses the feature (and for little else)


def _search(*patterns: bytes) -> Callable[[bytes], bool]:
    """Whether any of ``patterns`` matches. Each starts with a literal, which the regular
    expression engine finds as fast as ``bytes.find`` does (a class or a look-behind first
    costs ten to thirty times as much over a file)."""
    compiled = [re.compile(pattern) for pattern in patterns]
    return lambda source: any(pattern.search(source) is not None for pattern in compiled)


_MATCH = re.compile(rb"match\b(?![ \t]*(?:[=.,)\]:]|[-+*/%&|^@<>]=))")


def _match_statement(source: bytes) -> bool:
    """``match`` first on a line, and not assigned, an attribute's owner or an argument."""
    for found in _MATCH.finditer(source):
        line = source.rfind(b"\n", 0, found.start()) + 1
        if not source[line:found.start()].strip(b" \t"):
            return True
    return False


_NOT_BEFORE_PREFIX = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:#")
_TSTRING_ENDS = ((b't"', b""), (b"t'", b""), (b'T"', b""), (b"T'", b""),
                 (b'r"', b"tT"), (b"r'", b"tT"), (b'R"', b"tT"), (b"R'", b"tT"))


def _tstring(source: bytes) -> bool:
    """A ``t``, ``rt`` or ``tr`` prefix and its quote, after no word, dot, ``:`` or ``#``
    (DynamoDB's placeholders end in a ``t`` inside strings: ``":t"``, ``"#t"``)."""
    for quoted, before_r in _TSTRING_ENDS:
        at = source.find(quoted)
        while at >= 0:
            before = at - 1
            if before_r:  # ``tr"``: the ``t`` first
                if before < 0 or source[before] not in before_r:
                    at = source.find(quoted, at + 1)
                    continue
                before -= 1
            elif before >= 0 and source[before] in b"rR":  # ``rt"``
                before -= 1
            if before < 0 or source[before] not in _NOT_BEFORE_PREFIX:
                return True
            at = source.find(quoted, at + 1)
    return False


_TYPE_PARAMS = _search(rb"def[ \t]+\w+[ \t]*\[", rb"class[ \t]+\w+[ \t]*\[", rb"type[ \t]+\w+[ \t]*\[")
# an f-string's prefix, then a replacement field on the line of the opening quote that holds
# the quote, a backslash or a comment or goes on past the line's end; any triple-quoted f-string
_FSTRING = re.compile(rb"""[fF][rR]?(?:"[^"\n]*\{[^"}\n]*(?:["\\#]|$)|'[^'\n]*\{[^'}\n]*(?:['\\#]|$)|""" +
                      rb'"""' + rb"|''')", re.M)

MATCH = Feature("a `match` statement (PEP 634)", (3, 10), _match_statement)
EXCEPT_STAR = Feature("`except*` (PEP 654)", (3, 11), _search(rb"except[ \t]*\*"))
TYPE_PARAMS = Feature("type parameters (`def f[T]`, `class C[T]`: PEP 695)", (3, 12), _TYPE_PARAMS)
TYPE_ALIAS = Feature("a `type` statement (PEP 695)", (3, 12), _search(rb"type[ \t]+\w+[ \t]*[\[=]"))
FSTRING = Feature("an f-string of PEP 701", (3, 12), _FSTRING.search)
TYPE_DEFAULT = Feature("a type parameter default (`[T = str]`: PEP 696)", (3, 13), _TYPE_PARAMS)
EXCEPT_TUPLE = Feature("`except A, B:` without parentheses (PEP 758)", (3, 14),
                       _search(rb"except\b[ \t]*\*?[ \t]*(?:[^\s(:][^:\n]*|\([^)\n]*\)[ \t]*),"))
TSTRING = Feature("a t-string (`t\"...\"`: PEP 750)", (3, 14), _tstring)

FEATURES: tuple[Feature, ...] = (MATCH, EXCEPT_STAR, TYPE_PARAMS, TYPE_ALIAS, FSTRING, TYPE_DEFAULT,
                                 EXCEPT_TUPLE, TSTRING)

_EMPTY = cst.Module(body=[])


def candidates(source: bytes, target: Version, ceiling: Version) -> tuple[Feature, ...]:
    """The features newer than ``target`` that a parser knowing ``ceiling`` accepts and
    that ``source`` may use (their bytes test matches)."""
    return tuple(f for f in FEATURES if target < f.version <= ceiling and f.used(source))


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
    return Feature(name, newest.version, newest.used), node


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
