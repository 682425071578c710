"""A new item's sort key counted from the rows of the partition a query listed (the next message
number of a chat session: ``max(seq) + 1``, the latest row's ``seq + 1``) is an allocation even where
nothing declares the table's key: the item's key-like attributes hold the values the query's key
condition gave its rows, and an attribute whose name says it numbers items is then its sort key.
Two concurrent appends count the same number and the later put replaces the earlier message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import time

import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table("chat")


def append(event, context):
    sid, other = event["sid"], event["other"]
    last = table.query(KeyConditionExpression=Key("sid").eq(sid), ScanIndexForward=False, Limit=1)["Items"]
    NUMBER
    table.put_item(Item={"sid": PARTITION, "NAME": seq, "text": event["text"]}GUARD)
'''


def run(tmp_path: Path, number: str, partition: str = "sid", name: str = "seq", guard: str = "") -> set:
    source = textwrap.dedent(SOURCE).replace("NUMBER", number).replace("PARTITION", partition)
    (tmp_path / "app.py").write_text(source.replace("NAME", name).replace("GUARD", guard))
    return triples(findings_in(tmp_path))


@pytest.mark.parametrize("number", [
    'seq = int(last[0]["seq"]) + 1 if last else 0',
    'seq = max([int(row["seq"]) for row in last] or [0]) + 1',
    'seq = len(last) + 1',
])
@pytest.mark.parametrize("name", ["seq", "message_no", "sequenceNumber"])
def test_a_number_counted_in_the_listed_partition_is_allocated(tmp_path: Path, number: str, name: str) -> None:
    assert run(tmp_path, number, name=name) == {("app.py", 14, "DYN101")}


@pytest.mark.parametrize("number, partition, name, guard", [
    ('seq = int(last[0]["seq"]) + 1 if last else 0', "sid", "seq",
     ', ConditionExpression="attribute_not_exists(seq)"'),  # create-only
    ("seq = time.time_ns()", "sid", "seq", ""),  # a fresh number
    ('seq = int(last[0]["seq"]) + 1 if last else 0', "other", "seq", ""),  # another partition
    ('seq = len(last) + 1', "sid", "position", ""),  # an order among items, not their number
])
def test_not_an_allocation(tmp_path: Path, number: str, partition: str, name: str, guard: str) -> None:
    assert run(tmp_path, number, partition, name, guard) == set()
