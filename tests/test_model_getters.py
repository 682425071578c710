"""``operator.itemgetter`` and ``operator.attrgetter`` are callables that take entries or
attributes of the object they are given: what they take of an item read is that item's
attribute, with its read, wherever the getter is called (directly, unpacked, as a sort key)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

TICKETS = '''from operator import attrgetter, itemgetter
from types import SimpleNamespace

import boto3

tickets = boto3.resource("dynamodb").Table("tickets")


def close(event, context):
    ticket = tickets.get_item(Key={"pk": event["ticket"]})["Item"]
    TAKE
    if state != "RESOLVED":
        return {"error": "not resolved"}
    tickets.update_item(Key={"pk": event["ticket"]}, UpdateExpression="SET #s = :c",
                        ConditionExpression=CONDITION,
                        ExpressionAttributeNames={"#s": "state"},
                        ExpressionAttributeValues={":c": "CLOSED", ":r": "RESOLVED"})
    return {"ok": True}
'''

TAKES = {
    "itemgetter of one key": 'state = itemgetter("state")(ticket)',
    "itemgetter of two keys, unpacked": 'state, owner = itemgetter("state", "owner")(ticket)',
    "itemgetter kept, then called": 'get_state = itemgetter("state")\n    state = get_state(ticket)',
    "attrgetter of a namespace made of the item": 'state = attrgetter("state")(SimpleNamespace(**ticket))',
}


def check(tmp_path: Path, source: str) -> set[tuple[str, int, str]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    return triples(findings_in(tmp_path))


@pytest.mark.parametrize("name", sorted(TAKES))
def test_a_decision_on_what_a_getter_took_is_one_the_condition_must_keep(tmp_path: Path, name: str) -> None:
    source = TICKETS.replace("TAKE", TAKES[name]).replace("CONDITION", '"attribute_exists(pk)"')
    line = 14 + TAKES[name].count("\n")
    assert check(tmp_path, source) == {("app.py", line, "DYN101")}


@pytest.mark.parametrize("name", sorted(TAKES))
def test_a_condition_pinning_what_the_getter_took_guards_it(tmp_path: Path, name: str) -> None:
    source = TICKETS.replace("TAKE", TAKES[name]).replace("CONDITION", '"#s = :r"')
    assert check(tmp_path, source) == set()


def test_a_sort_key_getter_takes_each_row_and_the_rows_stay_the_query_s(tmp_path: Path) -> None:
    found = check(tmp_path, '''
        from operator import itemgetter

        import boto3

        ranks = boto3.resource("dynamodb").Table("ranks")


        def promote(event, context):
            rows = ranks.query(KeyConditionExpression="pk = :p",
                               ExpressionAttributeValues={":p": event["board"]})["Items"]
            top = sorted(rows, key=itemgetter("score"), reverse=True)[0]
            top["score"] = top["score"] + 10
            ranks.put_item(Item=top)
        ''')
    assert found == {("app.py", 14, "DYN102")}
