"""Speed must not change answers: the same findings with and without the caches, with any
number of jobs; a run that has nothing to parse never imports LibCST. (Corrupt cache entries:
tests/test_hardening_io.py.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, run_cli
from tests.fuzzkit import sampled


def _corpus(tmp_path: Path) -> Path:
    """The race fixture projects as one tree (of every third fixture project, at most 150, under `make test`; all under `make fuzz`)."""
    root = tmp_path / "corpus"
    for case in sampled(sorted((FIXTURES / "cases").iterdir()), every=3, at_most=150):
        if (case / "expect.json").is_file() and case.name.startswith("race-"):
            shutil.copytree(case, root / case.name.replace("-", "_"), ignore=shutil.ignore_patterns("expect.json"))
    return root


def _findings(root: Path, *options: str) -> list[dict]:
    proc = run_cli("check", "--output-format", "json", *options, ".", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_same_findings_with_and_without_cache_and_jobs(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    baseline = _findings(root, "--no-cache", "--jobs", "1")
    assert len(baseline) > 20
    assert _findings(root, "--no-cache", "--jobs", "2") == baseline
    assert _findings(root) == baseline  # fills the caches
    assert (root / ".dynolint_cache").is_dir()
    assert _findings(root) == baseline  # answered from the result cache
    target = next(root.rglob("*.py"))
    target.write_text(target.read_text() + "\n# touched\n")
    again = _findings(root)  # one file changed: summaries of the others come from the cache
    assert [(f["path"], f["line"], f["code"]) for f in again] == [(f["path"], f["line"], f["code"]) for f in baseline]


def test_nothing_to_parse_means_libcst_is_never_imported(tmp_path: Path) -> None:
    (tmp_path / "report.py").write_text("def total(rows):\n    return sum(r['n'] for r in rows)\n")
    # -X importtime lists every module the process imports (the CLI ends its process without
    # returning, so nothing can be asked afterwards)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "dynolint", "check", "--no-cache", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line]
    assert "dynolint.cli" in imported and "click" in imported  # the full command line ran
    assert not [name for name in imported if name.split(".")[0] == "libcst"]
