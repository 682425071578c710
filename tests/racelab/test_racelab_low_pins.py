"""Race lab: a low-level client closes a cart once, deciding on ``item.get("status", {}).get("S")``
(a cart never closed has no status). The DYN101 fix dropped that decision for the low-level
client (an attribute read with ``.get()`` had no value to pin it with) and guarded the write on
the item existing only: the finding stayed, and two closers were both told they closed it. Now
the attribute is pinned as read, a missing one as ``{"NULL": True}`` with
``attribute_not_exists(...) OR ... = ...``. Two closers, their reads forced to overlap
(:class:`ReadGate`), against dynalite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .harness import ReadGate, load_module, report, run_concurrently, unload
from .test_racelab import SCENARIOS, fixed_copy

pytestmark = pytest.mark.racelab

KEYS = ["told_closed", "closed_by", "condition_failed", "errors"]


def measure_closers(project_dir: str | Path, lab: Lab) -> dict[str, Any]:
    import boto3

    table_name = lab.table("cart_id", env_var="CARTS_TABLE")
    lab.dynalite.client().put_item(TableName=table_name, Item={"cart_id": {"S": "c-1"}})  # no status yet
    lab.fresh_boto3()
    boto3.setup_default_session()  # restored by the lab's monkeypatch at teardown
    gate = ReadGate(parties=2)
    gate.install(boto3.DEFAULT_SESSION, "GetItem")
    mod = load_module(project_dir, "carts")
    try:
        events = [{"pathParameters": {"cart_id": "c-1"}, "body": json.dumps({"by": who})} for who in ("ana", "bo")]
        burst = run_concurrently(mod.close_cart, [(event, None) for event in events], threads=2)
    finally:
        unload(mod)
    final = lab.dynalite.client().get_item(TableName=table_name, Key={"cart_id": {"S": "c-1"}},
                                           ConsistentRead=True)["Item"]
    errors = [repr(o.exception) for o in burst if not o.ok]
    return {"told_closed": sorted(json.loads(o.result["body"])["closed_by"] for o in burst
                                  if o.ok and o.result["statusCode"] == 200),
            "closed_by": final.get("closed_by", {}).get("S"),
            "condition_failed": sum("ConditionalCheckFailed" in e for e in errors),
            "errors": [e for e in errors if "ConditionalCheckFailed" not in e], "gate_broken": gate.broken}


def test_unfixed_both_closers_are_told_they_closed_it(lab: Lab) -> None:
    m = measure_closers(SCENARIOS / "cart_close_low", lab)
    report("cart_close_low", "original", m, KEYS)
    assert not m["gate_broken"] and m["errors"] == []
    assert m["told_closed"] == ["ana", "bo"]


def test_fixed_one_closer_wins_the_other_fails_on_the_condition(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("cart_close_low", tmp_path)
    assert fixed == ["DYN101"]
    assert 'item.get("status", {"NULL": True})' in (project / "carts.py").read_text()
    m = measure_closers(project, lab)
    report("cart_close_low", "fixed", m, KEYS)
    assert not m["gate_broken"] and m["errors"] == []
    assert len(m["told_closed"]) == 1 and m["told_closed"] == [m["closed_by"]]
    assert m["condition_failed"] == 1
