"""Keys: a read and a later write are paired only when they name the same item."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of

HEADER = 'import uuid\nimport boto3\nt = boto3.resource("dynamodb").Table("n")\nother = boto3.resource("dynamodb").Table("m")\n'


def races(body: str, extra: str = "") -> int:
    return len(model_of({"k.py": HEADER + extra + "\ndef f(a, b, c):\n    " + body}).races())


SAME = {
    "literal dict": 'x = t.get_item(Key={"pk": a})\n    t.delete_item(Key={"pk": a})',
    "variable reused": 'k = {"pk": a}\n    x = t.get_item(Key=k)\n    t.delete_item(Key=k)',
    "item contains key": 'x = t.get_item(Key={"pk": a})\n    t.put_item(Item={"pk": a, "v": b})',
    "item put back": 'x = t.get_item(Key={"pk": a})["Item"]\n    t.put_item(Item=x)',
    "f-strings built alike": 'x = t.get_item(Key={"pk": f"U#{a}", "sk": f"T#{b}"})\n'
                             '    t.update_item(Key={"sk": f"T#{b}", "pk": f"U#{a}"}, UpdateExpression="SET v = :v",'
                             ' ExpressionAttributeValues={":v": c})',
    "concatenation": 'x = t.get_item(Key={"pk": "U#" + a})\n    t.delete_item(Key={"pk": f"U#{a}"})',
    "key helper": 'x = t.get_item(Key=key(a))\n    t.delete_item(Key=key(a))',
    "spread key": 'k = key(a)\n    x = t.get_item(Key=k)\n    t.put_item(Item={**k, "v": 1})',
    "key from read item": 'x = t.get_item(Key={"pk": a})["Item"]\n    t.delete_item(Key={"pk": x["pk"]})',
    "low-level values": 'x = t.meta.client.get_item(TableName="n", Key={"pk": {"S": a}})\n'
                        '    t.meta.client.delete_item(TableName="n", Key={"pk": {"S": a}})',
}

DIFFERENT = {
    "other table": 'x = t.get_item(Key={"pk": a})\n    other.delete_item(Key={"pk": a})',
    "other value": 'x = t.get_item(Key={"pk": a})\n    t.delete_item(Key={"pk": b})',
    "other sort key": 'x = t.get_item(Key={"pk": a, "sk": "META"})\n    t.delete_item(Key={"pk": a, "sk": "LOG"})',
    "fresh uuid": 'x = t.get_item(Key={"pk": a})["Item"]\n    t.put_item(Item={"pk": str(uuid.uuid4()), "v": x["v"]})',
    "reassigned key": 'k = {"pk": a}\n    x = t.get_item(Key=k)\n    k = {"pk": b}\n    t.delete_item(Key=k)',
    "helper other args": 'x = t.get_item(Key=key(a))\n    t.delete_item(Key=key(b))',
}

HELPER = 'def key(v):\n    return {"pk": f"K#{v}"}\n'


@pytest.mark.parametrize("name", sorted(SAME))
def test_same_item(name: str) -> None:
    assert races(SAME[name], HELPER) == 1


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_different_item(name: str) -> None:
    assert races(DIFFERENT[name], HELPER) == 0


def test_key_schema_from_config_decides_which_item_attributes_are_the_key() -> None:
    from dynolint.config import Config, TableFacts

    source = HEADER + '\ndef f(a):\n    x = t.get_item(Key={"pk": a})["Item"]\n    t.put_item(Item={"pk": a, "v": x["v"]})\n'
    config = Config(tables=(("n", TableFacts("pk")),))
    assert len(model_of({"k.py": source}, config).races()) == 1
