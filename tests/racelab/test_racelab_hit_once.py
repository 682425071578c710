"""DYN104's fixed code decides hit or miss once a read (against dynalite, the clock faked).

``fixtures/racelab/stampede`` tests its hit with the clock: ``cached["expires_at"] >
int(time.time())``. The fix ran that test in the claim loop and again after it: with the clock
moving between the two, the loop saw a hit (no claim taken) and the code after it a miss, so
the handler paid for the call without holding the claim and its completing write, fenced on the
claim's owner, raised ``ConditionalCheckFailedException`` to the caller. Here the handler's clock
ticks one second at each reading, and the cached item expires one second after the first: a
second reading of the test would have disagreed with the first.
"""

from __future__ import annotations

import json
import time
import types
from typing import Any

import pytest

from .conftest import Lab
from .harness import PaidApi, load_module, unload
from .test_racelab import fixed_copy

pytestmark = pytest.mark.racelab


class TickingClock:
    """``time.time()`` for the handler only: one second later at each reading (the claim
    helper keeps the real clock: its leases are real)."""

    def __init__(self, start: int) -> None:
        self.now = start
        self.readings = 0

    def time(self) -> float:
        self.readings += 1
        self.now += 1
        return float(self.now - 1)


def test_a_hit_that_expires_between_two_readings_neither_raises_nor_pays_twice(lab: Lab, tmp_path: Any) -> None:
    project, fixed = fixed_copy("stampede", tmp_path)
    assert fixed == ["DYN104"]
    assert (project / "handler.py").read_text().count('cached["expires_at"] > int(time.time())') == 1
    table = lab.table("city", env_var="WEATHER_CACHE_TABLE")
    start = int(time.time())
    cached = json.dumps({"city": "lisbon", "n": 0})
    lab.dynalite.client().put_item(TableName=table, Item={
        "city": {"S": "lisbon"}, "payload": {"S": cached}, "expires_at": {"N": str(start + 1)}})
    event = {"queryStringParameters": {"city": "Lisbon"}}
    with PaidApi(delay=0.0) as api:
        lab.setenv("WEATHER_API_URL", f"{api.url}/v3/current")
        lab.fresh_boto3()
        module = load_module(project, "handler")
        clock = TickingClock(start)
        module.time = types.SimpleNamespace(time=clock.time)  # the handler's `time` module, faked
        try:
            served = module.lambda_handler(event, None)  # reads `start`: a hit (a second reading: a miss)
            refreshed = module.lambda_handler(event, None)  # reads `start + 1`: a miss, claimed, paid
        finally:
            unload(module)
        calls = api.calls
    assert served["body"] == cached  # the hit the test decided, served without a claim or a call
    assert json.loads(refreshed["body"])["n"] == 1
    assert calls == 1
    stored = lab.dynalite.client().get_item(TableName=table, Key={"city": {"S": "lisbon"}},
                                            ConsistentRead=True)["Item"]
    assert json.loads(stored["payload"]["S"])["n"] == 1
    assert "dl_lease_owner" not in stored and "dl_lease_until" not in stored
