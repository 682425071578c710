"""A claim and the write that completes it name one item whatever order their items' entries
are written in: with no key schema in config or IaC, the key attributes are those of the
project's ``Key=`` dicts for the table (``known_key_attrs``), not the first entry of the claim's
item (a claim ``{"state": "WORKING", "doc_id": d}`` was taken for one on ``state``, and the
stampede it prevents was reported)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import boto3
import requests
from botocore.exceptions import ClientError

store = boto3.resource("dynamodb").Table("summaries")

def handler(event, context):
    doc_id = event["doc_id"]
    entry = store.get_item(Key={"doc_id": doc_id}).get("Item")
    if entry is not None:
        return entry["summary"]
    try:
        store.put_item(Item=CLAIM, ConditionExpression="attribute_not_exists(doc_id)")
    except ClientError:
        return None
    summary = requests.post("https://llm.example.com", json={"doc": doc_id}, timeout=30).text
    store.put_item(Item={"doc_id": doc_id, "summary": summary})
    return summary
'''


@pytest.mark.parametrize(("claim", "expected"), [
    ('{"doc_id": doc_id, "state": "WORKING"}', set()),
    ('{"state": "WORKING", "doc_id": doc_id}', set()),
    # a claim on another item does not cover this one
    ('{"state": "WORKING", "doc_id": "lock"}', {(18, "DYN104")}),
])
def test_claim_entries_in_any_order(tmp_path: Path, claim: str, expected: set[tuple[int, str]]) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("CLAIM", claim))
    assert {(line, code) for _, line, code in triples(findings_in(tmp_path))} == expected
