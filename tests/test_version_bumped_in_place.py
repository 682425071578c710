"""A version compared by the write's condition and advanced on the item read, in place,
before the item is put back (``item["version"] = seen + 1``; by a helper; then ``Item=item``
or ``Item={**item, ...}``) guards every attribute the path decided on, as the same bump
written into a dict literal does. Advancing another attribute, or giving the version its
own value back, advances nothing: the decision stays open (DYN101)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import boto3

table = boto3.resource("dynamodb").Table("wallets")


def advance(record):
    current = record["version"]
    record["version"] = current + 1
    return current


def handler(event, context):
    wallet = table.get_item(Key={"pk": event["wallet"]})["Item"]
    if wallet["balance"] < event["amount"]:
        return False
    wallet["balance"] -= event["amount"]
    BUMP
    table.put_item(Item=ITEM, ConditionExpression="version = :seen", ExpressionAttributeValues={":seen": seen})
    return True
'''


def _write(root: Path, bump: str, item: str = "wallet") -> Path:
    (root / "app.py").write_text(textwrap.dedent(SOURCE).replace("BUMP", bump).replace("ITEM", item))
    return root


@pytest.mark.parametrize("bump, item", [
    ('seen = wallet["version"]; wallet["version"] = seen + 1', "wallet"),
    ('seen = wallet["version"]; wallet["version"] += 1', "wallet"),
    ("seen = advance(wallet)", "wallet"),
    ('seen = wallet["version"]; wallet["version"] = seen + 1', '{**wallet, "note": event["note"]}'),
])
def test_a_version_advanced_in_place_guards_the_decision(tmp_path: Path, bump: str, item: str) -> None:
    assert triples(findings_in(_write(tmp_path, bump, item))) == set()


@pytest.mark.parametrize("bump", [
    'seen = wallet["version"]',
    'seen = wallet["version"]; wallet["version"] = wallet["version"]',
    'seen = wallet["version"]; wallet["edits"] = wallet["edits"] + 1',
])
def test_no_version_advanced_leaves_the_decision_open(tmp_path: Path, bump: str) -> None:
    assert triples(findings_in(_write(tmp_path, bump))) == {("app.py", 19, "DYN101")}
