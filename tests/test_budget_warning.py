"""A root that runs out of its statement budget is said on stderr (a warning: the findings
stand), naming the function, instead of its later calls silently becoming unknown values.

``make test`` checks the mechanism with the budget lowered (the real budget of 60,000
statements takes two roots about 12 s of interpretation each); ``make fuzz``
(``DYNOLINT_FUZZ_EXAMPLES``) also runs the program at the real budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynolint.model import interp
from tests.conftest import findings_in
from tests.fuzzkit import FUZZING

FAN_OUT = 6  # each level calls the next six times, and the leaf reads: FAN_OUT**levels reads


def _program(levels: int) -> str:
    lines = ["import boto3", "", 't = boto3.resource("dynamodb").Table("t")', "",
             f"def f{levels}(k):", '    return t.get_item(Key={"pk": k})', ""]
    for level in range(levels - 1, -1, -1):
        lines += [f"def f{level}(k):", *(f'    f{level + 1}(k + "{level}{n}")' for n in range(FAN_OUT)), ""]
    lines += ["def handler(event, context):", '    f0(event["k"])', ""]
    return "\n".join(lines)


def _stopped(tmp_path: Path, levels: int) -> list[str]:
    (tmp_path / "deep.py").write_text(_program(levels))
    result = findings_in(tmp_path)
    assert not result.errors  # a limit reached, not an internal error: the exit status stays the findings'
    return [w for w in result.warnings if "stopped at its budget" in w]


def test_a_root_stopped_by_its_budget_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interp, "ROOT_BUDGET", 2_000)
    stopped = _stopped(tmp_path, levels=5)  # 7,776 reads (and as many calls) past 2,000 statements
    assert any("handler" in w and "deep.py" in w and "2,000 statements" in w for w in stopped), stopped


@pytest.mark.skipif(not FUZZING, reason="about 25 s: make fuzz runs it")
def test_the_real_budget_stops_a_deep_fan_out(tmp_path: Path) -> None:
    stopped = _stopped(tmp_path, levels=6)  # 46,656 reads past 60,000 statements (within the depth)
    assert any("handler" in w and "deep.py" in w for w in stopped), stopped


def test_a_small_root_says_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interp, "ROOT_BUDGET", 2_000)
    assert _stopped(tmp_path, levels=3) == []  # 216 reads: within even the lowered budget
