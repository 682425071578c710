"""Findings as LSP values: diagnostics, ranges in the client's position encoding, text
edits, and the link to each rule's page.

dynolint's lines and columns are 1-based code points (``end_column`` one past the last
character); LSP positions are 0-based, in the units the client negotiated (UTF-16 unless
it asked for another), so every column is counted again on the text of its line.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from lsprotocol import types as lsp

from dynolint import __version__
from dynolint.findings import Edit, Finding, Severity

SOURCE = "dynolint"
SEVERITIES = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
              Severity.INFO: lsp.DiagnosticSeverity.Information}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

Units = Callable[[str], int]  # code units of a string in the client's encoding


def split_lines(data: bytes) -> list[str]:
    """The lines of a file as Python (and LibCST) counts them, without their line breaks."""
    return _LINE_BREAK.split(data.decode("utf-8", "replace"))


def position(lines: list[str], line: int, column: int, units: Units) -> lsp.Position:
    """The LSP position of 1-based ``line`` and code-point ``column`` (past the last line:
    the start of the line after it, the end of the document)."""
    index = line - 1
    if index < 0:
        return lsp.Position(line=0, character=0)
    if index >= len(lines):
        return lsp.Position(line=len(lines), character=0)
    text = lines[index]
    return lsp.Position(line=index, character=units(text[:max(0, min(column - 1, len(text)))]))


def span(lines: list[str], line: int, column: int, end_line: int, end_column: int, units: Units) -> lsp.Range:
    start = position(lines, line, column, units)
    if end_line <= 0:  # a point
        return lsp.Range(start=start, end=start)
    return lsp.Range(start=start, end=position(lines, end_line, end_column, units))


def text_edits(edits: Iterable[Edit], lines: list[str], units: Units) -> list[lsp.TextEdit]:
    return [lsp.TextEdit(range=span(lines, e.line, e.column, e.end_line, e.end_column, units), new_text=e.content)
            for e in edits]


def uri_of(path: str) -> str:
    return Path(path).as_uri()


def diagnostic(finding: Finding, lines: list[str], lines_of: Callable[[str], list[str]],
               units: Units, root: Path) -> lsp.Diagnostic:
    """The finding as a diagnostic: its code, the rule's page, its severity, and its read
    site, tenant source and call chain as related information."""
    related = []
    for place in finding.related:
        path = place.path if os.path.isabs(place.path) else str(root / place.path)
        where = span(lines_of(path), place.line, place.column, place.end_line, place.end_column, units)
        related.append(lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=uri_of(path), range=where), message=place.message))
    page = rule_page(finding.code)
    return lsp.Diagnostic(
        range=span(lines, finding.line, finding.column, finding.end_line, finding.end_column, units),
        message=finding.message,
        severity=SEVERITIES.get(finding.severity, lsp.DiagnosticSeverity.Error),
        code=finding.code,
        code_description=lsp.CodeDescription(href=page) if page else None,
        source=SOURCE,
        related_information=related or None,
    )


@lru_cache(maxsize=None)
def rule_page(code: str) -> str | None:
    """A file:// URL of the rule's documentation page: ``docs/rules/<CODE>.md`` of the source
    tree dynolint runs from when it has one, else the same page rendered once into the
    user's cache directory (an installed wheel carries no docs/). None when neither works."""
    from dynolint.meta import documented_rule

    rule = documented_rule(code)
    if rule is None:
        return None
    shipped = Path(__file__).resolve().parents[2] / "docs" / "rules" / f"{rule.code}.md"
    if shipped.is_file():
        return shipped.as_uri()
    from dynolint.docs import render_rule

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    page = Path(base) / "dynolint" / "docs" / __version__ / f"{rule.code}.md"
    text = render_rule(rule)
    try:
        if not page.is_file() or page.read_text(encoding="utf-8") != text:
            page.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=page.parent, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, page)
    except OSError:
        return None
    return page.as_uri()


__all__ = ["SOURCE", "diagnostic", "position", "rule_page", "span", "split_lines", "text_edits", "uri_of"]
