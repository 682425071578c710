"""A checkout dynolint does not trust cannot make it touch anything outside the tree.

Every tree here is generated in a temporary folder the way a hostile repository would ship it:
its cache folder, a cache entry, a baseline or a source file is a symbolic link to a place
outside the project (dangling or not), or a file is read-only or owned by someone else. The
files outside the project must keep their bytes, names and metadata; dynolint says what it
refused and goes on.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from dynolint.engine.cache import DIRECTORY, FORMAT
from tests.test_hardening_io import racy_module, run

VERSION_DIR = f"v{FORMAT}"


def _outside_folder(tmp_path: Path, files: int = 20) -> tuple[Path, dict[str, bytes]]:
    """A folder outside the project full of files that look like cache entries."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for index in range(files):
        (outside / f"precious-{index:02}.pickle").write_bytes(f"user data {index}\n".encode())
        os.utime(outside / f"precious-{index:02}.pickle", (1_000_000 + index, 1_000_000 + index))
    (outside / "notes.txt").write_text("keep me\n")
    return outside, _snapshot(outside)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_bytes(racy_module(2))
    return project


def _checked(project: Path, *args: str) -> tuple[list[dict[str, object]], str]:
    proc = run("check", "--output-format", "json", *args, ".", cwd=project)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.parametrize("linked", [(DIRECTORY,), (DIRECTORY, VERSION_DIR), (DIRECTORY, VERSION_DIR, "results")],
                         ids=["cache", "version", "results"])
def test_a_cache_folder_shipped_as_a_link_is_ignored_with_a_warning(tmp_path: Path, linked: tuple[str, ...]) -> None:
    outside, before = _outside_folder(tmp_path)
    project = _project(tmp_path)
    parent = project.joinpath(*linked[:-1])
    parent.mkdir(parents=True, exist_ok=True)
    parent.joinpath(linked[-1]).symlink_to(outside, target_is_directory=True)

    for _ in range(2):  # the second run would find its own results and tidy the folder
        findings, stderr = _checked(project)
        assert [f["line"] for f in findings] == [8, 14]
        assert "warning" in stderr and linked[-1] in stderr and "without a cache" in stderr

    assert _snapshot(outside) == before
    assert sorted(p.name for p in outside.iterdir()) == sorted(before)


def test_links_inside_the_cache_are_never_followed(tmp_path: Path) -> None:
    """Dangling links where entries, shards or temporary files would go: nothing is created at
    their targets, and a link to an existing file is never read as an entry or deleted through."""
    outside, before = _outside_folder(tmp_path, files=3)
    project = _project(tmp_path)
    run("check", ".", cwd=project)  # makes the cache and its entries
    version = project / DIRECTORY / VERSION_DIR
    targets = []
    for entry in list(version.rglob("*.pickle")):
        target = tmp_path / f"planted-{entry.name}"
        targets.append(target)
        entry.unlink()
        entry.symlink_to(target)  # dangling: a write through it would create the target
    for shard in [p for p in version.iterdir() if p.is_dir() and len(p.name) == 2]:
        for entry in shard.iterdir():
            entry.unlink()
        shard.rmdir()
        shard.symlink_to(outside, target_is_directory=True)
    (version / "results" / "existing.pickle").symlink_to(outside / "precious-00.pickle")

    for _ in range(2):
        findings, _ = _checked(project)
        assert [f["line"] for f in findings] == [8, 14]

    assert not any(target.exists() for target in targets)
    assert _snapshot(outside) == before
    assert not list(tmp_path.glob("planted-*"))


def test_the_result_cache_tidies_only_its_own_entries(tmp_path: Path) -> None:
    """The real cache still keeps a bounded number of results (the tidying still works)."""
    project = _project(tmp_path)
    for index in range(12):
        (project / "app.py").write_bytes(racy_module(2) + f"# edit {index}\n".encode())
        run("check", ".", cwd=project)
    results = project / DIRECTORY / VERSION_DIR / "results"
    kept = [p for p in results.iterdir() if p.suffix == ".pickle"]
    assert 1 <= len(kept) <= 8


