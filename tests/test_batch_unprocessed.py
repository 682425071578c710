"""A batch call's response gives back what DynamoDB did not process as the request's own entries
(``UnprocessedItems`` of ``batch_write_item``, ``UnprocessedKeys`` of ``batch_get_item``), which code
sends again in a retry loop: the retry writes (or reads) the same items (a library's behaviour)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in, triples

WRITES = '''
import boto3

ddb = boto3.client("dynamodb")


def send(request):
    left = ddb.batch_write_item(RequestItems=request)["UnprocessedItems"]
    while left:
        left = ddb.batch_write_item(RequestItems=left).get("UnprocessedItems")


def handler(event, context):
    ITEM
    send({"things": [{"PutRequest": {"Item": item}}]})
'''


def test_the_retry_of_a_batch_write_writes_the_items_read_again(tmp_path: Path) -> None:
    read = 'item = ddb.get_item(TableName="things", Key={"pk": {"S": event["id"]}})["Item"]\n' \
           '    item["n"] = {"N": "1"}'
    (tmp_path / "app.py").write_text(textwrap.dedent(WRITES).replace("ITEM", read))
    assert triples(findings_in(tmp_path)) == {("app.py", 8, "DYN103"), ("app.py", 10, "DYN103")}


def test_the_retry_of_fresh_items_is_clean(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(WRITES).replace("ITEM", 'item = {"pk": {"S": event["id"]}}'))
    assert triples(findings_in(tmp_path)) == set()


READS = '''
import boto3

ddb = boto3.client("dynamodb")


def handler(event, context):
    keys = {"pk": {"S": event["id"]}}
    resp = ddb.batch_get_item(RequestItems={"things": {"Keys": [keys]}})
    found = resp["Responses"]["things"]
    if resp["UnprocessedKeys"]:
        again = ddb.batch_get_item(RequestItems=resp["UnprocessedKeys"])
        found = found + again["Responses"]["things"]
    for item in found:
        if item["state"]["S"] == "new":
            ddb.put_item(TableName="things", Item={**item, "state": {"S": "seen"}})
'''


def test_the_keys_read_again_are_the_keys_requested(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(READS))
    found = findings_in(tmp_path)
    assert triples(found) == {("app.py", 16, "DYN101")}
    related = {r.line for f in found.findings for r in f.related}
    assert 12 in related  # the retry reads the keys requested (the item read last before the write)
