"""The DYN301 fix moves one file into a per-invocation directory; it must not leave behind what
the code reaches through other names, nor write into a folder the new directory lacks.

The bugs these tests pin down (each made every call fail): ``open(f"/tmp/{tenant}/out.json",
"w")`` became ``open(os.path.join(tmp_dir, f"{tenant}/out.json"), "w")``, a folder the new
directory does not have (FileNotFoundError; the folder made by ``os.makedirs(f"/tmp/{tenant}")``
stayed in /tmp); a file handed to a command as text (``f"gzip -k /tmp/{tenant}.json"``) or a file a
tool made beside it (``"/tmp/report.csv.gz"``) was looked for in /tmp while the file moved. No fix
now, with the reason; a file at the top of /tmp, named the same way everywhere, is still fixed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_fix_tmp_dir import HEADER, dyn301, fix

HEAD = "import os\nimport subprocess\n\nimport boto3\n\ns3 = boto3.client(\"s3\")\n\n\n"


@pytest.mark.parametrize("body,reason", [
    ('    with open(f"/tmp/{tenant}/out.json", "w") as fh:\n        fh.write(tenant)\n', "in a folder under /tmp"),
    ('    with open("/tmp/work/a.txt", "w") as fh:\n        fh.write(tenant)\n', "in a folder under /tmp"),
    ('    with open(os.path.join("/tmp", "work", tenant), "w") as fh:\n        fh.write(tenant)\n',
     "in a folder under /tmp"),
    ('    with open(f"/tmp/{tenant}.json", "w") as fh:\n        fh.write(tenant)\n'
     '    subprocess.run(f"gzip -k /tmp/{tenant}.json", shell=True, check=True)\n', "inside a text"),
    ('    path = "/tmp/report.csv"\n    with open(path, "w") as fh:\n        fh.write(tenant)\n'
     '    subprocess.run(["gzip", "-k", path], check=True)\n'
     '    s3.upload_file("/tmp/report.csv.gz", "bucket", tenant)\n', "in or beside the one written"),
], ids=["f-string-folder", "constant-folder", "join-folder", "command", "derived-name"])
def test_no_fix_when_the_moved_file_would_not_be_found(tmp_path: Path, body: str, reason: str) -> None:
    before = HEAD + HEADER + body
    after, skipped = fix(tmp_path, before)
    assert after == before
    reasons = [why for code, why in skipped if code == "DYN301"]
    assert reasons and any(reason in why for why in reasons), reasons


def test_the_folder_made_for_the_file_is_not_moved_without_it(tmp_path: Path) -> None:
    """It moves with it now (tests/test_fix_tmp_folder.py): both findings, one change."""
    before = (HEAD + HEADER + '    os.makedirs(f"/tmp/{tenant}", exist_ok=True)\n'
              '    with open(f"/tmp/{tenant}/out.json", "w") as fh:\n        fh.write(tenant)\n')
    after, skipped = fix(tmp_path, before)
    assert [code for code, _ in skipped if code == "DYN301"] == []
    assert 'os.makedirs(os.path.join(tmp_dir, f"{tenant}"), exist_ok=True)' in after
    assert 'open(os.path.join(tmp_dir, f"{tenant}/out.json"), "w")' in after


def test_a_file_at_the_top_named_the_same_way_everywhere_is_still_moved(tmp_path: Path) -> None:
    before = (HEAD + HEADER + '    with open(f"/tmp/{tenant}.json", "w") as fh:\n        fh.write(tenant)\n'
              '    s3.upload_file(f"/tmp/{tenant}.json", "bucket", tenant)\n')
    after, skipped = fix(tmp_path, before)
    assert 'open(os.path.join(tmp_dir, f"{tenant}.json"), "w")' in after
    assert 's3.upload_file(os.path.join(tmp_dir, f"{tenant}.json"), "bucket", tenant)' in after
    ast.parse(after)
    again, _ = fix(tmp_path, after)
    assert again == after
    assert dyn301(tmp_path) == []
