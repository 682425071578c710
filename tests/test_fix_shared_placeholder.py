"""An atomic ADD must not change a value placeholder that other parts of the request still use.

The bug these tests pin down: ``SET score = :s, best = :s`` with ``:s`` = the score read
plus one became ``SET best = :s ADD score :s`` with ``:s`` = 1, so ``best`` was always
written 1. The ADD now takes a fresh placeholder of its own and ``:s`` keeps its value;
when the counter's placeholder is used once, the fix is the one it always was."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.fixes.atomic import atomic_call, rewrite_expression
from dynolint.fixes.cstutil import FixSkipped
from dynolint.fixes.plans import AtomicPlan
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

HEAD = 'import boto3\n\nboard = boto3.resource("dynamodb").Table("scores")\n\n\n'


def _fix(tmp_path: Path, source: str, unsafe: bool = False) -> tuple[str, list]:
    write_project(tmp_path, {"game.py": source})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=unsafe)
    return (tmp_path / "game.py").read_text(), report.skipped


SHARED = HEAD + '''def score(player):
    row = board.get_item(Key={"player": player})["Item"]
    board.update_item(
        Key={"player": player},
        UpdateExpression="SET score = :s, best = :s",
        ExpressionAttributeValues={":s": row["score"] + 1},
    )
'''

SHARED_FIXED = HEAD + '''def score(player):
    row = board.get_item(Key={"player": player})["Item"]
    board.update_item(
        Key={"player": player},
        UpdateExpression="SET best = :s ADD score :dl_delta",
        ExpressionAttributeValues={":s": row["score"] + 1, ":dl_delta": 1},
    )
'''


def test_a_placeholder_used_twice_keeps_its_value_and_the_add_gets_its_own(tmp_path: Path) -> None:
    after, _ = _fix(tmp_path, SHARED)
    assert after == SHARED_FIXED
    ast.parse(after)
    again, _ = _fix(tmp_path, after)
    assert again == after


def test_the_counter_is_found_by_its_attribute_not_by_the_first_use_of_its_placeholder(tmp_path: Path) -> None:
    source = SHARED.replace("SET score = :s, best = :s", "SET best = :s, score = :s")
    after, _ = _fix(tmp_path, source)
    assert 'UpdateExpression="SET best = :s ADD score :dl_delta",' in after
    assert 'ExpressionAttributeValues={":s": row["score"] + 1, ":dl_delta": 1},' in after
    ast.parse(after)
    assert _fix(tmp_path, after)[0] == after


def _atomic(call: str) -> str:
    plan = AtomicPlan(1, 1, "resource", "score", ":s", 1, 1, "right", False, True, action=0)
    node = cst.ensure_type(cst.parse_expression(call), cst.Call)
    return cst.Module([]).code_for_node(atomic_call(node, plan, cst.Integer("1")))


def test_a_placeholder_the_condition_uses_keeps_its_value() -> None:
    shared = _atomic('t.update_item(UpdateExpression="SET score = :s", ConditionExpression="best < :s", '
                     'ExpressionAttributeValues=values)')
    assert shared == ('t.update_item(UpdateExpression="ADD score :dl_delta", ConditionExpression="best < :s", '
                      'ExpressionAttributeValues={**values, ":dl_delta": 1})')
    alone = _atomic('t.update_item(UpdateExpression="SET score = :s", ConditionExpression="best < :b", '
                    'ExpressionAttributeValues={":s": n, ":b": 3})')
    assert 'UpdateExpression="ADD score :s"' in alone and '{":s": 1, ":b": 3}' in alone
    with pytest.raises(FixSkipped, match="not a string literal"):  # it may use :s: no fix
        _atomic('t.update_item(UpdateExpression="SET score = :s", ConditionExpression=cond, '
                'ExpressionAttributeValues=values)')
    taken = _atomic('t.update_item(UpdateExpression="SET score = :s, best = :s, d = :dl_delta", '
                    'ExpressionAttributeValues=values)')
    assert 'UpdateExpression="SET best = :s, d = :dl_delta ADD score :dl_delta_2"' in taken


def test_a_placeholder_used_once_is_given_the_delta_as_before(tmp_path: Path) -> None:
    source = SHARED.replace("SET score = :s, best = :s", "SET score = :s")
    after, _ = _fix(tmp_path, source)
    assert 'UpdateExpression="ADD score :s",' in after and 'ExpressionAttributeValues={":s": 1},' in after


def test_rewrite_expression_targets_the_action_it_is_given() -> None:
    assert rewrite_expression("SET a = :v, b = :v", ":v", 1, ":dl_delta") == "SET a = :v ADD b :dl_delta"
    assert rewrite_expression("SET a = :v REMOVE c", ":v", 0) == "REMOVE c ADD a :v"
