"""dynolint reads code, it never imports or executes it: not ``setup.py``, ``conftest.py``,
``noxfile.py``, a package's ``__init__``, a module named like a dynolint plugin or like one of
dynolint's own dependencies, a ``.pth`` file, nor cache entries planted in the tree. Every such
file here writes a marker when it runs; the positive controls prove that the markers do appear
when the files are executed."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from dynolint.engine.cache import DIRECTORY, MAGIC
from tests.conftest import REPO

# the installed command (what pre-commit runs): the working directory is not on its sys.path
_SCRIPT = Path(sys.executable).with_name("dynolint")
DYNOLINT = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-P", "-m", "dynolint"]

RACY = '''
import boto3

table = boto3.resource("dynamodb").Table("links")


def create_{name}(alias, url):
    if "Item" in table.get_item(Key={{"pk": alias}}):
        return 409
    table.put_item(Item={{"pk": alias, "url": url}})
'''

# each file: (path in the tree, whether it holds DynamoDB code dynolint must parse)
PYTHON_FILES = [
    "setup.py", "conftest.py", "noxfile.py", "__main__.py", "sitecustomize.py", "usercustomize.py",
    "pkg/__init__.py", "pkg/handlers.py", "pkg/__main__.py",
    "dynolint_plugin.py", "dynolint_rules/__init__.py", "dynolint_ext.py",
    "click.py", "libcst/__init__.py", "json.py",  # named like dynolint's own imports
    "tests/conftest.py", "tests/test_handlers.py",
]


def _marker_line(markers: Path, name: str) -> str:
    target = markers / name.replace("/", "__")
    return f"import pathlib; pathlib.Path({str(target)!r}).write_text('executed')\n"


def build_tree(root: Path, markers: Path) -> Path:
    tree = root / "tree"
    for rel in PYTHON_FILES:
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        name = rel.replace("/", "_").replace(".", "_")
        path.write_text(_marker_line(markers, rel) + RACY.format(name=name))
    for rel in ("evil.pth", "site-packages/evil.pth"):
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_marker_line(markers, rel))
    (tree / "pyproject.toml").write_text('[project]\nname = "victim"\nversion = "1"\n'
                                         '[tool.dynolint]\nmulti-tenant = true\n')
    return tree


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    return build_tree(tmp_path, markers), markers


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def test_positive_control_each_marker_appears_when_its_file_runs(tree: tuple[Path, Path]) -> None:
    root, markers = tree
    for rel in PYTHON_FILES:
        proc = _run([sys.executable, "-c", "import runpy, sys; runpy.run_path(sys.argv[1])", str(root / rel)],
                    cwd=markers)
        assert (markers / rel.replace("/", "__")).read_text() == "executed", (rel, proc.stderr)
    # importing the package runs its __init__; a .pth in a site directory runs its import line
    _run([sys.executable, "-c", "import pkg"], cwd=root)
    assert (markers / "pkg____init__.py").exists()
    for rel in ("evil.pth", "site-packages/evil.pth"):
        _run([sys.executable, "-c", "import site, sys; site.addsitedir(sys.argv[1])", str((root / rel).parent)],
             cwd=markers)
        assert (markers / rel.replace("/", "__")).read_text() == "executed", rel
    # and `python -m` from inside the tree puts the tree first on sys.path: its click.py runs
    for stale in markers.iterdir():
        stale.unlink()
    _run([sys.executable, "-c", "import click"], cwd=root)
    assert (markers / "click.py").exists()


COMMANDS = [
    ("check", "."),
    ("check", "--include-tests", "--output-format", "json", "."),
    ("check", "--output-format", "sarif", "--include-tests", "."),
    ("check", "--jobs", "2", "--no-cache", "--include-tests", "."),
    ("check", "--fix", "--include-tests", "."),
    ("fix", "--unsafe-fixes", "--include-tests", "."),
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_no_command_runs_the_analysed_code(tree: tuple[Path, Path], args: tuple[str, ...]) -> None:
    root, markers = tree
    before = {rel: (root / rel).read_text() for rel in PYTHON_FILES}
    proc = _run([*DYNOLINT, *args], cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in markers.iterdir()) == []
    if "--output-format" in args and "json" in args:
        found = {f["path"] for f in json.loads(proc.stdout)}
        assert found == set(PYTHON_FILES)  # every file was read and analysed
    if "sarif" in args:
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in json.loads(proc.stdout)["runs"][0]["results"]}
        assert {rel for rel in PYTHON_FILES if any(u.endswith(rel) for u in uris)} == set(PYTHON_FILES)
    if args[0] == "fix":
        changed = [rel for rel in PYTHON_FILES if (root / rel).read_text() != before[rel]]
        assert changed == PYTHON_FILES  # the fixes were applied, by rewriting text
        assert all("ConditionExpression=" in (root / rel).read_text() for rel in changed)


def test_module_mode_from_outside_the_tree_runs_nothing(tree: tuple[Path, Path], tmp_path: Path) -> None:
    root, markers = tree
    proc = _run([sys.executable, "-m", "dynolint", "check", "--include-tests", "--output-format", "json",
                 str(root)], cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    found = {f["path"] for f in json.loads(proc.stdout) if f["code"] == "DYN101"}
    assert found == {str(root / rel) for rel in PYTHON_FILES}
    assert list(markers.iterdir()) == []


def test_module_mode_inside_the_tree_runs_nothing(tree: tuple[Path, Path]) -> None:
    root, markers = tree
    proc = _run([sys.executable, "-m", "dynolint", "check", "."], cwd=root)
    assert list(markers.iterdir()) == [] and proc.returncode == 1, proc.stderr


class _Payload:
    """Unpickling this runs code: what an entry planted in a repository's cache would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"import pathlib; pathlib.Path({str(self.marker)!r}).write_text('executed')",)


