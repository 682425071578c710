"""Arithmetic on an item read reaches the item however the code changes it in place: through
a name holding a part of it (``usage = item["usage"]``, ``item.setdefault("usage", {})``), by
``dict.update`` (positional dict or keywords), or in a helper given the item or a part of it.
The item put back is a read-add-write (DYN102); values that are not arithmetic on the read
leave it an overwrite (DYN101)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import boto3

table = boto3.resource("dynamodb").Table("keys")


def add_one(part):
    part["calls"] = part.get("calls", 0) + 1


def set_seen(part, when):
    part["seen"] = when


def handler(event, context):
    item = table.get_item(Key={"pk": event["key"]})["Item"]
    CHANGE
    table.put_item(Item=WRITTEN)
'''


@pytest.mark.parametrize("change, written", [
    ('usage = item["usage"]; usage["calls"] = usage["calls"] + 1', '{"pk": event["key"], "usage": usage}'),
    ('usage = item.setdefault("usage", {}); usage["calls"] = usage.get("calls", 0) + 1', "item"),
    ('item.update(calls=item["calls"] + 1)', "item"),
    ('item.update({"calls": item["calls"] + 1})', "item"),
    ("add_one(item)", "item"),
    ('add_one(item["usage"])', "item"),
    ('usage = item["usage"]; add_one(usage)', '{"pk": event["key"], "usage": usage}'),
])
def test_arithmetic_made_in_place_is_a_counter(tmp_path: Path, change: str, written: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("CHANGE", change).replace("WRITTEN", written))
    assert triples(findings_in(tmp_path)) == {("app.py", 18, "DYN102")}


@pytest.mark.parametrize("change, written", [
    ('usage = item["usage"]; usage["last"] = event["now"]', '{"pk": event["key"], "usage": usage}'),
    ('item.update(seen=event["now"])', "item"),
    ('set_seen(item["usage"], event["now"])', "item"),
])
def test_other_changes_in_place_are_an_overwrite(tmp_path: Path, change: str, written: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("CHANGE", change).replace("WRITTEN", written))
    assert triples(findings_in(tmp_path)) == {("app.py", 18, "DYN101")}


@pytest.mark.parametrize("holder, change", [
    ("class Meter:\n    def __init__(self, meter_id):\n        self.item = table.get_item(Key={'meter_id': meter_id})['Item']",
     "self.item['reading'] = self.item['reading'] + 1"),
    ("from collections import UserDict\nclass Meter(UserDict):\n    def __init__(self, meter_id):\n"
     "        super().__init__(table.get_item(Key={'meter_id': meter_id})['Item'])",
     "self.data['reading'] = self.data.get('reading', 0) + 1"),
])
def test_arithmetic_on_an_item_an_object_holds(tmp_path: Path, holder: str, change: str) -> None:
    """``self.item[k] = self.item[k] + 1`` (or a UserDict's ``data``) changes the item the
    object holds in place: the put that writes it back writes back arithmetic (DYN102)."""
    attr = "item" if "self.item" in change else "data"
    source = ("import boto3\ntable = boto3.resource('dynamodb').Table('meters')\n" + holder + "\n"
              f"    def tick(self):\n        {change}\n"
              f"    def save(self):\n        table.put_item(Item=self.{attr})\n"
              "def handler(event, context):\n    meter = Meter(event['id'])\n    meter.tick()\n    meter.save()\n")
    (tmp_path / "app.py").write_text(source)
    assert {code for _, _, code in triples(findings_in(tmp_path))} == {"DYN102"}
