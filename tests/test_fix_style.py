"""Code a reviewer merges: ``dynolint fix --unsafe-fixes`` over a copy of every labelled project
leaves nothing ruff (E501 line length, I001 import order, F401 unused and F821 undefined names)
did not find before; long calls are laid out as black lays them out; the claim protocol is one
imported helper module, placed once."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.fixes import layout, projectconf
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES, run_cli, write_project
from tests.fuzzkit import sampled

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if (p / "expect.json").is_file())
SELECT = "E501,I001,F401,F821"


def _ruff(project: Path) -> Counter[tuple[str, str]]:
    """What ruff finds in ``project``, by file and code (run from the project, with its own settings)."""
    assert RUFF is not None, "ruff is in the test extras: pip install -e '.[test]'"
    proc = subprocess.run([RUFF, "check", "--no-cache", "--select", SELECT, "--output-format", "json",
                           "--exit-zero", "."], cwd=project, capture_output=True, text=True, check=True)
    return Counter((Path(f["filename"]).relative_to(project.resolve()).as_posix(), f["code"])
                   for f in json.loads(proc.stdout))


def test_fixed_code_has_nothing_new_for_ruff(tmp_path: Path) -> None:
    fixed_files = 0
    new: dict[str, Counter[tuple[str, str]]] = {}
    for case in sampled(CASES, every=3, at_most=150):  # every one under `make fuzz`
        if not json.loads((case / "expect.json").read_text())["findings"]:
            continue  # a clean project gets no fix (test_fixture_cases: it has no finding)
        project = tmp_path / case.name
        shutil.copytree(case, project)
        before = _ruff(project)
        report = fix_paths([project], discover(project, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
        fixed_files += len(report.changed)
        for path, _, _ in report.changed:
            ast.parse(Path(path).read_text())
        grown = _ruff(project) - before
        if grown:
            new[case.name] = grown
    assert new == {}
    assert fixed_files >= 12  # the fixes ran: guards, atomic updates, put counters, claims (and their helper)


def test_the_line_length_is_the_projects(tmp_path: Path) -> None:
    write_project(tmp_path, {"a/pyproject.toml": "[tool.ruff]\nline-length = 100\n", "a/x.py": "",
                             "b/pyproject.toml": "[tool.black]\nline-length = 79\n", "b/x.py": "",
                             "c/pyproject.toml": "[project]\nname = 'c'\n", "c/x.py": "",
                             "c/ruff.toml": "line-length = 120\n", "d/x.py": ""})
    assert [projectconf.line_length(tmp_path / d / "x.py") for d in "abcd"] == [100, 79, 120, 88]


SOURCE = '''import boto3

table = boto3.resource("dynamodb").Table("links")


def hit(alias):
    item = table.get_item(Key={"pk": alias})["Item"]
    table.update_item(Key={"pk": alias}, UpdateExpression="SET clicks = :c", ExpressionAttributeValues={":c": item["clicks"] + 1})
'''


def test_a_long_fixed_call_is_wrapped_one_argument_a_line_and_fixing_again_changes_nothing(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": SOURCE, "pyproject.toml": "[tool.dynolint.tables.links]\npartition-key = \"pk\"\n"})
    proc = run_cli("fix", "--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    after = (tmp_path / "app.py").read_text()
    assert after == SOURCE.replace(
        '    table.update_item(Key={"pk": alias}, UpdateExpression="SET clicks = :c", '
        'ExpressionAttributeValues={":c": item["clicks"] + 1})\n',
        '    table.update_item(\n'
        '        Key={"pk": alias},\n'
        '        UpdateExpression="ADD clicks :c",\n'
        '        ExpressionAttributeValues={":c": 1},\n'
        '    )\n')
    ast.parse(after)
    again = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "app.py").read_text() == after and "Fixed 0 findings" in again.stderr


def test_a_long_condition_string_is_cut_in_parentheses_with_the_same_value() -> None:
    import libcst as cst

    text = '"attribute_exists(#dl_key) AND (attribute_not_exists(#dl_seen) OR #dl_seen = :dl_seen) AND #a = :a"'
    split = layout.split_string(cst.parse_expression(text), "        ", "    ", 60)
    assert split is not None
    code = cst.Module([]).code_for_node(split)
    assert ast.literal_eval(code.strip()) == ast.literal_eval(text)
    assert all(len(line) <= 60 for line in ("        " + code).splitlines())
    # where a clause fits on a line, the cuts fall between clauses, never inside the parenthesised OR
    wide = cst.Module([]).code_for_node(layout.split_string(cst.parse_expression(text), "        ", "    ", 88))
    pieces = [ast.literal_eval(line.strip()) for line in wide.splitlines() if line.strip().startswith('"')]
    assert pieces == ["attribute_exists(#dl_key) AND ",
                      "(attribute_not_exists(#dl_seen) OR #dl_seen = :dl_seen) AND #a = :a"]


def test_a_clause_longer_than_a_line_is_cut_between_its_words() -> None:
    import libcst as cst

    text = '"' + " ".join(f"word{n}" for n in range(30)) + '"'
    split = layout.split_string(cst.parse_expression(text), "    ", "    ", 40)
    assert split is not None
    code = cst.Module([]).code_for_node(split)
    assert ast.literal_eval(code.strip()) == ast.literal_eval(text)
    assert all(len(line) <= 40 for line in ("    " + code).splitlines())


STAMPEDE = '''"""Rates cache."""

import json
import time

import boto3
import requests

cache = boto3.resource("dynamodb").Table("rates")


def rate(pair):
    cached = cache.get_item(Key={"pair": pair}).get("Item")
    if cached and cached["expires"] > time.time():
        return json.loads(cached["body"])
    body = requests.get("https://rates.example.com", params={"pair": pair}, timeout=5).text
    cache.put_item(Item={"pair": pair, "body": body, "expires": int(time.time()) + 60})
    return json.loads(body)
'''
CONFIG = '[tool.dynolint.tables.rates]\npartition-key = "pair"\n'


def test_the_claim_helper_is_placed_once_beside_the_first_fixed_file_and_reused(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": CONFIG, "api/rates.py": STAMPEDE,
                             "jobs/__init__.py": "", "jobs/refresh.py": STAMPEDE})
    proc = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "Fixed 2 findings" in proc.stderr, proc.stderr
    helpers = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("dynolint_claim.py"))
    assert helpers == ["api/dynolint_claim.py"]  # once, beside the first fixed file
    api = (tmp_path / "api" / "rates.py").read_text()
    jobs = (tmp_path / "jobs" / "refresh.py").read_text()
    # beside it: a plain import; elsewhere by its module name from the root; ruff's isort order
    assert "import boto3\nimport dynolint_claim\nimport requests\n" in api  # third party: not at the root
    assert "import boto3\nimport requests\n\nfrom api import dynolint_claim\n" in jobs  # first party: api/ is
    assert "def _dynolint_claim" not in api + jobs
    for text in (api, jobs):
        ast.parse(text)
    assert _ruff(tmp_path)[("api/rates.py", "I001")] == 0 and _ruff(tmp_path)[("jobs/refresh.py", "I001")] == 0
    # a later run on another file reuses the helper, and fixing again changes nothing
    write_project(tmp_path, {"zz/more.py": STAMPEDE})
    again = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "Fixed 1 finding" in again.stderr, again.stderr
    assert sorted(p.name for p in tmp_path.rglob("dynolint_claim.py")) == ["dynolint_claim.py"]
    assert "from api import dynolint_claim\n" in (tmp_path / "zz" / "more.py").read_text()
    third = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "Fixed 0 findings" in third.stderr and (tmp_path / "api" / "rates.py").read_text() == api


def test_the_configuration_says_where_the_claim_helper_goes(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": "[tool.dynolint]\nclaim-module = \"src/shared/claims.py\"\n" + CONFIG,
                             "src/shared/__init__.py": "", "src/app/__init__.py": "", "src/app/rates.py": STAMPEDE})
    proc = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "Fixed 1 finding" in proc.stderr, proc.stderr
    assert (tmp_path / "src" / "shared" / "claims.py").is_file()
    assert not list(tmp_path.rglob("dynolint_claim.py"))
    fixed = (tmp_path / "src" / "app" / "rates.py").read_text()
    assert "from shared import claims\n" in fixed and "_dl_claim = claims.Claim()" in fixed
    bad = write_project(tmp_path / "bad", {"pyproject.toml": "[tool.dynolint]\nclaim-module = \"../x.py\"\n",
                                           "a.py": "import boto3\n"})
    error = run_cli("fix", ".", cwd=bad)
    assert error.returncode == 2 and "claim-module" in error.stderr


@pytest.mark.parametrize("imports,expected", [
    ("import os\n\nimport boto3\n", "import os\n\nimport boto3\nimport dynolint_claim\n"),
    ("import os\nimport zlib\n", "import os\nimport zlib\n\nimport dynolint_claim\n"),
    ("from __future__ import annotations\n\nimport os\n\nfrom mypkg import x\n",
     "from __future__ import annotations\n\nimport os\n\nimport dynolint_claim\nfrom mypkg import x\n"),
    ("import requests\nfrom boto3 import client\n", "import dynolint_claim\nimport requests\nfrom boto3 import client\n"),
])
def test_an_added_import_goes_where_isort_puts_it(tmp_path: Path, imports: str, expected: str) -> None:
    import libcst as cst

    from dynolint.fixes.imports import add_import

    (tmp_path / "mypkg").mkdir()
    module = cst.parse_module('"""Doc."""\n\n' + imports + "\nX = 1\n")
    added, _ = add_import(module, "import dynolint_claim", "dynolint_claim", tmp_path,
                          tmp_path / "dynolint_claim.py" if "mypkg" in imports else None)
    assert added.code == '"""Doc."""\n\n' + expected + "\nX = 1\n"
    write_project(tmp_path, {"m.py": added.code, "dynolint_claim.py": "" if "mypkg" in imports else ""})
    if "mypkg" not in imports:
        (tmp_path / "dynolint_claim.py").unlink()  # third party for ruff too
    assert _ruff(tmp_path)[("m.py", "I001")] == 0


def test_source_from_stdin_uses_the_claim_helper_only_when_it_exists(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": CONFIG})
    missing = run_cli("fix", "--no-cache", "--unsafe-fixes", "-", "--stdin-filename", "rates.py", cwd=tmp_path,
                      stdin=STAMPEDE)
    assert missing.stdout == STAMPEDE and "does not exist yet" in missing.stderr, missing.stderr
    (tmp_path / "dynolint_claim.py").write_text("# the project's claim helper\n")
    present = run_cli("fix", "--no-cache", "--unsafe-fixes", "-", "--stdin-filename", "rates.py", cwd=tmp_path,
                      stdin=STAMPEDE)
    assert "import dynolint_claim\n" in present.stdout and "_dl_claim.take(" in present.stdout, present.stderr
    ast.parse(present.stdout)