def test_planted_cache_entries_are_never_unpickled(tree: tuple[Path, Path]) -> None:
    root, markers = tree
    command = [*DYNOLINT, "check", "--include-tests", "--output-format", "json", "."]
    first = _run(command, cwd=root)
    assert first.returncode == 1, first.stderr
    entries = list((root / DIRECTORY).rglob("*.pickle"))
    assert len(entries) > len(PYTHON_FILES) // 2  # summaries and the run's results
    evil = pickle.dumps(_Payload(markers / "planted"))
    # positive control: loading the planted bytes runs them
    _run([sys.executable, "-c", "import pickle, sys; pickle.loads(bytes.fromhex(sys.argv[1]))", evil.hex()],
         cwd=markers)
    assert (markers / "planted").exists()
    (markers / "planted").unlink()
    for index, entry in enumerate(entries):  # at the very names dynolint looks up
        entry.write_bytes(evil if index % 2 else MAGIC + bytes(32) + evil)

    again = _run(command, cwd=root)

    assert list(markers.iterdir()) == []
    assert again.returncode == 1 and json.loads(again.stdout) == json.loads(first.stdout), again.stderr


def test_a_cache_copied_from_elsewhere_is_not_trusted(tree: tuple[Path, Path], tmp_path: Path) -> None:
    """Entries are signed with a key outside the tree: another user's (or a repository's) cache,
    even an intact one, is rebuilt rather than loaded."""
    root, markers = tree
    command = [*DYNOLINT, "check", "--include-tests", "--output-format", "json", "."]
    elsewhere = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "other-user"))
    elsewhere.pop("PYTHONPATH", None)
    first = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, env=elsewhere)
    assert first.returncode == 1, first.stderr
    assert (tmp_path / "other-user" / "dynolint" / "cache-key").stat().st_mode & 0o077 == 0
    entries = {p: p.read_bytes() for p in (root / DIRECTORY).rglob("*.pickle")}
    assert entries
    again = _run(command, cwd=root)  # this user: a different key
    assert json.loads(again.stdout) == json.loads(first.stdout)
    rebuilt = {p: p.read_bytes() for p in (root / DIRECTORY).rglob("*.pickle")}
    assert all(rebuilt.get(p) != data for p, data in entries.items())
    assert list(markers.iterdir()) == []
