"""A branch test narrows the local names it tests (model/narrowing.py), as type checkers do:
under ``if x:``, ``if x is not None:``, the right operand of ``x and ...``, and after
``if x is None: return`` / ``if not x: return``, a name holding "the item or None" holds the
item, so a test of the item's attributes there is a decision on them."""

from __future__ import annotations

import pytest

from dynolint.model import narrowing
from dynolint.model.guard_cover import spell
from dynolint.model.values import NONE, UNKNOWN, ConstV, OneOf, alts, one_of
from dynolint.phase1 import ir
from tests.modelkit import model_of

HELPER = '''import boto3
table = boto3.resource("dynamodb").Table("jobs")

def find(job_id):
    response = table.get_item(Key={"pk": job_id})
    if "Item" not in response:
        return None
    return response["Item"]

def handler(event, context):
    job = find(event["pk"])
'''
WRITE = '''table.update_item(Key={"pk": event["pk"]}, UpdateExpression="SET #s = :r",
                      ExpressionAttributeNames={"#s": "state"},
                      ExpressionAttributeValues={":r": "RUNNING", ":q": "QUEUED"},
                      ConditionExpression=GUARD)'''


def _left_open(body: str, guard: str) -> list[str]:
    source = HELPER + body.replace("WRITE", WRITE.replace("GUARD", guard))
    model = model_of({"app.py": source})
    return [spell(d) for race in model.races() for d in race.left_open]


@pytest.mark.parametrize("body", [
    '    if job:\n        if job["state"] == "QUEUED":\n            WRITE\n',
    '    if job is not None and job["state"] == "QUEUED":\n        WRITE\n',
    '    if job is None:\n        return\n    if job["state"] == "QUEUED":\n        WRITE\n',
    '    if not job or job["state"] != "QUEUED":\n        return\n    WRITE\n',
    '    if not job:\n        return\n    elif job["state"] == "QUEUED":\n        WRITE\n',
    '    state = job["state"] if job else None\n    if state == "QUEUED":\n        WRITE\n',
    '    ready = job is not None and job["state"] == "QUEUED"\n    if ready:\n        WRITE\n',
], ids=["nested", "and", "early-return-is-none", "or-early-return", "elif", "conditional-expression", "flag"])
def test_a_decision_under_a_narrowing_test_is_left_open_by_a_key_only_condition(body: str) -> None:
    assert _left_open(body, '"attribute_exists(pk)"') == ["state == 'QUEUED'"]
    assert _left_open(body, '"#s = :q"') == []  # the decision pinned: a guard


def test_names_each_test_narrows() -> None:
    job, other = ir.Name("job"), ir.Name("other")
    is_none = ir.Compare(job, ("is",), (ir.Const(None),))
    assert narrowing.narrowings(job, True) == {"job": narrowing.TRUTHY}
    assert narrowing.narrowings(job, False) == {}  # falsy: None, or an empty item
    assert narrowing.narrowings(is_none, False) == {"job": narrowing.NOT_NONE}
    assert narrowing.narrowings(is_none, True) == {}
    assert narrowing.narrowings(ir.UnaryOp("not", job), False) == {"job": narrowing.TRUTHY}
    both = ir.BoolOp("and", job, other)
    assert narrowing.narrowings(both, True) == {"job": narrowing.TRUTHY, "other": narrowing.TRUTHY}
    assert narrowing.narrowings(both, False) == {}  # either may have failed
    either = ir.BoolOp("or", ir.UnaryOp("not", job), is_none)
    assert narrowing.narrowings(either, False) == {"job": narrowing.TRUTHY}


def test_only_the_ruled_out_alternatives_go() -> None:
    item = ConstV("item")
    value = one_of([NONE, item])
    assert isinstance(value, OneOf)
    assert narrowing.narrowed(value, narrowing.NOT_NONE) == item
    falsy = one_of([NONE, ConstV(0), ConstV(""), item, UNKNOWN])
    kept = narrowing.narrowed(falsy, narrowing.TRUTHY)
    assert kept is not None and NONE not in alts(kept) and ConstV(0) not in alts(kept) and item in alts(kept)
    assert narrowing.narrowed(one_of([ConstV(0), item]), narrowing.NOT_NONE) is None  # 0 is not None
    assert narrowing.narrowed(item, narrowing.TRUTHY) is None  # one alternative: nothing to narrow
    assert narrowing.narrowed(NONE, narrowing.NOT_NONE) is None


def test_the_right_operand_sees_the_narrowed_name_and_the_name_is_put_back() -> None:
    env = {"job": one_of([NONE, ConstV("item")])}
    before = env["job"]
    previous = narrowing.apply(env, {"job": narrowing.NOT_NONE})
    applied = dict(env)
    assert env["job"] == ConstV("item")
    narrowing.undo(env, previous, applied)
    assert env["job"] is before
    previous = narrowing.apply(env, {"job": narrowing.NOT_NONE})
    env["job"] = ConstV("rebound")  # the operand rebound the name (a walrus): kept
    narrowing.undo(env, previous, {"job": ConstV("item")})
    assert env["job"] == ConstV("rebound")


@pytest.mark.parametrize("body", [
    '    if job["state"] == "QUEUED":\n        WRITE\n',
    '    state = job["state"]\n    if state != "QUEUED":\n        return\n    WRITE\n',
], ids=["subscript-in-test", "subscript-bound-first"])
def test_an_item_or_none_subscripted_without_a_test_is_the_item(body: str) -> None:
    """``None["state"]`` raises TypeError: the path on which the helper answered None ends at
    the subscript, so what follows sees the item (the code never tested it, and needs not)."""
    assert _left_open(body, '"attribute_exists(pk)"') == ["state == 'QUEUED'"]
    assert _left_open(body, '"#s = :q"') == []
