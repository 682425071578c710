"""Race lab l: a cache stampede whose paid work is known only by its call.

The handler caches a vendor SDK's quotes (``marketdata.Client(...).latest_quote``); the SDK is
installed outside the project (``tests/racelab/vendor`` on sys.path), so dynolint cannot see
that it makes an HTTP request: DYN104 comes from the unseen-work rule (medium confidence), and
the fix is the claim protocol. 20 concurrent callers for one uncached symbol: unfixed, every
miss pays; fixed, one paid call and 20 identical answers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .harness import PaidApi, load_module, report, run_concurrently, unload
from .test_racelab import SCENARIOS, _errors, _statuses, fixed_copy

pytestmark = pytest.mark.racelab

VENDOR = Path(__file__).parent / "vendor"
KEYS = ["callers", "api_calls", "answered", "distinct_bodies", "errors", "seconds"]


def measure_quotes(project_dir: str | Path, lab: Lab, callers: int = 20) -> dict[str, Any]:
    lab.table("symbol", env_var="QUOTE_CACHE_TABLE")
    lab.monkeypatch.syspath_prepend(str(VENDOR))
    with PaidApi(delay=0.5) as api:
        lab.setenv("MARKETDATA_URL", f"{api.url}/v2/quotes/latest")
        lab.fresh_boto3()
        mod = load_module(project_dir, "quotes")
        try:
            event = {"queryStringParameters": {"symbol": "acme"}}
            burst = run_concurrently(mod.lambda_handler, [(event, None)] * callers, threads=callers)
            api_calls = api.calls
        finally:
            unload(mod)
            sys.modules.pop("marketdata", None)
    bodies = [o.result["body"] for o in burst if o.ok and o.result.get("statusCode") == 200]
    return {
        "callers": callers,
        "api_calls": api_calls,
        "answered": len(bodies),
        "distinct_bodies": len(set(bodies)),
        "statuses": _statuses(burst),
        "errors": _errors(burst),
        "seconds": round(burst.elapsed, 3),
    }


def test_sdk_stampede_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    unfixed = measure_quotes(SCENARIOS / "sdk_stampede", lab)
    project, fixed_codes = fixed_copy("sdk_stampede", tmp_path)
    assert fixed_codes == ["DYN104"]
    fixed = measure_quotes(project, lab)
    report("sdk_stampede", "original", unfixed, KEYS)
    report("sdk_stampede", "fixed", fixed, KEYS)
    assert unfixed["errors"] == [] and unfixed["api_calls"] > 1  # concurrent misses each paid the vendor
    assert fixed["errors"] == []
    assert fixed["api_calls"] == 1
    assert fixed["answered"] == fixed["callers"] and fixed["distinct_bodies"] == 1
