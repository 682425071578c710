"""An atomic update keeps the decisions the path made on the value it read (issue 16, item 1).

The bug these tests pin down: a wallet that refuses a spend when ``balance < amount`` and
then writes ``balance - amount`` was rewritten to ``ADD balance :neg`` with no condition, so
two concurrent spends overdrew it. The model now records each comparison a branch made on a
read attribute (``Decision``); the fix carries it as the update's condition and routes its
failure to the refusal, or makes no fix and says why."""

from __future__ import annotations

import re

import ast
import json
from pathlib import Path

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import run_cli, write_project
from tests.modelkit import model_of

CONFIG = {"pyproject.toml": '[tool.dynolint.tables.wallets]\npartition-key = "wallet_id"\n'}
HEAD = 'import json\n\nimport boto3\n\ntable = boto3.resource("dynamodb").Table("wallets")\n\n\n'

WALLET = HEAD + '''def spend(wallet_id, amount):
    item = table.get_item(Key={"wallet_id": wallet_id}).get("Item")
    if item is None:
        return {"statusCode": 404}
    balance = int(item["balance"])
    if balance < amount:
        return {"statusCode": 409, "body": json.dumps({"error": "insufficient funds"})}
    balance = balance - amount
    table.update_item(
        Key={"wallet_id": wallet_id},
        UpdateExpression="SET #balance = :balance",
        ExpressionAttributeNames={"#balance": "balance"},
        ExpressionAttributeValues={":balance": balance},
    )
    return {"statusCode": 200, "body": json.dumps({"balance": balance})}
'''

WALLET_FIXED = HEAD + '''def spend(wallet_id, amount):
    item = table.get_item(Key={"wallet_id": wallet_id}).get("Item")
    if item is None:
        return {"statusCode": 404}
    balance = int(item["balance"])
    if balance < amount:
        return {"statusCode": 409, "body": json.dumps({"error": "insufficient funds"})}
    balance = balance - amount
    try:
        written = table.update_item(
            Key={"wallet_id": wallet_id},
            UpdateExpression="ADD #balance :balance",
            ExpressionAttributeNames={"#balance": "balance", "#dl_balance": "balance"},
            ExpressionAttributeValues={":balance": -(amount), ":dl_balance": amount},
            ConditionExpression="#dl_balance >= :dl_balance",
            ReturnValues="UPDATED_NEW",
        )
        balance = int(written["Attributes"]["balance"])
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return {"statusCode": 409, "body": json.dumps({"error": "insufficient funds"})}
    return {"statusCode": 200, "body": json.dumps({"balance": balance})}
'''


def fix(tmp_path: Path, source: str, unsafe: bool = True) -> tuple[str, list]:
    write_project(tmp_path, {"app.py": source, **CONFIG})
    config = discover(tmp_path, set(KNOWN_CODES))
    report = fix_paths([tmp_path], config, Options(), unsafe=unsafe)
    return (tmp_path / "app.py").read_text(), report.skipped


def test_the_model_records_the_comparison_that_led_to_the_write() -> None:
    model = model_of({"app.py": WALLET})
    [race] = model.races()
    [decision] = [d for d in race.record.decisions if d.read == race.read.id]
    assert (decision.attribute, decision.op, decision.branch, decision.swapped) == ("balance", ">=", False, False)
    assert model.span(decision.site).line == 13


def test_decisions_of_both_sides_and_either_or_tests() -> None:
    source = HEAD + '''def close(wallet_id, who):
    item = table.get_item(Key={"wallet_id": wallet_id})["Item"]
    if who == item["owner"] and not item["frozen"]:
        table.put_item(Item={**item, "closed": True})
    elif 0 < item["balance"] or item["vip"] > 2:
        table.put_item(Item={**item, "warned": True})
'''
    model = model_of({"app.py": source})
    by_line = {model.span(r.write.loc).line: r.record.decisions for r in model.races()}
    first, second = by_line[11], by_line[13]
    assert [(d.attribute, d.op, d.swapped) for d in first if d.attribute] == [("owner", "==", True)]
    assert [d.why for d in first if d.attribute is None] == ["a test of whether attribute 'frozen' is truthy"]
    # the elif's true side is a disjunction: no single condition expresses it
    assert {d.why for d in second if d.part >= 0 and d.site != first[0].site} == {
        "a comparison inside an either-or test"}


