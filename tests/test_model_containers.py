"""Dicts a function builds (``model/containers.py``): entries stored under keys computed from
data, ``collections.defaultdict`` and ``setdefault`` lists grown by ``append``/``extend``, dict
comprehensions and ``dict(pairs)``, and the views (``values()``, ``items()``, ``keys()``, the
dict itself) that iterate them. Each positive was missed before (the dict was opaque)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import collections
from collections import defaultdict, OrderedDict
import boto3
table = boto3.resource("dynamodb").Table("orders")
other = boto3.resource("dynamodb").Table("summaries")

def handler(event, n):
    rows = table.query(KeyConditionExpression="pk = :p")["Items"]
'''


def kinds(body: str) -> list[str]:
    source = HEAD + "".join("    " + line + "\n" for line in body.strip("\n").splitlines())
    return list(race_kinds(model_of({"app.py": source})).values())


PUT_BACK = 'row["status"] = "DONE"\ntable.put_item(Item=row)'


def loop(over: str) -> str:
    return f"for row in {over}:\n" + "".join("    " + line + "\n" for line in PUT_BACK.splitlines())


@pytest.mark.parametrize(("body", "expected"), [
    # defaultdict(list) grown under a computed key, looked up by a literal
    ('groups = collections.defaultdict(list)\nfor r in rows:\n    groups[r["state"]].append(r)\n'
     + loop('groups["OPEN"]'), ["overwrite"]),
    ('groups = defaultdict(list)\nfor r in rows:\n    groups["all"].extend([r])\n' + loop('groups["all"]'),
     ["overwrite"]),
    # setdefault(k, []).append and .get(k, [])
    ('groups = {}\nfor r in rows:\n    groups.setdefault(r["kind"], []).append(r)\n'
     + loop('groups.get("LINE", [])'), ["overwrite"]),
    # entries stored by subscript under a computed key, iterated through the views
    ('by_id = {}\nfor r in rows:\n    by_id[r["sk"]] = r\n' + loop("by_id.values()"), ["overwrite"]),
    ('by_id = OrderedDict()\nfor r in rows:\n    by_id[r["sk"]] = r\nfor key, row in by_id.items():\n'
     '    table.put_item(Item={**row, "seen": True})', ["overwrite"]),
    ('by_id = {}\nfor r in rows:\n    by_id[r["sk"]] = r\nfor key in by_id:\n    row = by_id[key]\n'
     '    table.put_item(Item={**row, "seen": True})', ["overwrite"]),
    # a dict comprehension and dict(pairs) keyed by the rows' own attribute
    ('by_sku = {r["sku"]: r for r in rows}\nrow = by_sku.get(event["sku"])\nrow["n"] = row["n"] + 1\n'
     'table.put_item(Item=row)', ["counter"]),
    ('by_sku = dict((r["sku"], r) for r in rows)\nrow = by_sku[event["sku"]]\ntable.put_item(Item=row)',
     ["overwrite"]),
    ('by_sku = dict(zip(event["skus"], rows))\nfor row in by_sku.values():\n    table.put_item(Item=row)',
     ["overwrite"]),
    # pop(k, default) takes an entry out as get does
    ('by_sku = {r["sku"]: r for r in rows}\nrow = by_sku.pop(event["sku"], None)\nif row:\n'
     '    row["n"] = row["n"] + 1\n    table.put_item(Item=row)', ["counter"]),
])
def test_dicts_built_from_rows_hold_them(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected


@pytest.mark.parametrize("body", [
    # an empty dict, or one of literal keys the lookup misses: no element, no item
    'groups = defaultdict(list)\n' + loop('groups["OPEN"]'),
    'groups = {"a": []}\nfor r in rows:\n    groups["a"].append(r)\n' + loop('groups.get("b", [])'),
    # counts per computed key written to another table, or under the guard of what was read
    'counts = defaultdict(int)\nfor r in rows:\n    counts[r["state"]] += 1\n'
    'other.put_item(Item={"pk": "stats", "counts": dict(counts)})',
    'by_sku = {r["sku"]: r for r in rows}\nrow = by_sku[event["sku"]]\n'
    'table.put_item(Item={**row, "n": row["n"] + 1}, ConditionExpression="n = :seen", '
    'ExpressionAttributeValues={":seen": row["n"]})',
    'kept = {"a": rows}\nrow = kept.pop("b", None)\nif row:\n    table.put_item(Item=row)',
    # the keys of a dict of rows are not rows
    'by_sku = {r["sku"]: r for r in rows}\nfor sku in by_sku.keys():\n'
    '    other.put_item(Item={"pk": sku, "listed": True})',
])
def test_clean_dicts(body: str) -> None:
    assert kinds(body) == []


TYPED = '''import boto3
from typing import TypedDict
import typing_extensions
table = boto3.resource("dynamodb").Table("members")

class Key(TypedDict):
    member_id: str

class Member(Key, total=False):
    points: int

Audit = typing_extensions.TypedDict("Audit", {"pk": str, "points": int})

def handler(event, n):
    member = table.get_item(Key=Key(member_id=event["id"]))["Item"]
'''


@pytest.mark.parametrize(("body", "expected"), [
    # a TypedDict class (also through a base that is one) called makes a dict of its arguments
    ('table.put_item(Item=Member(member_id=member["member_id"], points=member["points"] + 1))', ["counter"]),
    ('copy = Member(member)\ncopy["points"] = 0\ntable.put_item(Item=copy)', ["overwrite"]),
    ('table.put_item(Item=Member(member, points=n))', ["overwrite"]),
    # another item: a fresh key, or the functional form under another key
    ('table.put_item(Item=Member(member_id=event["new"], points=member["points"]))', []),
    ('table.put_item(Item=Audit(pk="AUDIT", points=member["points"]))', []),
])
def test_typed_dict_calls_make_dicts(body: str, expected: list[str]) -> None:
    source = TYPED + "".join("    " + line + "\n" for line in body.strip("\n").splitlines())
    assert list(race_kinds(model_of({"app.py": source})).values()) == expected


@pytest.mark.parametrize(("body", "expected"), [
    # a ChainMap over a row read: the row with the front mappings laid over it
    ('row = rows[0]\ntable.put_item(Item=dict(collections.ChainMap(event["changes"], row)))', ["overwrite"]),
    ('row = rows[0]\nview = collections.ChainMap({"n": row["n"] + n}, row)\ntable.put_item(Item={**view})',
     ["counter"]),
    ('row = rows[0]\nview = collections.ChainMap(row).new_child({"state": "DONE"})\n'
     'table.put_item(Item=dict(view))', ["overwrite"]),
    # the lookup answers from the first mapping that has the key: a decision on the row's status
    ('view = collections.ChainMap(rows[0], {"status": "NEW"})\nif view["status"] == "NEW":\n'
     '    table.put_item(Item=dict(view))', ["overwrite"]),
    # a ChainMap of the request over constants is no item read
    ('table.put_item(Item=dict(collections.ChainMap(event["changes"], {"status": "NEW"})))', []),
])
def test_a_chain_map_over_an_item_is_the_item_with_its_front_mappings_laid_over(body: str,
                                                                                expected: list[str]) -> None:
    assert kinds(body) == expected
