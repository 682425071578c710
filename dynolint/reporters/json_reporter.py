"""``--output-format json``: the array described in RULES.md."""

from __future__ import annotations

import json

from dynolint.findings import Finding


def render_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_json() for f in sorted(findings, key=Finding.sort_key)], indent=2,
                      ensure_ascii=True) + "\n"
