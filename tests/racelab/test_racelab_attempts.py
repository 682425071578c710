"""An attempt limit whose count starts missing (DYN102's safe fix, against dynalite).

``fixtures/racelab/attempt_limit``: a one-time-password check counts attempts on a phone's
record, read with ``record.get("attempts", 0)``, and refuses at MAX_ATTEMPTS. Unfixed, a burst
of concurrent attempts all read the same count: more than the limit get through and the count
loses increments. The fix ADDs one under the kept limit; the limit alone (``attempts <
:max``) is false where the attribute is missing, so it used to refuse every phone's first
attempt. The condition now also lets the missing count through, as the default did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .harness import load_module, report, run_concurrently, unload
from .test_racelab import SCENARIOS, fixed_copy

pytestmark = pytest.mark.racelab

LIMIT = 5
BURST = 20
KEYS = ("let_through", "stored_attempts", "errors")


def _event(phone: str) -> dict[str, Any]:
    return {"pathParameters": {"phone": phone}}


def _burst(lab: Lab, project: Path) -> dict[str, Any]:
    table = lab.table("phone", env_var="OTP_TABLE")
    lab.fresh_boto3()
    client = lab.dynalite.client()
    client.put_item(TableName=table, Item={"phone": {"S": "+15550100"}})  # the code was sent: no attempts yet
    module = load_module(project, "otp")
    try:
        first = module.verify(_event("+15550100"), None)
        burst = run_concurrently(module.verify, [(_event("+15550100"), None)] * BURST, threads=BURST)
    finally:
        unload(module)
    stored = client.get_item(TableName=table, Key={"phone": {"S": "+15550100"}}, ConsistentRead=True)["Item"]
    let_through = 1 + sum(1 for r in burst.results if isinstance(r, dict) and not r["blocked"])
    return {"first": first, "let_through": let_through, "stored_attempts": int(stored["attempts"]["N"]),
            "errors": [repr(e) for e in burst.exceptions if e is not None]}


def test_unfixed_a_burst_gets_past_the_limit(lab: Lab) -> None:
    m = _burst(lab, SCENARIOS / "attempt_limit")
    report("attempt_limit", "original", m, KEYS)
    assert m["errors"] == [] and not m["first"]["blocked"]
    assert m["let_through"] > LIMIT or m["stored_attempts"] < m["let_through"]


def test_fixed_the_first_attempt_passes_and_a_burst_stops_at_the_limit(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("attempt_limit", tmp_path)
    assert fixed == ["DYN102"]
    assert "attribute_not_exists(#dl_attempts) OR" in (project / "otp.py").read_text()
    m = _burst(lab, project)
    report("attempt_limit", "fixed", m, KEYS)
    assert m["errors"] == []
    assert m["first"] == {"statusCode": 200, "blocked": False}  # the missing count lets the first one through
    assert m["let_through"] == LIMIT and m["stored_attempts"] == LIMIT  # exactly the limit, nothing lost
