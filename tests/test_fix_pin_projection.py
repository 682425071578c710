"""The pinned guard of DYN101 compares each attribute the path decided on with the value the
code read. An attribute the read projects out (``ProjectionExpression`` without it,
``AttributesToGet``) was never read: ``item.get("priority", 0)`` is always the default, and a
condition pinning it fails whenever the stored item has one, so writes that are meant to
succeed are refused forever. No fix then, with the reason; a projection that names every
pinned attribute (also through a ``#`` alias), or none, is fixed as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_fixed_for_good, fix_unsafe, write_project

SOURCE = '''import boto3

table = boto3.resource("dynamodb").Table("tasks")


def escalate(task_id: str) -> bool:
    task = table.get_item(Key={{"id": task_id}}, {projection})["Item"]
    if task["status"] != "open" or task.get("priority", 0) > 5:
        return False
    table.update_item(
        Key={{"id": task_id}},
        UpdateExpression="SET #s = :e",
        ExpressionAttributeNames={{"#s": "status"}},
        ExpressionAttributeValues={{":e": "escalated"}},
    )
    return True
'''


def _fix(tmp_path: Path, projection: str) -> tuple[str, str, list[str]]:
    before = SOURCE.format(projection=projection)
    write_project(tmp_path, {"app.py": before})
    after, reasons = fix_unsafe(tmp_path, "app.py")
    return before, after, reasons


@pytest.mark.parametrize("projection", [
    'ProjectionExpression="id, #s", ExpressionAttributeNames={"#s": "status"}',
    'AttributesToGet=["id", "status"]',
])
def test_a_pinned_attribute_the_read_left_out_means_no_fix(tmp_path: Path, projection: str) -> None:
    before, after, reasons = _fix(tmp_path, projection)
    assert after == before
    assert len(reasons) == 1 and "'priority'" in reasons[0], reasons


@pytest.mark.parametrize("projection", [
    'ProjectionExpression="id, #s, priority", ExpressionAttributeNames={"#s": "status"}',
    'ProjectionExpression="id, #s, #p", ExpressionAttributeNames={"#s": "status", "#p": "priority"}',
    'ConsistentRead=True',
])
def test_a_read_of_every_pinned_attribute_is_fixed(tmp_path: Path, projection: str) -> None:
    before, after, reasons = _fix(tmp_path, projection)
    assert reasons == [] and after != before
    assert "ConditionExpression" in after and '"priority"' in after
    assert_fixed_for_good(tmp_path, "app.py", after)
