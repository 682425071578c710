"""boto3's TypeSerializer and TypeDeserializer, and dict comprehensions that convert a
mapping's values: the typed and the plain form of an item are the same item."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = '''import uuid
from decimal import Decimal
import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

c = boto3.client("dynamodb")
deser = TypeDeserializer()
ser = TypeSerializer()


def raw(k):
    return c.get_item(TableName="t", Key={"pk": {"S": k}})["Item"]


'''

SAME_ITEM = {
    "comprehensions both ways, a counter": ('''item = {n: deser.deserialize(v) for n, v in raw(k).items()}
    item["count"] = item["count"] + 1
    c.put_item(TableName="t", Item={n: ser.serialize(v) for n, v in item.items()})''', "counter"),
    "a map and its M": ('''item = deser.deserialize({"M": raw(k)})
    item["state"] = "DONE"
    c.put_item(TableName="t", Item=ser.serialize(item)["M"])''', "overwrite"),
    "a key serialized": ('''item = {n: deser.deserialize(v) for n, v in raw(k).items()}
    c.put_item(TableName="t", Item={"pk": ser.serialize(item["pk"]), "state": {"S": "DONE"}})''', "overwrite"),
    "converters aliased and made inline": ('''to_plain = TypeDeserializer().deserialize
    item = {n: to_plain(v) for n, v in raw(k).items()}
    item["count"] = item["count"] + 1
    c.put_item(TableName="t", Item={n: TypeSerializer().serialize(v) for n, v in item.items()})''', "counter"),
    "values converted with str": ('''item = {n: str(v) for n, v in raw(k).items()}
    c.put_item(TableName="t", Item=item)''', "overwrite"),
}

OTHER_ITEM = {
    "a filtered comprehension drops keys": '''item = {n: v for n, v in raw(k).items() if n != "pk"}
    c.put_item(TableName="t", Item={**item, "pk": {"S": str(uuid.uuid4())}})''',
    "values replaced by something else": '''c.put_item(TableName="t", Item={n: len(v) for n, v in raw(k).items()})''',
    "renamed keys": '''item = {n.upper(): v for n, v in raw(k).items()}
    c.put_item(TableName="t", Item=item)''',
    "a new item serialized": '''c.put_item(TableName="t", Item={n: ser.serialize(v) for n, v in {"pk": str(uuid.uuid4())}.items()})''',
}


@pytest.mark.parametrize("name", sorted(SAME_ITEM))
def test_the_typed_and_plain_forms_are_the_same_item(name: str) -> None:
    body, kind = SAME_ITEM[name]
    assert list(race_kinds(model_of({"t.py": HEADER + "def f(k):\n    " + body + "\n"})).values()) == [kind]


@pytest.mark.parametrize("name", sorted(OTHER_ITEM))
def test_a_comprehension_that_changes_the_keys_is_another_mapping(name: str) -> None:
    assert race_kinds(model_of({"t.py": HEADER + "def f(k):\n    " + OTHER_ITEM[name] + "\n"})) == {}
