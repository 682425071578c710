"""Dict comprehensions that copy an item read, or write out its key: the copy leaving some
names out by a test on the names alone (``{k: v for k, v in doc.items() if k != "cache"}``),
the copy by its names (``{k: doc[k] for k in doc}``) and an entry per name of a literal
sequence (``Key={k: row[k] for k in ("pk", "sk")}``). Each was a missed DYN101 (the copy's
key was unknown, so the write was of no item known)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import line_codes

HEAD = '''import boto3

table = boto3.resource("dynamodb").Table("docs")

'''


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", HEAD + textwrap.dedent(source))


def write_line(source: str) -> int:
    lines = (HEAD + textwrap.dedent(source)).splitlines()
    return next(i for i, line in enumerate(lines, 1) if "put_item(" in line or "update_item(" in line)


COPY = '''
def strip(event, context):
    doc = table.get_item(Key={"id": event["id"]})["Item"]
    out = COPY
    table.put_item(Item=out)
'''


@pytest.mark.parametrize("copy", [
    '{k: v for k, v in doc.items() if k != "cache"}',
    '{k: v for k, v in doc.items() if k not in ("cache", "etag")}',
    "{k: doc[k] for k in doc}",
])
def test_a_copy_of_the_item_read_written_back_is_a_race(tmp_path: Path, copy: str) -> None:
    source = COPY.replace("COPY", copy)
    assert run(tmp_path, source) == {(write_line(source), "DYN101")}


@pytest.mark.parametrize("copy", [
    # written under another key: no item read is overwritten
    '{k: v for k, v in doc.items() if k != "cache"} | {"id": "archive-" + event["id"]}',
    # a test on the values may leave the key out: the write's item is not known
    "{k: v for k, v in doc.items() if v}",
])
def test_a_copy_of_another_item_or_of_unknown_entries_is_no_finding(tmp_path: Path, copy: str) -> None:
    assert run(tmp_path, COPY.replace("COPY", copy)) == set()


def test_the_copy_under_a_condition_that_pins_the_version_is_guarded(tmp_path: Path) -> None:
    source = COPY.replace("COPY", '{k: v for k, v in doc.items() if k != "cache"}').replace(
        "table.put_item(Item=out)",
        'out["rev"] = doc["rev"] + 1\n    table.put_item(Item=out, ConditionExpression="rev = :r", '
        'ExpressionAttributeValues={":r": doc["rev"]})')
    assert run(tmp_path, source) == set()


KEYED = '''
def acknowledge(event, context):
    rows = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": event["p"]})["Items"]
    for row in rows:
        if row["state"] == "SENT":
            table.update_item(Key={k: row[k] for k in ("pk", "sk")}, UpdateExpression="SET #s = :a",
                              ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":a": "ACKED"})
'''


def test_a_key_written_out_name_by_name_from_a_row_decided_on_is_that_rows(tmp_path: Path) -> None:
    assert run(tmp_path, KEYED) == {(write_line(KEYED), "DYN101")}


def test_the_same_key_under_a_condition_on_the_state_is_guarded(tmp_path: Path) -> None:
    guarded = KEYED.replace('UpdateExpression="SET #s = :a",',
                            'UpdateExpression="SET #s = :a", ConditionExpression="#s = :sent",').replace(
        '{":a": "ACKED"}', '{":a": "ACKED", ":sent": "SENT"}')
    assert run(tmp_path, guarded) == set()
