"""The DYN301 fix: a file written under the temp dir by a function shared by tenants goes into
a per-invocation ``tempfile.TemporaryDirectory`` (the statements from the first that names the
path run inside it, the file keeps its name), unless the file looks meant to outlive the
invocation. Before/after, the result parses, a second run changes nothing, the finding is
gone, it is an unsafe fix (`check --fix` applies it only with --unsafe-fixes), the JSON edit
reproduces the file fix, and the fixed code, run twice, leaves nothing in the temp dir."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import run_cli, write_project

HEADER = "def handler(event, context):\n    tenant = context.tenant_id\n"


def fix(root: Path, source: str, unsafe: bool = True) -> tuple[str, list[tuple[str, str]]]:
    write_project(root, {"app.py": source})
    config = discover(root, set(KNOWN_CODES))
    report = fix_paths([root], config, Options(), unsafe=unsafe)
    return (root / "app.py").read_text(), [(f.code, reason) for f, reason in report.skipped]


def dyn301(root: Path) -> list[int]:
    found = check_paths([root], discover(root, set(KNOWN_CODES)), Options()).findings
    return [f.line for f in found if f.code == "DYN301"]


CASES = {
    "constant": (
        HEADER + '    fh = open("/tmp/report.csv", "w")\n    fh.write(tenant)\n    fh.close()\n',
        "import os\nimport tempfile\n\n\n" + HEADER
        + "    with tempfile.TemporaryDirectory() as tmp_dir:\n"
          '        fh = open(os.path.join(tmp_dir, "report.csv"), "w")\n        fh.write(tenant)\n'
          "        fh.close()\n",
    ),
    "f-string": (
        HEADER + '    path = f"/tmp/{tenant}-out.json"\n    with open(path, "w") as fh:\n        fh.write("{}")\n'
        "    return {\"ok\": True}\n",
        "import os\nimport tempfile\n\n\n" + HEADER
        + "    with tempfile.TemporaryDirectory() as tmp_dir:\n"
          '        path = os.path.join(tmp_dir, f"{tenant}-out.json")\n'
          '        with open(path, "w") as fh:\n            fh.write("{}")\n        return {"ok": True}\n',
    ),
    "upload": (
        'import boto3\n\ns3 = boto3.client("s3")\n\n\n' + HEADER
        + '    with open("/tmp/export.csv", "w") as fh:\n        fh.write(tenant)\n'
          '    s3.upload_file("/tmp/export.csv", "bucket", tenant + "/export.csv")\n',
        'import os\nimport tempfile\n\nimport boto3\n\ns3 = boto3.client("s3")\n\n\n' + HEADER
        + "    with tempfile.TemporaryDirectory() as tmp_dir:\n"
          '        with open(os.path.join(tmp_dir, "export.csv"), "w") as fh:\n            fh.write(tenant)\n'
          "        s3.upload_file(\n"  # past the line length: wrapped as black would
          '            os.path.join(tmp_dir, "export.csv"),\n            "bucket",\n'
          '            tenant + "/export.csv",\n        )\n',
    ),
    "pathlib": (
        "from pathlib import Path\n\n\n" + HEADER + '    Path("/tmp/note.txt").write_text(tenant)\n',
        "import os\nimport tempfile\nfrom pathlib import Path\n\n\n" + HEADER
        + "    with tempfile.TemporaryDirectory() as tmp_dir:\n"
          '        Path(os.path.join(tmp_dir, "note.txt")).write_text(tenant)\n',
    ),
    "early return": (
        "import os\n\n\n" + HEADER + '    """Write the tenant\'s file."""\n    if not event:\n        return None\n'
        '    target = os.path.join("/tmp", "t.bin")\n    with open(target, "wb") as fh:\n'
        "        fh.write(tenant.encode())\n    if event.get(\"stop\"):\n        return 1\n    return 2\n",
        "import os\nimport tempfile\n\n\n" + HEADER + '    """Write the tenant\'s file."""\n'
        "    if not event:\n        return None\n    with tempfile.TemporaryDirectory() as tmp_dir:\n"
        '        target = os.path.join(tmp_dir, "t.bin")\n        with open(target, "wb") as fh:\n'
        "            fh.write(tenant.encode())\n        if event.get(\"stop\"):\n            return 1\n"
        "        return 2\n",
    ),
    "chained call": (  # the analysis places the write where the call chain starts
        "import zipfile\n\n\n" + HEADER + '    zipfile.ZipFile(event["zip"]).extractall("/tmp/out")\n',
        "import os\nimport tempfile\nimport zipfile\n\n\n" + HEADER
        + "    with tempfile.TemporaryDirectory() as tmp_dir:\n"
          '        zipfile.ZipFile(event["zip"]).extractall(os.path.join(tmp_dir, "out"))\n',
    ),
    "concatenation": (
        HEADER + '    name = "/tmp/" + tenant + ".csv"\n    open(name, "w").write(tenant)\n',
        "import os\nimport tempfile\n\n\n" + HEADER + "    with tempfile.TemporaryDirectory() as tmp_dir:\n"
        '        name = os.path.join(tmp_dir, tenant) + ".csv"\n        open(name, "w").write(tenant)\n',
    ),
    "gettempdir": (
        "import os\nimport tempfile\n\ntmp_dir = None\n\n\n" + HEADER
        + '    out = os.path.join(tempfile.gettempdir(), tenant + ".log")\n    open(out, "a").write("x")\n',
        "import os\nimport tempfile\n\ntmp_dir = None\n\n\n" + HEADER
        + "    with tempfile.TemporaryDirectory() as tmp_dir_2:\n"
          '        out = os.path.join(tmp_dir_2, tenant + ".log")\n        open(out, "a").write("x")\n',
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_before_after_idempotent_and_the_finding_is_gone(tmp_path: Path, name: str) -> None:
    before, expected = CASES[name]
    assert dyn301(write_project(tmp_path, {"app.py": before}))
    after, skipped = fix(tmp_path, before)
    assert after == expected
    assert [code for code, _ in skipped if code == "DYN301"] == []
    ast.parse(after)
    assert dyn301(tmp_path) == []
    again, _ = fix(tmp_path, after)
    assert again == after


def test_a_second_write_of_the_function_goes_into_the_same_directory(tmp_path: Path) -> None:
    before = (HEADER + '    open("/tmp/a.txt", "w").write(tenant)\n    open("/tmp/b.txt", "w").write(tenant)\n')
    fix(tmp_path, before)  # one fix a block a run
    after, _ = fix(tmp_path, (tmp_path / "app.py").read_text())
    assert after.count("TemporaryDirectory") == 1
    assert 'os.path.join(tmp_dir, "a.txt")' in after and 'os.path.join(tmp_dir, "b.txt")' in after
    assert dyn301(tmp_path) == []


@pytest.mark.parametrize("body,reason", [
    # a cache: tested before it is used
    ('    path = "/tmp/rates.json"\n    if not os.path.exists(path):\n        with open(path, "w") as fh:\n'
     '            fh.write(tenant)\n    return open(path).read()\n', "read back"),
    ('    p = Path("/tmp/model.bin")\n    if not p.exists():\n        p.write_bytes(b"x")\n', "read back"),
    ('    with open("/tmp/cache/rates.json", "w") as fh:\n        fh.write(tenant)\n', "cache"),
    # the path leaves the function
    ('    path = f"/tmp/{tenant}.csv"\n    open(path, "w").write(tenant)\n    return path\n', "returned"),
    ('    global LAST\n    LAST = "/tmp/last.txt"\n    open(LAST, "w").write(tenant)\n', "global"),
    ('    path = "/tmp/x.txt"\n    open(path, "w").write(tenant)\n    SEEN.append(path)\n', "SEEN"),
    # a module-level path, which other code can read
    ('    open(REPORT, "w").write(tenant)\n', "module-level"),
    # built by the caller
    # the directory would go while the caller still runs the generator
    ('    path = "/tmp/rows.csv"\n    open(path, "w").write(tenant)\n    yield 1\n', "generator"),
    # a file with no path of its own
    ('    fd, name = tempfile.mkstemp()\n    os.write(fd, tenant.encode())\n', "makes a file"),
    # handed to a thread of a pool, which may upload it after the directory is gone
    ('    path = f"/tmp/{tenant}.csv"\n    open(path, "w").write(tenant)\n    POOL.submit(os.remove, path)\n',
     "background"),
], ids=["exists", "path-exists", "cache-name", "returned", "global", "container", "module-constant", "generator",
        "mkstemp", "executor"])
def test_no_fix_when_the_file_may_be_meant_to_outlive_the_invocation(tmp_path: Path, body: str,
                                                                      reason: str) -> None:
    before = ('import os\nimport tempfile\nfrom pathlib import Path\n\n'
              'REPORT = "/tmp/report.csv"\nSEEN = []\nLAST = None\nPOOL = None\n\n\n' + HEADER + body)
    after, skipped = fix(tmp_path, before)
    assert after == before
    reasons = [why for code, why in skipped if code == "DYN301"]
    assert reasons and all(reason in why for why in reasons), reasons


def test_a_path_from_the_caller_is_fixed_where_it_is_built(tmp_path: Path) -> None:
    before = ('def save(path, text):\n    open(path, "w").write(text)\n\n\n' + HEADER
              + '    save("/tmp/x.txt", tenant)\n')
    after, skipped = fix(tmp_path, before)
    assert after == before
    assert any("from the caller" in why for code, why in skipped if code == "DYN301")


def test_check_fix_applies_it_only_with_unsafe_fixes(tmp_path: Path) -> None:
    before, expected = CASES["constant"]
    write_project(tmp_path, {"app.py": before})
    safe = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert (tmp_path / "app.py").read_text() == before, safe.stdout
    assert "--unsafe-fixes" in safe.stdout + safe.stderr
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "app.py").read_text() == expected


