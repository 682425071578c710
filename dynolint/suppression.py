"""Suppression comments and per-file ignores.

``# dynolint: ignore[DYN101]`` (or ``# noqa: DYN101``) on any line of the flagged
statement, or on the line just above it, suppresses that code there; a bare
``# dynolint: ignore`` suppresses every code. A reason may follow:
``# dynolint: ignore[DYN101] -- idempotent by design``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from dynolint import ir
from dynolint.findings import Finding


def code_matches(code: str, selectors: tuple[str, ...]) -> bool:
    """True when ``code`` is named by one of ``selectors`` (codes or prefixes, or ALL)."""
    upper = code.upper()
    return any(s.upper() == "ALL" or upper.startswith(s.upper()) for s in selectors)


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
