"""``--output-format github``: GitHub Actions workflow commands, one per finding, which the
runner turns into annotations on the pull request's diff:

    ::error file=app/handler.py,line=8,endLine=8,col=5,endColumn=30,title=DYN101 unguarded-write-after-read::put_item overwrites ...

The title names the rule (code and name), the message says what is wrong here: GitHub shows
the title above the message, so neither repeats the other.

Severity error gives ``::error``, warning ``::warning``, info ``::notice``. Values are
escaped as the runner expects: ``%``, CR and LF everywhere, and ``:`` and ``,`` in
property values too.
"""

from __future__ import annotations

from dynolint.findings import Finding, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _surrogate(char: str) -> str:
    point = ord(char)
    if 0xDC80 <= point <= 0xDCFF:  # a raw byte (surrogateescape)
        return f"\\x{point - 0xDC00:02x}"
    return f"\\u{point:04x}" if 0xD800 <= point <= 0xDFFF else char


def _valid_unicode(text: str) -> str:
    """A file name that is not UTF-8 reaches us with its bytes as lone surrogates
    (surrogateescape), which cannot be written as UTF-8: they become ``\\xNN``."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return "".join(_surrogate(c) for c in text)


def escape_data(text: str) -> str:
    """The message after ``::``."""
    return _valid_unicode(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (``file=...``, ``title=...``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: list[Finding]) -> str:
    lines = []
    for finding in sorted(findings, key=Finding.sort_key):
        properties = [
            ("file", finding.path),
            ("line", str(finding.line)),
            ("endLine", str(max(finding.end_line, finding.line))),
            ("col", str(finding.column)),
            ("endColumn", str(finding.end_column)),
            ("title", f"{finding.code} {finding.name}"),
        ]
        if finding.end_column <= 0:
            properties = [p for p in properties if p[0] != "endColumn"]
        joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
        lines.append(f"::{COMMANDS[finding.severity]} {joined}::{escape_data(finding.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


__all__ = ["render_github", "escape_data", "escape_property"]
