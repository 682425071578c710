"""``batch_get_item`` reads each key it names: ``resp["Responses"][table]`` holds the item of
each, and writing one of them back after changing it is a read-then-write of that item."""

from __future__ import annotations

from tests.modelkit import model_of, race_kinds

HEAD = '''import boto3

ddb = boto3.resource("dynamodb")
t = ddb.Table("seats")


'''


def kinds(body: str) -> list[str]:
    return list(race_kinds(model_of({"f.py": HEAD + body})).values())


def test_each_item_a_batch_get_returns_is_read() -> None:
    body = '''def swap(a, b):
    resp = ddb.batch_get_item(RequestItems={"seats": {"Keys": [{"pk": a}, {"pk": b}]}})
    first, second = resp["Responses"]["seats"]
    first["holder"], second["holder"] = second["holder"], first["holder"]
    t.put_item(Item=first)
'''
    assert kinds(body) == ["overwrite"]


def test_a_loop_over_the_responses_writes_each_back() -> None:
    body = '''def bump(keys):
    resp = ddb.batch_get_item(RequestItems={"seats": {"Keys": [{"pk": k} for k in keys]}})
    for seat in resp.get("Responses", {}).get("seats", []):
        seat["n"] = seat["n"] + 1
        t.put_item(Item=seat)
'''
    assert kinds(body) == ["counter"]


def test_a_fresh_item_after_a_batch_get_is_no_race() -> None:
    body = '''def log(a):
    resp = ddb.batch_get_item(RequestItems={"seats": {"Keys": [{"pk": a}]}})
    t.put_item(Item={"pk": "log#" + a, "seen": len(resp["Responses"]["seats"])})
'''
    assert kinds(body) == []
