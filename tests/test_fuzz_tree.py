"""Fuzzing the file system a run meets: trees of random hostile shapes.

Each example builds a project beside an ``outside`` folder and fills it with entries drawn at
random: racy and clean sources, read-only sources, symbolic links to files and folders
outside (dangling or not), links inside the project, FIFOs, a cache folder or cache entries
that are links out, a baseline that is a link out. Then it runs what a user runs: a check, a
check writing a baseline, a fix with unsafe fixes, a check reading the baseline. Whatever the
shapes: no exception escapes, no run hangs (a FIFO is never opened for reading), the outside
folder is byte-identical with the same names, read-only files keep their bytes, and every
racy source the project really owns is fixed.

``make fuzz`` runs many more examples (tests/fuzzkit.py).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynolint import baseline as baselines
from dynolint.api import Options, check_paths, fix_paths
from dynolint.engine.cache import DIRECTORY, FORMAT
from dynolint.config import discover
from dynolint.errors import DynolintError
from dynolint.rules import KNOWN_CODES
from tests.fuzzkit import COUNTS, FUZZING, PROFILE, _report_counts, time_limit  # noqa: F401 - fixture
from tests.test_hardening_io import racy_module

KINDS = ("racy", "clean", "read-only", "link-out-file", "link-out-dir", "dangling", "link-in", "fifo",
         "cache-link", "entry-link", "baseline-link")
CLEAN = b'import boto3\ntable = boto3.resource("dynamodb").Table("t")\n\ndef get(k):\n    return table.get_item(Key={"pk": k})\n'

shapes = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), min_size=1, max_size=8)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), stat.S_IMODE(p.lstat().st_mode))
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _build(base: Path, plan: list[tuple[str, int]]) -> tuple[Path, Path, list[Path], list[Path]]:
    outside = base / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "victim.py").write_bytes(racy_module(1))
    (outside / "dir" / "other.py").write_bytes(racy_module(2))
    (outside / "notes.txt").write_text("keep\n")
    project = base / "project"
    project.mkdir()
    owned: list[Path] = []
    read_only: list[Path] = []
    for number, (kind, depth) in enumerate(plan):
        folder = project.joinpath(*[f"d{level}" for level in range(depth)])
        folder.mkdir(parents=True, exist_ok=True)
        name = folder / f"m{number}.py"
        if kind in ("racy", "read-only"):
            name.write_bytes(racy_module(1 + number % 2))
            if kind == "read-only":
                name.chmod(0o444)
                read_only.append(name)
            else:
                owned.append(name)
        elif kind == "clean":
            name.write_bytes(CLEAN)
        elif kind == "link-out-file":
            name.symlink_to(outside / "victim.py")
        elif kind == "link-out-dir":
            (folder / f"l{number}").symlink_to(outside / "dir", target_is_directory=True)
        elif kind == "dangling":
            name.symlink_to(base / f"planted-{number}.py")
        elif kind == "link-in" and owned:
            name.symlink_to(owned[0])
        elif kind == "fifo" and hasattr(os, "mkfifo"):
            os.mkfifo(name)
        elif kind == "cache-link" and not (project / DIRECTORY).exists():
            (project / DIRECTORY).symlink_to(outside, target_is_directory=True)
        elif kind == "entry-link" and not (project / DIRECTORY).exists():
            results = project / DIRECTORY / f"v{FORMAT}" / "results"
            results.mkdir(parents=True)
            for index in range(12):
                (results / f"{index:02}.pickle").symlink_to(outside / "notes.txt")
        elif kind == "baseline-link" and not (project / "baseline.json").exists():
            (project / "baseline.json").symlink_to(outside / "notes.txt")
    return project, outside, owned, read_only


@settings(PROFILE, max_examples=PROFILE.max_examples if FUZZING else 8)
@given(shapes)
def test_hostile_trees_never_reach_outside(tmp_path_factory: pytest.TempPathFactory,
                                           plan: list[tuple[str, int]]) -> None:
    base = tmp_path_factory.mktemp("tree")
    project, outside, owned, read_only = _build(base, plan)
    before_outside = _snapshot(outside)
    before_read_only = {p: p.read_bytes() for p in read_only}
    previous = Path.cwd()
    os.chdir(project)
    try:
        with time_limit():
            config = discover(Path("."), set(KNOWN_CODES))
            options = Options(jobs=1)
            result = check_paths([Path(".")], config, options)
            assert not result.errors, result.errors
            try:
                baselines.write(Path("baseline.json"), result.findings, baselines.SourceLines(base=Path.cwd()))
            except DynolintError:
                pass
            report = fix_paths([Path(".")], config, options, unsafe=True)
            assert not report.not_written, report.not_written
            try:
                baselines.load(Path("baseline.json"))
            except DynolintError:
                pass
            check_paths([Path(".")], config, options)
    finally:
        os.chdir(previous)
    assert _snapshot(outside) == before_outside
    assert not list(base.glob("planted-*"))
    assert {p: p.read_bytes() for p in read_only} == before_read_only
    for source in owned:
        assert source.read_bytes().count(b"ConditionExpression=") == source.read_bytes().count(b"put_item(")
    COUNTS["hostile trees"] += 1
