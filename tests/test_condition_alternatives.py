"""What a condition guards when its parts are alternatives (OR, boto3's ``Attr | Attr``), and
when a create after a miss asks only for a non-key attribute to be missing. Each positive was
missed before: any compared attribute in an OR counted as pinned, and any condition made a
create after a miss create-only."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import line_codes

HEAD = '''import boto3
from boto3.dynamodb.conditions import Attr

table = boto3.resource("dynamodb").Table("orders")

'''

SHIP = '''
def ship(event, context):
    item = table.get_item(Key={"pk": event["id"]})["Item"]
    if item["status"] != "NEW":
        return None
    return table.put_item(Item={**item, "status": "SHIPPED"}, CONDITION)
'''

NAMES = 'ExpressionAttributeNames={"#s": "status"}'


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", HEAD + textwrap.dedent(source))


def write_line(source: str) -> int:
    lines = (HEAD + textwrap.dedent(source)).splitlines()
    return next(i for i, line in enumerate(lines, 1) if "put_item(" in line)


@pytest.mark.parametrize("condition", [
    'ConditionExpression="attribute_exists(pk) OR #s = :new", ' + NAMES
    + ', ExpressionAttributeValues={":new": "NEW"}',
    'ConditionExpression="#s = :new OR priority = :hi", ' + NAMES
    + ', ExpressionAttributeValues={":new": "NEW", ":hi": 1}',
    'ConditionExpression=Attr("pk").exists() | Attr("status").eq("NEW")',
    'ConditionExpression=Attr("status").eq("NEW") | Attr("vip").eq(True)',
])
def test_an_alternative_that_lets_any_status_through_pins_no_status(tmp_path: Path, condition: str) -> None:
    source = SHIP.replace("CONDITION", condition)
    assert run(tmp_path, source) == {(write_line(source), "DYN101")}


@pytest.mark.parametrize("condition", [
    'ConditionExpression="#s = :new", ' + NAMES + ', ExpressionAttributeValues={":new": "NEW"}',
    # made now, or in the state decided
    'ConditionExpression="attribute_not_exists(pk) OR #s = :new", ' + NAMES
    + ', ExpressionAttributeValues={":new": "NEW"}',
    # every alternative pins the status
    'ConditionExpression="#s = :new OR (#s = :held AND priority = :hi)", ' + NAMES
    + ', ExpressionAttributeValues={":new": "NEW", ":held": "HELD", ":hi": 1}',
    # NOT (a OR b) is NOT a AND NOT b
    'ConditionExpression="NOT (#s <> :new OR attribute_not_exists(pk))", ' + NAMES
    + ', ExpressionAttributeValues={":new": "NEW"}',
    'ConditionExpression=Attr("pk").exists() & Attr("status").eq("NEW")',
    'ConditionExpression=Attr("status").eq("NEW") | Attr("status").eq("HELD")',
    'ConditionExpression=~(Attr("status").ne("NEW") | Attr("pk").not_exists())',
])
def test_alternatives_that_all_pin_the_status_guard_it(tmp_path: Path, condition: str) -> None:
    assert run(tmp_path, SHIP.replace("CONDITION", condition)) == set()


def test_a_lease_taken_over_when_absent_or_expired_is_guarded(tmp_path: Path) -> None:
    source = '''
import time


def take(event, context):
    lease = table.get_item(Key={"pk": event["id"]}).get("Item")
    now = int(time.time())
    if lease is not None and lease["expires"] >= now:
        return False
    table.put_item(Item={"pk": event["id"], "owner": event["me"], "expires": now + 30},
                   ConditionExpression="attribute_not_exists(pk) OR expires < :now",
                   ExpressionAttributeValues={":now": now})
    return True
'''
    assert run(tmp_path, source) == set()


CREATE = '''
def create(event, context):
    key = {"pk": event["id"]}
    if "Item" not in table.get_item(Key=key):
        table.put_item(Item={**key, "status": "NEW"}, CONDITION)
'''


@pytest.mark.parametrize("condition", [
    'ConditionExpression="attribute_not_exists(note)"',
    'ConditionExpression=Attr("shipped_at").not_exists()',
])
def test_a_create_only_on_a_non_key_attribute_overwrites_an_item_made_since(tmp_path: Path, condition: str) -> None:
    source = CREATE.replace("CONDITION", condition)
    assert run(tmp_path, source) == {(write_line(source), "DYN101")}


@pytest.mark.parametrize("condition", [
    'ConditionExpression="attribute_not_exists(pk)"',
    'ConditionExpression=Attr("pk").not_exists()',
    # an attribute the write itself sets: a second creator finds it there
    'ConditionExpression="attribute_not_exists(#s)", ' + NAMES,
])
def test_a_create_only_condition_guards_the_create(tmp_path: Path, condition: str) -> None:
    assert run(tmp_path, CREATE.replace("CONDITION", condition)) == set()


def test_the_configured_version_attribute_is_create_only(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dynolint.tables.orders]\npartition-key = "pk"\nversion-attribute = "rev"\n')
    source = CREATE.replace("CONDITION", 'ConditionExpression="attribute_not_exists(rev)"')
    assert run(tmp_path, source) == set()


def test_a_part_found_missing_in_an_item_put_back_is_no_create(tmp_path: Path) -> None:
    # the item is there (a part of it was missing): the write sets that part, and the condition
    # that it is still missing fails for a second writer that read the same
    source = '''
def finish(event, context):
    job = table.get_item(Key={"pk": event["id"]})["Item"]
    if "done_at" in job["history"]:
        return None
    job["history"]["done_at"] = event["now"]
    return table.put_item(Item=job, ConditionExpression="attribute_not_exists(#h.#d)",
                          ExpressionAttributeNames={"#h": "history", "#d": "done_at"})
'''
    assert run(tmp_path, source) == set()
