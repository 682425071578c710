"""Shared helpers: build a throwaway project on disk, run dynolint on it through the API
(or the CLI), and read findings back as (path, line, code) triples."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import textwrap
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
# The smallest racy handler: DYN101 on the put_item, line 6, column 9.
RACY_HANDLER = b'''import boto3
table = boto3.resource("dynamodb").Table("t")
def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]}).get("Item")
    if item is None:
        table.put_item(Item={"pk": event["id"], "n": 1})
'''


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def findings_in(root: Path, select: tuple[str, ...] | None = None, include_tests: bool = False):
    """Run the checker on a directory, from inside it, the way a user would."""
    with working_directory(root):
        config = discover(Path("."), set(KNOWN_CODES))
        return check_paths([Path(".")], config, Options(select=select, include_tests=include_tests))


def fix_unsafe(root: Path, name: str) -> tuple[str, list[str]]:
    """Apply every fix (``--unsafe-fixes``) to the project at ``root``: file ``name`` after, and
    the reasons of the fixes not made."""
    report = fix_paths([root], discover(root, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    return (root / name).read_text(), [why for _, why in report.skipped]


def assert_fixed_for_good(root: Path, name: str, after: str) -> None:
    """The fixed file parses, has no finding left, and a second fix run changes nothing."""
    ast.parse(after)
    config = discover(root, set(KNOWN_CODES))
    assert check_paths([root], config, Options(use_cache=False)).findings == []
    again = fix_paths([root], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (root / name).read_text() == after  # idempotent


def triples(result) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.code) for f in result.findings}


def line_codes(root: Path, name: str, source: str) -> set[tuple[int, str]]:
    """Write ``source`` (dedented) to ``root/name`` and check the project: (line, code) of each finding."""
    (root / name).write_text(textwrap.dedent(source))
    return {(line, code) for _, line, code in triples(findings_in(root))}


def line_of(source: str, text: str) -> int:
    """The line number of the line ``text`` in ``source`` (dedented)."""
    return textwrap.dedent(source).splitlines().index(text) + 1


def project_codes(root: Path, files: dict[str, str]) -> list[tuple[str, int, str]]:
    """Write ``files`` into ``root`` and check the project: (file name, line, code) of each finding, sorted."""
    write_project(root, files)
    return sorted((Path(f.path).name, f.line, f.code) for f in findings_in(root).findings)


def line_with(source: str, text: str) -> int:
    """The number of the first line of ``source`` that contains ``text``."""
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def run_cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dynolint", *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, timeout=120)


def cli_json(cwd: Path, *paths: str) -> list[dict]:
    proc = run_cli("check", "--output-format", "json", *(paths or (".",)), cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_in(directory: Path, *args: str) -> tuple[int, str]:
    """Run ``dynolint ARGS`` in-process from ``directory``: (exit status, stdout). The same
    click command the executable runs, without an interpreter to start and LibCST to import
    per call; ``dynolint.cli.main`` adds only the exit without teardown, which the
    subprocess tests cover."""
    from click.testing import CliRunner

    from dynolint.cli import cli

    with working_directory(directory):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def cli_json_in_process(cwd: Path, *paths: str) -> list[dict]:
    """What ``cli_json`` returns, from the command run in this process (:func:`run_in`)."""
    status, out = run_in(cwd, "check", "--output-format", "json", *(paths or (".",)))
    assert status in (0, 1), out
    return json.loads(out)


@pytest.fixture
def project(tmp_path: Path):
    """``project({"handler.py": "..."})`` writes the files and returns the directory."""

    def make(files: dict[str, str]) -> Path:
        return write_project(tmp_path, files)

    return make


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes long or runs real tools (deselect with -m 'not slow')")
    config.addinivalue_line("markers", "network: downloads from the package registry; skipped when it is "
                            "unreachable (deselect with -m 'not network')")
