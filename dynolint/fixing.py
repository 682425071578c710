"""Which fixes a run applies, and fixing source that is not a file (``dynolint fix -``,
``dynolint check --fix -``: an editor pipes the buffer in and reads the fixed text back)."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from dynolint.api import FixReport, Options, check_source
from dynolint.config import Config
from dynolint.findings import Finding


def fixes_to_apply(report: FixReport, unsafe: bool,
                   only: Callable[[Finding], bool] | None = None) -> dict[str, list[Finding]]:
    """The findings of ``report.before`` whose fixes the run applies, by file (unsafe ones
    only when ``unsafe``; with ``only``, just the findings it accepts); the others that have
    a fix plan go to ``report.skipped`` with the reason."""
    from dynolint.fixes import Skip

    by_file: dict[str, list[Finding]] = {}
    for finding in report.before.findings:
        if only is not None and not only(finding):  # e.g. only the files pre-commit passed
            continue
        if finding.fix is None:
            if finding.plan is not None:
                reason = finding.plan.reason if isinstance(finding.plan, Skip) else "the fix could not be made"
                report.skipped.append((finding, reason))
            continue
        if finding.fix.applicability == "unsafe" and not unsafe:
            report.skipped.append((finding, "unsafe fix: run with --unsafe-fixes to apply it"))
            continue
        by_file.setdefault(finding.path, []).append(finding)
    return by_file


def fix_text(source: bytes, path: str, config: Config, options: Options, unsafe: bool = False) -> FixReport:
    """Fix one source text reported as ``path``; nothing is written. ``changed`` holds
    ``(path, source, fixed)`` when a fix applied, and ``after`` the check of the fixed text."""
    report = FixReport(before=check_source(source, path, config, replace(options, want_fixes=True)))
    findings = fixes_to_apply(report, unsafe).get(path, [])
    if not findings:
        return report
    from pathlib import Path

    from dynolint.fixes import ClaimPlan, fix_source
    from dynolint.fixes.claimplace import place

    helper = None
    if any(isinstance(f.plan, ClaimPlan) for f in findings):
        # source that is not a file cannot bring a new module along: the project's claim helper must exist
        helper = place(config.root, config.claim_module, [Path(path)])
        if not helper.exists:
            report.skipped.extend((f, f"the claim helper module {helper.path} does not exist yet: run dynolint fix "
                                      "on the project once to write it") for f in findings if isinstance(f.plan, ClaimPlan))
            findings = [f for f in findings if not isinstance(f.plan, ClaimPlan)]
            helper = None
            if not findings:
                return report
    outcome = fix_source(source, findings, helper.import_into(Path(path)) if helper is not None else None)
    report.skipped.extend(outcome.skipped)
    if outcome.applied and outcome.source != source:
        report.applied.extend(outcome.applied)
        report.changed.append((path, source, outcome.source))
        report.after = check_source(outcome.source, path, config, options)
    return report


__all__ = ["fix_text", "fixes_to_apply"]