def test_the_wallet_keeps_its_balance_check_as_the_condition(tmp_path: Path) -> None:
    after, skipped = fix(tmp_path, WALLET)
    assert skipped == []
    assert after == WALLET_FIXED
    ast.parse(after)


def test_fixing_twice_is_fixing_once(tmp_path: Path) -> None:
    after, _ = fix(tmp_path, WALLET)
    again, _ = fix(tmp_path, after)
    assert again == after
    assert check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings == []


def test_the_fix_is_in_the_report_edits_and_unsafe_when_the_count_is_converted(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": WALLET, **CONFIG})
    result = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    [finding] = json.loads(result.stdout)
    # int(item["balance"]) also reads a balance stored as a string, which the ADD and its condition cannot use
    assert finding["fix"]["applicability"] == "unsafe" and "converted" in finding["fix"]["title"]
    plain = run_cli("check", "--no-cache", "--output-format", "json", "-", "--stdin-filename", "app.py",
                    cwd=tmp_path, stdin=WALLET.replace('int(item["balance"])', 'item["balance"]'))
    assert json.loads(plain.stdout)[0]["fix"]["applicability"] == "safe"
    text = WALLET
    for edit in sorted(finding["fix"]["edits"], key=lambda e: (e["line"], e["column"]), reverse=True):
        lines = text.splitlines(keepends=True)
        start = sum(len(line) for line in lines[:edit["line"] - 1]) + edit["column"] - 1
        end = sum(len(line) for line in lines[:edit["end_line"] - 1]) + edit["end_column"] - 1
        text = text[:start] + edit["content"] + text[end:]
    assert text == WALLET_FIXED


def test_a_write_inside_the_allowing_branch_routes_the_failure_to_the_else(tmp_path: Path) -> None:
    source = HEAD + '''def spend(wallet_id, amount):
    item = table.get_item(Key={"wallet_id": wallet_id})["Item"]
    if amount <= item["balance"]:
        table.update_item(Key={"wallet_id": wallet_id}, UpdateExpression="SET balance = :b",
                          ExpressionAttributeValues={":b": item["balance"] - amount})
        print("spent")
    else:
        print("refused")
    return True
'''
    after, skipped = fix(tmp_path, source)
    assert skipped == []
    assert '''    if amount <= item["balance"]:
        try:
            table.update_item(
                Key={"wallet_id": wallet_id},
                UpdateExpression="ADD balance :b",
                ExpressionAttributeValues={":b": -(amount), ":dl_balance": amount},
                ConditionExpression="#dl_balance >= :dl_balance",
                ExpressionAttributeNames={"#dl_balance": "balance"},
            )
        except table.meta.client.exceptions.ConditionalCheckFailedException:
            print("refused")
        else:
            print("spent")
    else:
        print("refused")
''' in after
    ast.parse(after)


def test_a_status_check_becomes_an_equality_condition(tmp_path: Path) -> None:
    source = HEAD + '''def pay(wallet_id, amount):
    item = table.get_item(Key={"wallet_id": wallet_id})["Item"]
    if item["status"] != "OPEN" or item["balance"] < amount:
        raise ValueError("refused")
    table.update_item(Key={"wallet_id": wallet_id}, UpdateExpression="SET balance = :b",
                      ExpressionAttributeValues={":b": item["balance"] - amount})
'''
    after, _ = fix(tmp_path, source)
    assert 'ConditionExpression=(\n                "#dl_status = :dl_status AND #dl_balance >= :dl_balance"\n            ),' in after
    assert '":dl_status": "OPEN"' in after and '":dl_balance": amount' in after
    assert '''    except table.meta.client.exceptions.ConditionalCheckFailedException:
        raise ValueError("refused")''' in after


def test_the_low_level_client_compares_typed_values(tmp_path: Path) -> None:
    source = '''import boto3

client = boto3.client("dynamodb")


def spend(wallet_id, amount):
    item = client.get_item(TableName="wallets", Key={"wallet_id": {"S": wallet_id}})["Item"]
    if int(item["balance"]["N"]) < amount:
        return False
    client.update_item(TableName="wallets", Key={"wallet_id": {"S": wallet_id}},
                       UpdateExpression="SET balance = :b",
                       ExpressionAttributeValues={":b": {"N": str(int(item["balance"]["N"]) - amount)}})
    return True
'''
    after, skipped = fix(tmp_path, source)
    assert skipped == []
    assert '":dl_balance": {"N": str(amount)}' in after
    assert "except client.exceptions.ConditionalCheckFailedException:\n        return False" in after
    ast.parse(after)


def test_a_decision_that_cannot_be_a_condition_means_no_fix(tmp_path: Path) -> None:
    source = "import policy\n" + HEAD + '''def spend(wallet_id, amount):
    item = table.get_item(Key={"wallet_id": wallet_id})["Item"]
    if not policy.allows(item, amount):
        return False
    table.update_item(Key={"wallet_id": wallet_id}, UpdateExpression="SET balance = :b",
                      ExpressionAttributeValues={":b": item["balance"] - amount})
    return True
'''
    after, skipped = fix(tmp_path, source)
    assert after == source
    [(finding, reason)] = skipped
    assert finding.code == "DYN102"
    assert "a test of a value computed from the item" in reason and "no automatic fix" in reason


def test_a_compared_value_assigned_again_before_the_write_means_no_fix(tmp_path: Path) -> None:
    source = HEAD + '''def spend(wallet_id, amount):
    item = table.get_item(Key={"wallet_id": wallet_id})["Item"]
    if item["balance"] < amount:
        return False
    amount = amount * 2
    table.update_item(Key={"wallet_id": wallet_id}, UpdateExpression="SET balance = :b",
                      ExpressionAttributeValues={":b": item["balance"] - amount})
    return True
'''
    after, skipped = fix(tmp_path, source)
    assert after == source
    assert "'amount', compared at line 10, is assigned again before the write" in skipped[0][1]


def test_a_pinned_guard_pins_the_attributes_the_path_decided_on(tmp_path: Path) -> None:
    source = HEAD + '''def note(wallet_id, amount, text):
    item = table.get_item(Key={"wallet_id": wallet_id}).get("Item")
    if item is None:
        return False
    balance = item["balance"]
    if balance < amount:
        return False
    table.update_item(Key={"wallet_id": wallet_id}, UpdateExpression="SET note = :n",
                      ExpressionAttributeValues={":n": text})
    return True
'''
    after, skipped = fix(tmp_path, source)
    assert skipped == []
    assert 'ConditionExpression="attribute_exists(#dl_key) AND #dl_seen = :dl_seen"' in after
    assert '"#dl_seen": "balance"' in after and '":dl_seen": item["balance"]' in after


# -- a counter written back with put_item ------------------------------------------------------

CLICKS = {"pyproject.toml": '[tool.dynolint.tables.clicks]\npartition-key = "link_id"\n'}
CLICKS_HEAD = 'import time\n\nimport boto3\n\ntable = boto3.resource("dynamodb").Table("clicks")\n\n\n'


def fix_clicks(tmp_path: Path, source: str) -> tuple[str, list]:
    write_project(tmp_path, {"app.py": source, **CLICKS})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    return (tmp_path / "app.py").read_text(), report.skipped


def test_a_put_of_the_whole_item_becomes_an_atomic_update(tmp_path: Path) -> None:
    source = CLICKS_HEAD + '''def click(link_id):
    item = table.get_item(Key={"link_id": link_id}).get("Item") or {"link_id": link_id, "clicks": 0}
    item["clicks"] = int(item["clicks"]) + 1
    item["at"] = int(time.time())
    table.put_item(Item=item)
    return item["clicks"]
'''
    after, skipped = fix_clicks(tmp_path, source)
    assert skipped == []
    assert after == source.replace('''    table.put_item(Item=item)
''', '''    written = table.update_item(
        Key={"link_id": item["link_id"]},
        UpdateExpression="SET #dl_at = :dl_at ADD #dl_clicks :dl_clicks",
        ExpressionAttributeNames={"#dl_at": "at", "#dl_clicks": "clicks"},
        ExpressionAttributeValues={":dl_at": item["at"], ":dl_clicks": 1},
        ReturnValues="UPDATED_NEW",
    )
    item["clicks"] = int(written["Attributes"]["clicks"])
''')
    again, _ = fix_clicks(tmp_path, after)
    assert again == after
    ast.parse(after)


def test_a_put_of_a_dict_literal_keeps_its_values_and_a_decision(tmp_path: Path) -> None:
    source = CLICKS_HEAD + '''def click(link_id, limit):
    item = table.get_item(Key={"link_id": link_id})["Item"]
    if item["clicks"] >= limit:
        return None
    clicks = item["clicks"] + 2
    table.put_item(Item={"link_id": link_id, "clicks": clicks, "at": int(time.time())})
    return clicks
'''
    after, skipped = fix_clicks(tmp_path, source)
    assert skipped == []
    assert '''    try:
        written = table.update_item(
            Key={"link_id": link_id},
            UpdateExpression="SET #dl_at = :dl_at ADD #dl_clicks :dl_clicks",
            ExpressionAttributeNames={
                "#dl_at": "at",
                "#dl_clicks": "clicks",
                "#dl_clicks_2": "clicks",
            },
            ExpressionAttributeValues={
                ":dl_at": int(time.time()),
                ":dl_clicks": 2,
                ":dl_clicks_2": limit,
            },
            ConditionExpression="#dl_clicks_2 < :dl_clicks_2",
            ReturnValues="UPDATED_NEW",
        )
        clicks = written["Attributes"]["clicks"]
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return None
    return clicks
''' in after
    ast.parse(after)


def test_a_put_that_drops_attributes_has_no_update_fix_but_a_version_guard(tmp_path: Path) -> None:
    source = CLICKS_HEAD + '''def click(link_id):
    item = table.get_item(Key={"link_id": link_id})["Item"]
    item["clicks"] = item["clicks"] + 1
    item.pop("draft")
    table.put_item(Item=item)
'''
    after, skipped = fix_clicks(tmp_path, source)
    # the put removed "draft", an update would keep it: no atomic update; the put stays, guarded by a
    # version attribute the fix starts keeping (fixes/versioning.py), so no click is lost silently
    assert skipped == [] and "update_item" not in after
    assert _flat('table.put_item(Item={**item, "version": item.get("version", 0) + 1}, '
                 'ConditionExpression="(attribute_not_exists(#dl_ver) OR #dl_ver = :dl_ver)"') in _flat(after)


def test_a_guard_cannot_pin_a_decision_on_the_whole_item(tmp_path: Path) -> None:
    source = "import policy\n" + HEAD + '''def note(wallet_id, text):
    item = table.get_item(Key={"wallet_id": wallet_id}).get("Item")
    if item is None or not policy.allows(item):
        return False
    table.update_item(Key={"wallet_id": wallet_id}, UpdateExpression="SET note = :n",
                      ExpressionAttributeValues={":n": text})
    return True
'''
    after, skipped = fix(tmp_path, source)
    assert after == source
    [(finding, reason)] = skipped
    assert finding.code == "DYN101" and "uses the item as a whole" in reason


def _flat(text: str) -> str:
    """Code without its layout (the fixes wrap long calls one argument a line, as black does)."""
    return re.sub(r"\s+", "", text).replace(",)", ")").replace(",]", "]").replace(",}", "}")
