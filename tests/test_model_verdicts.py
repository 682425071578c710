"""A helper's answer carries the decisions of the path that gave it (model/verdicts.py).

``if verdict(item) == "ready":`` decides on the item as surely as ``if item["status"] ==
"WAITING":`` does when ``verdict`` returns "ready" only where the status was WAITING; so does
``if not can_start(item):`` when ``can_start`` returns that comparison. The write after it is
held against the decision (class 8: a condition that pins only the item's existence leaves it
open) and a fix can pin it."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import boto3
table = boto3.resource("dynamodb").Table("jobs")

def verdict(item):
    if item["status"] == "WAITING":
        return "ready"
    return "skip"

def can_start(item):
    return item["status"] == "WAITING" and item["attempts"] < 3

def start(key):
    table.update_item(Key=key, UpdateExpression="SET #s = :r", ConditionExpression=GUARD,
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":r": "RUNNING", ":w": "WAITING"})

def handler(key):
    item = table.get_item(Key=key)["Item"]
'''
WRITE_LINE = 13
EXISTS = '"attribute_exists(pk)"'
PINNED = '"#s = :w"'


def kinds(body: str, guard: str = EXISTS, extra: str = "") -> dict[int, str]:
    source = HEAD.replace("GUARD", guard) + "".join("    " + line + "\n" for line in body.strip("\n").splitlines())
    return race_kinds(model_of({"app.py": source + extra}))


@pytest.mark.parametrize("body", [
    # a constant answer, compared in the test, kept in a variable, or tested for membership
    'if verdict(item) == "ready":\n    start(key)',
    'answer = verdict(item)\nif answer != "ready":\n    return\nstart(key)',
    'if verdict(item) in ("ready", "go"):\n    start(key)',
    'if verdict(item) is not "skip":\n    start(key)',
    # a returned test, by its truth, negated, in an ``and``
    'if not can_start(item):\n    return\nstart(key)',
    'if can_start(item) and key:\n    start(key)',
    'ok = can_start(item)\nif ok:\n    start(key)',
    # the same answer asked twice (the second call reuses the first's summary)
    'verdict(item)\nif verdict(item) == "ready":\n    start(key)',
])
def test_a_decision_made_by_a_helper_is_held_against_the_condition(body):
    assert kinds(body).get(WRITE_LINE) == "overwrite"


@pytest.mark.parametrize("body", [
    # the condition pins what the helper decided on
    ('if verdict(item) == "ready":\n    start(key)', PINNED),
    ('if not can_start(item):\n    return\nstart(key)', PINNED),
    # the answer is not tested: the write runs whatever the helper said
    ('verdict(item)\nstart(key)', EXISTS),
    # a branch on the answer that decides nothing about the item: the side it takes
    # may come from either return (an unknown answer)
    ('if verdict(item) == key:\n    start(key)', EXISTS),
    # an equal constant that is not the helper's answer
    ('answer = "ready" if key else "skip"\nverdict(item)\nif answer == "ready":\n    start(key)', EXISTS),
])
def test_no_decision_is_invented(body):
    text, guard = body
    assert WRITE_LINE not in kinds(text, guard)


def test_the_side_that_cannot_come_from_a_return_takes_nothing():
    # "skip" is returned only where the status was not WAITING: the write under
    # ``== "skip"`` acts on that decision, which the existence check leaves open too
    assert kinds('if verdict(item) == "skip":\n    start(key)').get(WRITE_LINE) == "overwrite"
    # no return gives "other": the test's true side is no path of the helper's
    assert WRITE_LINE not in kinds('if verdict(item) == "other":\n    start(key)')


def test_a_helper_in_another_module_and_a_method():
    files = {
        "rules.py": '''class Policy:
    def allows(self, item):
        if item["state"] != "OPEN":
            return False
        return True
''',
        "app.py": '''import boto3
from rules import Policy
table = boto3.resource("dynamodb").Table("tickets")
POLICY = Policy()

def handler(key):
    item = table.get_item(Key=key)["Item"]
    if POLICY.allows(item):
        table.update_item(Key=key, UpdateExpression="SET #s = :c", ConditionExpression="attribute_exists(pk)",
                          ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":c": "CLOSED"})
''',
    }
    model = model_of(files)
    assert list(race_kinds(model).values()) == ["overwrite"]
    [race] = model.races()
    assert any(d.attribute == "state" and d.op == "==" for d in race.record.decisions)


CLAIM = '''import boto3
import requests
from botocore.exceptions import ClientError
table = boto3.resource("dynamodb").Table("books")

def try_claim(key):
    try:
        table.put_item(Item={**key, "state": "PENDING"}, ConditionExpression="attribute_not_exists(isbn)")
        return True
    except ClientError:
        return False

def handler(event, context):
    key = {"isbn": event["isbn"]}
    item = table.get_item(Key=key).get("Item")
    if item and "book" in item:
        return item["book"]
'''
FETCH = '''    book = requests.get("https://books.example.com/", params=key, timeout=5).json()
    table.put_item(Item={**key, "book": book})
    return book
'''


@pytest.mark.parametrize(("gate", "stampede"), [
    # the claim's outcome as a helper's answer, or as a flag set in the try and its except
    ("    if not try_claim(key):\n        return None\n", False),
    ("    won = try_claim(key)\n    if won is False:\n        return None\n", False),
    ('''    try:
        table.put_item(Item={**key, "state": "PENDING"}, ConditionExpression="attribute_not_exists(isbn)")
        won = True
    except ClientError:
        won = False
    if not won:
        return None
''', False),
    # a flag set by the branches of an ``if`` on the claim's answer
    ("    if try_claim(key):\n        owner = 'me'\n    else:\n        owner = None\n"
     "    if owner is None:\n        return None\n", False),
    # the answer is not tested, or the flag is set on both paths alike: no claim stands before the work
    ("    try_claim(key)\n", True),
    ('''    try:
        table.put_item(Item={**key, "state": "PENDING"}, ConditionExpression="attribute_not_exists(isbn)")
    except ClientError:
        pass
    won = True
    if not won:
        return None
''', True),
    # the side that lost the claim does the work
    ("    if try_claim(key):\n        return None\n", True),
])
def test_a_claim_won_is_carried_by_its_answer(gate: str, stampede: bool) -> None:
    kinds = race_kinds(model_of({"app.py": CLAIM + gate + FETCH}))
    assert ("stampede" in kinds.values()) is stampede, kinds


# -- a tuple answer, unpacked, and lists built under the test on it ---------------------------

SORTED_OUT = '''
def sorted_out(item, key):
    if item["status"] == "WAITING":
        return ("ready", key, [])
    return ("skip", key, [item["status"]])
'''


@pytest.mark.parametrize("body", [
    'state, k, _ = sorted_out(item, key)\nif state == "ready":\n    start(k)',
    'state, *rest = sorted_out(item, key)\nif state != "ready":\n    return\nstart(key)',
    'ready = []\nstate, k, _ = sorted_out(item, key)\nif state == "ready":\n    ready.append(k)\nfor k in ready:\n    start(k)',
    'ready, other = [], []\nfor _ in range(3):\n    state, k, _ = sorted_out(item, key)\n'
    '    if state == "ready":\n        ready.append(k)\n    else:\n        other.extend([k])\nfor k in ready:\n    start(k)',
])
def test_a_tuple_answer_unpacked_or_listed_under_its_test_carries_the_decision(body: str) -> None:
    assert kinds(body, extra=SORTED_OUT).get(WRITE_LINE) == "overwrite"


@pytest.mark.parametrize("body", [
    # the condition pins the status decided on
    ('state, k, _ = sorted_out(item, key)\nif state == "ready":\n    start(k)', PINNED),
    ('ready = []\nstate, k, _ = sorted_out(item, key)\nif state == "ready":\n    ready.append(k)\nfor k in ready:\n'
     '    start(k)', PINNED),
    # every answer listed, no test on it: the walk decides nothing
    ('listed = []\nstate, k, _ = sorted_out(item, key)\nlisted.append(k)\nfor k in listed:\n    start(k)', EXISTS),
    # a branch on a part of the answer that is the same on every path (the key): it decides nothing
    ('state, k, _ = sorted_out(item, key)\nif k:\n    start(k)', EXISTS),
])
def test_tuple_answers_invent_no_decision(body: tuple[str, str]) -> None:
    text, guard = body
    assert WRITE_LINE not in kinds(text, guard, SORTED_OUT)


LISTED = '''import boto3
table = boto3.resource("dynamodb").Table("jobs")


def status_of(job):
    raw = job.get("status", "{unset}")
    if raw == "{unset}":
        return None
    return raw


def sort_job(job):
    if status_of(job) != "WAITING":
        return "skip", job["pk"]
    return "go", job["pk"]


def handler(event, context):
    go = []
    for job in table.query(KeyConditionExpression="pk = :p")["Items"]:
        verdict, pk = sort_job(job)
        if verdict == "go":
            go.append(pk)
    for pk in go:
        table.update_item(Key={"pk": pk}, UpdateExpression="SET #s = :r", ConditionExpression=GUARD,
                          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":r": "RUNNING", ":w": "WAITING"})  # here
'''


@pytest.mark.parametrize("guard, expected", [(EXISTS, "overwrite"), (PINNED, None)])
def test_answers_and_listed_ids_keep_their_decisions_in_a_loop_over_a_query(guard: str, expected: str | None) -> None:
    # the loop over the query's items marks what it binds (model/control.py): the marked twin
    # keeps the answer's options and the listed element its path's decisions; the helper's
    # ``get`` with a default, and its None answers beside the attribute, still test the attribute
    source = LISTED.replace("GUARD", guard)
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "# here" in text) - 1
    assert race_kinds(model_of({"app.py": source})).get(line) == expected
