"""A local variable that holds one constant on a path decides the tests of it there: the value
a generator context manager yields (``with claimed(k) as won: if not won: return``), a
default argument a caller leaves out, a flag set before a branch. Inside a loop the
interpreter runs the body once for every iteration, so a flag the body sets for the next
iteration (``first = False``) decides nothing there."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in, triples

CLAIMED = '''import contextlib

import boto3
from botocore.exceptions import ClientError

orders = boto3.resource("dynamodb").Table("orders")


@contextlib.contextmanager
def packing(order_id, packer):
    try:
        orders.update_item(Key={"pk": order_id}, UpdateExpression="SET packer = :p",
                           ConditionExpression="attribute_not_exists(packer)",
                           ExpressionAttributeValues={":p": packer})
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        yield False
        return
    yield True


def pack(event, context):
    order_id = event["order"]
    with packing(order_id, context.aws_request_id) as mine:
        CHECK
        order = orders.get_item(Key={"pk": order_id})["Item"]
        boxes = len(order["lines"]) // 4 + 1
        orders.update_item(Key={"pk": order_id}, UpdateExpression="SET boxes = :b",
                           ExpressionAttributeValues={":b": boxes})
    return {"ok": True}
'''


def check(tmp_path: Path, source: str) -> set[tuple[str, int, str]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    return triples(findings_in(tmp_path))


def test_the_body_runs_on_only_where_the_context_manager_yielded_its_claim(tmp_path: Path) -> None:
    assert check(tmp_path, CLAIMED.replace("CHECK", "if not mine:\n            return {'skipped': True}")) == set()


def test_a_body_that_ignores_the_yielded_answer_races_where_the_claim_was_lost(tmp_path: Path) -> None:
    found = check(tmp_path, CLAIMED.replace("CHECK", "pass"))
    assert found == {("app.py", 29, "DYN102")}


def test_the_answer_tested_the_wrong_way_round_runs_the_body_unclaimed(tmp_path: Path) -> None:
    found = check(tmp_path, CLAIMED.replace("CHECK", "if mine:\n            return {'skipped': True}"))
    assert found == {("app.py", 30, "DYN102")}


RESERVE = '''import boto3

rooms = boto3.resource("dynamodb").Table("rooms")


def store(room, force=False):
    if force:
        rooms.put_item(Item=room)
    else:
        rooms.put_item(Item=room, ConditionExpression="version = :v",
                       ExpressionAttributeValues={":v": room["version"] - 1})


def reserve(event, context):
    room = rooms.get_item(Key={"pk": event["room"]})["Item"]
    if room["guest"]:
        return {"error": "taken"}
    room = {**room, "guest": event["guest"], "version": room["version"] + 1}
    store(CALL)
    return {"ok": True}
'''


def test_a_default_the_caller_leaves_out_takes_only_its_branch(tmp_path: Path) -> None:
    assert check(tmp_path, RESERVE.replace("CALL", "room")) == set()


def test_the_caller_passing_the_flag_takes_the_unguarded_branch(tmp_path: Path) -> None:
    assert check(tmp_path, RESERVE.replace("CALL", "room, force=True")) == {("app.py", 8, "DYN102")}


def test_a_flag_the_loop_sets_for_its_next_iteration_decides_nothing_in_the_loop(tmp_path: Path) -> None:
    # the second iteration sees ``first = False`` and writes without the condition
    found = check(tmp_path, '''
        import boto3

        shelves = boto3.resource("dynamodb").Table("shelves")


        def restock(event, context):
            shelf = shelves.get_item(Key={"pk": event["shelf"]})["Item"]
            first = True
            for box in event["boxes"]:
                if first:
                    first = False
                    continue
                shelf["boxes"] = shelf["boxes"] + [box]
                shelves.put_item(Item=shelf)
        ''')
    assert found == {("app.py", 15, "DYN101")}


FLAGGED = '''import boto3
from botocore.exceptions import ClientError

jobs = boto3.resource("dynamodb").Table("jobs")


def run(event, context):
    key = {"pk": event["job"]}
    won = False
    try:
        FIRST
        SECOND
    except ClientError:
        pass
    if not won:
        return {"skipped": True}
    job = jobs.get_item(Key=key)["Item"]
    jobs.update_item(Key=key, UpdateExpression="SET runs = :r", ExpressionAttributeValues={":r": job["runs"] + 1})
'''
CLAIM = ('jobs.update_item(Key=key, UpdateExpression="SET owner = :o", ConditionExpression='
         '"attribute_not_exists(owner)", ExpressionAttributeValues={":o": context.aws_request_id})')


def test_a_flag_set_after_the_claim_in_its_try_is_set_only_where_the_claim_was_won(tmp_path: Path) -> None:
    # no exception leaves the try after ``won = True``: the except clause sees it False
    assert check(tmp_path, FLAGGED.replace("FIRST", CLAIM).replace("SECOND", "won = True")) == set()


def test_a_flag_set_before_the_claim_is_set_where_the_claim_was_lost_too(tmp_path: Path) -> None:
    found = check(tmp_path, FLAGGED.replace("FIRST", "won = True").replace("SECOND", CLAIM))
    assert found == {("app.py", 18, "DYN102")}