@pytest.mark.parametrize("name", ["upload", "early return"])
def test_the_json_edit_reproduces_the_file_fix(tmp_path: Path, name: str) -> None:
    source = CASES[name][0]
    write_project(tmp_path, {"app.py": source})
    result = run_cli("check", "--output-format", "json", ".", cwd=tmp_path)
    [finding] = [f for f in json.loads(result.stdout) if f["code"] == "DYN301"]
    fix_ = finding["fix"]
    assert fix_["applicability"] == "unsafe"
    lines = source.splitlines(keepends=True)
    offset = lambda line, column: sum(len(x) for x in lines[:line - 1]) + column - 1  # noqa: E731
    edited = source
    for edit in sorted(fix_["edits"], key=lambda e: (e["line"], e["column"]), reverse=True):
        edited = (edited[:offset(edit["line"], edit["column"])] + edit["content"]
                  + edited[offset(edit["end_line"], edit["end_column"]):])
    after, _ = fix(tmp_path / "again", source)
    assert edited == after


RUNNER = """
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
class Context:
    tenant_id = sys.argv[2]
print(app.handler({"n": 1}, Context()))
print(sorted(os.listdir(os.environ["TMPDIR"])))
"""


def test_the_fixed_code_leaves_no_file_for_the_next_invocation(tmp_path: Path) -> None:
    """Run as Lambda would: the same environment (TMPDIR) serves two tenants one after the
    other. Unfixed, the first tenant's file is there for the second; fixed, nothing is."""
    before = ("import os\nimport tempfile\n\n\n" + HEADER
              + '    path = os.path.join(tempfile.gettempdir(), "statement.csv")\n'
                '    with open(path, "w") as fh:\n        fh.write(tenant)\n'
                "    with open(path) as fh:\n        return fh.read()\n")
    scratch = tmp_path / "scratch"

    def invoke(source_file: Path, tenant: str) -> list[str]:
        scratch.mkdir(exist_ok=True)
        env = {**os.environ, "TMPDIR": str(scratch)}
        proc = subprocess.run([sys.executable, "-c", RUNNER, str(source_file), tenant], env=env,
                              capture_output=True, text=True, timeout=60, check=True)
        answer, left = proc.stdout.splitlines()
        assert answer == tenant  # each invocation reads back its own file
        return ast.literal_eval(left)

    original = tmp_path / "original.py"
    original.write_text(before)
    assert invoke(original, "tenant-a") == ["statement.csv"]  # the first tenant's file stays for the next
    after, _ = fix(tmp_path / "project", before)
    assert "TemporaryDirectory" in after
    for entry in scratch.iterdir():
        entry.unlink()
    fixed = tmp_path / "fixed.py"
    fixed.write_text(after)
    assert invoke(fixed, "tenant-a") == []
    assert invoke(fixed, "tenant-b") == []


