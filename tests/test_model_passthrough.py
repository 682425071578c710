"""Values that Python and libraries hand back as they were given: a ``**`` spread of a call's
result (``dict(**table.get_item(...)["Item"], k=v)``), evaluated once with the call; a library
schema's ``load``/``dump`` (model/library.py, PASSING_METHODS); ``functools.reduce`` (CALLBACKS, "fold")."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import boto3
table = boto3.resource("dynamodb").Table("orders")

def handler(event, n):
    key = {"pk": event["id"]}
'''


def kinds(body: str, extra: str = "") -> list[str]:
    source = extra + HEAD + "".join("    " + line + "\n" for line in body.strip("\n").splitlines())
    return list(race_kinds(model_of({"app.py": source})).values())


@pytest.mark.parametrize(("body", "expected"), [
    # the spread of a call's result is that result: the item read, copied with an entry set
    ('d = dict(**table.get_item(Key=key)["Item"], seen=True)\nd["n"] = d["n"] + 1\ntable.put_item(Item=d)',
     ["counter"]),
    ('table.put_item(Item=dict(**table.get_item(Key=key)["Item"], status="X"))', ["overwrite"]),
    # a literal spread with no read: nothing raced
    ('table.put_item(Item=dict(**{"n": 0}, pk=event["id"]))', []),
])
def test_dict_spread_of_a_call(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected


SCHEMA = """from marshmallow import Schema, fields
import pydantic
class Base(Schema):
    pass
class OrderSchema(Base):
    n = fields.Int()
"""


@pytest.mark.parametrize(("body", "expected"), [
    ('d = OrderSchema().load(table.get_item(Key=key)["Item"])\nd["n"] += 1\ntable.put_item(Item=OrderSchema().dump(d))',
     ["counter"]),
    ('d = OrderSchema().load(table.get_item(Key=key)["Item"])\ntable.put_item(Item=OrderSchema().dump(d))',
     ["overwrite"]),
    ('ta = pydantic.TypeAdapter(dict)\nd = ta.validate_python(table.get_item(Key=key)["Item"])\n'
     'table.put_item(Item=ta.dump_python(d))', ["overwrite"]),
    # what the schema is given when nothing was read: no race
    ('table.put_item(Item=OrderSchema().dump({"pk": event["id"], "n": 0}))', []),
])
def test_schema_passes_data_through(body: str, expected: list[str]) -> None:
    assert kinds(body, SCHEMA) == expected


@pytest.mark.parametrize(("body", "expected"), [
    # functools.reduce folds its function over the elements: the item merged with others
    ('item = table.get_item(Key=key)["Item"]\nimport functools\n'
     'table.put_item(Item=functools.reduce(lambda a, b: {**a, **b}, [item, event["changes"]]))', ["overwrite"]),
    ('item = table.get_item(Key=key)["Item"]\nimport functools\n'
     'm = functools.reduce(lambda a, b: {**a, **b}, [event["changes"]], item)\nm["n"] = m["n"] + 1\n'
     'table.put_item(Item=m)', ["counter"]),
    # an iterable the model cannot enumerate: one fold of its elements
    ('items = table.query(KeyConditionExpression="pk = :p")["Items"]\nimport functools\n'
     'table.put_item(Item=functools.reduce(lambda a, b: {**a, **b}, items))', ["overwrite"]),
    # nothing read among what is folded: no race
    ('import functools\ntable.put_item(Item=functools.reduce(lambda a, b: {**a, **b}, [{"pk": "x"}, event["c"]]))', []),
])
def test_reduce_folds_the_elements(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected
