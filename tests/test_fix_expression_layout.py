"""A PynamoDB ``update()`` condition the fix writes (``Model.pk.exists() & (... if ... else ...)``
for each attribute decided on) was left on one line of 200 columns: the layout split only
brackets and strings. A long expression argument is now split at its operators as black (and
``ruff format``) splits it, so the fixed code is what the formatter would write."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.findings import Edit
from dynolint.fixes.edits import _apply_edits
from dynolint.fixes.exprlayout import split_expression
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES, run_cli, write_project

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
CASE = FIXTURES / "cases" / "race-pynamodb-long-condition-renewal"


def _ruff_format_check(path: Path) -> subprocess.CompletedProcess[str]:
    assert RUFF is not None, "ruff is in the test extras"
    return subprocess.run([RUFF, "format", "--check", "--diff", "--no-cache", str(path)], capture_output=True,
                          text=True)


def _fixed_case(tmp_path: Path, config: str = "") -> tuple[Path, str]:
    project = tmp_path / "case"
    shutil.copytree(CASE, project)
    if config:
        (project / "pyproject.toml").write_text(config)
    assert RUFF is not None
    subprocess.run([RUFF, "format", "--no-cache", "-q", str(project / "plans.py")], cwd=project, check=True)
    assert _ruff_format_check(project / "plans.py").returncode == 0  # the code as black formats it
    report = fix_paths([project], discover(project, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    assert [f.code for f in report.applied] == ["DYN102"]
    return project, (project / "plans.py").read_text()


@pytest.mark.parametrize("length", [88, 72])
def test_a_long_condition_is_split_as_black_splits_it(tmp_path: Path, length: int) -> None:
    config = "" if length == 88 else f"[tool.ruff]\nline-length = {length}\n"
    project, after = _fixed_case(tmp_path, config)
    ast.parse(after)
    assert "subscription.update(" in after and "condition=SubscriptionRecord.subscription_id.exists()\n" in after
    assert max(len(line) for line in after.splitlines()[1:]) <= length  # (the docstring is the code's)
    formatted = _ruff_format_check(project / "plans.py")
    assert formatted.returncode == 0, formatted.stdout  # ruff format (black's style) changes nothing
    config_obj = discover(project, set(KNOWN_CODES))
    assert check_paths([project], config_obj, Options(use_cache=False)).findings == []
    again = fix_paths([project], config_obj, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (project / "plans.py").read_text() == after  # idempotent


def test_the_reported_edits_are_the_same_layout(tmp_path: Path) -> None:
    project = tmp_path / "case"
    shutil.copytree(CASE, project)
    before = (project / "plans.py").read_text()
    proc = run_cli("check", "--unsafe-fixes", "--output-format", "json", cwd=project)
    [finding] = json.loads(proc.stdout)
    edits = [Edit(e["line"], e["column"], e["end_line"], e["end_column"], e["content"])
             for e in finding["fix"]["edits"]]
    _, after = _fixed_case(tmp_path / "whole")
    assert _apply_edits(before, edits) == after


def _split(source: str, first: int = 8, limit: int = 40) -> str:
    node = cst.parse_expression(source)
    split = split_expression(node, first, 1, "    ", "    ", limit)
    return cst.Module([]).code_for_node(split)


def test_an_expression_that_fits_is_left_alone() -> None:
    assert _split("a & b") == "a & b"


@pytest.mark.parametrize(("source", "expected"), [
    ("alpha_value and beta_value or gamma_value_long", "alpha_value\n    and beta_value\n    or gamma_value_long"),
    ("first_long_name == second_long_name_here", "first_long_name\n    == second_long_name_here"),
    ("x_is_a_long_name if condition_name else other_name",
     "x_is_a_long_name\n    if condition_name\n    else other_name"),
    ("a_long & (b_long_name | c_long_name_and_more | d_name)",
     "a_long\n    & (\n        b_long_name\n        | c_long_name_and_more\n        | d_name\n    )"),
    ("call_something_long(argument_one, argument_two)", "call_something_long(argument_one, argument_two)"),
])
def test_splits_at_the_loosest_operators(source: str, expected: str) -> None:
    split = _split(source)
    assert split == expected
    ast.parse(f"f(\n    x={split},\n)")  # inside the call's brackets it parses


def test_a_fixed_call_on_a_short_line_stays_on_one_line(tmp_path: Path) -> None:
    write_project(tmp_path, {"m.py": '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Hit(Model):
    class Meta:
        table_name = "hits"

    page = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(default=0)


def bump(page):
    hit = Hit.get(page)
    hit.n = hit.n + 1
    hit.save()
'''})
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    assert "    hit.update(actions=[Hit.n.add(1)], condition=Hit.page.exists())\n" in (tmp_path / "m.py").read_text()
