"""A counter the code counts from a default that is not 0 (DYN102's fix, against dynalite).

``fixtures/racelab/trial_credits``: an account's trial credits start at TRIAL_CREDITS (10),
which the record does not store; each render reads ``record.get("credits", TRIAL_CREDITS)``
and writes back one less. Unfixed, concurrent renders lose decrements. The fix used to be an
atomic ``ADD credits -1``, which starts a missing attribute from 0: one render left -1 credits
where the code leaves 9, and a burst ended 10 below where it should. The fix now pins the
value read (a missing attribute stays missing or the write is refused), so every stored
credit count is TRIAL_CREDITS less the renders that succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .harness import load_module, report, run_concurrently, unload
from .test_racelab import SCENARIOS, fixed_copy

pytestmark = pytest.mark.racelab

TRIAL = 10
BURST = 20
KEYS = ("first", "succeeded", "stored_credits", "errors")
ACCOUNT = "acct-0001"


def _event() -> dict[str, Any]:
    return {"pathParameters": {"account_id": ACCOUNT}}


def _burst(lab: Lab, project: Path) -> dict[str, Any]:
    table = lab.table("account_id", env_var="ACCOUNTS_TABLE")
    lab.fresh_boto3()
    client = lab.dynalite.client()
    client.put_item(TableName=table, Item={"account_id": {"S": ACCOUNT}})  # signed up: no credits stored yet
    module = load_module(project, "credits")
    try:
        first = module.render(_event(), None)
        burst = run_concurrently(module.render, [(_event(), None)] * BURST, threads=BURST)
    finally:
        unload(module)
    stored = client.get_item(TableName=table, Key={"account_id": {"S": ACCOUNT}}, ConsistentRead=True)["Item"]
    refused = [e for e in burst.exceptions if e is not None and "ConditionalCheckFailed" in repr(e)]
    return {"first": first, "succeeded": 1 + sum(1 for r in burst.results if isinstance(r, dict)),
            "stored_credits": int(stored["credits"]["N"]),
            "errors": [repr(e) for e in burst.exceptions if e is not None and e not in refused]}


def test_unfixed_concurrent_renders_lose_decrements(lab: Lab) -> None:
    m = _burst(lab, SCENARIOS / "trial_credits")
    report("trial_credits", "original", m, KEYS)
    assert m["errors"] == [] and m["first"]["credits_left"] == TRIAL - 1
    assert m["stored_credits"] > TRIAL - m["succeeded"]  # more credits left than renders paid for


def test_fixed_counts_from_the_code_default_and_loses_nothing(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("trial_credits", tmp_path)
    assert fixed == ["DYN102"]
    assert "ADD" not in (project / "credits.py").read_text()  # ADD would count a missing credit from 0
    m = _burst(lab, project)
    report("trial_credits", "fixed", m, KEYS)
    assert m["errors"] == []
    assert m["first"] == {"statusCode": 200, "credits_left": TRIAL - 1}  # as the code counts: 10 - 1
    assert m["stored_credits"] == TRIAL - m["succeeded"]  # every render that succeeded is counted once
