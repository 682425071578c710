"""An SDK object a function receives from callers outside the project (a library function, a
framework's entry point) has no annotation to say what it is; the call made on it does:
boto3's spelling of a DynamoDB call (``Key=``, ``Item=``, ``TableName=``), ``.Table(name)``,
``.client("dynamodb")``. Unless the project has a class of its own that answers that call."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds


POSITIVE = {
    "a table parameter": '''def bump(table, pk):
    item = table.get_item(Key={"pk": pk}).get("Item", {})
    table.put_item(Item={"pk": pk, "n": item.get("n", 0) + 1})
''',
    "a low-level client parameter": '''def bump(ddb, pk):
    resp = ddb.get_item(TableName="counters", Key={"pk": {"S": pk}})
    n = int(resp.get("Item", {}).get("n", {}).get("N", "0"))
    ddb.put_item(TableName="counters", Item={"pk": {"S": pk}, "n": {"N": str(n + 1)}})
''',
    "a session parameter, resource and Table": '''def bump(session, pk):
    table = session.resource("dynamodb").Table("counters")
    item = table.get_item(Key={"pk": pk}).get("Item", {})
    table.put_item(Item={"pk": pk, "n": item.get("n", 0) + 1})
''',
    "an aioboto3 session parameter": '''async def bump(session, pk):
    async with session.client("dynamodb") as ddb:
        resp = await ddb.get_item(TableName="counters", Key={"pk": {"S": pk}})
        n = int(resp.get("Item", {}).get("n", {}).get("N", "0"))
        await ddb.put_item(TableName="counters", Item={"pk": {"S": pk}, "n": {"N": str(n + 1)}})
''',
    "a resource parameter": '''def bump(dynamodb, pk):
    table = dynamodb.Table("counters")
    item = table.get_item(Key={"pk": pk}).get("Item", {})
    table.put_item(Item={"pk": pk, "n": item.get("n", 0) + 1})
''',
    "an attribute of a parameter": '''def bump(deps, pk):
    item = deps.table.get_item(Key={"pk": pk}).get("Item", {})
    deps.table.put_item(Item={"pk": pk, "n": item.get("n", 0) + 1})
''',
    "a table kept by a constructor": '''class Counters:
    def __init__(self, table):
        self.table = table

    def bump(self, pk):
        item = self.table.get_item(Key={"pk": pk}).get("Item", {})
        self.table.put_item(Item={"pk": pk, "n": item.get("n", 0) + 1})
''',
}

NEGATIVE = {
    # the project's own class answers the same calls: the parameter may be one of those
    "a project class with boto3's interface": '''class JsonTable:
    def __init__(self):
        self.rows = {}

    def get_item(self, Key):
        return {"Item": self.rows.get(Key["pk"])}

    def put_item(self, Item):
        self.rows[Item["pk"]] = Item


def bump(table, pk):
    item = table.get_item(Key={"pk": pk}).get("Item") or {}
    table.put_item(Item={"pk": pk, "n": item.get("n", 0) + 1})
''',
    # not boto3's spelling: a store of some other library
    "positional arguments": '''def bump(store, pk):
    item = store.get_item(pk) or {}
    store.put_item(pk, {"n": item.get("n", 0) + 1})
''',
    "lower-case keywords": '''def bump(store, pk):
    item = store.get_item(key=pk) or {}
    store.put_item(item={"pk": pk, "n": item.get("n", 0) + 1})
''',
    # two different parameters are two different tables
    "two parameters": '''def copy(source, target, pk):
    item = source.get_item(Key={"pk": pk}).get("Item", {})
    target.put_item(Item={"pk": pk, "n": item.get("n", 0) + 1})
''',
}


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_a_parameter_used_as_dynamodb_is_dynamodb(name: str) -> None:
    assert list(race_kinds(model_of({"lib.py": POSITIVE[name]})).values()) == ["counter"]


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_no_evidence_or_a_stand_in_is_not_dynamodb(name: str) -> None:
    assert race_kinds(model_of({"lib.py": NEGATIVE[name]})) == {}


def test_a_caller_in_the_project_still_decides() -> None:
    """A function that the project calls with a real table is analysed through that call as
    before (the table's name and credentials are the caller's)."""
    files = {
        "lib.py": POSITIVE["a table parameter"],
        "app.py": '''import boto3
from lib import bump

table = boto3.resource("dynamodb").Table("counters")


def handler(event, context):
    bump(table, event["pk"])
''',
    }
    model = model_of(files)
    assert [r.kind for r in model.races()] == ["counter"]
