"""The run's memory budget (--max-memory, dynolint.memory): a worker over its part is killed
and its file reported, a worker that keeps a large file's memory is replaced, the main
process skips (and reports) analysis roots once over its part, and the report never says
"All checks passed" when something was not analysed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dynolint.memory import Budget, budget, private_mb, resident_mb
from dynolint.engine.workers import Failed, WorkerPool, can_fork

pytestmark = pytest.mark.skipif(not can_fork() or not os.path.exists("/proc/self/smaps_rollup"),
                                reason="the budget is enforced where workers fork and /proc shows memory")

RACY = '''import boto3
table = boto3.resource("dynamodb").Table("t")


def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]}).get("Item")
    if item is None:
        table.put_item(Item={"pk": event["id"], "n": 1})
'''

_held: list[bytes] = []


def _task(item: str) -> tuple[str, int]:
    """'hog': takes 300 MB for a few seconds; 'keep': takes 120 MB and keeps it; else nothing."""
    if item == "hog":
        block = b"x" * (300 << 20)
        time.sleep(5)
        return item + str(len(block) > 0), os.getpid()
    if item == "keep":
        _held.append(b"y" * (120 << 20))
    return item, os.getpid()


def test_the_parts_of_the_budget() -> None:
    parts = Budget(2560, 2)
    assert parts.worker_mb == 512 and parts.main_mb == 1536
    assert budget(type("O", (), {"max_memory": 0, "jobs": 2})()) is None
    assert budget(type("O", (), {"max_memory": 700, "jobs": 4})()) == Budget(700, 4)
    assert budget(type("O", (), {"max_memory": None, "jobs": 8})()) == Budget(11 * 512, 8)


def test_memory_is_measured_here() -> None:
    here = resident_mb()
    own = private_mb(os.getpid())
    assert here is not None and own is not None and 0 < own <= here + 1


def test_a_worker_over_its_part_is_killed_and_its_task_reported_the_others_run() -> None:
    started = time.monotonic()
    with WorkerPool(None, Budget(1000, 2)) as pool:  # 200 MB per worker
        results = {index: outcome for index, outcome, _ in pool.map(_task, ["a", "hog", "b", "c"], 2)}
    hog = results[1]
    assert isinstance(hog, Failed) and "memory budget (200 MB" in hog.reason and "not analysed" in hog.reason
    assert [results[i][0] for i in (0, 2, 3)] == ["a", "b", "c"]  # type: ignore[index]
    assert time.monotonic() - started < 5  # killed as it went over, not after its 5 s


def test_without_a_budget_the_same_task_finishes() -> None:
    with WorkerPool(None, None) as pool:
        results = [outcome for _, outcome, _ in pool.map(_task, ["hog"], 1)]
    assert results[0][0] == "hogTrue"  # type: ignore[index]


@pytest.mark.parametrize("limited", [True, False])
def test_a_worker_that_keeps_a_large_files_memory_is_replaced(limited: bool) -> None:
    parts = Budget(750, 2) if limited else None  # 150 MB per worker: 120 MB kept is over three quarters
    with WorkerPool(None, parts) as pool:
        first = [outcome for _, outcome, _ in pool.map(_task, ["keep"], 1)]
        second = [outcome for _, outcome, _ in pool.map(_task, ["after"], 1)]
    assert first[0][0] == "keep" and second[0][0] == "after"  # type: ignore[index]
    assert (first[0][1] != second[0][1]) is limited  # type: ignore[index]


def _summaries(tmp_path: Path) -> list[object]:
    from dynolint.phase1.summarize import summarize

    return [summarize("a.py", RACY.encode()), summarize("b.py", RACY.replace('"t"', '"u"').encode())]


@pytest.mark.parametrize("memory_mb", [1.0, 0.0])
def test_the_main_process_over_its_part_skips_analysis_roots_and_says_so_per_file(
        tmp_path: Path, memory_mb: float) -> None:
    from dynolint.config import Config
    from dynolint.model.analysis import build
    from dynolint.model.infra import load_infra

    summaries = _summaries(tmp_path)
    model = build(summaries, Config(), load_infra({}, summaries), None, 0.0, memory_mb)  # type: ignore[arg-type]
    said = [(path, message) for path, message in model.problems if "memory budget" in message]
    if memory_mb:
        assert sorted(path for path, _ in said) == ["a.py", "b.py"]
        assert not model.interp.writes
    else:
        assert not said and len(model.interp.writes) == 2


def _check(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dynolint", "check", "--no-cache", "--jobs", "2", *args, "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_a_file_too_large_for_the_budget_is_reported_and_the_rest_checked(tmp_path: Path) -> None:
    (tmp_path / "racy.py").write_text(RACY)
    body = "".join(f"\ndef f{i}(event):\n    x = table.get_item(Key={{'pk': event['k{i}']}})\n    return [x, {i}]\n"
                   for i in range(6000))
    (tmp_path / "big.py").write_text(RACY + body)
    limited = _check(tmp_path, "--max-memory", "500")  # 100 MB per worker: big.py's parse takes more
    assert limited.returncode == 2, limited.stderr
    assert "big.py: its worker went over its part of the memory budget" in limited.stderr
    assert "racy.py:8:9: DYN101" in limited.stdout
    assert "All checks passed" not in limited.stderr and "findings may be missing" in limited.stderr
    free = _check(tmp_path, "--max-memory", "0")
    assert free.returncode == 1 and "big.py:8:9: DYN101" in free.stdout and "memory" not in free.stderr
