"""A write that hands the item back (``ReturnValues``) is also a read of the item, at the
instant of the write. A later write of the same item that decides on, or carries, what came
back races like any read-then-write; a later write reached only where the path tested an
attribute that the first write itself set is after a test-and-set, as after a claim."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = '''import boto3
t = boto3.resource("dynamodb").Table("jobs")


def f(k, value):
    key = {"pk": k}
'''


def kinds(body: str) -> list[str]:
    source = HEADER + "".join("    " + line + "\n" for line in body.strip("\n").splitlines())
    return list(race_kinds(model_of({"p.py": source})).values())


CLAIM_ALL_OLD = '''old = t.update_item(Key=key, UpdateExpression="SET claimed = :t", ExpressionAttributeValues={":t": True},
                   ReturnValues="ALL_OLD").get("Attributes", {})
'''

RACES = {
    # decided on an attribute the update did not set: a concurrent writer can change it
    "ALL_OLD, test of another attribute": CLAIM_ALL_OLD + '''if old.get("status") == "NEW":
    t.put_item(Item={"pk": k, "status": "DONE"})''',
    # the returned item changed in Python and written back whole
    "ALL_NEW, written back": '''item = t.update_item(Key=key, UpdateExpression="SET seen = :t", ExpressionAttributeValues={":t": 1},
                     ReturnValues="ALL_NEW")["Attributes"]
item["tags"] = item.get("tags", []) + [value]
t.put_item(Item=item)''',
    # the client's spelling, a counter taken from the returned item and written back
    "ALL_OLD, arithmetic written back": '''resp = t.update_item(Key=key, UpdateExpression="SET seen = :t",
                     ExpressionAttributeValues={":t": 1}, ReturnValues="ALL_OLD")
n = resp["Attributes"]["n"]
t.update_item(Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": n + 1})''',
}

SAFE = {
    # the test-and-set: only the caller whose update changed `claimed` goes on
    "ALL_OLD, test of the attribute it set": CLAIM_ALL_OLD + '''if old.get("claimed"):
    return None
t.put_item(Item={"pk": k, "claimed": True, "result": value})''',
    "ALL_OLD, comparison on the attribute it set": CLAIM_ALL_OLD + '''if old.get("claimed") != True:
    t.put_item(Item={"pk": k, "claimed": True, "result": value})''',
    # UPDATED_NEW hands back only what the update set: an atomic counter's new value
    "UPDATED_NEW counter, then a flag": '''resp = t.update_item(Key=key, UpdateExpression="ADD used :one", ExpressionAttributeValues={":one": 1},
                     ReturnValues="UPDATED_NEW")
if resp["Attributes"]["used"] > 100:
    t.update_item(Key=key, UpdateExpression="SET blocked = :t", ExpressionAttributeValues={":t": True})''',
    # no ReturnValues: the update reads nothing
    "no ReturnValues": '''t.update_item(Key=key, UpdateExpression="SET seen = :t", ExpressionAttributeValues={":t": 1})
t.put_item(Item={"pk": k, "status": "DONE"})''',
    # ReturnValues="NONE" is the default: nothing comes back
    "ReturnValues NONE": '''r = t.update_item(Key=key, UpdateExpression="SET seen = :t", ExpressionAttributeValues={":t": 1},
                  ReturnValues="NONE")
t.put_item(Item={"pk": k, "status": r})''',
}


@pytest.mark.parametrize("name", sorted(RACES))
def test_what_a_write_returned_is_read(name: str) -> None:
    assert kinds(RACES[name]) in (["overwrite"], ["counter"])


@pytest.mark.parametrize("name", sorted(SAFE))
def test_a_test_of_what_the_write_set_is_a_claim(name: str) -> None:
    assert kinds(SAFE[name]) == []


def test_the_counter_written_back_from_the_returned_item_is_a_counter_race() -> None:
    assert kinds(RACES["ALL_OLD, arithmetic written back"]) == ["counter"]


def test_the_claim_does_not_cover_an_earlier_read() -> None:
    """A value read before the test-and-set is stale by the time of the write."""
    body = '''before = t.get_item(Key=key)["Item"]
''' + CLAIM_ALL_OLD + '''if old.get("claimed"):
    return None
t.put_item(Item={"pk": k, "claimed": True, "total": before["total"] + 1})'''
    found = kinds(body)  # in line order: the claim's own update overwrites the earlier read too
    assert found[-1] == "counter"


def test_either_of_two_tables_is_two_paths_not_a_sequence() -> None:
    """The same update on a table made with either of two credentials is one write on each
    path: the second alternative's write does not follow the first one's returned item."""
    source = '''import boto3


def table(event):
    if event.get("pooled"):
        creds = event["requestContext"]["authorizer"]
        ddb = boto3.resource("dynamodb", aws_access_key_id=creds["a"], aws_secret_access_key=creds["s"],
                             aws_session_token=creds["t"])
    else:
        ddb = boto3.resource("dynamodb")
    return ddb.Table("orders")


def handler(event, context):
    resp = table(event).update_item(Key={"pk": event["id"]}, UpdateExpression="SET n = :n",
                                    ExpressionAttributeValues={":n": event["name"]}, ReturnValues="UPDATED_NEW")
    return resp["Attributes"]
'''
    assert race_kinds(model_of({"p.py": source})) == {}
