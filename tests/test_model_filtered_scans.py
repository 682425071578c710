"""A scan or query filtered by equality on its items' key reads the item of that key (or its
absence): a write of that key after it is a read-then-write (model/control.py filter_reads)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = '''import uuid
import boto3
t = boto3.resource("dynamodb").Table("n")
c = boto3.client("dynamodb")


def one(sku):
    return t.get_item(Key={"sku": sku})


def pages():
    response = c.scan(TableName="n")
    items = response["Items"]
    while "LastEvaluatedKey" in response:
        response = c.scan(TableName="n", ExclusiveStartKey=response["LastEvaluatedKey"])
        items.extend(response["Items"])
    return items


'''

FILTERED = {
    "if in a loop over a scan": ('''for item in t.scan()["Items"]:
        if item["sku"] == body["sku"]:
            t.put_item(Item={**body, "name": item["name"]})''', ["overwrite"]),
    "next() over a generator expression": ('''current = next((e for e in t.scan()["Items"] if e["sku"] == body["sku"]), None)
    if current:
        body["tags"] = current["tags"]
    t.put_item(Item=body)''', ["overwrite"]),
    "list comprehension, key from the request": ('''same = [e for e in t.scan()["Items"] if body["sku"] == e["sku"]]
    t.put_item(Item=body)
    return same''', ["overwrite"]),
    "arithmetic on the matched item": ('''for item in t.scan()["Items"]:
        if item["sku"] == body["sku"]:
            t.put_item(Item={**body, "stock": item["stock"] + 1})''', ["counter"]),
    "low-level, paginated, typed comparison": ('''current = next((e for e in pages() if e["sku"]["S"] == body["sku"]["S"]), None)
    c.put_item(TableName="n", Item=body)''', ["overwrite"]),
}

NOT_THE_ITEM = {
    "filter on another attribute than the key": ('''taken = [e for e in t.scan()["Items"] if e["email"] == body["email"]]
    if not taken:
        t.put_item(Item={**body, "sku": str(uuid.uuid4())})'''),
    "written under another key": ('''for item in t.scan()["Items"]:
        if item["sku"] == body["sku"]:
            t.put_item(Item={**body, "sku": str(uuid.uuid4())})'''),
    "an unequal filter names no item": ('''low = [e for e in t.scan()["Items"] if e["sku"] != body["sku"]]
    t.put_item(Item=body)
    return low'''),
    "the write guarded": ('''for item in t.scan()["Items"]:
        if item["sku"] == body["sku"]:
            t.put_item(Item=body, ConditionExpression="attribute_not_exists(sku)")'''),
}


@pytest.mark.parametrize("name", sorted(FILTERED))
def test_a_scan_filtered_by_the_key_reads_that_item(name: str) -> None:
    body, expected = FILTERED[name]
    assert list(race_kinds(model_of({"s.py": HEADER + "def f(body):\n    " + body + "\n"})).values()) == expected


@pytest.mark.parametrize("name", sorted(NOT_THE_ITEM))
def test_a_filter_that_pins_no_key_reads_no_item(name: str) -> None:
    assert race_kinds(model_of({"s.py": HEADER + "def f(body):\n    " + NOT_THE_ITEM[name] + "\n"})) == {}
