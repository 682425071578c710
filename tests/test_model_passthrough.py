"""Values that Python and libraries hand back as they were given: a ``**`` spread of a call's
result (``dict(**table.get_item(...)["Item"], k=v)``), evaluated once with the call; a library
schema's ``load``/``dump`` (model/library.py, PASSING_METHODS); ``functools.reduce`` (CALLBACKS, "fold") and ``itertools.accumulate`` ("folds");
``types.SimpleNamespace`` (NAMESPACES)."""

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


@pytest.mark.parametrize(("body", "expected"), [
    # a namespace over the item: its attributes are the item's entries, vars() / __dict__ give them back
    ('import types\nns = types.SimpleNamespace(**table.get_item(Key=key)["Item"])\nns.balance = ns.balance - 1\n'
     'table.put_item(Item=vars(ns))', ["counter"]),
    ('import types\nns = types.SimpleNamespace(**table.get_item(Key=key)["Item"])\nns.balance -= 1\n'
     'table.put_item(Item=ns.__dict__)', ["counter"]),
    ('import types\nns = types.SimpleNamespace(**table.get_item(Key=key)["Item"], seen=True)\nns.name = "x"\n'
     'table.put_item(Item=vars(ns))', ["overwrite"]),
    # made of values not read: no race
    ('import types\nns = types.SimpleNamespace(pk=event["id"], n=0)\nns.n = ns.n + 1\ntable.put_item(Item=vars(ns))', []),
])
def test_namespace_holds_what_it_was_made_with(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected


def test_namespace_attribute_is_the_item_entry() -> None:
    """A decision on ``ns.status`` is a decision on the item's attribute."""
    source = HEAD + '''    import types
    ns = types.SimpleNamespace(**table.get_item(Key=key)["Item"])
    if ns.status == "NEW":
        table.update_item(Key=key, UpdateExpression="SET #s = :d", ConditionExpression="attribute_exists(pk)",
                          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":d": "DONE"})
'''
    model = model_of({"app.py": source})
    assert [(d.attribute, getattr(d.other, "value", None)) for r in model.interp.writes for d in r.decisions] == \
        [("status", "NEW")]


def test_reduce_with_an_operator_function() -> None:
    """``operator.or_`` is ``a | b``: dicts merge as ``{**a, **b}``."""
    body = ('item = table.get_item(Key=key)["Item"]\nimport functools, operator\n'
            'table.put_item(Item=functools.reduce(operator.or_, [item, event["changes"]]))')
    assert kinds(body) == ["overwrite"]
    assert kinds('import functools, operator\ntable.put_item(Item=functools.reduce(operator.or_, [{"pk": "x"}, event["c"]]), '
                 'ConditionExpression="attribute_not_exists(pk)")') == []


@pytest.mark.parametrize(("body", "expected"), [
    # itertools.accumulate (CALLBACKS, "folds", adding by default): each running value is a fold
    ('item = table.get_item(Key=key)["Item"]\nimport itertools\n'
     'sums = list(itertools.accumulate([item["n"], event["d"]]))\n'
     'table.put_item(Item={**key, "n": sums[-1]})', ["counter"]),
    ('item = table.get_item(Key=key)["Item"]\nimport itertools, operator\n'
     'for total in itertools.accumulate(event["ds"], operator.add, initial=item["n"]):\n'
     '    table.put_item(Item={**key, "n": total})', ["counter"]),
    ('item = table.get_item(Key=key)["Item"]\nimport itertools\n'
     'sums = list(itertools.accumulate(event["ds"], lambda a, b: a - b, initial=item["n"]))\n'
     'table.put_item(Item={**key, "n": sums[-1]})', ["counter"]),
    # the request's numbers only: no race
    ('import itertools\nsums = list(itertools.accumulate(event["ds"]))\n'
     'table.put_item(Item={**key, "n": sums[-1]}, ConditionExpression="attribute_not_exists(pk)")', []),
])
def test_accumulate_folds_each_running_value(body: str, expected: list[str]) -> None:
    assert kinds(body) == expected
