"""A membership test of an attribute in values named in the code (``item["s"] in ("A", "B")``,
``Stage[item["s"]] in (Stage.A, Stage.B)``) is a decision on the attribute
(model/decisions.py): a condition that does not pin the attribute leaves it open
(model/guard_cover.py)."""

from __future__ import annotations

import pytest

from dynolint.model.guard_cover import spell
from tests.modelkit import model_of

HEAD = '''from enum import Enum
import boto3
table = boto3.resource("dynamodb").Table("jobs")

class Stage(Enum):
    NEW = 1
    HELD = 2

def handler(event, context):
    item = table.get_item(Key={"pk": event["pk"]})["Item"]
'''
WRITE = '''    table.update_item(Key={"pk": event["pk"]}, UpdateExpression="SET #s = :d",
                      ExpressionAttributeNames={"#s": "stage"},
                      ExpressionAttributeValues={":d": "DONE", ":n": "NEW", ":h": "HELD"},
                      ConditionExpression=GUARD)
'''


def _left_open(test: str, guard: str) -> list[str]:
    model = model_of({"app.py": HEAD + "    " + test + "\n        return\n" + WRITE.replace("GUARD", guard)})
    return [spell(d) for race in model.races() for d in race.left_open]


@pytest.mark.parametrize("test, spelled", [
    ('if item["stage"] not in ("NEW", "HELD"):', "stage in ('NEW', 'HELD')"),
    ('if Stage[item["stage"]] not in (Stage.NEW, Stage.HELD):', "stage in ('NEW', 'HELD')"),
    ('if Stage(item["stage"]) not in [Stage.NEW, Stage.HELD]:', "stage in (1, 2)"),
    ('if item["stage"] in ("DONE",):', "stage not in ('DONE',)"),
])
def test_a_membership_test_on_the_attribute_is_left_open_by_an_existence_check(test: str, spelled: str) -> None:
    assert _left_open(test, '"attribute_exists(pk)"') == [spelled]
    assert _left_open(test, '"attribute_exists(#s)"') == [spelled]  # the attribute there says not which value


@pytest.mark.parametrize("test", [
    'if item["stage"] not in ("NEW", "HELD"):',
    'if event["stage"] not in ("NEW", "HELD"):',  # the request's value, not the item's
])
def test_a_condition_on_the_attribute_pins_it(test: str) -> None:
    assert _left_open(test, '"#s IN (:n, :h)"') == []
    assert _left_open(test, '"#s = :n"') == []
