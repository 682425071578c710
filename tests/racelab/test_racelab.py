"""Race lab measurements: what each race costs when the scenario code runs against dynalite on
real threads.

Every scenario is a project under ``fixtures/racelab/<scenario>/``. A ``measure_<scenario>``
function takes a project directory (the original, or a copy that ``dynolint fix`` rewrote) and the
``lab`` fixture, runs the code unedited, and returns a dict of metrics. The tests here measure the
original (unfixed) code; the fixed variant is the same call on a fixed copy, with the opposite
assertions (stampede ``api_calls == 1``, counter ``final == increments`` in every round, lost
update ``silently_lost == []``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO_ROOT, Lab
from .harness import PaidApi, ReadGate, copy_project, load_module, report, run_concurrently, unload

pytestmark = pytest.mark.racelab

SCENARIOS = REPO_ROOT / "fixtures" / "racelab"


def _errors(burst: Any) -> list[str]:
    return [f"{type(o.exception).__name__}: {o.exception}" for o in burst.failed]


def _statuses(burst: Any) -> dict[Any, int]:
    counts: Counter[Any] = Counter()
    for outcome in burst:
        if not outcome.ok:
            counts[type(outcome.exception).__name__] += 1
        elif isinstance(outcome.result, dict):
            counts[outcome.result.get("statusCode")] += 1
        else:
            counts["?"] += 1
    return dict(counts)


# -- a. cache stampede ------------------------------------------------------------------------


def measure_stampede(project_dir: str | Path, lab: Lab, *, callers: int = 20,
                     city: str = "Lisbon", api_delay: float = 0.5,
                     module: str = "handler", entry: str = "lambda_handler") -> dict[str, Any]:
    """``callers`` concurrent requests for one city that is not cached yet.

    The paid API answers after ``api_delay`` seconds with ``{"n": <call number>, ...}``.
    Metrics: ``api_calls`` (1 when the key is claimed before the work, ``callers`` for the naive
    cache), ``distinct_bodies`` and ``all_same`` over the 200 answers, ``statuses``, ``errors``,
    and ``cached_n`` (which API call's answer the cache holds afterwards).
    """
    table_name = lab.table("city", env_var="WEATHER_CACHE_TABLE")
    with PaidApi(delay=api_delay) as api:
        lab.setenv("WEATHER_API_URL", f"{api.url}/v3/current")
        lab.setenv("WEATHER_API_KEY", "racelab-key")
        lab.fresh_boto3()
        mod = load_module(project_dir, module)
        try:
            handler = getattr(mod, entry)
            event = {"queryStringParameters": {"city": city}}
            burst = run_concurrently(handler, [(event, None) for _ in range(callers)],
                                     threads=callers)
            api_calls = api.calls
            starts = [r.started for r in api.requests]
        finally:
            unload(mod)
    bodies = [o.result.get("body") for o in burst
              if o.ok and isinstance(o.result, dict) and o.result.get("statusCode") == 200]
    stored = lab.dynalite.client().get_item(TableName=table_name, ConsistentRead=True,
                                            Key={"city": {"S": city.strip().lower()}}).get("Item")
    cached_n = None
    if stored and "payload" in stored and "S" in stored["payload"]:
        try:
            cached_n = json.loads(stored["payload"]["S"]).get("n")
        except (ValueError, AttributeError):
            cached_n = None
    return {
        "callers": callers,
        "api_calls": api_calls,
        "answered": len(bodies),
        "distinct_bodies": len(set(bodies)),
        "all_same": len(bodies) == callers and len(set(bodies)) == 1,
        "statuses": _statuses(burst),
        "errors": _errors(burst),
        "cached_n": cached_n,
        # first to last API request: all misses happen inside this window; compare with api_delay
        "miss_spread": round(max(starts) - min(starts), 3) if starts else 0.0,
        "seconds": round(burst.elapsed, 3),
    }


def test_stampede_unfixed_calls_the_paid_api_once_per_caller(lab: Lab) -> None:
    m = measure_stampede(SCENARIOS / "stampede", lab)
    report("stampede", "original", m,
           ["callers", "api_calls", "answered", "distinct_bodies", "all_same", "cached_n",
            "miss_spread", "errors", "seconds"])
    assert m["errors"] == []
    assert m["answered"] == m["callers"]
    assert m["api_calls"] > 1  # the race: more than one caller paid for the same key
    assert m["api_calls"] == m["callers"]  # with a 0.5 s API every caller misses
    assert not m["all_same"]  # callers got answers from different API calls


# -- b. crashed claimant ----------------------------------------------------------------------


def measure_crashed_claimant(project_dir: str | Path, lab: Lab, *, city: str = "Porto",
                             lease_seconds: int = 2, module: str = "handler",
                             entry: str = "lambda_handler") -> dict[str, Any]:
    """A first caller claims the key and dies in the middle of the paid call (a separate
    process, SIGKILLed once the paid API has its request, so nothing can release the claim).
    A later caller must wait for the lease to lapse, take the key over, call the API once and
    complete the item; the dead claimant's late completion is fenced out.
    """
    import os
    import signal
    import subprocess
    import sys
    import time as clock

    import boto3

    table_name = lab.table("city", env_var="WEATHER_CACHE_TABLE")
    key = {"city": city.strip().lower()}
    with PaidApi(delay=30.0) as stuck_api, PaidApi(delay=0.2) as api:
        script = (
            "import sys\n"
            f"sys.path.insert(0, {str(project_dir)!r})\n"
            "import dynolint_claim\n"  # the claim helper module the fix placed beside the handler
            f"dynolint_claim.LEASE_SECONDS = {lease_seconds}\n"
            f"import {module} as m\n"
            f"m.{entry}({{'queryStringParameters': {{'city': {city!r}}}}}, None)\n"
        )
        env = dict(os.environ, WEATHER_API_URL=f"{stuck_api.url}/v3/current", WEATHER_API_KEY="k")
        claimant = subprocess.Popen([sys.executable, "-c", script], env=env)
        try:
            deadline = clock.monotonic() + 20
            while stuck_api.calls == 0 and clock.monotonic() < deadline and claimant.poll() is None:
                clock.sleep(0.02)
            claimed = lab.dynalite.resource().Table(table_name).get_item(Key=key, ConsistentRead=True).get("Item")
            assert claimant.poll() is None, "the claimant died before it reached the paid API"
            os.kill(claimant.pid, signal.SIGKILL)
            claimant.wait(timeout=10)
            crashed_at = clock.monotonic()
            crashed_wall = clock.time()
        finally:
            if claimant.poll() is None:
                claimant.kill()
        lab.setenv("WEATHER_API_URL", f"{api.url}/v3/current")
        lab.setenv("WEATHER_API_KEY", "racelab-key")
        lab.fresh_boto3()
        mod = load_module(project_dir, module)
        try:
            mod.dynolint_claim.LEASE_SECONDS = lease_seconds  # the lease is a parameter of the helper
            burst = run_concurrently(getattr(mod, entry), [({"queryStringParameters": {"city": city}}, None)] * 5,
                                     threads=5)
            taken_over_at = api.requests[0].started if api.requests else None
            calls_after = api.calls
        finally:
            unload(mod)
    stale_rejected = False
    owner = (claimed or {}).get("dl_lease_owner")
    if owner:
        table = boto3.resource("dynamodb").Table(table_name)
        try:
            table.put_item(Item={**key, "payload": "stale"}, ConditionExpression="#o = :o",
                           ExpressionAttributeNames={"#o": "dl_lease_owner"},
                           ExpressionAttributeValues={":o": owner})
        except table.meta.client.exceptions.ConditionalCheckFailedException:
            stale_rejected = True
    final = lab.dynalite.resource().Table(table_name).get_item(Key=key, ConsistentRead=True).get("Item") or {}
    return {
        "claimed_by_dead_claimant": bool(owner),
        "dead_claimant_api_calls": stuck_api.calls,
        "api_calls_after_crash": calls_after,
        "takeover_after": round(taken_over_at - crashed_at, 3) if taken_over_at else None,
        # when the takeover happened, on the clock the lease was written with (epoch seconds)
        "takeover_wall": crashed_wall + (taken_over_at - crashed_at) if taken_over_at else None,
        "lease_until": float((claimed or {}).get("dl_lease_until", 0)),
        "lease_seconds": lease_seconds,
        "statuses": _statuses(burst),
        "errors": _errors(burst),
        "stale_completion_rejected": stale_rejected,
        "completed": "payload" in final and "dl_lease_owner" not in final,
    }


# -- c. read-add-write counter ----------------------------------------------------------------


def measure_counter(project_dir: str | Path, lab: Lab, *, increments: int = 20, rounds: int = 5,
                    threads: int | None = None, module: str = "views",
                    entry: str = "record_view", key: str = "page_id", env_var: str = "PAGE_VIEWS_TABLE",
                    attribute: str = "views") -> dict[str, Any]:
    """``rounds`` bursts of ``increments`` concurrent page views, each burst on a fresh page id
    (the table's key ``key``, sent as the path parameter of that name; the counter ``attribute``).

    Metrics: ``finals`` (the stored ``views`` after each burst; ``increments`` everywhere when no
    update is lost), ``lost`` per round, ``rounds_with_loss``, ``returned_distinct`` (per round,
    how many different totals the callers were told), ``errors``.
    """
    table_name = lab.table(key, env_var=env_var)
    lab.fresh_boto3()
    mod = load_module(project_dir, module)
    client = lab.dynalite.client()
    finals: list[int | None] = []
    returned_distinct: list[int] = []
    errors: list[str] = []
    statuses: Counter[Any] = Counter()
    try:
        handler = getattr(mod, entry)
        for r in range(rounds):
            page_id = f"/blog/race-{r}"
            event = {"pathParameters": {key: page_id}}
            burst = run_concurrently(handler, [(event, None) for _ in range(increments)],
                                     threads=threads or increments)
            errors += _errors(burst)
            statuses.update(_statuses(burst))
            told = set()
            for o in burst:
                if o.ok and isinstance(o.result, dict) and "body" in o.result:
                    told.add(json.loads(o.result["body"]).get(attribute))
            returned_distinct.append(len(told))
            item = client.get_item(TableName=table_name, ConsistentRead=True,
                                   Key={key: {"S": page_id}}).get("Item")
            finals.append(int(item[attribute]["N"]) if item and attribute in item else None)
    finally:
        unload(mod)
    lost = [increments - (f or 0) for f in finals]
    return {
        "increments": increments,
        "rounds": rounds,
        "finals": finals,
        "lost": lost,
        "rounds_with_loss": sum(1 for x in lost if x > 0),
        "returned_distinct": returned_distinct,
        "statuses": dict(statuses),
        "errors": errors,
    }


def test_counter_unfixed_loses_increments(lab: Lab) -> None:
    m = measure_counter(SCENARIOS / "counter", lab)
    report("counter", "original", m,
           ["increments", "rounds", "finals", "lost", "rounds_with_loss", "errors"])
    assert m["errors"] == []
    assert all(f is not None for f in m["finals"])
    assert max(m["finals"]) < m["increments"]  # every burst lost increments


# -- d. lost update of a whole item -----------------------------------------------------------


def measure_lost_update(project_dir: str | Path, lab: Lab, *, user_id: str = "u-1842",
                        module: str = "profiles", entry: str = "update_profile",
                        edits: tuple[dict[str, str], ...] = ({"display_name": "Ada L."},
                                                             {"bio": "Writes about engines."}),
                        key: str = "user_id", env_var: str = "PROFILES_TABLE",
                        seed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Two concurrent edits of different fields of one profile, each read-modify-put.

    The interleaving is forced from outside the code: a :class:`ReadGate` on boto3's default
    session holds each of the first two ``GetItem`` calls until both have been answered, so both
    requests read the old profile before either writes. Later reads (a retry) are not held.

    Metrics: ``survived`` / ``lost`` (edited fields whose value is / is not in the final item),
    ``silently_lost`` (lost fields whose request still answered 2xx: the bug), ``statuses``,
    ``gate_forced`` (both reads were held: the interleaving really happened), ``errors``.
    """
    import boto3

    table_name = lab.table(key, env_var=env_var)
    if seed is None:
        seed = {"display_name": "Ada", "bio": "", "version": 1, "created_at": "2024-05-01T09:30:00+00:00"}
    lab.dynalite.resource().Table(table_name).put_item(Item={key: user_id, **seed})
    lab.fresh_boto3()
    boto3.setup_default_session()  # restored by the lab's monkeypatch at teardown
    gate = ReadGate(parties=len(edits))
    gate.install(boto3.DEFAULT_SESSION, "GetItem")
    mod = load_module(project_dir, module)
    try:
        handler = getattr(mod, entry)
        events = [{"pathParameters": {key: user_id}, "body": json.dumps(edit)}
                  for edit in edits]
        burst = run_concurrently(handler, [(event, None) for event in events],
                                 threads=len(events))
    finally:
        unload(mod)
    final = lab.dynalite.resource().Table(table_name).get_item(
        Key={key: user_id}, ConsistentRead=True)["Item"]
    survived, lost, silently_lost = [], [], []
    for edit, outcome in zip(edits, burst):
        for field, value in edit.items():
            if final.get(field) == value:
                survived.append(field)
                continue
            lost.append(field)
            status = outcome.result.get("statusCode") if outcome.ok and isinstance(
                outcome.result, dict) else None
            if isinstance(status, int) and 200 <= status < 300:
                silently_lost.append(field)
    return {
        "edits": len(edits),
        "survived": survived,
        "lost": lost,
        "both_survived": not lost,
        "silently_lost": silently_lost,
        "statuses": _statuses(burst),
        "gate_forced": gate.held == len(edits) and not gate.broken,
        "errors": _errors(burst),
        "counts": f"survived {len(survived)}, lost {len(lost)}, silently lost {len(silently_lost)}",
        "final_version": final.get("version"),
    }


def test_lost_update_unfixed_drops_one_edit_silently(lab: Lab) -> None:
    m = measure_lost_update(SCENARIOS / "lost_update", lab)
    report("lost_update", "original", m,
           ["edits", "survived", "lost", "silently_lost", "statuses", "gate_forced", "errors"])
    assert m["gate_forced"]
    assert m["errors"] == []
    assert m["statuses"] == {200: 2}  # both requests were told their edit was saved
    assert len(m["lost"]) == 1 and len(m["survived"]) == 1  # the later put_item won
    assert m["silently_lost"] == m["lost"]


# -- e. wallet: a spend refused when the balance is too low ------------------------------------


def measure_wallet(project_dir: str | Path, lab: Lab, *, balance: int = 10, amount: int = 1,
                   spends: int = 20, rounds: int = 3, module: str = "wallet",
                   entry: str = "spend") -> dict[str, Any]:
    """``rounds`` bursts of ``spends`` concurrent spends of ``amount`` from a wallet seeded with
    ``balance``, each burst on a fresh wallet.

    Exactly ``balance // amount`` spends may succeed (200) and the others must be refused (409);
    the balance may never go below zero, and no caller may see an exception. Metrics:
    ``allowed`` (the spends the balance allows), ``succeeded`` and ``refused`` per round,
    ``finals`` (the stored balance after each burst), ``money_created`` per round (the stored
    balance minus what the successful spends should have left: lost updates give money away),
    ``negative`` (rounds whose balance went below zero), ``told_negative`` (callers told a
    balance below zero), ``errors``.
    """
    table_name = lab.table("wallet_id", env_var="WALLETS_TABLE")
    lab.fresh_boto3()
    mod = load_module(project_dir, module)
    table = lab.dynalite.resource().Table(table_name)
    succeeded, refused, finals, created = [], [], [], []
    told_negative = 0
    errors: list[str] = []
    statuses: Counter[Any] = Counter()
    try:
        handler = getattr(mod, entry)
        for r in range(rounds):
            wallet_id = f"w-race-{r}"
            table.put_item(Item={"wallet_id": wallet_id, "balance": balance, "owner": "ada"})
            event = {"pathParameters": {"wallet_id": wallet_id}, "body": json.dumps({"amount": amount})}
            burst = run_concurrently(handler, [(event, None) for _ in range(spends)], threads=spends)
            errors += _errors(burst)
            counts = _statuses(burst)
            statuses.update(counts)
            succeeded.append(counts.get(200, 0))
            refused.append(counts.get(409, 0))
            for o in burst:
                if o.ok and isinstance(o.result, dict) and o.result.get("statusCode") == 200:
                    told = json.loads(o.result["body"]).get("balance")
                    told_negative += isinstance(told, (int, float)) and told < 0
            final = table.get_item(Key={"wallet_id": wallet_id}, ConsistentRead=True)["Item"]["balance"]
            finals.append(int(final))
            created.append(int(final) - (balance - amount * counts.get(200, 0)))
    finally:
        unload(mod)
    return {
        "balance": balance, "amount": amount, "spends": spends, "rounds": rounds,
        "allowed": balance // amount,
        "succeeded": succeeded,
        "refused": refused,
        "finals": finals,
        "money_created": created,
        "negative": sum(1 for f in finals if f < 0),
        "told_negative": told_negative,
        "statuses": dict(statuses),
        "errors": errors,
    }


WALLET_KEYS = ["balance", "spends", "rounds", "allowed", "succeeded", "refused", "finals", "money_created",
               "negative", "errors"]


def test_wallet_unfixed_spends_more_than_the_balance(lab: Lab) -> None:
    m = measure_wallet(SCENARIOS / "wallet", lab)
    report("wallet", "original", m, WALLET_KEYS)
    assert m["errors"] == []
    # lost updates: more spends succeed than the balance allows, and the money is given away
    assert max(m["succeeded"]) > m["allowed"]
    assert max(m["money_created"]) > 0


# -- f. counter written back with put_item -----------------------------------------------------

PUT_COUNTER = {"module": "clicks", "entry": "record_click", "key": "link_id", "env_var": "LINK_CLICKS_TABLE",
               "attribute": "clicks"}


def test_put_counter_unfixed_loses_clicks(lab: Lab) -> None:
    m = measure_counter(SCENARIOS / "put_counter", lab, **PUT_COUNTER)
    report("put_counter", "original", m,
           ["increments", "rounds", "finals", "lost", "rounds_with_loss", "returned_distinct", "errors"])
    assert m["errors"] == []
    assert all(f is not None for f in m["finals"])
    assert max(m["finals"]) < m["increments"]  # every burst lost clicks


# -- the same measurements on the code that `dynolint fix --unsafe-fixes` produced ------------------


def fixed_copy(scenario: str, tmp_path: Path) -> tuple[Path, list[str]]:
    """Copy a scenario and fix it with dynolint; returns the copy and the codes it fixed."""
    from dynolint.api import Options, fix_paths
    from dynolint.config import discover
    from dynolint.rules import KNOWN_CODES

    target = copy_project(SCENARIOS / scenario, tmp_path / f"{scenario}-fixed")
    report = fix_paths([target], discover(target, set(KNOWN_CODES)), Options(), unsafe=True)
    assert report.changed, report.skipped
    assert report.after is not None and report.after.findings == []
    return target, sorted(f.code for f in report.applied)


def test_stampede_fixed_calls_the_paid_api_once(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("stampede", tmp_path)
    assert fixed == ["DYN104"]
    m = measure_stampede(project, lab)
    report("stampede", "fixed", m, ["callers", "api_calls", "answered", "distinct_bodies", "all_same", "errors",
                                    "seconds"])
    assert m["errors"] == []
    assert m["api_calls"] == 1
    assert m["answered"] == m["callers"] and m["all_same"]


def test_stampede_fixed_imports_the_claim_helper_once(tmp_path: Path) -> None:
    project, _ = fixed_copy("stampede", tmp_path)
    handler = (project / "handler.py").read_text()
    assert "import dynolint_claim\n" in handler and "def _dynolint_claim" not in handler  # a library, not a paste
    assert (project / "dynolint_claim.py").read_text().startswith('"""Claim a DynamoDB item')


def test_stampede_fixed_waiters_wait_as_long_as_the_lease(lab: Lab, tmp_path: Path) -> None:
    """The paid call takes 9.2 s, longer than the 8.5 s of backoff the pasted helper waited before
    giving up, shorter than the 30 s lease (and than the handler's own 10 s HTTP timeout): every
    waiter waits for the winner's answer."""
    project, _ = fixed_copy("stampede", tmp_path)
    m = measure_stampede(project, lab, api_delay=9.2)
    report("stampede", "fixed, 9.2 s API", m, ["callers", "api_calls", "answered", "all_same", "errors", "seconds"])
    assert m["errors"] == []
    assert m["api_calls"] == 1 and m["answered"] == m["callers"] and m["all_same"]


def test_crashed_claimant_lease_is_taken_over(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("crashed_claimant", tmp_path)
    assert fixed == ["DYN104"]
    m = measure_crashed_claimant(project, lab)
    report("crashed_claimant", "fixed", m, ["claimed_by_dead_claimant", "dead_claimant_api_calls",
                                            "api_calls_after_crash", "takeover_after", "lease_seconds",
                                            "stale_completion_rejected", "completed", "errors"])
    assert m["claimed_by_dead_claimant"] and m["dead_claimant_api_calls"] == 1
    assert m["errors"] == [] and m["statuses"] == {200: 5}
    assert m["api_calls_after_crash"] == 1
    # taken over, and never before the dead claimant's lease ran out (whatever the machine's load:
    # the lease is measured from its claim, not from when the test noticed the crash)
    assert m["takeover_wall"] is not None and m["takeover_wall"] >= m["lease_until"] > 0
    assert m["stale_completion_rejected"] and m["completed"]


def test_counter_fixed_counts_every_increment(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("counter", tmp_path)
    assert fixed == ["DYN102"]
    m = measure_counter(project, lab)
    report("counter", "fixed", m, ["increments", "rounds", "finals", "lost", "returned_distinct", "errors"])
    assert m["errors"] == []
    assert m["finals"] == [m["increments"]] * m["rounds"]
    assert m["returned_distinct"] == [m["increments"]] * m["rounds"]  # totals read back from the write


def test_lost_update_fixed_loser_gets_a_conditional_failure(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("lost_update", tmp_path)
    assert fixed == ["DYN101"]
    m = measure_lost_update(project, lab)
    report("lost_update", "fixed", m, ["edits", "survived", "lost", "silently_lost", "statuses", "gate_forced",
                                       "errors", "final_version"])
    assert m["gate_forced"]
    assert m["silently_lost"] == []
    assert len(m["survived"]) == 1
    assert m["statuses"] == {200: 1, "ConditionalCheckFailedException": 1}
    assert m["final_version"] == 2


def test_wallet_fixed_allows_exactly_the_balance(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("wallet", tmp_path)
    assert fixed == ["DYN102"]
    m = measure_wallet(project, lab)
    report("wallet", "fixed", m, WALLET_KEYS)
    assert m["errors"] == []  # no caller sees ConditionalCheckFailedException: it took the refusal branch
    assert m["succeeded"] == [m["allowed"]] * m["rounds"]
    assert m["refused"] == [m["spends"] - m["allowed"]] * m["rounds"]
    assert m["finals"] == [m["balance"] - m["allowed"] * m["amount"]] * m["rounds"]
    assert m["negative"] == 0 and m["told_negative"] == 0 and m["money_created"] == [0] * m["rounds"]


def test_put_counter_fixed_counts_every_click(lab: Lab, tmp_path: Path) -> None:
    project, fixed = fixed_copy("put_counter", tmp_path)
    assert fixed == ["DYN102"]
    m = measure_counter(project, lab, **PUT_COUNTER)
    report("put_counter", "fixed", m, ["increments", "rounds", "finals", "lost", "returned_distinct", "errors"])
    assert m["errors"] == []
    assert m["finals"] == [m["increments"]] * m["rounds"]
    # every caller is told the total its own click made: all different
    assert m["returned_distinct"] == [m["increments"]] * m["rounds"]


# -- g. read, mutate, put back with no version attribute; h. old items without the version -----

# 20 concurrent edits of one member, each a value no other edit writes (four fields, five rounds of values)
MEMBER_EDITS = tuple({field: f"{field} edit {n}"} for n in range(5) for field in ("nickname", "phone", "home_court",
                                                                                   "level"))
UNVERSIONED = {"module": "members", "entry": "edit_profile", "key": "member_id", "env_var": "MEMBERS_TABLE",
               "user_id": "m-77", "edits": MEMBER_EDITS,
               "seed": {"nickname": "Ada", "phone": "", "home_court": "2", "level": "B"}}
EDIT_KEYS = ["edits", "counts", "statuses", "gate_forced", "final_version"]


def _edits_outcome(m: dict[str, Any]) -> None:
    """The fixed code under a forced interleaving of 20 edits: one wins, every other one is told
    (its request fails on the condition), no edit vanishes behind a success, no KeyError."""
    assert m["gate_forced"]
    assert m["silently_lost"] == []
    assert len(m["survived"]) == 1
    assert m["statuses"] == {200: 1, "ConditionalCheckFailedException": m["edits"] - 1}
    assert not any(e.startswith("KeyError") for e in m["errors"])


def test_unversioned_profile_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    unfixed = measure_lost_update(SCENARIOS / "unversioned_profile", lab, **UNVERSIONED)
    project, fixed_codes = fixed_copy("unversioned_profile", tmp_path)
    assert fixed_codes == ["DYN101"]
    fixed = measure_lost_update(project, lab, **UNVERSIONED)
    report("unversioned_profile", "original", unfixed, EDIT_KEYS)
    report("unversioned_profile", "fixed", fixed, EDIT_KEYS)
    assert unfixed["gate_forced"] and unfixed["errors"] == []
    assert unfixed["statuses"] == {200: len(MEMBER_EDITS)}  # every caller was told its edit was saved
    assert len(unfixed["silently_lost"]) == len(MEMBER_EDITS) - 1  # ... and all but the last put vanished
    _edits_outcome(fixed)
    assert fixed["final_version"] == 1  # the fix started keeping a version: the first write made it 1


def test_old_items_without_the_version_attribute(lab: Lab, tmp_path: Path) -> None:
    """``lost_update`` declares ``version`` as its version attribute, but items created before
    it was introduced lack it: the fixed code reads it with a default and accepts the missing
    attribute once, instead of raising KeyError on every edit of an old profile."""
    old_item = {"display_name": "Ada", "bio": "", "created_at": "2019-02-11T08:00:00+00:00"}
    edits = tuple({field: f"{field} edit {n}"} for n in range(10) for field in ("display_name", "bio"))
    unfixed = measure_lost_update(SCENARIOS / "lost_update", lab, edits=edits, seed=old_item)
    project, fixed_codes = fixed_copy("lost_update", tmp_path)
    assert fixed_codes == ["DYN101"]
    fixed = measure_lost_update(project, lab, edits=edits, seed=old_item)
    report("old_items", "original", unfixed, EDIT_KEYS)
    report("old_items", "fixed", fixed, EDIT_KEYS)
    assert unfixed["errors"] == [] and len(unfixed["silently_lost"]) == len(edits) - 1
    _edits_outcome(fixed)
    assert fixed["final_version"] == 1


# -- i. ids allocated as max + 1 from a scan ----------------------------------------------------


def measure_allocated_ids(project_dir: str | Path, lab: Lab, *, callers: int = 20, module: str = "tickets",
                          entry: str = "open_ticket") -> dict[str, Any]:
    """``callers`` concurrent ticket openings on an empty table; each numbers its ticket
    ``max(ticket_no) + 1`` from a scan. Metrics: ``told_created`` (201 answers), ``stored``
    (tickets in the table afterwards), ``replaced`` (tickets a caller was told were created but
    another caller's put replaced), ``numbers_told`` (distinct numbers the callers were told)."""
    table_name = lab.table("ticket_no", env_var="TICKETS_TABLE")
    lab.fresh_boto3()
    mod = load_module(project_dir, module)
    try:
        events = [{"body": json.dumps({"subject": f"printer {n} jammed", "customer": f"c-{n}"})}
                  for n in range(callers)]
        burst = run_concurrently(getattr(mod, entry), [(event, None) for event in events], threads=callers)
    finally:
        unload(mod)
    stored = lab.dynalite.resource().Table(table_name).scan(ConsistentRead=True)["Items"]
    created = [json.loads(o.result["body"])["ticket_no"] for o in burst
               if o.ok and isinstance(o.result, dict) and o.result.get("statusCode") == 201]
    return {
        "callers": callers,
        "told_created": len(created),
        "numbers_told": len(set(created)),
        "stored": len(stored),
        "replaced": len(created) - len(stored),
        "statuses": _statuses(burst),
    }


ALLOCATE_KEYS = ["callers", "told_created", "numbers_told", "stored", "replaced", "statuses"]


def test_allocated_ids_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    unfixed = measure_allocated_ids(SCENARIOS / "allocated_ids", lab)
    project, fixed_codes = fixed_copy("allocated_ids", tmp_path)
    assert fixed_codes == ["DYN101"]
    fixed = measure_allocated_ids(project, lab)
    report("allocated_ids", "original", unfixed, ALLOCATE_KEYS)
    report("allocated_ids", "fixed", fixed, ALLOCATE_KEYS)
    assert unfixed["statuses"] == {201: unfixed["callers"]}
    assert unfixed["replaced"] > 0  # callers were told about tickets that another caller's put replaced
    # fixed: no record replaced; every ticket a caller was told about is stored, under its own number,
    # and a caller that lost the number is told so (the put fails on its condition)
    assert fixed["replaced"] == 0 and fixed["numbers_told"] == fixed["told_created"] == fixed["stored"] >= 1
    assert fixed["statuses"].get(201, 0) + fixed["statuses"].get("ConditionalCheckFailedException", 0) == \
        fixed["callers"]


# -- j. PynamoDB: get(), a counter in Python, save() ---------------------------------------------


def measure_pynamodb_views(project_dir: str | Path, lab: Lab, *, views: int = 20, rounds: int = 3,
                           module: str = "recipes", entry: str = "view_recipe") -> dict[str, Any]:
    """``rounds`` bursts of ``views`` concurrent page views of a fresh recipe, through a PynamoDB
    model whose ``Meta.host`` points at dynalite. Metrics as :func:`measure_counter`: the stored
    ``views`` after each burst, the views lost, how many different totals callers were told."""
    pytest.importorskip("pynamodb")
    table_name = lab.table("slug", env_var="RECIPES_TABLE")
    lab.setenv("DYNAMODB_HOST", lab.dynalite.endpoint_url)
    table = lab.dynalite.resource().Table(table_name)
    mod = load_module(project_dir, module)
    finals: list[int] = []
    told: list[int] = []
    errors: list[str] = []
    try:
        for r in range(rounds):
            slug = f"pao-de-lo-{r}"
            table.put_item(Item={"slug": slug, "title": "Pão de ló", "views": 0})
            event = {"pathParameters": {"slug": slug}}
            burst = run_concurrently(getattr(mod, entry), [(event, None) for _ in range(views)], threads=views)
            errors += _errors(burst)
            told.append(len({json.loads(o.result["body"])["views"] for o in burst
                             if o.ok and isinstance(o.result, dict) and o.result.get("statusCode") == 200}))
            finals.append(int(table.get_item(Key={"slug": slug}, ConsistentRead=True)["Item"]["views"]))
    finally:
        unload(mod)
    return {"views": views, "rounds": rounds, "finals": finals, "lost": [views - f for f in finals],
            "returned_distinct": told, "errors": errors}


PYN_KEYS = ["views", "rounds", "finals", "lost", "returned_distinct", "errors"]


def test_pynamodb_views_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    unfixed = measure_pynamodb_views(SCENARIOS / "pynamodb_views", lab)
    project, fixed_codes = fixed_copy("pynamodb_views", tmp_path)
    assert fixed_codes == ["DYN102"]
    fixed = measure_pynamodb_views(project, lab)
    report("pynamodb_views", "original", unfixed, PYN_KEYS)
    report("pynamodb_views", "fixed", fixed, PYN_KEYS)
    assert unfixed["errors"] == [] and max(unfixed["finals"]) < unfixed["views"]  # every burst lost views
    assert fixed["errors"] == []
    assert fixed["finals"] == [fixed["views"]] * fixed["rounds"]
    # update() refreshes the instance from the write: every caller is told the total its own view made
    assert fixed["returned_distinct"] == [fixed["views"]] * fixed["rounds"]
