"""A path's text is the same place (issue 14, DYN301): ``str(path)``, ``os.fspath(path)`` and
``os.fsencode(path)`` of a path under /tmp, however the path was built (a module constant made
with ``Path("/tmp") / "models"``, ``os.path.join``, a name bound in the function), hand a
library call the file the path names; what the code removes again through any spelling of the
path is per request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, write_project

HEAD = '''import os
from pathlib import Path

import boto3

s3 = boto3.client("s3")
MODELS = Path("/tmp") / "models"
JOINED = os.path.join("/tmp", "models")


def handler(event, context):
    tenant = context.tenant_id
'''


def codes(tmp_path: Path, body: str) -> list[tuple[int, str]]:
    write_project(tmp_path, {"app.py": HEAD + body})
    return sorted((f.line - HEAD.count("\n"), f.code) for f in findings_in(tmp_path).findings
                  if f.code.startswith("DYN3"))


@pytest.mark.parametrize("target", [
    'str(MODELS / "model.bin")', 'os.fspath(MODELS / "model.bin")', 'str(Path(JOINED) / "model.bin")',
    'str(Path("/tmp/model.bin"))', 'os.fsencode(MODELS / "model.bin")',
])
def test_the_text_of_a_path_under_tmp_is_under_tmp(tmp_path: Path, target: str) -> None:
    body = f'''    s3.download_file("models", f"{{tenant}}/model.bin", {target})
'''
    assert codes(tmp_path, body) == [(1, "DYN301")]


def test_a_model_cached_under_a_fixed_name_is_the_next_tenants_model(tmp_path: Path) -> None:
    body = '''    target = MODELS / "model.bin"
    if not target.exists():
        s3.download_file("models", f"{tenant}/model.bin", str(target))
    return target.stat().st_size
'''
    assert codes(tmp_path, body) == [(3, "DYN301")]


@pytest.mark.parametrize("removal", ["target.unlink()", "os.remove(str(target))", "os.remove(os.fspath(target))"])
def test_removed_through_any_spelling_of_the_path_it_is_per_request(tmp_path: Path, removal: str) -> None:
    body = f'''    target = MODELS / "model.bin"
    try:
        s3.download_file("models", f"{{tenant}}/model.bin", str(target))
        return target.stat().st_size
    finally:
        {removal}
'''
    assert codes(tmp_path, body) == []


def test_the_text_of_a_path_elsewhere_is_not_tmp(tmp_path: Path) -> None:
    body = '''    s3.download_file("models", f"{tenant}/model.bin", str(Path("/mnt/efs") / tenant / "model.bin"))
'''
    assert codes(tmp_path, body) == []
