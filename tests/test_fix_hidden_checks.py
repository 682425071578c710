"""A balance check that no ``if`` on the balance spells out is still a decision (a reviewer's
finding: the safe atomic fix turned these into ``ADD balance -x`` with no condition, and two
concurrent spends overdrew the wallet, domain.md section 1).

The check is made by ``min``/``max`` with the balance among their arguments, a ``while`` loop's
test, an ``assert``, a comprehension's filter or a conditional expression. The model keeps such
a test as a decision of the path (one that names no comparison when it is inside an
expression, model/decisions.py ``expression_decisions``), so no atomic rewrite drops it: the
safe fixes leave the code alone and the unsafe one pins the balance the path saw."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project
from tests.modelkit import model_of, race_kinds

HEAD = '''import boto3
table = boto3.resource("dynamodb").Table("wallets")

def spend(wid, amount, amounts):
    item = table.get_item(Key={"wallet_id": wid})["Item"]
'''
CONFIG = {"pyproject.toml": '[tool.dynolint.tables.wallets]\npartition-key = "wallet_id"\n'}

SHAPES = {
    "min": '''    take = min(amount, item["balance"])
    table.update_item(Key={"wallet_id": wid}, UpdateExpression="SET balance = :b",
                      ExpressionAttributeValues={":b": item["balance"] - take})
''',
    "while": '''    while item["balance"] >= amount:
        table.update_item(Key={"wallet_id": wid}, UpdateExpression="SET balance = :b",
                          ExpressionAttributeValues={":b": item["balance"] - amount})
        break
''',
    "assert": '''    assert item["balance"] >= amount, "insufficient"
    table.update_item(Key={"wallet_id": wid}, UpdateExpression="SET balance = :b",
                      ExpressionAttributeValues={":b": item["balance"] - amount})
''',
    "filter": '''    payable = [a for a in amounts if a <= item["balance"]]
    for a in payable[:1]:
        table.update_item(Key={"wallet_id": wid}, UpdateExpression="SET balance = :b",
                          ExpressionAttributeValues={":b": item["balance"] - a})
''',
    "ternary": '''    debit = amount if item["balance"] >= amount else 0
    table.update_item(Key={"wallet_id": wid}, UpdateExpression="SET balance = :b",
                      ExpressionAttributeValues={":b": item["balance"] - debit})
''',
}


def fix(tmp_path: Path, source: str, unsafe: bool) -> str:
    write_project(tmp_path, {"app.py": source, **CONFIG})
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=unsafe)
    return (tmp_path / "app.py").read_text()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_check_is_a_decision_of_the_path(shape: str) -> None:
    model = model_of({"app.py": HEAD + SHAPES[shape]})
    assert list(race_kinds(model).values()) == ["counter"]
    [race] = model.races()
    assert any(d.read == race.read.id and ("balance" in d.looked_at or d.attribute == "balance")
               for d in race.record.decisions)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_fix_drops_the_check(tmp_path: Path, shape: str) -> None:
    before = HEAD + SHAPES[shape]
    assert fix(tmp_path / "safe", before, unsafe=False) == before  # no safe fix: the check cannot go
    after = fix(tmp_path / "unsafe", before, unsafe=True)
    ast.parse(after)
    assert "ADD" not in after  # an atomic ADD without the check would overdraw
    if after != before:  # the guard: the balance the path saw is the condition
        assert '"#dl_seen": "balance"' in after and "#dl_seen = :dl_seen" in after
        assert fix(tmp_path / "again", after, unsafe=True) == after  # fixing twice is fixing once


def test_a_balance_not_compared_still_becomes_an_atomic_add(tmp_path: Path) -> None:
    # the control: the same write with no check of the balance is a plain counter
    before = HEAD + '''    table.update_item(Key={"wallet_id": wid}, UpdateExpression="SET balance = :b",
                      ExpressionAttributeValues={":b": item["balance"] - amount})
'''
    after = fix(tmp_path, before, unsafe=False)
    assert 'UpdateExpression="ADD balance :b"' in after and "-(amount)" in after
    ast.parse(after)


REPORTED = '''import boto3
table = boto3.resource("dynamodb").Table("wallets")

def spend(wid, amount):
    item = table.get_item(Key={"wallet_id": wid})["Item"]
    balance = item["balance"]
    if balance >= amount:
        table.update_item(Key={"wallet_id": wid}, UpdateExpression="SET balance = :b",
                          ExpressionAttributeValues={":b": balance - amount})
        return {"ok": True, "balance": balance - amount}
    return {"ok": False}
'''


class _Wallets:
    """A table whose stored balance another writer lowered between the read and the write."""

    def __init__(self, seen: int, stored: int) -> None:
        self.seen, self.stored = seen, stored

    def get_item(self, **_: object) -> dict:
        return {"Item": {"wallet_id": "w", "balance": self.seen}}

    def update_item(self, **kw: object) -> dict:
        values = kw["ExpressionAttributeValues"]
        assert isinstance(values, dict)
        assert self.stored >= values[":dl_balance"], "the condition holds in this test"
        self.stored += values[":b"]
        return {"Attributes": {"balance": self.stored}}


def test_the_balance_reported_after_the_write_is_the_one_stored(tmp_path: Path) -> None:
    # ``return balance - amount`` after the write: the atomic update reads the new balance
    # back and makes ``balance`` what the write found, so the answer is what is stored
    after = fix(tmp_path, REPORTED, unsafe=False)
    assert 'UpdateExpression="ADD balance :b"' in after and 'ReturnValues="UPDATED_NEW"' in after
    assert 'balance = written["Attributes"]["balance"] + (amount)' in after
    assert fix(tmp_path / "again", after, unsafe=False) == after
    namespace: dict = {}
    exec(compile(after.replace('boto3.resource("dynamodb").Table("wallets")', "None"), "app.py", "exec"), namespace)
    namespace["table"] = wallets = _Wallets(seen=10, stored=7)  # a concurrent spend of 3 landed first
    assert namespace["spend"]("w", 2) == {"ok": True, "balance": 5}
    assert wallets.stored == 5
