"""The report does not depend on the process's hash seed: set and dict orders of strings
change with PYTHONHASHSEED, and the paths the interpreter follows through values with
several alternatives (and so the reads, chains and related locations it reports) once did.
Run on a small connected corpus (bench/gen_connected.py: overrides, factories, shared
helpers), where four seeds gave three different reports before alternatives kept the order
they were met in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import gen_connected  # noqa: E402

SEEDS = ("0", "1", "2", "3")


def test_the_same_report_under_every_hash_seed(tmp_path: Path) -> None:
    gen_connected.write(tmp_path, gen_connected.build(domains=10, seed=7))
    runs = [subprocess.Popen([sys.executable, "-m", "dynolint", "check", "--no-cache", "--jobs", "1",
                              "--output-format", "json", "."], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "PYTHONHASHSEED": seed})
            for seed in SEEDS]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 1 for run in runs), [err[-500:] for _, err in outputs]
    reports = {out for out, _ in outputs}
    assert len(reports) == 1, f"{len(reports)} different reports from {len(SEEDS)} hash seeds"
    assert b'"DYN10' in outputs[0][0]  # the corpus has races: the reports compared are not empty
