"""What the four read-then-write rules share: turning a :class:`Race` into a finding."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.findings import Confidence, Finding, Severity

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.races import Race


def describe_write(race: Race) -> str:
    op = race.write.op
    if race.write.flavor == "pynamodb":
        return f"{op}()"
    return op


def race_finding(model: Model, race: Race, code: str, name: str, message: str,
                 severity: Severity = Severity.ERROR) -> Finding:
    write, read = race.write, race.read
    related = [model.related(read.loc, "item read here", "read")]
    related.extend(model.chain_related(read.chain, write.chain, kinds=("read-call", "write-call")))
    if race.costly is not None:
        label = "work dynolint cannot see into here" if race.unseen else "costly work here"
        related.append(model.related(race.costly.loc, f"{label}: {race.costly.what}", "costly"))
    same_frame = read.frame == write.frame
    confidence = Confidence.HIGH if same_frame and not race.unseen else Confidence.MEDIUM
    from dataclasses import replace

    from dynolint.fixes.planning import plan_for

    finding = model.finding(code, name, write.loc, message, severity, confidence, related)
    return replace(finding, plan=plan_for(model, race))
