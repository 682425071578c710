"""Fixes found wrong by running them over fresh programs (session of 2026-12-05, night): each is
declined, or made another way, where the rewrite would change what correct code does. Before and
after, the result parses, a second run changes nothing."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.accounts]\npartition-key = "pk"\n'
HEAD = 'import boto3\n\ntable = boto3.resource("dynamodb").Table("accounts")\n\n\n'


def fixed(tmp_path: Path, body: str, unsafe: bool = True) -> tuple[str, list[tuple[str, str]]]:
    write_project(tmp_path, {"app.py": HEAD + textwrap.dedent(body), "pyproject.toml": CONFIG})
    config = discover(tmp_path, set(KNOWN_CODES))
    report = fix_paths([tmp_path], config, Options(), unsafe=unsafe)
    after = (tmp_path / "app.py").read_text()
    ast.parse(after)
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=unsafe)
    assert (tmp_path / "app.py").read_text() == after  # a second run changes nothing
    return after, [(f.code, reason) for f, reason in report.skipped]


@pytest.mark.parametrize("branches", [
    # a discount on one branch: one ADD would charge every customer the same
    'if item["tier"] == "gold":\n        new = item["balance"] - amount // 2\n    else:\n'
    '        new = item["balance"] - amount',
    # a reset on one branch: one ADD would never reset
    'if item["balance"] > 1000:\n        new = 0\n    else:\n        new = item["balance"] - amount',
])
def test_a_total_computed_in_several_ways_is_not_made_one_add(tmp_path: Path, branches: str) -> None:
    after, _ = fixed(tmp_path, textwrap.dedent('''
        def charge(event, context):
            amount = int(event["amount"])
            item = table.get_item(Key={"pk": event["account"]})["Item"]
            BRANCHES
            table.update_item(Key={"pk": event["account"]}, UpdateExpression="SET balance = :b",
                              ExpressionAttributeValues={":b": new})
    ''').replace("BRANCHES", branches))
    assert "ADD balance" not in after
    assert "#dl_seen" in after and '"balance"' in after  # pinned at the balance read instead


def test_a_refusal_that_writes_the_item_is_not_routed_to_the_failed_condition(tmp_path: Path) -> None:
    after, skipped = fixed(tmp_path, '''
        def debit(event, context):
            amount = int(event["amount"])
            item = table.get_item(Key={"pk": event["account"]})["Item"]
            if item["balance"] < amount:
                item["status"] = "OVERDRAWN_ATTEMPT"
                table.put_item(Item=item)
                return False
            table.update_item(Key={"pk": event["account"]}, UpdateExpression="SET balance = :b",
                              ExpressionAttributeValues={":b": item["balance"] - amount})
            return True
    ''')
    assert "ConditionalCheckFailedException" not in after
    assert any(code == "DYN102" and "refusal writes to DynamoDB itself" in reason for code, reason in skipped)


def test_a_counter_beside_a_stale_sibling_is_pinned_not_made_atomic(tmp_path: Path) -> None:
    after, _ = fixed(tmp_path, '''
        def buy(event, context):
            item = table.get_item(Key={"pk": event["show"]})["Item"]
            if item["left"] < 1:
                return False
            table.update_item(Key={"pk": event["show"]}, UpdateExpression="SET #l = :l, buyers = :b",
                              ExpressionAttributeNames={"#l": "left"},
                              ExpressionAttributeValues={":l": item["left"] - 1, ":b": item["buyers"] + [event["who"]]})
            return True
    ''')
    assert "ADD" not in after
    assert '"buyers"' in after.split("ConditionExpression")[0].split("ExpressionAttributeNames")[-1]  # pinned


def test_what_the_path_changed_itself_is_not_pinned_at_the_value_read(tmp_path: Path) -> None:
    after, _ = fixed(tmp_path, '''
        def close(event, context):
            fee = int(event["fee"])
            item = table.get_item(Key={"pk": event["account"]})["Item"]
            if item["status"] != "OPEN" or item["balance"] < fee:
                return False
            table.update_item(Key={"pk": event["account"]}, UpdateExpression="SET balance = :b",
                              ExpressionAttributeValues={":b": item["balance"] - fee})
            table.update_item(Key={"pk": event["account"]}, UpdateExpression="SET #s = :c",
                              ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":c": "CLOSED"})
            return True
    ''')
    second = after[after.index('UpdateExpression="SET #s = :c"'):]
    assert '"balance"' not in second  # its own debit changed the balance: pinned at the read, never true
    assert '"status"' in second.split("ExpressionAttributeValues")[0]


@pytest.mark.parametrize("other, started", [
    # another writer updates the items and would never bump the new version: the lock would miss it
    ('table.update_item(Key={"pk": event["account"]}, UpdateExpression="ADD credits :a", '
     'ExpressionAttributeValues={":a": 5})', False),
    ("return None", True),  # no other writer: the version is started here and bumped by this put
])
def test_a_version_is_not_started_where_another_writer_would_not_bump_it(tmp_path: Path, other: str,
                                                                        started: bool) -> None:
    after, skipped = fixed(tmp_path, f'''
        def rename(event, context):
            item = table.get_item(Key={{"pk": event["account"]}})["Item"]
            if item["frozen"]:
                return False
            item["label"] = event["label"]
            table.put_item(Item=item)
            return True


        def deposit(event, context):
            {other}
    ''')
    assert ("#dl_ver" in after) is started
    if not started:
        assert any("would not bump" in reason for _, reason in skipped)
