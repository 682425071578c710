"""A test on the item held in a local name and branched on later (``ok = item["s"] == "NEW"``,
then ``if ok:``) is a decision of the path that branches, as a helper's returned test is
(model/verdicts.py, ``ControlMixin.flag_test``)."""

from __future__ import annotations

import pytest

from dynolint.model.guard_cover import spell
from tests.modelkit import model_of

HEAD = '''import boto3
table = boto3.resource("dynamodb").Table("jobs")

def handler(event, context):
    item = table.get_item(Key={"pk": event["pk"]})["Item"]
'''
WRITE = '''table.update_item(Key={"pk": event["pk"]}, UpdateExpression="SET #s = :r",
                      ExpressionAttributeNames={"#s": "state"},
                      ExpressionAttributeValues={":r": "RUNNING", ":q": "QUEUED"},
                      ConditionExpression=GUARD)'''


def _left_open(body: str, guard: str) -> list[list[str]]:
    model = model_of({"app.py": HEAD + body.replace("WRITE", WRITE.replace("GUARD", guard))})
    return [[spell(d) for d in race.left_open] for race in model.races()]


@pytest.mark.parametrize("body, spelled", [
    ('    ok = item["state"] == "QUEUED"\n    if ok:\n        WRITE\n', ["state == 'QUEUED'"]),
    ('    busy = item["state"] != "QUEUED"\n    if busy:\n        return\n    WRITE\n', ["state == 'QUEUED'"]),
    ('    ok = item["state"] == "QUEUED" and item["tries"] < 3\n    if ok:\n        WRITE\n',
     ["state == 'QUEUED'", "tries < 3"]),
    ('    ok = not item["state"] == "DONE"\n    if ok:\n        WRITE\n', ["state != 'DONE'"]),
], ids=["flag", "flag-early-return", "and", "not"])
def test_a_decision_held_in_a_flag_is_left_open_by_a_key_only_condition(body: str, spelled: list[str]) -> None:
    assert _left_open(body, '"attribute_exists(pk)"') == [spelled]


def test_a_flag_decision_pinned_by_the_condition_is_a_guard() -> None:
    body = '    ok = item["state"] == "QUEUED"\n    if ok:\n        WRITE\n'
    assert _left_open(body, '"#s = :q"') == []


def test_a_flag_not_branched_on_decides_nothing() -> None:
    body = '    ok = item["state"] == "QUEUED"\n    WRITE\n    return ok\n'
    assert _left_open(body, '"attribute_exists(pk)"') == []


def test_a_flag_on_the_request_decides_nothing_about_the_item() -> None:
    body = '    ok = event["force"] == "yes"\n    if ok:\n        WRITE\n'
    assert _left_open(body, '"attribute_exists(pk)"') == []
