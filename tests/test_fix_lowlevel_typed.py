"""A guard on the low-level client compares with values taken from the item the code holds
(``item["a"]`` pins, ``item.get("version", {"N": "0"})``): they must be AttributeValues. Code
that converts the item read to plain Python (a ``TypeDeserializer``) and back got a guard
built from the plain item: a ``Decimal`` where botocore wants ``{"N": ...}`` (every call
refused), and a version bump ``account.get("version", {"N": "0"})["N"]`` that fails on every
item that has one. The fix is now made only when the function shows the item typed, and
otherwise skipped with the reason (``fixes/lowtyped.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.accounts]\npartition-key = "account_id"\n'
CODEC = '''from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_from = TypeDeserializer()
_to = TypeSerializer()


def to_plain(item):
    return {name: _from.deserialize(value) for name, value in item.items()}


def to_typed(record):
    return {name: _to.serialize(value) for name, value in record.items()}
'''
PLAIN_PUT = '''import boto3

from codec import to_plain, to_typed

client = boto3.client("dynamodb")


def credit(account_id, amount):
    found = client.get_item(TableName="accounts", Key={"account_id": {"S": account_id}})
    account = to_plain(found["Item"])
    account["balance"] = account["balance"] + amount
    client.put_item(TableName="accounts", Item=to_typed(account))
    return account["balance"]
'''
PLAIN_UPDATE = '''import boto3

from codec import to_plain

client = boto3.client("dynamodb")


def spend(account_id, amount):
    found = client.get_item(TableName="accounts", Key={"account_id": {"S": account_id}})
    account = to_plain(found["Item"])
    if account["balance"] < amount:
        return False
    client.update_item(
        TableName="accounts",
        Key={"account_id": {"S": account_id}},
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": {"S": "spent"}},
    )
    return True
'''
TYPED_UPDATE = '''import boto3

client = boto3.client("dynamodb")


def spend(account_id, amount):
    found = client.get_item(TableName="accounts", Key={"account_id": {"S": account_id}})
    account = found["Item"]
    if int(account["balance"]["N"]) < amount:
        return False
    client.update_item(
        TableName="accounts",
        Key={"account_id": {"S": account_id}},
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": {"S": "spent"}},
    )
    return True
'''


def _fix(tmp_path: Path, source: str) -> tuple[str, list[str]]:
    write_project(tmp_path, {"app.py": source, "codec.py": CODEC, "pyproject.toml": CONFIG})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    return (tmp_path / "app.py").read_text(), [reason for _, reason in report.skipped]


def test_a_put_back_of_an_item_converted_to_plain_gets_no_version_fix(tmp_path: Path) -> None:
    after, reasons = _fix(tmp_path, PLAIN_PUT)
    assert after == PLAIN_PUT  # was: {"N": str(int(account.get("version", {"N": "0"})["N"]) + 1)}
    assert any("typed values" in reason and "plain Python" in reason for reason in reasons)
    assert [f.code for f in check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings]


def test_pins_from_an_item_converted_to_plain_are_not_written(tmp_path: Path) -> None:
    after, reasons = _fix(tmp_path, PLAIN_UPDATE)
    assert after == PLAIN_UPDATE  # was: ":dl_seen": account["balance"] (a Decimal) on the low-level client
    assert any("used in arithmetic or a comparison" in reason for reason in reasons)


def test_pins_from_the_typed_item_are_kept(tmp_path: Path) -> None:
    after, _ = _fix(tmp_path, TYPED_UPDATE)
    assert '":dl_seen": account["balance"]' in after
    assert 'ConditionExpression="attribute_exists(#dl_key) AND #dl_seen = :dl_seen"' in after
    ast.parse(after)
    again = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent
