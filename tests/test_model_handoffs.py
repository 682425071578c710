"""Values and callables handed to library code come back as what they were: an SDK method run
on a thread or an executor (``asyncio.to_thread(table.get_item, ...)``,
``loop.run_in_executor(None, partial(table.put_item, ...))``), an item encoded and decoded
(``json.loads(json.dumps(item))``), and keyword arguments spread from dicts that differ by
path (``**params`` where only one path added ``ConditionExpression``)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import asyncio
import functools
import json
import pickle
import boto3

t = boto3.resource("dynamodb").Table("n")


'''


def kinds(body: str) -> list[str]:
    return list(race_kinds(model_of({"f.py": HEAD + body})).values())


HANDOFFS = {
    "asyncio.to_thread with the table's methods": '''async def h(event, context):
    resp = await asyncio.to_thread(t.get_item, Key={"pk": event["k"]})
    item = resp["Item"]
    item["n"] += 1
    await asyncio.to_thread(t.put_item, Item=item)
''',
    "run_in_executor with a partial and a lambda": '''async def h(event, context):
    loop = asyncio.get_running_loop()
    resp = await loop.run_in_executor(None, functools.partial(t.get_item, Key={"pk": event["k"]}))
    item = resp["Item"]
    item["n"] += 1
    await loop.run_in_executor(None, lambda: t.put_item(Item=item))
''',
    "run_until_complete of run_in_executor": '''def h(event, context):
    loop = asyncio.new_event_loop()
    future = loop.run_in_executor(None, functools.partial(t.get_item, Key={"pk": event["k"]}))
    item = loop.run_until_complete(future)["Item"]
    item["n"] += 1
    t.put_item(Item=item)
''',
    "json round trip": '''def h(event, context):
    item = t.get_item(Key={"pk": event["k"]})["Item"]
    item = json.loads(json.dumps(item, default=str))
    item["n"] = int(item["n"]) + 1
    t.put_item(Item=item)
''',
    "pickle round trip": '''def h(event, context):
    copy = pickle.loads(pickle.dumps(t.get_item(Key={"pk": event["k"]})["Item"]))
    copy["n"] = copy["n"] + 1
    t.put_item(Item=copy)
''',
}


@pytest.mark.parametrize("name", sorted(HANDOFFS))
def test_what_goes_through_library_code_comes_back(name: str) -> None:
    assert kinds(HANDOFFS[name]) == ["counter"]


def test_a_json_decode_of_something_else_is_not_the_item() -> None:
    body = '''def h(event, context):
    item = t.get_item(Key={"pk": event["k"]})["Item"]
    other = json.loads(event["body"])
    t.put_item(Item={"pk": "fresh-" + other["id"], "n": 1})
'''
    assert kinds(body) == []


SPREAD = '''def h(event, context):
    item = t.get_item(Key={"pk": event["k"]})["Item"]
    params = {"Item": {**item, "n": item["n"] + 1}}
    GUARD
    t.put_item(**params)
'''


def test_a_condition_only_one_path_adds_leaves_the_other_unguarded() -> None:
    guard = 'if event.get("strict"):\n        params["ConditionExpression"] = "n = :old"'
    assert kinds(SPREAD.replace("GUARD", guard)) == ["counter"]


def test_a_condition_every_path_adds_guards() -> None:
    guard = ('if event.get("strict"):\n        params["ConditionExpression"] = "n = :old"\n'
             '    else:\n        params["ConditionExpression"] = "attribute_exists(pk)"')
    assert kinds(SPREAD.replace("GUARD", guard)) == []


def test_a_condition_spread_from_a_conditional_dict() -> None:
    body = '''def h(event, context):
    item = t.get_item(Key={"pk": event["k"]})["Item"]
    extra = {"ConditionExpression": "n = :old"} if event.get("strict") else {}
    t.put_item(Item={**item, "n": item["n"] + 1}, **extra)
'''
    assert kinds(body) == ["counter"]