def test_a_cache_folder_owned_by_another_user_is_ignored(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    project = _project(tmp_path)
    (project / DIRECTORY).mkdir()
    os.chown(project / DIRECTORY, 4242, 4242)
    findings, stderr = _checked(project)
    assert len(findings) == 2
    assert "owned by another user" in stderr
    assert not (project / DIRECTORY / VERSION_DIR).exists()


# ---------------------------------------------------------------------------- the baseline


def test_write_baseline_replaces_a_shipped_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    outside, before = _outside_folder(tmp_path, files=2)
    project = _project(tmp_path)
    baseline = project / ".dynolint-baseline.json"
    baseline.symlink_to(outside / "notes.txt")

    proc = run("check", "--write-baseline", ".dynolint-baseline.json", ".", cwd=project)

    assert proc.returncode == 0, proc.stderr
    assert _snapshot(outside) == before
    assert not baseline.is_symlink() and stat.S_ISREG(baseline.lstat().st_mode)
    assert json.loads(baseline.read_text())["tool"] == "dynolint"
    assert run("check", "--baseline", ".dynolint-baseline.json", ".", cwd=project).returncode == 0


def test_a_baseline_that_fails_to_write_leaves_the_old_one_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dynolint import baseline as baselines
    from dynolint.errors import DynolintError

    target = tmp_path / "baseline.json"
    target.write_text('{"tool": "dynolint", "version": 1, "findings": []}\n')
    original = target.read_bytes()

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(DynolintError, match="No space left"):
        baselines.write(target, [], baselines.SourceLines())
    assert target.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


def test_a_baseline_or_config_given_as_a_link_is_refused_with_the_file_named(tmp_path: Path) -> None:
    outside, _ = _outside_folder(tmp_path, files=1)
    project = _project(tmp_path)
    (project / "base.json").symlink_to(outside / "notes.txt")
    proc = run("check", "--baseline", "base.json", ".", cwd=project)
    assert proc.returncode == 2 and "base.json" in proc.stderr and "symbolic link" in proc.stderr
    (project / "pyproject.toml").symlink_to(outside / "notes.txt")
    proc = run("check", ".", cwd=project)
    assert proc.returncode == 2 and "pyproject.toml" in proc.stderr and "symbolic link" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_baseline_or_config_that_is_a_fifo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    project = _project(tmp_path)
    os.mkfifo(project / "base.json")
    os.mkfifo(project / "dynolint.toml")
    proc = run("check", "--config", "dynolint.toml", ".", cwd=project, timeout=60)
    assert proc.returncode == 2 and "dynolint.toml" in proc.stderr
    os.unlink(project / "dynolint.toml")
    proc = run("check", "--baseline", "base.json", ".", cwd=project, timeout=60)
    assert proc.returncode == 2 and "base.json" in proc.stderr


# ---------------------------------------------------------------------------- dynolint fix


def test_fix_refuses_a_file_reached_through_a_link_that_leaves_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.py"
    victim.write_bytes(racy_module(1))
    before = victim.read_bytes(), victim.stat().st_mtime_ns
    project = _project(tmp_path)
    (project / "linked.py").symlink_to(victim)
    (project / "linked_dir").symlink_to(outside, target_is_directory=True)

    proc = run("fix", "--unsafe-fixes", "--no-cache", ".", "linked.py", "linked_dir/victim.py", cwd=project)

    assert (victim.read_bytes(), victim.stat().st_mtime_ns) == before
    assert "leads outside the project" in proc.stderr and "linked.py" in proc.stderr
    assert (project / "app.py").read_bytes().count(b"ConditionExpression=") == 2  # the rest is fixed
    assert proc.returncode == 1  # the refused file's findings remain
    assert (project / "linked.py").is_symlink()


def test_fix_refuses_a_read_only_file_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    project = _project(tmp_path)
    app = project / "app.py"
    app.chmod(0o444)
    before = app.read_bytes(), app.stat().st_ino, app.stat().st_mode

    proc = run("fix", "--unsafe-fixes", "--no-cache", ".", cwd=project)

    assert proc.returncode == 1
    assert "read-only" in proc.stderr and "app.py" in proc.stderr
    assert (app.read_bytes(), app.stat().st_ino, app.stat().st_mode) == before


def test_fix_keeps_mode_owner_and_group(tmp_path: Path) -> None:
    project = _project(tmp_path)
    app = project / "app.py"
    app.chmod(0o664)
    if os.geteuid() == 0:
        os.chown(app, 4242, 4343)
    elif len(os.getgroups()) > 1:
        os.chown(app, -1, [g for g in os.getgroups() if g != os.getegid()][0])
    before = app.stat()

    proc = run("fix", "--unsafe-fixes", "--no-cache", ".", cwd=project)

    assert proc.returncode == 0, proc.stderr
    after = app.stat()
    assert app.read_bytes().count(b"ConditionExpression=") == 2
    assert after.st_ino != before.st_ino  # replaced by rename, not rewritten in place
    assert (stat.S_IMODE(after.st_mode), after.st_uid, after.st_gid) == \
        (stat.S_IMODE(before.st_mode), before.st_uid, before.st_gid)


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_fix_keeps_every_untouched_byte_whatever_the_line_endings(tmp_path: Path, newline: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    original = racy_module(2, newline) + f"# trailing comment{newline}".encode()
    (project / "app.py").write_bytes(original)

    proc = run("fix", "--unsafe-fixes", "--no-cache", ".", cwd=project)

    assert proc.returncode == 0, proc.stderr
    fixed = (project / "app.py").read_bytes()
    assert fixed.count(b"ConditionExpression=") == 2
    assert fixed.endswith(f"# trailing comment{newline}".encode())
    other = {"\r": (b"\n",), "\r\n": (), "\n": (b"\r",)}[newline]
    assert not any(bad in fixed for bad in other)
    untouched = [line for line in original.split(newline.encode()) if b"put_item" not in line]
    kept = fixed.split(newline.encode())
    assert all(line in kept for line in untouched)
    compile(fixed.replace(b"\r\n", b"\n").replace(b"\r", b"\n"), "app.py", "exec")


def test_no_file_outside_the_project_is_written_by_a_whole_run(tmp_path: Path) -> None:
    """Everything at once: a check, a baseline, a fix, another check, in a tree whose cache,
    baseline and one source are links out; the outside folder is byte-identical afterwards."""
    outside, before = _outside_folder(tmp_path)
    (outside / "victim.py").write_bytes(racy_module(1))
    before = _snapshot(outside)
    project = _project(tmp_path)
    (project / DIRECTORY).symlink_to(outside, target_is_directory=True)
    (project / "baseline.json").symlink_to(outside / "notes.txt")
    (project / "victim.py").symlink_to(outside / "victim.py")

    run("check", ".", cwd=project)
    run("check", "--write-baseline", "baseline.json", ".", cwd=project)
    run("fix", "--unsafe-fixes", ".", cwd=project)
    run("check", "--output-format", "sarif", ".", cwd=project)

    assert _snapshot(outside) == before
    assert sorted(p.name for p in outside.iterdir()) == sorted(before)
