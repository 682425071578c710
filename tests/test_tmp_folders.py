"""A folder made under /tmp and then written into by the same function is one leak, reported
at the call that creates the file (the catalogue's place), not a second time at the folder; a
folder the code makes and writes nothing into (handed to another program, left for a later
invocation) is reported at the call that makes it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

HEAD = '''
import os
import tempfile
from pathlib import Path

def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
'''

CASES = {
    "makedirs-then-open": ('os.makedirs("/tmp/out", exist_ok=True)\n'
                           '    open(os.path.join("/tmp/out", tenant + ".csv"), "w").write("x")', {9}),
    "mkdir-then-write-text": ('d = Path("/tmp/out")\n    d.mkdir(exist_ok=True)\n'
                              '    (d / f"{tenant}.csv").write_text("x")', {10}),
    "mkdtemp-then-open": ('w = tempfile.mkdtemp()\n    open(f"{w}/data.csv", "w").write(tenant)', {9}),
    "makedirs-then-extractall": ('os.makedirs("/tmp/x", exist_ok=True)\n'
                                 '    import zipfile\n    zipfile.ZipFile(event["zip"]).extractall("/tmp/x")', {10}),
    # a file of a constant name in a constant folder (the path folds into one string)
    "mkdir-then-constant-file": ('d = Path("/tmp/brand")\n    d.mkdir(exist_ok=True)\n'
                                 '    (d / "theme.css").write_text(tenant)', {10}),
    "makedirs-then-constant-join": ('os.makedirs("/tmp/brand", exist_ok=True)\n'
                                    '    open(os.path.join("/tmp/brand", "theme.css"), "w").write(tenant)', {9}),
    # a constant file whose name only begins like the folder's is beside it
    "constant-file-beside": ('os.makedirs("/tmp/brand", exist_ok=True)\n'
                             '    open("/tmp/brand.css", "w").write(tenant)', {8, 9}),
    "folder-alone": ('os.makedirs(f"/tmp/profiles/{tenant}", exist_ok=True)', {8}),
    # a file written beside the folder, not into it: both stay
    "file-beside": ('os.makedirs("/tmp/out", exist_ok=True)\n    open("/tmp/out.csv", "w").write(tenant)', {8, 9}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_folder_and_file(tmp_path: Path, name: str) -> None:
    body, lines = CASES[name]
    (tmp_path / "app.py").write_text(textwrap.dedent(HEAD) + "    " + body + "\n")
    assert {line for _, line, code in triples(findings_in(tmp_path)) if code == "DYN301"} == lines
