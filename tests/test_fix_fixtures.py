"""Every labelled project, fixed with --unsafe-fixes on a copy: the fixed files parse, a
second run changes nothing, the fixed races are gone, and mypy (with boto3-stubs) finds no
new error in any fixed file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES

CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if (p / "expect.json").is_file()
               and p.name.startswith("race-")) + [FIXTURES / "demo", *sorted((FIXTURES / "racelab").iterdir())]
CASES = [c for c in CASES if c.is_dir()]


def _mypy(paths: list[Path], cwd: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--follow-imports=silent",
                           "--check-untyped-defs", "--no-error-summary", "--no-incremental",
                           "--explicit-package-bases", *map(str, paths)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    errors = set()
    for line in proc.stdout.splitlines():
        if ": error:" in line:
            path, _, rest = line.partition(":")
            errors.add(f"{path}:{rest.split(':', 1)[1].strip()}")  # without the line number
    return errors


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixed_fixture(case: Path, tmp_path: Path) -> None:
    original = tmp_path / "original"
    work = tmp_path / "work"
    shutil.copytree(case, original)
    shutil.copytree(case, work)
    config = discover(work, set(KNOWN_CODES))
    report = fix_paths([work], config, Options(), unsafe=True)
    assert report.not_written == []
    again = fix_paths([work], config, Options(), unsafe=True)
    assert again.changed == []  # idempotent
    remaining = check_paths([work], config, Options()).findings
    fixed_lines = {(Path(f.path).name, f.code) for f in report.applied}
    assert not {(Path(f.path).name, f.code) for f in remaining} & fixed_lines or not report.applied
    changed = [Path(path) for path, _, _ in report.changed]
    for path in changed:
        compile(path.read_bytes(), str(path), "exec")
    if changed:
        rel = [p.relative_to(work) for p in changed]
        new_errors = _mypy(rel, work) - _mypy(rel, original)
        assert new_errors == set()
