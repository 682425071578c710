"""The optimistic-lock fix compares the stored version with ``item.get("version", 0)``. When the
read projects its attributes without the version (``ProjectionExpression="note_id, title, body"``)
that is always 0: on an item that has a version, every write failed the condition, forever (the
first fixed write stored version 1, then no write passed). No fix now when a read of the function
leaves the version out, with the reason; a projection that names it (or through a ``#v`` alias)
is fixed as before."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.notes]\npartition-key = "note_id"\nversion-attribute = "version"\n'
SOURCE = '''import boto3

table = boto3.resource("dynamodb").Table("notes")


def retitle(note_id: str, title: str) -> None:
    item = table.get_item(Key={{"note_id": note_id}}, {projection})["Item"]
    item["title"] = title
    table.put_item(Item=item)


def append(note_id: str, line: str) -> None:
    item = table.get_item(Key={{"note_id": note_id}}, {projection})["Item"]
    table.update_item(
        Key={{"note_id": note_id}},
        UpdateExpression="SET body = :b",
        ExpressionAttributeValues={{":b": "\\n".join([item["body"], line])}},
    )
'''


def _fix(tmp_path: Path, projection: str) -> tuple[str, str, list[str]]:
    before = SOURCE.format(projection=projection)
    write_project(tmp_path, {"app.py": before, "pyproject.toml": CONFIG})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    return before, (tmp_path / "app.py").read_text(), [why for _, why in report.skipped]


@pytest.mark.parametrize("projection", [
    'ProjectionExpression="note_id, title, body"',
    'ProjectionExpression="#t, body", ExpressionAttributeNames={"#t": "title"}',
    'AttributesToGet=["note_id", "title", "body"]',
])
def test_a_read_without_the_version_means_no_fix(tmp_path: Path, projection: str) -> None:
    before, after, reasons = _fix(tmp_path, projection)
    assert after == before
    assert len(reasons) == 2 and all("'version'" in why for why in reasons), reasons


@pytest.mark.parametrize("projection", [
    'ProjectionExpression="note_id, title, body, version"',
    'ProjectionExpression="note_id, title, body, #v", ExpressionAttributeNames={"#v": "version"}',
    'ConsistentRead=True',
])
def test_a_read_with_the_version_is_fixed(tmp_path: Path, projection: str) -> None:
    before, after, reasons = _fix(tmp_path, projection)
    assert reasons == [] and after != before
    assert after.count('"(attribute_not_exists(#dl_ver) OR #dl_ver = :dl_ver)"') == 2
    ast.parse(after)
    config = discover(tmp_path, set(KNOWN_CODES))
    assert check_paths([tmp_path], config, Options(use_cache=False)).findings == []
    again = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent
