"""The DYN104 claim loop runs the code's hit test once a read and branches on its value.

It ran the test twice: in the loop (``if (<test>) or claim.take(...): break``) and again in the
``try`` after it (``if <test>: return ...``). A test that is not the same twice, one that reads
the clock (``hit["expires"] > int(time.time())``) or draws a random number (a probabilistic
early refresh), could call the item a hit in the loop (no claim taken) and a miss in the ``try``:
the miss path then paid without the claim, and its completing write, fenced on the claim's
owner, raised ``ConditionalCheckFailedException`` to a caller the original code served. Now the
loop keeps the test's value (``_dl_claim_hit``, or ``_dl_claim_miss`` when the ``if`` holds the
miss path) and the ``try`` branches on it.

The same fix against dynalite, the clock faked: ``tests/racelab/test_racelab_hit_once.py``."""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assert_fixed_for_good, fix_unsafe, write_project
from tests.test_fix_claim_reread import _Failed

CLOCK = '''import json
import time

import boto3
import requests

cache = boto3.resource("dynamodb").Table("fx-cache")


def handler(event, context):
    pair = event["pair"]
    hit = cache.get_item(Key={"pair": pair}).get("Item")
    if hit and hit["expires"] > int(time.time()):
        return json.loads(hit["data"])
    rate = requests.get(f"https://api.example.com/fx/{pair}", timeout=5).json()
    cache.put_item(Item={"pair": pair, "data": json.dumps(rate), "expires": int(time.time()) + 300})
    return rate
'''

CLOCK_AFTER = '''import json
import time

import boto3
import requests

import dynolint_claim

cache = boto3.resource("dynamodb").Table("fx-cache")


def handler(event, context):
    pair = event["pair"]
    _dl_claim = dynolint_claim.Claim()
    _dl_claim_lost = False
    while True:
        hit = cache.get_item(
            Key={"pair": pair},
            ConsistentRead=_dl_claim_lost,
        ).get("Item")
        _dl_seen, hit = hit, dynolint_claim.unclaimed(hit)
        _dl_claim_hit = hit and hit["expires"] > int(time.time())
        if _dl_claim_hit or _dl_claim.take(cache, {"pair": pair}, "pair", _dl_seen):
            break
        _dl_claim.wait(_dl_seen)
        _dl_claim_lost = True
    try:
        if _dl_claim_hit:
            return json.loads(hit["data"])
        rate = requests.get(f"https://api.example.com/fx/{pair}", timeout=5).json()
        cache.put_item(
            Item={
                "pair": pair,
                "data": json.dumps(rate),
                "expires": int(time.time()) + 300,
                "dl_generation": _dl_claim.owner,
            },
            ConditionExpression="#dl_owner = :dl_owner",
            ExpressionAttributeNames={"#dl_owner": "dl_lease_owner"},
            ExpressionAttributeValues={":dl_owner": _dl_claim.owner},
        )
        return rate
    finally:
        _dl_claim.release()
'''

# the miss path in the if, the test a probabilistic early refresh (random.random())
RANDOM = '''import math
import random
import time

import boto3
import requests

quotes = boto3.resource("dynamodb").Table("quotes")


def stale(item):
    return time.time() - float(item["delta"]) * math.log(random.random()) >= float(item["expires"])


def handler(event, context):
    sym = event["symbol"]
    item = quotes.get_item(Key={"symbol": sym}).get("Item")
    if item is None or stale(item):
        quote = requests.get(f"https://quotes.example.com/{sym}", timeout=5).json()
        quotes.put_item(Item={"symbol": sym, "body": quote, "delta": "0.5", "expires": int(time.time()) + 60})
        return quote
    return item["body"]
'''

RANDOM_AFTER = '''import math
import random
import time

import boto3
import requests

import dynolint_claim

quotes = boto3.resource("dynamodb").Table("quotes")


def stale(item):
    return time.time() - float(item["delta"]) * math.log(random.random()) >= float(item["expires"])


def handler(event, context):
    sym = event["symbol"]
    _dl_claim = dynolint_claim.Claim()
    _dl_claim_lost = False
    while True:
        item = quotes.get_item(
            Key={"symbol": sym},
            ConsistentRead=_dl_claim_lost,
        ).get("Item")
        _dl_seen, item = item, dynolint_claim.unclaimed(item)
        _dl_claim_miss = item is None or stale(item)
        if not _dl_claim_miss or _dl_claim.take(
            quotes,
            {"symbol": sym},
            "symbol",
            _dl_seen,
        ):
            break
        _dl_claim.wait(_dl_seen)
        _dl_claim_lost = True
    try:
        if _dl_claim_miss:
            quote = requests.get(f"https://quotes.example.com/{sym}", timeout=5).json()
            quotes.put_item(
                Item={
                    "symbol": sym,
                    "body": quote,
                    "delta": "0.5",
                    "expires": int(time.time()) + 60,
                    "dl_generation": _dl_claim.owner,
                },
                ConditionExpression="#dl_owner = :dl_owner",
                ExpressionAttributeNames={"#dl_owner": "dl_lease_owner"},
                ExpressionAttributeValues={":dl_owner": _dl_claim.owner},
            )
            return quote
        return item["body"]
    finally:
        _dl_claim.release()
'''

# the hit tested by a helper (fresh), in every form the fix must keep to one evaluation
FORMS = '''import boto3
import requests

rates = boto3.resource("dynamodb").Table("rates")


def fresh(item):
    return True


def handler(event, context):
    pair = event["pair"]
    hit = rates.get_item(Key={{"pair": pair}}).get("Item")
    {test}
    rate = requests.get("https://fx.example.com/" + pair, timeout=5).json()["rate"]
    rates.put_item(Item={{"pair": pair, "rate": str(rate)}})
    return rate
'''

TESTS = {  # the code's if, the verdict line in the loop, the if in the try
    "elif": ('if hit is not None and fresh(hit):\n        return hit["rate"]\n'
             '    elif hit is not None and hit.get("pinned"):\n        return hit["rate"]',
             "_dl_claim_hit = hit is not None and fresh(hit)",
             "if _dl_claim_hit:\n            return hit[\"rate\"]\n"
             "        elif hit is not None and hit.get(\"pinned\"):"),
    "walrus": ('if found := (hit is not None and fresh(hit)):\n        return hit["rate"] if found else None',
               "_dl_claim_hit = (found := (hit is not None and fresh(hit)))",
               "if _dl_claim_hit:\n            return hit[\"rate\"] if found else None"),
    "no-space": ('if(hit is not None and fresh(hit)):\n        return hit["rate"]',
                 "_dl_claim_hit = (hit is not None and fresh(hit))",
                 "if _dl_claim_hit:\n            return hit[\"rate\"]"),
    "negated": ('if not (hit is None or not fresh(hit)):\n        return hit["rate"]',
                "_dl_claim_hit = not (hit is None or not fresh(hit))",
                "if _dl_claim_hit:\n            return hit[\"rate\"]"),
}


def _fixed(project: Path, files: dict[str, str]) -> str:
    write_project(project, files)
    after, skipped = fix_unsafe(project, "app.py")
    assert skipped == []
    assert_fixed_for_good(project, "app.py", after)  # parses, no finding left, a second run changes nothing
    return after


def test_a_clock_test_runs_once_a_read(tmp_path: Path) -> None:
    after = _fixed(tmp_path, {"app.py": CLOCK})
    assert after == CLOCK_AFTER
    assert after.count('hit["expires"] > int(time.time())') == 1


def test_a_random_early_refresh_runs_once_a_read(tmp_path: Path) -> None:
    after = _fixed(tmp_path, {"app.py": RANDOM})
    assert after == RANDOM_AFTER
    assert after.count("stale(item)") == 2  # its definition, and the one test in the loop


@pytest.mark.parametrize("name", list(TESTS))
def test_every_form_of_the_test_runs_once(tmp_path: Path, name: str) -> None:
    test, verdict, branch = TESTS[name]
    after = _fixed(tmp_path, {"app.py": FORMS.format(test=test)})
    assert f"        {verdict}\n        if _dl_claim_hit or _dl_claim.take(" in after
    assert f"    try:\n        {branch}" in after
    assert after.count("fresh(hit)") == 1
    ast.parse(after)


# -- the fixed code run: a test that changes its mind between two evaluations ---------------------


class OneItemTable:
    """A table that holds ``stored``, takes any claim and records the writes."""

    def __init__(self, stored: dict[str, Any] | None) -> None:
        self.stored = stored
        self.claims = 0
        self.writes: list[dict[str, Any]] = []

    def get_item(self, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {} if self.stored is None else {"Item": dict(self.stored)}

    def update_item(self, **request: Any) -> None:
        if request["UpdateExpression"].startswith("SET "):  # a claim (a release REMOVEs the lease)
            self.claims += 1

    def put_item(self, **request: Any) -> None:
        if self.claims == 0:  # the fence: only the claim's holder completes
            raise _Failed()
        self.writes.append(request["Item"])

    def delete_item(self, **_: Any) -> None:
        pass


def _run(tmp_path: Path, after: str, table: OneItemTable, verdicts: list[bool]) -> tuple[Any, int]:
    """The fixed handler of ``FORMS`` run once: ``fresh`` answers ``verdicts`` in turn (a clock
    that moves on); the result and the number of paid calls."""
    paid: list[str] = []
    answers = iter(verdicts)
    requests = types.ModuleType("requests")
    requests.get = lambda url, **_: paid.append(url) or types.SimpleNamespace(  # type: ignore[attr-defined]
        json=lambda: {"rate": 1.5})
    boto3 = types.ModuleType("boto3")
    boto3.resource = lambda *a, **k: types.SimpleNamespace(Table=lambda name: table)  # type: ignore[attr-defined]
    helper = types.ModuleType("dynolint_claim")
    exec(compile((tmp_path / "dynolint_claim.py").read_text(), "dynolint_claim.py", "exec"), helper.__dict__)
    saved = {name: sys.modules.get(name) for name in ("requests", "boto3", "dynolint_claim")}
    sys.modules.update({"requests": requests, "boto3": boto3, "dynolint_claim": helper})
    try:
        namespace: dict[str, Any] = {}
        exec(compile(after, "app.py", "exec"), namespace)
        namespace["fresh"] = lambda item: next(answers)
        return namespace["handler"]({"pair": "EURUSD"}, None), len(paid)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def test_a_hit_that_turns_stale_is_served_without_paying(tmp_path: Path) -> None:
    """``fresh`` says hit, then (had it been asked again) miss: the fixed code asks once."""
    after = _fixed(tmp_path, {"app.py": FORMS.format(test=TESTS["negated"][0])})
    table = OneItemTable({"pair": "EURUSD", "rate": "1.08"})
    assert _run(tmp_path, after, table, [True, False]) == ("1.08", 0)
    assert table.claims == 0 and table.writes == []


def test_a_stale_item_is_claimed_then_refreshed(tmp_path: Path) -> None:
    """``fresh`` says miss, then hit: the claim taken on the miss is the one the write is fenced on."""
    after = _fixed(tmp_path, {"app.py": FORMS.format(test=TESTS["negated"][0])})
    table = OneItemTable({"pair": "EURUSD", "rate": "1.08"})
    assert _run(tmp_path, after, table, [False, True]) == (1.5, 1)
    assert table.claims == 1 and [w["rate"] for w in table.writes] == ["1.5"]


NESTED = '''import time

import boto3
import requests

table = boto3.resource("dynamodb").Table("weather")


def forecast(event, context):
    city = event["city"]
    cached = table.get_item(Key={"city": city}).get("Item")
    if cached:
        if cached["expires"] > time.time():
            return cached["payload"]
    payload = requests.get("https://api.example.com/forecast", params={"q": city}, timeout=5).json()
    table.put_item(Item={"city": city, "payload": payload, "expires": int(time.time()) + 600})
    return payload
'''


def test_a_hit_branch_that_can_fall_through_to_the_work_is_not_fixed(tmp_path: Path) -> None:
    """``if cached: if fresh: return``: a stale item is a hit to the loop (no claim taken) that
    goes on to the work; its fenced write would be refused on every request after expiry."""
    write_project(tmp_path, {"app.py": NESTED})
    after, skipped = fix_unsafe(tmp_path, "app.py")
    assert after == NESTED
    assert len(skipped) == 1 and "can fall through" in skipped[0]
    # both branches of the inner test leaving: fixed
    both = NESTED.replace('            return cached["payload"]\n',
                          '            return cached["payload"]\n        else:\n            return None\n')
    assert _fixed(tmp_path / "both", {"app.py": both}).count("_dl_claim_hit = cached") == 1
