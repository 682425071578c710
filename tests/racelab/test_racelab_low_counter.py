"""Race lab: a low-level client reservation (``{"N": str(left - wanted)}`` written back) that
answers how many units are left. The DYN102 fix, a safe one, made the write an atomic ``ADD``
with the check as its condition, but the answer was still ``left - wanted`` from the stale read:
under concurrency most callers were told a stock level that was never stored (the resource
flavour already read the new value back). Now the fix asks for ``ReturnValues="UPDATED_NEW"``
and rebinds ``left`` from it: every caller is told the level its own reservation left.
Measured against dynalite with 20 threads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .harness import load_module, report, run_concurrently, unload
from .test_racelab import SCENARIOS, fixed_copy

pytestmark = pytest.mark.racelab

UNITS = 20
KEYS = ["succeeded", "told_distinct", "told_never_stored", "final", "errors"]


def measure_reservations(project_dir: str | Path, lab: Lab) -> dict[str, Any]:
    table_name = lab.table("sku", env_var="STOCK_TABLE")
    lab.fresh_boto3()
    client = lab.dynalite.client()
    client.put_item(TableName=table_name, Item={"sku": {"S": "sku-1"}, "left": {"N": str(UNITS)}})
    mod = load_module(project_dir, "stock")
    try:
        event = {"pathParameters": {"sku": "sku-1"}, "body": json.dumps({"units": 1})}
        burst = run_concurrently(mod.reserve, [(event, None) for _ in range(UNITS)], threads=UNITS)
    finally:
        unload(mod)
    told = [json.loads(o.result["body"])["left"] for o in burst if o.ok and o.result["statusCode"] == 200]
    final = int(client.get_item(TableName=table_name, Key={"sku": {"S": "sku-1"}},
                                ConsistentRead=True)["Item"]["left"]["N"])
    succeeded = len(told)
    stored = set(range(UNITS - succeeded, UNITS))  # the levels the successful reservations left, one each
    return {"succeeded": succeeded, "told": sorted(told), "told_distinct": len(set(told)),
            "told_never_stored": len([t for t in told if t not in stored]), "final": final,
            "errors": [repr(o.exception) for o in burst if not o.ok]}


def test_unfixed_reservations_are_lost(lab: Lab) -> None:
    m = measure_reservations(SCENARIOS / "stock_low", lab)
    report("stock_low", "original", m, KEYS)
    assert m["errors"] == []
    assert m["final"] > UNITS - m["succeeded"]  # units handed out but not taken from the stock


def test_fixed_every_caller_is_told_the_level_it_left(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("stock_low", tmp_path)
    assert fixed == ["DYN102"]
    source = (project / "stock.py").read_text()
    assert 'ReturnValues="UPDATED_NEW"' in source and 'left = int(written["Attributes"]["left"]["N"])' in source
    m = measure_reservations(project, lab)
    report("stock_low", "fixed", m, KEYS)
    assert m["errors"] == []
    assert m["succeeded"] == UNITS and m["final"] == 0
    assert m["told"] == list(range(UNITS)) and m["told_never_stored"] == 0
