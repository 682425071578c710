"""An enumeration's member looked up by name (``Stage[item["stage"]]``) is kept as what
identifies it, as ``Stage(value)`` is: a comparison with a member decides on the attribute read,
and the attribute holds the member's name (model/classes.py ``enum_member_named``)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

SOURCE = '''import boto3
from enum import Enum
t = boto3.resource("dynamodb").Table("jobs")
class Stage(Enum):
    WAITING = "Not Started"
    RUNNING = "Running"
class Flag(Enum):
    ON = "ON"
    OFF = "OFF"
def start(k):
    item = t.get_item(Key={{"pk": k}})["Item"]
    if {test}:
        return
    t.update_item(Key={{"pk": k}}, UpdateExpression="SET stage = :s", ConditionExpression={condition},
                  ExpressionAttributeValues={{":s": "RUNNING"{extra}}})
'''


def run(test: str, condition: str = '"attribute_exists(pk)"',
        extra: str = "") -> tuple[list[tuple[str | None, object]], list[str]]:
    model = model_of({"f.py": SOURCE.format(test=test, condition=condition, extra=extra)})
    decided = [(d.attribute, getattr(d.other, "value", d.other)) for r in model.interp.writes for d in r.decisions]
    return decided, list(race_kinds(model).values())


@pytest.mark.parametrize(("test", "expected"), [
    # members not named as their values: the attribute holds the name
    ('Stage[item["stage"]] != Stage.WAITING', [("stage", "WAITING")]),
    ('Stage[item["stage"]] is not Stage.WAITING', [("stage", "WAITING")]),
    # members named as their values: the name is the value
    ('Flag[item["flag"]] != Flag.ON', [("flag", "ON")]),
])
def test_a_member_by_name_decides_on_the_attribute(test: str, expected: list[tuple[str, object]]) -> None:
    decided, kinds = run(test)
    assert decided == expected
    assert kinds == ["overwrite"]  # attribute_exists(pk) leaves the decision open


def test_a_condition_pinning_the_name_is_a_guard() -> None:
    decided, kinds = run('Stage[item["stage"]] != Stage.WAITING', '"stage = :w"', ', ":w": "WAITING"')
    assert decided == [("stage", "WAITING")] and kinds == []


def test_a_member_named_in_the_code_is_that_member() -> None:
    decided, kinds = run('Stage["WAITING"] != Stage.WAITING')
    assert decided == [] and kinds == []
