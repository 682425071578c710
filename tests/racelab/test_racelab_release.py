"""A claimant that leaves without writing gives the key back (DYN104's fix, against dynalite).

``fixtures/racelab/stampede_refusal``: a rates cache whose provider sometimes answers with an
error document (passed on, never cached: an early return between the claim and the write) or
with a malformed one (the handler raises). Before the claim was released, either path left the
claim in the table: every caller for that key, concurrent or later, waited out the 30 s lease
before one of them could ask the provider again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .harness import PaidApi, load_module, report, run_concurrently, unload
from .test_racelab import _statuses, fixed_copy

pytestmark = pytest.mark.racelab

LEASE_SECONDS = 30  # the claim helper's default


def _answers(request: Any) -> dict[str, Any]:
    """The provider: its quota spent on the first call, a malformed document on the second,
    rates from then on."""
    if request.n == 1:
        return {"error": "monthly quota exceeded"}
    if request.n == 2:
        return {"base": request.query.get("base"), "n": request.n}  # no "rates": the handler raises
    return {"base": request.query.get("base"), "rates": {"USD": 1.08, "n": request.n}}


def _refused_once(request: Any) -> dict[str, Any]:
    if request.n == 1:
        return {"error": "monthly quota exceeded"}
    return {"base": request.query.get("base"), "rates": {"USD": 1.08, "n": request.n}}


def _stored(lab: Lab, table: str, base: str) -> dict[str, Any] | None:
    item = lab.dynalite.client().get_item(TableName=table, Key={"base": {"S": base}}, ConsistentRead=True)
    found: dict[str, Any] | None = item.get("Item")
    return found


def _rates(lab: Lab, project: Path, api: PaidApi) -> tuple[str, Any]:
    table = lab.table("base", env_var="RATES_TABLE")
    lab.setenv("RATES_API_URL", f"{api.url}/latest")
    lab.fresh_boto3()
    return table, load_module(project, "rates")


def test_an_early_return_and_an_exception_release_the_claim(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("stampede_refusal", tmp_path)
    assert fixed == ["DYN104"]
    event = {"queryStringParameters": {"base": "eur"}}
    with PaidApi(delay=0.0, respond=_answers) as api:
        table, module = _rates(lab, project, api)
        try:
            refused = module.lambda_handler(event, None)
            after_refusal = _stored(lab, table, "EUR")
            with pytest.raises(KeyError):
                module.lambda_handler(event, None)
            after_exception = _stored(lab, table, "EUR")
            answered = module.lambda_handler(event, None)
            cached = module.lambda_handler(event, None)
        finally:
            unload(module)
        calls = api.calls
    assert refused["statusCode"] == 502
    assert after_refusal is None  # the claim was the whole item: released, the key is free again
    assert after_exception is None
    assert answered["statusCode"] == 200 and cached == answered
    assert calls == 3  # one call each for the refusal, the malformed answer and the rates; the hit pays none
    stored = _stored(lab, table, "EUR")
    assert stored is not None and "dl_lease_owner" not in stored and "dl_lease_until" not in stored


def test_waiters_take_the_key_over_when_the_claimant_returns_early(lab: Lab, tmp_path: Path) -> None:
    """Ten concurrent misses: the claimant's provider call is refused and it returns 502; one
    waiter takes the released key at once and asks again, the others get its rates. Nobody waits
    for the lease (with it held, the burst took the 30 s lease plus the second call)."""
    project, _ = fixed_copy("stampede_refusal", tmp_path)
    with PaidApi(delay=0.5, respond=_refused_once) as api:
        table, module = _rates(lab, project, api)
        try:
            event = {"queryStringParameters": {"base": "chf"}}
            burst = run_concurrently(module.lambda_handler, [(event, None) for _ in range(10)], threads=10)
        finally:
            unload(module)
        calls = api.calls
    m = {"statuses": _statuses(burst), "api_calls": calls, "seconds": round(burst.elapsed, 3)}
    report("stampede_refusal", "fixed, first answer refused", m, ["statuses", "api_calls", "seconds"])
    assert m["statuses"] == {502: 1, 200: 9}
    assert calls == 2
    assert burst.elapsed < LEASE_SECONDS  # no waiter waited for the lease to lapse
    bodies = {o.result["body"] for o in burst if o.ok and o.result["statusCode"] == 200}
    assert len(bodies) == 1  # the nine got the one answer the second call cached


def test_release_keeps_an_item_the_claim_was_taken_on(lab: Lab, tmp_path: Path) -> None:
    """A claim taken over a stale item (it holds data) is released by removing the lease, not
    the item; a claim over nothing is released by deleting what it wrote."""
    import importlib.util

    from dynolint.fixes import claim_helper

    spec = importlib.util.spec_from_file_location("_racelab_claim_helper", claim_helper.__file__)
    assert spec is not None and spec.loader is not None
    helper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helper)
    name = lab.table("base")
    table = lab.dynalite.resource().Table(name)
    table.put_item(Item={"base": "GBP", "rates": "{}", "dl_generation": "g1"})
    seen = table.get_item(Key={"base": "GBP"}, ConsistentRead=True)["Item"]
    stale = helper.Claim()
    assert stale.take(table, {"base": "GBP"}, "base", seen)
    stale.release()
    assert table.get_item(Key={"base": "GBP"}, ConsistentRead=True)["Item"] == seen
    fresh = helper.Claim()
    assert fresh.take(table, {"base": "JPY"}, "base", None)
    other = helper.Claim()  # another caller's release never frees a claim it does not hold
    other.release()
    assert "dl_lease_owner" in table.get_item(Key={"base": "JPY"}, ConsistentRead=True)["Item"]
    fresh.release()
    assert "Item" not in table.get_item(Key={"base": "JPY"}, ConsistentRead=True)
