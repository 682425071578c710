"""An item read by the tenant's key and written back whole is written under that key
(issue 14, class 4: keys copied out of a read item and back). ``put_item(Item=item)``,
``{**item, ...}`` and a dict comprehension over the item's entries (the low-level client's
TypeDeserializer/TypeSerializer round trip) name the key the item was read by: a tenant key
with the execution role is DYN201 (at the read and at the write), never a DYN202
"key that ignores the tenant". A copy that sets a key attribute of its own, or an item from a
scan (read by no key), keeps its DYN202."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, write_project

HEAD = '''import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
ddb = boto3.client("dynamodb")
table = boto3.resource("dynamodb").Table("prefs")
des, ser = TypeDeserializer(), TypeSerializer()


def handler(event, context):
    tenant = context.tenant_id
'''


def codes(tmp_path: Path, body: str) -> list[tuple[int, str]]:
    source = HEAD + body
    write_project(tmp_path, {"app.py": source})
    return sorted((f.line - HEAD.count("\n"), f.code) for f in findings_in(tmp_path).findings)


WRITE_BACKS = {
    "resource item": '''    item = table.get_item(Key={"pk": tenant})["Item"]
    item["theme"] = event["theme"]
    table.put_item(Item=item)
''',
    "resource spread": '''    item = table.get_item(Key={"pk": tenant})["Item"]
    table.put_item(Item={**item, "theme": event["theme"]})
''',
    "client item": '''    item = ddb.get_item(TableName="prefs", Key={"pk": {"S": tenant}})["Item"]
    item["theme"] = {"S": event["theme"]}
    ddb.put_item(TableName="prefs", Item=item)
''',
    "client comprehension copy": '''    resp = ddb.get_item(TableName="prefs", Key={"pk": {"S": tenant}})
    item = {k: v for k, v in resp["Item"].items()}
    ddb.put_item(TableName="prefs", Item=item)
''',
    "client deserialize round trip": '''    resp = ddb.get_item(TableName="prefs", Key={"pk": {"S": tenant}})
    item = {k: des.deserialize(v) for k, v in resp["Item"].items()}
    item["theme"] = event["theme"]
    ddb.put_item(TableName="prefs", Item={k: ser.serialize(v) for k, v in item.items()})
''',
}


@pytest.mark.parametrize("body", WRITE_BACKS.values(), ids=WRITE_BACKS.keys())
def test_an_item_written_back_keeps_the_tenant_key_it_was_read_by(tmp_path: Path, body: str) -> None:
    found = codes(tmp_path, body)
    assert [code for _, code in found if code.startswith("DYN2")] == ["DYN201", "DYN201"]  # the read, the write
    assert "DYN101" in {code for _, code in found}  # and the write back is still a race


def test_a_copy_that_sets_its_own_key_is_written_under_that_key(tmp_path: Path) -> None:
    body = '''    item = table.get_item(Key={"pk": tenant})["Item"]
    table.put_item(Item={**item, "pk": event["other"]})
'''
    assert [code for _, code in codes(tmp_path, body) if code.startswith("DYN2")] == ["DYN201", "DYN202"]


def test_an_item_from_a_scan_was_read_by_no_key(tmp_path: Path) -> None:
    body = '''    for item in table.scan()["Items"]:
        item["seen"] = True
        table.put_item(Item=item)
'''
    assert [code for _, code in codes(tmp_path, body) if code.startswith("DYN2")] == ["DYN202", "DYN202"]