def test_a_path_another_function_reads_has_no_fix_in_the_file_nor_in_the_report(tmp_path: Path) -> None:
    """The JSON report renders fixes from a parse of only the functions with findings: the
    DYN301 fix looks at the whole module, as the file fix does."""
    source = (HEADER + '    open("/tmp/last.txt", "w").write(tenant)\n\n\n'
              'def previous():\n    return open("/tmp/last.txt").read()\n')
    after, skipped = fix(tmp_path, source)
    assert after == source
    assert any("other code of this module" in why for code, why in skipped if code == "DYN301")
    [finding] = [f for f in json.loads(run_cli("check", "--output-format", "json", ".", cwd=tmp_path).stdout)
                 if f["code"] == "DYN301"]
    assert finding["fix"] is None


def test_a_write_while_the_module_initialises_has_no_fix(tmp_path: Path) -> None:
    before = 'LOG = open("/tmp/app.log", "a")\n\n\n' + HEADER + "    LOG.write(tenant)\n"
    after, skipped = fix(tmp_path, before)
    assert after == before
    assert any("while the module initialises" in why for code, why in skipped if code == "DYN301"), skipped


def test_lines_the_move_pushes_past_the_line_length_are_wrapped_and_long_ones_left_as_they_were(
        tmp_path: Path) -> None:
    long_line = '    print({"tenant": tenant, "a": "aaaaaaaaaaaaaaaa", "b": "bbbbbbbbbbbbbbbb", "c": "cccccccccc"})\n'
    pushed = '    print("tenant", tenant, "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbb")\n'
    assert len(long_line) - 1 > 88 >= len(pushed) - 1 > 84
    before = HEADER + '    open("/tmp/a.txt", "w").write(tenant)\n' + long_line + pushed
    after, _ = fix(tmp_path, before)
    assert "    " + long_line in after  # as it was, four columns further right
    assert "    " + pushed not in after and '            "bbbbbbbbbbbbbbbbbbbbbbb",\n' in after
