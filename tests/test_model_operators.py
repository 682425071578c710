"""Python operators and builtins the values flow through: ``dict | dict`` and ``|=`` (3.9)
merge as ``{**a, **b}`` does, and ``min``/``max`` given several arguments return one of them
(having compared them: a test of each that derives from a read)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import boto3
table = boto3.resource("dynamodb").Table("orders")

def handler(event, n):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
'''


def kinds(body: str) -> list[str]:
    source = HEAD + "".join("    " + line + "\n" for line in body.strip("\n").splitlines())
    return list(race_kinds(model_of({"app.py": source})).values())


@pytest.mark.parametrize(("body", "expected"), [
    # the item read, merged with new entries and put back whole
    ('table.put_item(Item=order | {"status": "SHIPPED"})', ["overwrite"]),
    ('order |= {"status": "SHIPPED"}\ntable.put_item(Item=order)', ["overwrite"]),
    ('table.put_item(Item={"pk": event["id"]} | order)', ["overwrite"]),
    # a new item that takes nothing from the read: no race on it
    ('table.put_item(Item={"pk": "other"} | {"status": "NEW"})', []),
    # sets and numbers keep their meaning
    ('tags = set(event["tags"]) | {"x"}\ntable.put_item(Item={"pk": event["id"], "tags": tags}, '
     'ConditionExpression="attribute_not_exists(pk)")', []),
    # an ADD whose delta is clamped by a value read: not atomic
    ('table.update_item(Key={"pk": event["id"]}, UpdateExpression="ADD paid :p", '
     'ExpressionAttributeValues={":p": max(0, order["due"])})', ["overwrite"]),
    ('table.update_item(Key={"pk": event["id"]}, UpdateExpression="SET qty = :q", '
     'ExpressionAttributeValues={":q": max(0, order["qty"] - n)})', ["counter"]),
    ('table.update_item(Key={"pk": event["id"]}, UpdateExpression="SET qty = :q", '
     'ExpressionAttributeValues={":q": min(100, order["qty"] + n)})', ["counter"]),
    # min/max of values the read did not give: an atomic ADD of them is no race
    ('table.update_item(Key={"pk": event["id"]}, UpdateExpression="ADD paid :p", '
     'ExpressionAttributeValues={":p": max(0, n)})', []),
])
def test_operators(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected


@pytest.mark.parametrize(("body", "expected"), [
    # a slice of the items a query returned holds some of them
    ('rows = table.query(KeyConditionExpression="pk = :p")["Items"]\nfor row in rows[:10]:\n'
     '    table.put_item(Item={**row, "seen": True})', ["overwrite"]),
    ('rows = table.query(KeyConditionExpression="pk = :p")["Items"]\nfirst = rows[0:1]\n'
     'table.put_item(Item=first[0])', ["overwrite"]),
    # a slice of an empty list is empty; a slice of a string stays that string's part
    ('rows = []\nfor row in rows[:10]:\n    table.put_item(Item=row)', []),
    ('table.put_item(Item={"pk": event["id"][:8], "n": 1}, ConditionExpression="attribute_not_exists(pk)")', []),
])
def test_slices(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected


def test_a_list_a_dict_holds_grows_by_append() -> None:
    # ``requests["t"].append(...)`` on a dict built here: the batch request carries the item read
    body = '''requests = {"orders": []}
order["status"] = "CLOSED"
requests["orders"].append({"PutRequest": {"Item": order}})
table.meta.client.batch_write_item(RequestItems=requests)'''
    assert kinds(body) == ["batch"]
    assert kinds(body.replace('"Item": order', '"Item": {"pk": "new"}')) == []


def test_an_opener_made_at_import_sends_requests_where_it_opens() -> None:
    source = '''import urllib.request
import boto3
table = boto3.resource("dynamodb").Table("feeds")
opener = urllib.request.build_opener()

def feed(url):
    item = table.get_item(Key={"url": url}).get("Item")
    if item is None:
        body = opener.open(url).read()
        table.put_item(Item={"url": url, "body": body})
'''
    assert list(race_kinds(model_of({"app.py": source})).values()) == ["stampede"]


@pytest.mark.parametrize(("body", "expected"), [
    # typing.cast(T, value) is the value
    ('o = typing.cast(dict, order)\no["n"] = o["n"] + n\ntable.put_item(Item=o)', ["counter"]),
    ('table.put_item(Item=typing_extensions.cast("Order", order))', ["overwrite"]),
    # dict(**item, k=v) is a copy of the item with k set; dict(**item) the item
    ('table.put_item(Item=dict(**order, status="X"))', ["overwrite"]),
    ('table.put_item(Item=dict(**order))', ["overwrite"]),
    # a read-only view of the item
    ('table.put_item(Item={**types.MappingProxyType(order), "status": "X"})', ["overwrite"]),
    # the same calls over values that are no item read
    ('table.put_item(Item=dict(**event["new"], status="X"))', []),
    ('table.put_item(Item=typing.cast(dict, {"pk": "x"}))', []),
])
def test_casts_keyword_spreads_and_views_keep_the_item(body: str, expected: list[str]) -> None:
    assert kinds("import types, typing, typing_extensions\n" + body) == expected
