"""``--output-format text``: ``path:line:col: CODE message``, as ruff prints."""

from __future__ import annotations

import os
import unicodedata
from typing import TYPE_CHECKING

from dynolint.findings import Finding, Severity

if TYPE_CHECKING:
    from dynolint.baseline import SourceLines

_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    if 0xDC80 <= point <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{point - 0xDC00:02x}"
    if point <= 0xFF:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}"


_BACKSLASH_IN_NAMES = os.sep == "/"  # on Windows it is the separator, never escaped


def _needs_escape(char: str) -> bool:
    # controls (C0, DEL, C1), surrogates, and the Unicode line and paragraph separators
    if char == "\\":
        return _BACKSLASH_IN_NAMES
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")


def escape_path(path: str) -> str:
    """A path as one unambiguous line. A file name may hold a newline, other control
    characters or (from a non-UTF-8 name) undecodable bytes; those would break the
    one-line format or the output stream, so the path is then written with backslash
    escapes (``\\n``, ``\\x1b``, ``\\xe9`` for a raw byte), and a backslash in it as ``\\\\``
    so that an escape cannot be mistaken for a name that holds one. Other paths, non-ASCII
    ones included, are printed as they are."""
    if not any(_needs_escape(c) for c in path if c == "\\" or not c.isprintable()):
        return path
    return "".join(_escape_char(c) if _needs_escape(c) else c for c in path)


def escape_text(text: str) -> str:
    """A message on one line: control characters (and undecodable bytes) escaped, the rest,
    backslashes included, as it is."""
    if all(c.isprintable() or c == " " for c in text):
        return text
    return "".join(_escape_char(c) if c != "\\" and _needs_escape(c) else c for c in text)


_COLORS = {Severity.ERROR: "1;31", Severity.WARNING: "1;33", Severity.INFO: "1;36"}  # red, yellow, cyan


def _frame(lines: list[str], path: str, shown_path: bool, sources: SourceLines, line: int, column: int,
           end_line: int, end_column: int, label: str) -> None:
    """A ruff-style code frame: the source line, and a caret under the span with ``label``."""
    text = sources.text(path, line, line)
    if not text:
        return
    text = text.expandtabs(1)
    if shown_path:
        lines.append(f"  ::: {escape_path(path)}:{line}:{column}")
    width = len(str(line))
    last = end_column if end_line == line and end_column > column else len(text) + 1
    carets = "^" * max(1, min(last, len(text) + 1) - column)
    lines.append(f"{line:>{width + 2}} | {escape_text(text)}")
    lines.append(f"{'':>{width + 2}} | {' ' * (column - 1)}{carets}{' ' + escape_text(label) if label else ''}")


def fixable_now(finding: Finding, unsafe_fixes: bool = False) -> bool:
    """Does ``dynolint check --fix`` (with ``unsafe_fixes``: ``--fix --unsafe-fixes``) fix it?
    Only a rendered fix counts (the text report renders the safe ones)."""
    return finding.fix is not None and (unsafe_fixes or finding.fix.applicability == "safe")


def render_text(findings: list[Finding], color: bool = False, explain: bool = False,
                sources: SourceLines | None = None, unsafe_fixes: bool = False) -> str:
    """One line per finding, ``[*]`` after the code when ``--fix`` fixes it (as ruff marks
    them; with ``unsafe_fixes``, unsafe fixes too); with ``explain``, a race is followed by
    its two requests' interleaving, one numbered step a line; with ``sources``
    (``--output-format full``), a code frame of the flagged code and of each related location
    (read site, call chain, tenant source), as ruff's full output shows."""
    from dynolint.reporters.interleaving import interleaving

    lines: list[str] = []
    for finding in sorted(findings, key=Finding.sort_key):
        code = f"\x1b[{_COLORS[finding.severity]}m{finding.code}\x1b[0m" if color else finding.code
        if fixable_now(finding, unsafe_fixes):
            code += " \x1b[36m[*]\x1b[0m" if color else " [*]"
        where = f"{escape_path(finding.path)}:{finding.line}:{finding.column}:"
        if color:
            where = f"\x1b[1m{where}\x1b[0m"
        lines.append(f"{where} {code} {escape_text(finding.message)}")
        if sources is not None:
            _frame(lines, finding.path, False, sources, finding.line, finding.column, finding.end_line,
                   finding.end_column, "")
            for related in finding.related:
                _frame(lines, related.path, related.path != finding.path, sources, related.line, related.column,
                       related.end_line, related.end_column, related.message)
            lines.append("")
        if explain:
            lines.extend(f"    {step.order}. {escape_path(step.path)}:{step.line}: {escape_text(step.message)}"
                         for step in interleaving(finding))
    return "\n".join(lines) + ("\n" if lines else "")
