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
              memory_mb: float = 0.0, focus: Focus | None = None,
              shares: list[list[ir.FileSummary]] | None = None) -> list[Finding]:
    """Build the model and run each rule over it. A failure while interpreting one function,
    or inside a rule on one item, is reported naming the file (and rule), and the rest of the
    run goes on. ``alongside(interpret)``, when given, runs the interpretation (which needs
    no positions) while it completes what the rules need. ``memory_mb`` is the main
    process's part of the memory budget (0: none). ``focus``: interpret only the roots it
    runs (model/footprint.py); a whole run leaves every root's footprint in
    ``result.footprints``. ``shares``: ``summaries`` split into whole import components
    (:mod:`dynolint.engine.shares`), the first analysed here and each other in a process of
    its own."""
    from dynolint.engine.shares import Outcome, Share

    display = display or {}

    def build(part: list[ir.FileSummary], outcome: Outcome) -> object:
        from dynolint.model.analysis import build

        try:
            model = build(part, config, infra, roots, timeout, memory_mb, focus)
        except Exception as exc:  # noqa: BLE001 - one bad model must not hide the rest of the report
            outcome.errors.append(f"internal error while building the program model: {exc!r}\n"
                                  + traceback.format_exc(limit=6))
            return None
        outcome.footprints = model.footprints
        outcome.errors.extend(_shown(problem, display) for problem in model.problems)
        outcome.warnings.extend(_shown(note, display) for note in model.interp.cut_short)
        return model

    def apply(model: object, outcome: Outcome) -> None:
        for rule_class in rules:
            rule = rule_class()
            for failure in rule.run(model, outcome.findings):  # type: ignore[arg-type]
                outcome.errors.append(_shown(failure, display))

    parts = shares if shares and len(shares) > 1 and focus is None else [summaries]
    others = [Share(part, build, apply) for part in parts[1:]]
    own = Outcome()
    built: list[object] = []
    try:
        if alongside is not None:
            alongside(lambda: built.append(build(parts[0], own)))
        else:
            built.append(build(parts[0], own))
        for share in others:
            share.send_positions({summary.path: summary.spans for summary in share.summaries})
        if built[0] is not None:
            apply(built[0], own)  # while the others run theirs
        outcomes = [own]
        for share in others:
            outcome = share.outcome()
            if outcome is None:  # its process failed: analysed here
                outcome = Outcome()
                model = build(share.summaries, outcome)
                if model is not None:
                    apply(model, outcome)
            outcomes.append(outcome)
    finally:
        for share in others:
            share.close()
    if len(outcomes) == 1:
        result.footprints = own.footprints
    else:
        footprints: dict = {}  # type: ignore[type-arg]
        for outcome in outcomes:
            footprints.update(outcome.footprints or {})
        result.footprints = footprints
    for outcome in outcomes:
        result.errors.extend(outcome.errors)
        result.warnings.extend(outcome.warnings)
    return [finding for outcome in outcomes for finding in outcome.findings]


def _shown(problem: tuple[str, str], display: dict[str, str]) -> str:
    path, message = problem
    return f"{display.get(path, path)}: {message}" if path else message
