"""Suppression comments and per-file ignores.

``# dynolint: ignore[DYN101]`` (or ``# noqa: DYN101``) on any line of the flagged
statement, or on the line just above it, suppresses that code there; a bare
``# dynolint: ignore`` suppresses every code. A reason may follow:
``# dynolint: ignore[DYN101] -- idempotent by design``.
"""

from __future__ import annotations

import fnmatch
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from dynolint.findings import Confidence, Finding, Severity

if TYPE_CHECKING:
    from dynolint.phase1 import ir
    from dynolint.api import Options, RunResult
    from dynolint.baseline import SourceLines
    from dynolint.config import Config


def code_matches(code: str, selectors: tuple[str, ...]) -> bool:
    """True when ``code`` is named by one of ``selectors`` (codes or prefixes, or ALL)."""
    upper = code.upper()
    return any(s.upper() == "ALL" or upper.startswith(s.upper()) for s in selectors)


_SUPPRESS_RE = re.compile(
    r"#\s*(?:dynolint:\s*(?P<kind>ignore)(?:\[(?P<codes>[^\]]*)\])?(?P<rest>.*)"
    r"|noqa\s*:\s*(?P<noqa>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))",
    re.IGNORECASE,
)
# A string literal (any prefix, quotes and escapes of Python 3.11, whose f-strings hold no
# comments) or a comment: scanning with it finds exactly the comment tokens of a module
# that compiles, at the speed of the regular expression engine (``tokenize`` is pure Python
# and cost a fifth of a parse on files that merely mention noqa).
_STRING_OR_COMMENT = re.compile(
    r"[rRbBuUfF]{0,2}(?:'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'"
    r'|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*")'
    r"|(?P<comment>#[^\r\n]*)",
    re.DOTALL,
)
_LINE_BREAK = re.compile(r"\r\n?|\n")


def suppressions_in(code: str) -> tuple[ir.Suppression, ...]:
    """``# dynolint: ignore[...]`` and ``# noqa: DYN...`` comments: in comments only, never
    in string literals."""
    from dynolint.phase1 import ir  # not at the top: a warm run reads no source and needs no IR

    found: list[ir.Suppression] = []
    starts: list[int] | None = None
    for token in _STRING_OR_COMMENT.finditer(code):
        comment = token.group("comment")
        match = _SUPPRESS_RE.search(comment) if comment is not None else None
        if match is None:
            continue
        if starts is None:
            starts = [0] + [m.end() for m in _LINE_BREAK.finditer(code)]
        line = bisect_right(starts, token.start())
        if match.group("kind"):
            raw = match.group("codes")
            codes = tuple(c.strip().upper() for c in raw.split(",") if c.strip()) if raw else None
            rest = (match.group("rest") or "").strip()
            reason = rest.lstrip("-—: ").strip()
            found.append(ir.Suppression(line, codes, reason, "dynolint"))
        else:
            codes = tuple(c.strip().upper() for c in match.group("noqa").split(","))
            found.append(ir.Suppression(line, codes, "", "noqa"))
    return tuple(found)


@dataclass
class SuppressionResult:
    kept: list[Finding]
    suppressed: list[Finding]
    used: set[tuple[str, int]]  # (path, comment line) of suppressions that suppressed something


def apply(findings: list[Finding], comments: dict[str, tuple[ir.Suppression, ...]],
          per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...]) -> SuppressionResult:
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    used: set[tuple[str, int]] = set()
    for finding in findings:
        if any(fnmatch.fnmatch(finding.path, pattern) and code_matches(finding.code, codes)
               for pattern, codes in per_file_ignores):
            suppressed.append(finding)
            continue
        first = finding.stmt_line or finding.line
        last = max(finding.stmt_end_line or finding.end_line, finding.line)
        hit = None
        for comment in comments.get(finding.path, ()):
            if not first - 1 <= comment.line <= last:
                continue
            if comment.codes is None or code_matches(finding.code, comment.codes):
                hit = comment
                break
        if hit is None:
            kept.append(finding)
        else:
            used.add((finding.path, hit.line))
            suppressed.append(finding)
    return SuppressionResult(kept, suppressed, used)


_COMMENT_RE = re.compile(r"#\s*dynolint\s*:\s*ignore\b.*$", re.IGNORECASE)


def _comment_on(line: str) -> tuple[int, str] | None:
    """(0-based column, text) of the ``# dynolint: ignore`` comment on ``line``."""
    for token in _STRING_OR_COMMENT.finditer(line):
        comment = token.group("comment")
        if comment is not None and _COMMENT_RE.match(comment):
            return token.start(), comment
    match = _COMMENT_RE.search(line)  # the line continues a string: fall back to the text
    return (match.start(), match.group(0).rstrip()) if match else None


def unused_suppression_findings(unused: Iterable[tuple[str, int]], lines_of: Callable[[str], list[str] | None],
                                ran: Iterable[str], rule_codes: Iterable[str]) -> list[Finding]:
    """DYN001 findings for the ``# dynolint: ignore`` comments at ``unused`` (path, line)
    that suppressed nothing. A comment is reported only when the run could have used it:
    every rule it names ran (a bare one: every rule ran), or it names no rule at all."""
    from dynolint.meta import UNUSED_SUPPRESSION

    ran_codes = set(ran)
    all_codes = set(rule_codes)
    findings: list[Finding] = []
    for path, number in unused:
        lines = lines_of(path)
        if lines is None or not 1 <= number <= len(lines):
            continue
        found = _comment_on(lines[number - 1])
        if found is None:
            continue
        column, text = found
        parsed = suppressions_in(text)
        codes = parsed[0].codes if parsed else None
        if codes is None:
            if not all_codes <= ran_codes:
                continue
            why = "no rule reported anything on this statement"
        else:
            named = {code for code in all_codes if code_matches(code, codes)}
            if named and not named <= ran_codes:
                continue
            why = (f"{', '.join(codes)} reported nothing on this statement" if named
                   else f"{', '.join(codes)} names no rule that dynolint runs")
        findings.append(Finding(
            UNUSED_SUPPRESSION[0], UNUSED_SUPPRESSION[1], path, number, column + 1, number, column + 1 + len(text),
            f"unused suppression: {why}", Severity.WARNING, Confidence.HIGH,
            stmt_line=number, stmt_end_line=number, context=text))
    return findings


def unused_suppressions(result: RunResult, config: Config, options: Options,
                        lines: SourceLines) -> list[Finding]:
    """DYN001 for the run's unused ``# dynolint: ignore`` comments. The flag asks for them, so
    ``--select`` does not filter them out; ``--ignore``, ``ignore`` and ``per-file-ignores`` do."""
    from dynolint.api import selected_rules
    from dynolint.meta import UNUSED_SUPPRESSION

    code = UNUSED_SUPPRESSION[0]
    if code_matches(code, tuple(config.ignore) + tuple(options.ignore)):
        return []
    ran = [rule.code for rule in selected_rules(config, options)]
    from dynolint.rules import REGISTRY

    findings = unused_suppression_findings(result.unused_suppressions, lines.lines, ran,
                                           [rule.code for rule in REGISTRY])
    return [f for f in findings if not any(fnmatch.fnmatch(f.path, pattern) and code_matches(code, codes)
                                           for pattern, codes in config.per_file_ignores)]
