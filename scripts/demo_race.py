"""`make demo`, part two: fix two of the demo's races with `dynolint fix` and measure the
original and the fixed handler against a real DynamoDB-compatible server (dynalite) with 20
concurrent callers.

- the cache-stampede handler (src/weather, DYN104): paid API calls and distinct answers;
- the store-credit wallet (src/wallet, DYN102): spends that succeeded and were refused, the
  final balance, and whether any caller saw an exception. A third row makes the original's
  write a plain atomic ADD (no condition), to show why the fix keeps the check as a condition.

Prints each fix as a diff, then a table per scenario. Exits 1 if a fixed handler does not
show the fixed behaviour. Works on temporary copies: nothing in the checkout is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402

from dynolint.api import Options, fix_paths  # noqa: E402
from dynolint.config import discover  # noqa: E402
from dynolint.rules import KNOWN_CODES  # noqa: E402
from tests.racelab.harness import (PaidApi, ReadGate, copy_project, load_module, run_concurrently,  # noqa: E402
                                   unload)

CALLERS = 20
BALANCE = 10  # the wallet holds 10; each caller spends 1, so exactly 10 spends may succeed
AMOUNT = 1


def dynamodb_client(url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="demo",
                        aws_secret_access_key="demo")


def start_dynalite() -> tuple[subprocess.Popen[bytes], str]:
    import socket

    binary = REPO / "node_modules" / ".bin" / "dynalite"
    if not binary.exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REPO, check=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([str(binary), "--host", "127.0.0.1", "--port", str(port), "--createTableMs", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    client = dynamodb_client(url)
    for _ in range(200):
        try:
            client.list_tables()
            return process, url
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.1)
    process.kill()
    raise SystemExit("dynalite did not start")


def show_and_fix(project: Path, path: str, code: str, what: str) -> None:
    """Print the fix of ``path`` as `dynolint fix --diff` shows it, then apply it to the copy."""
    print(f"== dynolint fix --unsafe-fixes --select {code} fixtures/demo  ({what})")
    proc = subprocess.run([sys.executable, "-m", "dynolint", "fix", "--diff", "--unsafe-fixes", "--select", code,
                           path], cwd=project, capture_output=True, text=True)
    print(proc.stdout)
    fix_paths([project / path], discover(project, set(KNOWN_CODES)), Options(select=(code,)), unsafe=True)


def create_table(client: Any, name: str, key: str) -> None:
    """Create a table and wait until it is ACTIVE (dynalite makes it active on a timer, even with
    --createTableMs 0: a request sent at once on a loaded machine can find it still CREATING)."""
    client.create_table(TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    deadline = time.monotonic() + 30
    while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise RuntimeError(f"table {name} did not become ACTIVE in 30 s")
        time.sleep(0.05)


# -- the cache stampede -------------------------------------------------------------------------


def measure_stampede(handler_dir: Path, table: str, api: PaidApi) -> dict[str, Any]:
    os.environ.update({"WEATHER_CACHE_TABLE": table, "WEATHER_API_URL": f"{api.url}/v3/current"})
    boto3.DEFAULT_SESSION = None
    before = api.calls
    module = load_module(handler_dir, "app")
    try:
        event = {"queryStringParameters": {"city": "Lisbon"}}
        burst = run_concurrently(module.lambda_handler, [(event, None)] * CALLERS, threads=CALLERS)
    finally:
        unload(module)
    bodies = {o.result["body"] for o in burst if o.ok}
    return {"calls": api.calls - before, "answers": len(bodies), "errors": len(burst.failed),
            "seconds": round(burst.elapsed, 2)}


def stampede_table(rows: list[tuple[str, dict[str, Any]]]) -> bool:
    print(f"== {CALLERS} concurrent requests for one uncached city, against dynalite (a paid API call takes 0.5 s)")
    print(f"{'':26}{'paid API calls':>16}{'distinct answers':>18}{'errors':>8}{'seconds':>9}")
    for label, row in rows:
        print(f"{label:26}{row['calls']:>16}{row['answers']:>18}{row['errors']:>8}{row['seconds']:>9}")
    fixed = rows[-1][1]
    return bool(fixed["calls"] == 1 and fixed["answers"] == 1 and fixed["errors"] == 0)


# -- the wallet -----------------------------------------------------------------------------------


def measure_wallet(handler_dir: Path, table: str, wallet_id: str, client: Any) -> dict[str, Any]:
    """``CALLERS`` concurrent spends of ``AMOUNT`` from a wallet seeded with ``BALANCE``.

    A ReadGate holds every caller's read until all of them have read: the interleaving that
    loses updates is forced, not left to chance, so the table is the same on every run.
    """
    os.environ["WALLETS_TABLE"] = table
    client.put_item(TableName=table, Item={"wallet_id": {"S": wallet_id},
                                           "balance": {"N": str(BALANCE)}})
    boto3.setup_default_session()
    gate = ReadGate(parties=CALLERS)
    gate.install(boto3.DEFAULT_SESSION, "GetItem")
    module = load_module(handler_dir, "app")
    try:
        event = {"pathParameters": {"walletId": wallet_id}, "body": json.dumps({"amount": AMOUNT})}
        burst = run_concurrently(module.lambda_handler, [(event, None)] * CALLERS, threads=CALLERS)
    finally:
        unload(module)
        boto3.DEFAULT_SESSION = None
    statuses = Counter(o.result.get("statusCode") for o in burst if o.ok and isinstance(o.result, dict))
    item = client.get_item(TableName=table, Key={"wallet_id": {"S": wallet_id}},
                           ConsistentRead=True)["Item"]
    return {"succeeded": statuses[200], "refused": statuses[409], "final": int(item["balance"]["N"]),
            "exceptions": len(burst.failed), "forced": gate.held == CALLERS and not gate.broken,
            "seconds": round(burst.elapsed, 2)}


NAIVE_ADD = (('UpdateExpression="SET balance = :balance"', 'UpdateExpression="ADD balance :spent"'),
             ('ExpressionAttributeValues={":balance": balance}', 'ExpressionAttributeValues={":spent": -amount}'))


def atomic_add_only(original_app: Path, destination: Path) -> Path:
    """The wallet handler with the write made an atomic ``ADD balance -amount`` and nothing else
    (what DYN102's "use an atomic ADD" suggests at first sight): no lost update, but the check
    of the balance still runs on a value read before the write."""
    text = original_app.read_text()
    for old, new in NAIVE_ADD:
        if text.count(old) != 1:
            raise SystemExit(f"expected {old!r} once in {original_app}")
        text = text.replace(old, new)
    destination.mkdir()
    (destination / "app.py").write_text(text)
    return destination


def wallet_table(rows: list[tuple[str, dict[str, Any]]]) -> bool:
    allowed = BALANCE // AMOUNT
    print(f"== {CALLERS} concurrent spends of {AMOUNT} from a wallet holding {BALANCE}, against dynalite"
          f" (each read held until all {CALLERS} have read)")
    print(f"{'':26}{'succeeded':>11}{'refused':>9}{'final balance':>15}{'exceptions':>12}{'seconds':>9}")
    for label, row in rows:
        seen = "no" if row["exceptions"] == 0 else f"yes ({row['exceptions']})"
        print(f"{label:26}{row['succeeded']:>11}{row['refused']:>9}{row['final']:>15}{seen:>12}{row['seconds']:>9}")
    for label, row in rows:
        paid = BALANCE - int(row["final"])  # what left the wallet
        granted = int(row["succeeded"]) * AMOUNT  # what the callers were told they spent
        if row["exceptions"]:
            note = f"{row['exceptions']} callers saw an exception"
        elif not row["forced"]:
            note = "the reads were not all held together (the gate timed out): this row may understate the race"
        elif row["final"] < 0:
            note = f"overdrawn: {granted} spent from a balance of {BALANCE}"
        elif granted > paid:
            note = f"{granted} spent, {paid} debited: {granted - paid} given away"
        else:
            note = f"{granted} spent, {paid} debited, {row['refused']} spends refused; never below zero"
        print(f"  {label}: {note}")
    fixed = rows[-1][1]
    return bool(fixed["succeeded"] == allowed and fixed["refused"] == CALLERS - allowed
                and fixed["final"] == BALANCE - allowed * AMOUNT >= 0 and fixed["exceptions"] == 0)


def main() -> int:
    demo = REPO / "fixtures" / "demo"
    with tempfile.TemporaryDirectory() as scratch:
        original = copy_project(demo, Path(scratch) / "original")
        fixed = copy_project(demo, Path(scratch) / "fixed")
        show_and_fix(fixed, "src/weather/app.py", "DYN104", "the cache-stampede handler")
        show_and_fix(fixed, "src/wallet/app.py", "DYN102", "the store-credit wallet")
        naive = atomic_add_only(original / "src" / "wallet" / "app.py", Path(scratch) / "naive-wallet")
        process, endpoint = start_dynalite()
        os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_ACCESS_KEY_ID": "demo",
                           "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1"})
        try:
            client = dynamodb_client(endpoint)
            stampede = []
            with PaidApi(delay=0.5) as api:
                for label, project in (("original handler", original), ("after dynolint fix", fixed)):
                    table = f"weather-cache-{label.split()[0]}"
                    create_table(client, table, "city")
                    stampede.append((label, measure_stampede(project / "src" / "weather", table, api)))
            create_table(client, "shop-wallets", "wallet_id")
            wallet = [(label, measure_wallet(handler_dir, "shop-wallets", f"w-{n}", client))
                      for n, (label, handler_dir) in enumerate((
                          ("original handler", original / "src" / "wallet"),
                          ("atomic ADD, no condition", naive),
                          ("after dynolint fix", fixed / "src" / "wallet")))]
        finally:
            process.terminate()
            process.wait(timeout=10)
    ok = stampede_table(stampede)
    print()
    ok = wallet_table(wallet) and ok
    if not ok:
        print("a fixed handler did not show the fixed behaviour (see the tables above)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
