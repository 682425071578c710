"""A presence test kept in a flag or answered by a helper (``fresh = is_fresh(cached)`` with
``return entry is not None and ...``) is still the miss of a cache-aside read: DYN104, fixed
with the claim, and the fixed code computes the flag from the item taken out of a claim (a
claim read as a hit would send a waiter to ``cached["payload"]`` of a claim record).
Measured on dynalite with 20 real threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Lab
from .harness import report
from .test_racelab import SCENARIOS, fixed_copy, measure_stampede

pytestmark = pytest.mark.racelab


def test_flagged_stampede_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    before = measure_stampede(SCENARIOS / "stampede_flag", lab)
    report("stampede_flag", "original", before, ["callers", "api_calls", "answered", "errors"])
    assert before["errors"] == [] and before["api_calls"] == before["callers"]

    project, fixed = fixed_copy("stampede_flag", tmp_path)
    assert fixed == ["DYN104"]
    text = (project / "handler.py").read_text()
    assert text.index("dynolint_claim.unclaimed(cached)") < text.index("fresh = is_fresh(cached)")
    after = measure_stampede(project, lab, city="Lisbon")
    report("stampede_flag", "fixed", after, ["callers", "api_calls", "answered", "all_same", "errors"])
    assert after["errors"] == []
    assert after["api_calls"] == 1
    assert after["answered"] == after["callers"] and after["all_same"]
