"""The line ``dynolint check`` ends its text report with, on stderr:

    Found 3 findings in 2 files (2 fixable with `--fix`, 1 more with `--unsafe-fixes`).
    All checks passed (40 files checked).

"in 2 files" counts the files the findings are in; "fixable" the findings that have a fix
(rendered, or planned when the text report did not render fixes), safe ones for `--fix`
and the rest for `--unsafe-fixes`.
"""

from __future__ import annotations

from dynolint.findings import Finding


def fixability(finding: Finding) -> str | None:
    """"safe" or "unsafe" when the finding has a fix, else None. A fix that was not rendered
    (text output does not render them) is judged from the finding's plan."""
    if finding.fix is not None:
        return finding.fix.applicability
    from dynolint.fixes import Skip

    if finding.plan is None or isinstance(finding.plan, Skip):
        return None
    from dynolint.fixes import applicability

    return applicability(finding)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_line(findings: list[Finding], checked: int, hidden: int = 0, unsafe_fixes: bool = False) -> str:
    """The summary of a report: ``findings`` shown, out of ``checked`` files, ``hidden`` by
    the baseline; with ``unsafe_fixes`` the unsafe fixes count as fixable with `--fix`."""
    baseline = f"{hidden} more in the baseline" if hidden else ""
    if not findings:
        return f"All checks passed ({plural(checked, 'file')} checked" + (f", {baseline}" if hidden else "") + ")."
    kinds = [fixability(finding) for finding in findings]
    safe, unsafe = kinds.count("safe"), kinds.count("unsafe")
    if unsafe_fixes:
        safe, unsafe = safe + unsafe, 0
    fixable = []
    if safe:
        fixable.append(f"{safe} fixable with `--fix`")
    if unsafe:
        fixable.append(f"{unsafe} {'more ' if safe else ''}fixable with `--unsafe-fixes`")
    details = "; ".join(part for part in (", ".join(fixable), baseline) if part)
    files = len({finding.path for finding in findings})
    return (f"Found {plural(len(findings), 'finding')} in {plural(files, 'file')}"
            + (f" ({details})" if details else "") + ".")


__all__ = ["fixability", "plural", "summary_line"]
