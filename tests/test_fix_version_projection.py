"""The optimistic-lock fix compares the stored version with ``item.get("version", 0)``. When the
read projects its attributes without the version (``ProjectionExpression="note_id, title, body"``)
that is always 0: on an item that has a version, every write failed the condition, forever (the
first fixed write stored version 1, then no write passed). No fix now when a read of the function
leaves the version out, with the reason; a projection that names it (or through a ``#v`` alias)
is fixed as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_fixed_for_good, fix_unsafe, write_project

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
    after, reasons = fix_unsafe(tmp_path, "app.py")
    return before, after, reasons


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
    assert_fixed_for_good(tmp_path, "app.py", after)
