"""Keys: a read and a later write are paired only when they name the same item. (The writes are
updates, upserts that race with a read of their item whatever the path decided on it.)"""

from __future__ import annotations

import pytest

from tests.modelkit import model_of

HEADER = 'import uuid\nimport boto3\nt = boto3.resource("dynamodb").Table("n")\nother = boto3.resource("dynamodb").Table("m")\n'


def races(body: str, extra: str = "") -> int:
    return len(model_of({"k.py": HEADER + extra + "\ndef f(a, b, c):\n    " + body}).races())


SAME = {
    "literal dict": 'x = t.get_item(Key={"pk": a})\n    t.update_item(Key={"pk": a}, UpdateExpression=SET)',
    "variable reused": 'k = {"pk": a}\n    x = t.get_item(Key=k)\n    t.update_item(Key=k, UpdateExpression=SET)',
    "item contains key": 'x = t.get_item(Key={"pk": a})\n    t.put_item(Item={"pk": a, "v": b})',
    "item put back": 'x = t.get_item(Key={"pk": a})["Item"]\n    t.put_item(Item=x)',
    "f-strings built alike": 'x = t.get_item(Key={"pk": f"U#{a}", "sk": f"T#{b}"})\n'
                             '    t.update_item(Key={"sk": f"T#{b}", "pk": f"U#{a}"}, UpdateExpression="SET v = :v",'
                             ' ExpressionAttributeValues={":v": c})',
    "concatenation": 'x = t.get_item(Key={"pk": "U#" + a})\n    t.update_item(Key={"pk": f"U#{a}"}, UpdateExpression=SET)',
    "key helper": 'x = t.get_item(Key=key(a))\n    t.update_item(Key=key(a), UpdateExpression=SET)',
    "spread key": 'k = key(a)\n    x = t.get_item(Key=k)\n    t.put_item(Item={**k, "v": 1})',
    "key from read item": 'x = t.get_item(Key={"pk": a})["Item"]\n    t.update_item(Key={"pk": x["pk"]}, UpdateExpression=SET)',
    "low-level values": 'x = t.meta.client.get_item(TableName="n", Key={"pk": {"S": a}})\n'
                        '    t.meta.client.update_item(TableName="n", Key={"pk": {"S": a}}, UpdateExpression=SET)',
}

DIFFERENT = {
    "other table": 'x = t.get_item(Key={"pk": a})\n    other.update_item(Key={"pk": a}, UpdateExpression=SET)',
    "other value": 'x = t.get_item(Key={"pk": a})\n    t.update_item(Key={"pk": b}, UpdateExpression=SET)',
    "other sort key": 'x = t.get_item(Key={"pk": a, "sk": "META"})\n    t.update_item(Key={"pk": a, "sk": "LOG"}, UpdateExpression=SET)',
    "fresh uuid": 'x = t.get_item(Key={"pk": a})["Item"]\n    t.put_item(Item={"pk": str(uuid.uuid4()), "v": x["v"]})',
    "reassigned key": 'k = {"pk": a}\n    x = t.get_item(Key=k)\n    k = {"pk": b}\n    t.update_item(Key=k, UpdateExpression=SET)',
    "helper other args": 'x = t.get_item(Key=key(a))\n    t.update_item(Key=key(b), UpdateExpression=SET)',
}

HELPER = 'SET = "SET v = :v"\n\n\ndef key(v):\n    return {"pk": f"K#{v}"}\n'


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


LOW_LEVEL = '''import boto3
client = boto3.client("dynamodb")

def touch(ns):
    found = client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": ns}})
    for row in found["Items"]:
        @KEY@
        client.update_item(TableName="t", Key=@WRITE@, UpdateExpression="SET seen = :s",
                           ExpressionAttributeValues={":s": {"N": "1"}})
'''


@pytest.mark.parametrize(("key", "write_key", "same"), [
    ('pk = row["pk"]', '{"pk": pk}', True),  # the AttributeValue copied whole
    ('pk = row["pk"]["S"]', '{"pk": {"S": pk}}', True),  # unwrapped, then wrapped again
    ('pk = row["pk"]["S"] + "#copy"', '{"pk": {"S": pk}}', False),  # another key made from it
    ('pk = row["sk"]["S"]', '{"pk": {"S": pk}}', False),  # another attribute's value
])
def test_a_low_level_key_unwrapped_and_wrapped_again_is_the_item_s_key(key: str, write_key: str, same: bool) -> None:
    model = model_of({"f.py": LOW_LEVEL.replace("@KEY@", key).replace("@WRITE@", write_key)})
    [record] = model.interp.writes
    [query] = [r for r in record.reads if r.op == "query"]
    assert model.index.same_item(query, record.write) is same
