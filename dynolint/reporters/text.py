"""``--output-format text``: ``path:line:col: CODE message``, as ruff prints."""

from __future__ import annotations

from dynolint.findings import Finding


def escape_path(path: str) -> str:
    """Control characters (a newline in a file name) would break the one-line format."""
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return path.encode("unicode_escape").decode("ascii")
    return path


def render_text(findings: list[Finding], color: bool = False) -> str:
    lines = []
    for finding in sorted(findings, key=Finding.sort_key):
        code = f"\x1b[1;31m{finding.code}\x1b[0m" if color else finding.code
        where = f"{escape_path(finding.path)}:{finding.line}:{finding.column}:"
        if color:
            where = f"\x1b[1m{where}\x1b[0m"
        lines.append(f"{where} {code} {finding.message}")
    return "\n".join(lines) + ("\n" if lines else "")
