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
