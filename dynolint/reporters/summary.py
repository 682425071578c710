"""The line ``dynolint check`` ends its text report with, on stderr:

    Found 3 findings in 2 files.
    [*] 2 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option).

    All checks passed (40 files checked).

A run that could not analyse everything (a file over ``--timeout`` or the memory budget, an
internal error, each said above it) never says "All checks passed": it says how many
problems it reported, and that findings may be missing.

"in 2 files" counts the files the findings are in; "fixable" the findings whose fix `--fix`
applies (marked ``[*]``: a rendered safe fix), "hidden" those whose fix is unsafe, which
`--unsafe-fixes` enables. (A fix that was not rendered is judged from the finding's plan.)
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


def summary_line(findings: list[Finding], checked: int, hidden: int = 0, unsafe_fixes: bool = False,
                 problems: int = 0) -> str:
    """The summary of a report: ``findings`` shown, out of ``checked`` files, ``hidden`` by
    the baseline; then, as ruff says it, how many ``--fix`` fixes (the ones marked ``[*]``) and
    how many more ``--unsafe-fixes`` would fix (with ``unsafe_fixes`` every fix counts for ``--fix``);
    and the ``problems`` reported above it (parts of the code not analysed)."""
    baseline = f" ({hidden} more in the baseline)" if hidden else ""
    incomplete = (f"\n{plural(problems, 'problem')} reported above: findings may be missing."
                  if problems else "")
    if not findings:
        head = "All checks passed" if not problems else "No findings"
        return head + f" ({plural(checked, 'file')} checked" + (f", {baseline[2:-1]}" if hidden else "") + ")." \
            + incomplete
    kinds = [fixability(finding) for finding in findings]
    safe, unsafe = kinds.count("safe"), kinds.count("unsafe")
    if unsafe_fixes:
        safe, unsafe = safe + unsafe, 0
    files = len({finding.path for finding in findings})
    line = f"Found {plural(len(findings), 'finding')} in {plural(files, 'file')}{baseline}."
    more = f"{unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option"
    if safe:
        line += f"\n[*] {safe} fixable with the `--fix` option" + (f" ({more})" if unsafe else "") + "."
    elif unsafe:
        line += f"\nNo fixes available ({more})."
    return line + incomplete


__all__ = ["fixability", "plural", "summary_line"]
