"""DYN301 for a file in a folder under /tmp that the function makes itself
(``os.makedirs("/tmp/exports", exist_ok=True)``, ``Path("/tmp/w").mkdir(parents=True)``): it had
no fix (the per-invocation directory has no such folder). When the function's own body makes
the folder, in a statement of its own before it names any file there, the folder moves with
the files the function names right in it: made in the new directory, then written there. The
folder's finding and the file's are fixed by that one change. Still no fix, with the reason,
when the folder is made in a branch, after the file is used, without its parents, or when a
file deeper in it, or one only tested or read (kept from an earlier invocation), is named."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.test_fix_tmp_dir import HEADER, dyn301, fix

HEAD = 'import os\nfrom pathlib import Path\n\nimport boto3\n\ns3 = boto3.client("s3")\n\n\n'


def test_a_folder_the_function_makes_moves_with_its_file(tmp_path: Path) -> None:
    before = (HEAD + HEADER + '    os.makedirs(f"/tmp/{tenant}", exist_ok=True)\n'
              '    with open(f"/tmp/{tenant}/out.json", "w") as fh:\n        fh.write(tenant)\n'
              '    s3.upload_file(f"/tmp/{tenant}/out.json", "bucket", tenant)\n')
    after, skipped = fix(tmp_path, before)
    assert [why for code, why in skipped if code == "DYN301"] == []
    assert after == ("import os\nimport tempfile\n" + HEAD.removeprefix("import os\n") + HEADER
                     + "    with tempfile.TemporaryDirectory() as tmp_dir:\n"
                       '        os.makedirs(os.path.join(tmp_dir, f"{tenant}"), exist_ok=True)\n'
                       '        with open(os.path.join(tmp_dir, f"{tenant}/out.json"), "w") as fh:\n'
                       "            fh.write(tenant)\n"
                       '        s3.upload_file(os.path.join(tmp_dir, f"{tenant}/out.json"), "bucket", tenant)\n')
    ast.parse(after)
    again, _ = fix(tmp_path, after)
    assert again == after  # idempotent
    assert dyn301(tmp_path) == []


def test_path_mkdir_with_parents_moves_too(tmp_path: Path) -> None:
    before = (HEAD + HEADER + '    Path("/tmp/exports/daily").mkdir(parents=True, exist_ok=True)\n'
              '    Path("/tmp/exports/daily/rows.csv").write_text(tenant)\n'
              '    s3.upload_file("/tmp/exports/daily/rows.csv", "bucket", tenant)\n')
    after, skipped = fix(tmp_path, before)
    assert [why for code, why in skipped if code == "DYN301"] == []
    assert 'Path(os.path.join(tmp_dir, "exports/daily")).mkdir(parents=True, exist_ok=True)' in after
    assert 'Path(os.path.join(tmp_dir, "exports/daily/rows.csv")).write_text(tenant)' in after
    ast.parse(after)
    assert fix(tmp_path, after)[0] == after
    assert dyn301(tmp_path) == []


@pytest.mark.parametrize("body,reason", [
    ('    if event.get("fresh"):\n        os.makedirs("/tmp/exports", exist_ok=True)\n'
     '    with open("/tmp/exports/a.csv", "w") as fh:\n        fh.write(tenant)\n', "in a folder under /tmp"),
    ('    with open("/tmp/exports/a.csv", "w") as fh:\n        fh.write(tenant)\n'
     '    os.makedirs("/tmp/exports", exist_ok=True)\n', "before the function makes its folder"),
    ('    os.mkdir("/tmp/exports/daily")\n'
     '    with open("/tmp/exports/daily/a.csv", "w") as fh:\n        fh.write(tenant)\n', "in a folder under /tmp"),
    ('    os.makedirs("/tmp/exports", exist_ok=True)\n'
     '    with open("/tmp/exports/a.csv", "w") as fh:\n        fh.write(tenant)\n'
     '    s3.upload_file("/tmp/exports/old/a.csv", "bucket", tenant)\n', "that the function does not make"),
    ('    os.makedirs("/tmp/exports", exist_ok=True)\n'
     '    if os.path.exists("/tmp/exports/seen.txt"):\n        return "again"\n'
     '    with open("/tmp/exports/a.csv", "w") as fh:\n        fh.write(tenant)\n', "seen.txt"),
], ids=["made-in-a-branch", "made-after-use", "mkdir-without-parents", "deeper-file", "kept-file"])
def test_no_fix_when_the_folder_would_not_be_there(tmp_path: Path, body: str, reason: str) -> None:
    before = HEAD + HEADER + body
    after, skipped = fix(tmp_path, before)
    assert after == before
    reasons = [why for code, why in skipped if code == "DYN301"]
    assert reasons and any(reason in why for why in reasons), reasons


RUNNER = """
import importlib.util, os, sys, types
sys.modules["boto3"] = types.SimpleNamespace(client=lambda name: types.SimpleNamespace(
    upload_file=lambda path, bucket, key: print(open(path).read())))
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
class Context:
    tenant_id = sys.argv[2]
app.handler({}, Context())
"""


def test_the_fixed_code_writes_uploads_and_leaves_no_folder(tmp_path: Path) -> None:
    folder = f"/tmp/dynolint-test-{uuid.uuid4().hex}"
    before = (HEAD + HEADER + f'    os.makedirs("{folder}", exist_ok=True)\n'
              f'    with open("{folder}/report.csv", "w") as fh:\n        fh.write(tenant)\n'
              f'    s3.upload_file("{folder}/report.csv", "bucket", tenant)\n')
    after, _ = fix(tmp_path / "project", before)
    assert "TemporaryDirectory" in after and f'"{folder}' not in after
    fixed = tmp_path / "fixed.py"
    fixed.write_text(after)
    for tenant in ("tenant-a", "tenant-b"):
        proc = subprocess.run([sys.executable, "-c", RUNNER, str(fixed), tenant], capture_output=True, text=True,
                              timeout=60, check=True)
        assert proc.stdout.strip() == tenant  # the file was written where it was uploaded from
        assert not os.path.exists(folder)  # and nothing is left for the next tenant


def test_a_file_named_through_path_and_as_the_string_moves_everywhere(tmp_path: Path) -> None:
    """``Path("/tmp/rows.csv").write_text(...)`` moved, and ``s3.upload_file("/tmp/rows.csv", ...)``
    left behind: the upload failed, or sent what another invocation left there."""
    before = (HEAD + HEADER + '    Path("/tmp/rows.csv").write_text(tenant)\n'
              '    s3.upload_file("/tmp/rows.csv", "bucket", tenant)\n')
    after, skipped = fix(tmp_path, before)
    assert 'Path(os.path.join(tmp_dir, "rows.csv")).write_text(tenant)' in after
    assert 's3.upload_file(os.path.join(tmp_dir, "rows.csv"), "bucket", tenant)' in after
    assert '"/tmp/rows.csv"' not in after
    ast.parse(after)
    assert fix(tmp_path, after)[0] == after
    assert dyn301(tmp_path) == []


def test_a_string_probed_before_a_path_write_is_a_kept_file(tmp_path: Path) -> None:
    before = (HEAD + HEADER + '    if os.path.exists("/tmp/rows.csv"):\n        return "cached"\n'
              '    Path("/tmp/rows.csv").write_text(tenant)\n')
    after, skipped = fix(tmp_path, before)
    assert after == before
    assert any("read back" in why for code, why in skipped if code == "DYN301"), skipped
