"""Deletes after reads: a race only when the path decided something on what it read.

A delete is idempotent and writes nothing read. It loses something only when the path chose
to delete from the item's contents (a status compared, the item handed to a check, a filter
over a query's items), which a concurrent writer can change between the read and the delete.
A path that only learned the item is there decided nothing a condition could keep."""

from __future__ import annotations

import re

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = '''import time
import boto3
t = boto3.resource("dynamodb").Table("n")


def allowed(item):
    return item["owner"] == "me"


def check(item):
    if item["locked"]:
        raise ValueError("locked")


'''

DECIDED = {
    "attribute compared": '''def f(k):
    item = t.get_item(Key={"pk": k})["Item"]
    if item["status"] != "DRAFT":
        return
    t.delete_item(Key={"pk": k})''',
    "item handed to a predicate": '''def f(k):
    item = t.get_item(Key={"pk": k})["Item"]
    if not allowed(item):
        raise PermissionError(k)
    t.delete_item(Key={"pk": k})''',
    "check in a helper that raises": '''def f(k):
    item = t.get_item(Key={"pk": k})["Item"]
    check(item)
    t.delete_item(Key={"pk": k})''',
    "decided on one path only": '''def f(k, force):
    item = t.get_item(Key={"pk": k})["Item"]
    if not force:
        if item["locked"]:
            raise ValueError(k)
    t.delete_item(Key={"pk": k})''',
    "conditional expression": '''def f(k):
    item = t.get_item(Key={"pk": k})["Item"]
    reason = "expired" if item["ttl"] < time.time() else "requested"
    t.delete_item(Key={"pk": k})
    return reason''',
    "comprehension filter over a query": '''def f(k):
    items = t.query(KeyConditionExpression="pk = :k")["Items"]
    done = [i for i in items if i["state"] == "DONE"]
    for i in done:
        t.delete_item(Key={"pk": i["pk"], "sk": i["sk"]})''',
    "while test on the item": '''def f(k):
    item = t.get_item(Key={"pk": k})["Item"]
    while item["pending"]:
        item = t.get_item(Key={"pk": k})["Item"]
    t.delete_item(Key={"pk": k})''',
}

PRESENCE_ONLY = {
    "no test at all": '''def f(k):
    item = t.get_item(Key={"pk": k}).get("Item")
    t.delete_item(Key={"pk": k})
    return item''',
    "Item in the response": '''def f(k):
    found = t.get_item(Key={"pk": k})
    if "Item" not in found:
        return 404
    t.delete_item(Key={"pk": k})''',
    "item is None": '''def f(k):
    item = t.get_item(Key={"pk": k}).get("Item")
    if item is None:
        raise KeyError(k)
    t.delete_item(Key={"pk": k})''',
    "item truthiness": '''def f(k):
    item = t.get_item(Key={"pk": k}).get("Item")
    if not item:
        return False
    t.delete_item(Key={"pk": k})
    return True''',
    "query lists the keys to delete": '''def f(k):
    items = t.query(KeyConditionExpression="pk = :k")["Items"]
    if not items:
        return 0
    for i in items:
        t.delete_item(Key={"pk": i["pk"], "sk": i["sk"]})
    return len(items)''',
    "the query's count compared": '''def f(k):
    resp = t.query(KeyConditionExpression="pk = :k")
    if resp["Count"] != 0 and len(resp["Items"]) > 0:
        for i in resp["Items"]:
            t.delete_item(Key={"pk": i["pk"], "sk": i["sk"]})''',
    "the item's attributes are returned, not tested": '''def f(k):
    item = t.get_item(Key={"pk": k})["Item"]
    t.delete_item(Key={"pk": k})
    return {"deleted": item["title"]}''',
}


@pytest.mark.parametrize("name", sorted(DECIDED))
def test_a_delete_after_a_decision_on_the_item_is_a_race(name: str) -> None:
    kinds = race_kinds(model_of({"d.py": HEADER + DECIDED[name] + "\n"}))
    assert list(kinds.values()) == ["overwrite"], kinds


@pytest.mark.parametrize("name", sorted(PRESENCE_ONLY))
def test_a_delete_after_a_presence_check_is_not(name: str) -> None:
    assert race_kinds(model_of({"d.py": HEADER + PRESENCE_ONLY[name] + "\n"})) == {}


@pytest.mark.parametrize("name", sorted(PRESENCE_ONLY))
def test_the_same_paths_ending_in_a_put_still_race(name: str) -> None:
    """The control: the reads and keys of the clean shapes do pair with the write (an update,
    an upsert); only the delete makes them safe."""
    source = re.sub(r"t\.delete_item\((.*)\)$", r't.update_item(\1, UpdateExpression="SET a = :a")',
                    PRESENCE_ONLY[name], flags=re.M)
    assert "update_item" in source
    assert list(race_kinds(model_of({"d.py": HEADER + source + "\n"})).values()) == ["overwrite"]


def test_a_batch_delete_after_a_filter_is_a_batch_race_and_a_plain_one_is_not() -> None:
    source = HEADER + '''def prune(k, now):
    items = t.query(KeyConditionExpression="pk = :k")["Items"]
    with t.batch_writer() as batch:
        for i in [i for i in items if i["expires"] < now]:
            batch.delete_item(Key={"pk": i["pk"], "sk": i["sk"]})


def clear(k):
    items = t.query(KeyConditionExpression="pk = :k")["Items"]
    with t.batch_writer() as batch:
        for i in items:
            batch.delete_item(Key={"pk": i["pk"], "sk": i["sk"]})
'''
    model = model_of({"d.py": source})
    assert [(model.span(r.write.loc).line, r.kind) for r in model.races()] == [(HEADER.count("\n") + 5, "batch")]


def test_what_a_summarised_callee_examined_reaches_every_caller() -> None:
    """The check runs once and is reused from its summary for the second caller: what it
    examined is added to each caller's path."""
    source = HEADER + '''def first(k):
    item = t.get_item(Key={"pk": k})["Item"]
    check(item)
    t.delete_item(Key={"pk": k})


def second(k):
    item = t.get_item(Key={"pk": k})["Item"]
    check(item)
    t.delete_item(Key={"pk": k})
'''
    assert sorted(race_kinds(model_of({"d.py": source})).values()) == ["overwrite", "overwrite"]
