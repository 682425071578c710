"""A root that runs out of its statement budget is said on stderr (a warning: the findings
stand), naming the function, instead of its later calls silently becoming unknown values."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import findings_in

LEVELS = 6  # each level calls the next six times, and the leaf reads: 6**6 reads, past the budget (within the depth)
FAN_OUT = 6


def _program(levels: int = LEVELS) -> str:
    lines = ["import boto3", "", 't = boto3.resource("dynamodb").Table("t")', "",
             f"def f{levels}(k):", '    return t.get_item(Key={"pk": k})', ""]
    for level in range(levels - 1, -1, -1):
        lines += [f"def f{level}(k):", *(f'    f{level + 1}(k + "{level}{n}")' for n in range(FAN_OUT)), ""]
    lines += ["def handler(event, context):", '    f0(event["k"])', ""]
    return "\n".join(lines)


def test_a_root_stopped_by_its_budget_is_said(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text(_program())
    result = findings_in(tmp_path)
    stopped = [w for w in result.warnings if "stopped at its budget" in w]
    assert any("handler" in w and "deep.py" in w for w in stopped), result.warnings
    assert not result.errors  # a limit reached, not an internal error: the exit status stays the findings'


def test_a_small_root_says_nothing(tmp_path: Path) -> None:
    (tmp_path / "small.py").write_text(_program(levels=2))
    result = findings_in(tmp_path)
    assert not [w for w in result.warnings if "stopped at its budget" in w], result.warnings
