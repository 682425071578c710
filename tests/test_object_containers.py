"""An item read kept in a container an object holds (``self.cache[cid] = item``,
``self.held.append(item)``): the object's dict or list holds it, where the same method or
another one writes it back. Each was a missed DYN101 (a store into an attribute's dict or list
left the attribute as it was)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import line_codes

HEAD = '''import boto3

table = boto3.resource("dynamodb").Table("carts")

'''


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", HEAD + textwrap.dedent(source))


def write_line(source: str) -> int:
    lines = (HEAD + textwrap.dedent(source)).splitlines()
    return next(i for i, line in enumerate(lines, 1) if "put_item(" in line)


CACHED = '''
class Session:
    def __init__(self):
        self.cache = {}

    def add_line(self, cid, sku):
        self.cache[cid] = table.get_item(Key={"cid": cid})["Item"]
        self.cache[cid]["lines"].append(sku)
        table.put_item(Item=self.cache[cid])


def handler(event, context):
    Session().add_line(event["cid"], event["sku"])
'''


def test_an_item_kept_in_an_objects_dict_and_written_back(tmp_path: Path) -> None:
    assert run(tmp_path, CACHED) == {(write_line(CACHED), "DYN101")}


def test_guarded_by_a_version_it_is_no_finding(tmp_path: Path) -> None:
    guarded = CACHED.replace("table.put_item(Item=self.cache[cid])",
                             'table.put_item(Item=self.cache[cid], ConditionExpression="attribute_exists(cid) '
                             'AND lines = :seen", ExpressionAttributeValues={":seen": self.cache[cid]["lines"]})')
    assert "ConditionExpression" in guarded
    assert run(tmp_path, guarded) == set()


def test_another_key_in_the_objects_dict_is_no_finding(tmp_path: Path) -> None:
    other = CACHED.replace("table.put_item(Item=self.cache[cid])",
                           'table.put_item(Item={"cid": "new-" + cid, "lines": [sku]})')
    assert run(tmp_path, other) == set()


UNIT = '''
class Unit:
    def __init__(self):
        self.held = []

    def load(self, cid):
        item = table.get_item(Key={"cid": cid})["Item"]
        self.held.append(item)
        return item

    def flush(self):
        for item in self.held:
            table.put_item(Item=item)


def handler(event, context):
    unit = Unit()
    cart = unit.load(event["cid"])
    cart["lines"].append(event["sku"])
    unit.flush()
'''


def test_an_item_held_in_an_objects_list_is_written_back_by_another_method(tmp_path: Path) -> None:
    assert run(tmp_path, UNIT) == {(write_line(UNIT), "DYN101")}


def test_a_new_item_held_in_the_list_is_no_finding(tmp_path: Path) -> None:
    fresh = UNIT.replace('item = table.get_item(Key={"cid": cid})["Item"]', 'item = {"cid": cid, "lines": []}')
    assert run(tmp_path, fresh) == set()
