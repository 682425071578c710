"""``--statistics``: how many findings each code has, as ruff prints them.

Text: one line per code, most frequent first: count, code, ``[*]`` when a safe fix
exists for at least one of them, and the rule's name. JSON: the same as an array of
``{"code", "name", "count", "fixable"}``.
"""

from __future__ import annotations

import json
from collections import Counter

from dynolint.findings import Finding
from dynolint.reporters.summary import fixability


def statistics(findings: list[Finding]) -> list[dict[str, object]]:
    counts = Counter(f.code for f in findings)
    names = {f.code: f.name for f in findings}
    fixable = {f.code for f in findings if fixability(f) == "safe"}  # a plan counts: text renders no fixes
    return [{"code": code, "name": names[code], "count": count, "fixable": code in fixable}
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def render_statistics(findings: list[Finding], output_format: str = "text") -> str:
    rows = statistics(findings)
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(row["count"])) for row in rows)
    lines = [f"{row['count']:>{width}}\t{row['code']}\t{'[*] ' if row['fixable'] else ''}{row['name']}"
             for row in rows]
    return "\n".join(lines) + "\n"


__all__ = ["render_statistics", "statistics"]
