"""Phase 2 of a run: build the program model from the file summaries and run the rules over
it, reporting a failure in one function or one rule by file and going on."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from dynolint.phase1 import ir
    from dynolint.api import RunResult
    from dynolint.config import Config
    from dynolint.findings import Finding
    from dynolint.model.footprint import Focus
    from dynolint.model.project import Infra
    from dynolint.rules.base import Rule


def run_rules(summaries: list[ir.FileSummary], config: Config, infra: Infra, rules: list[type[Rule]],
              result: RunResult, roots: frozenset[str] | None = None, timeout: float = 0.0,
              display: dict[str, str] | None = None,
              alongside: Callable[[Callable[[], object]], None] | None = None,
              memory_mb: float = 0.0, focus: Focus | None = None) -> list[Finding]:
    """Build the model and run each rule over it. A failure while interpreting one function,
    or inside a rule on one item, is reported naming the file (and rule), and the rest of the
    run goes on. ``alongside(interpret)``, when given, runs the interpretation (which needs
    no positions) while it completes what the rules need. ``memory_mb`` is the main
    process's part of the memory budget (0: none). ``focus``: interpret only the roots it
    runs (model/footprint.py); a whole run leaves every root's footprint in
    ``result.footprints``."""
    from dynolint.model.analysis import Model, build

    display = display or {}
    built: list[Model] = []

    def interpret() -> None:
        try:
            built.append(build(summaries, config, infra, roots, timeout, memory_mb, focus))
        except Exception as exc:  # noqa: BLE001 - one bad model must not hide the rest of the report
            result.errors.append(f"internal error while building the program model: {exc!r}\n"
                                 + traceback.format_exc(limit=6))

    if alongside is not None:
        alongside(interpret)
    else:
        interpret()
    if not built:
        return []
    model = built[0]
    result.footprints = model.footprints
    result.errors.extend(_shown(problem, display) for problem in model.problems)
    result.warnings.extend(_shown(note, display) for note in model.interp.cut_short)
    findings: list[Finding] = []
    for rule_class in rules:
        rule = rule_class()
        for failure in rule.run(model, findings):
            result.errors.append(_shown(failure, display))
    return findings


def _shown(problem: tuple[str, str], display: dict[str, str]) -> str:
    path, message = problem
    return f"{display.get(path, path)}: {message}" if path else message
