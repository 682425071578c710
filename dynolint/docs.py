"""Rule documentation in Markdown, from the rules' own docs (for ``explain`` and docs/rules)."""

from __future__ import annotations

from dynolint.rules.base import Rule


def render_rule(rule: type[Rule]) -> str:
    lines = [f"# {rule.code} {rule.name}", "", rule.summary + ".", ""]
    for heading, body in rule.docs.sections():
        lines.extend([f"## {heading}", "", body, ""])
    return "\n".join(lines).rstrip() + "\n"
