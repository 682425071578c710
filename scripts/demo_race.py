"""`make demo`, part two: fix the demo's cache-stampede handler and measure both versions
against a real DynamoDB-compatible server (dynalite) with 20 concurrent callers.

Prints the fix as a diff, then a table: paid API calls and distinct answers for the
original handler and for the one `dynolint fix` produced.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402

from dynolint.api import Options, fix_paths  # noqa: E402
from dynolint.config import discover  # noqa: E402
from dynolint.rules import KNOWN_CODES  # noqa: E402
from tests.racelab.harness import PaidApi, copy_project, load_module, run_concurrently, unload  # noqa: E402

CALLERS = 20


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
    client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="demo",
                          aws_secret_access_key="demo")
    for _ in range(200):
        try:
            client.list_tables()
            return process, url
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.1)
    process.kill()
    raise SystemExit("dynalite did not start")


def measure(project: Path, endpoint: str, table: str, api: PaidApi) -> dict[str, object]:
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_ACCESS_KEY_ID": "demo",
                       "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1",
                       "WEATHER_CACHE_TABLE": table, "WEATHER_API_URL": f"{api.url}/v3/current"})
    boto3.DEFAULT_SESSION = None
    before = api.calls
    module = load_module(project, "app")
    try:
        event = {"queryStringParameters": {"city": "Lisbon"}}
        burst = run_concurrently(module.lambda_handler, [(event, None)] * CALLERS, threads=CALLERS)
    finally:
        unload(module)
    bodies = {o.result["body"] for o in burst if o.ok}
    return {"calls": api.calls - before, "answers": len(bodies), "errors": len(burst.failed),
            "seconds": round(burst.elapsed, 2)}


def main() -> int:
    demo = REPO / "fixtures" / "demo"
    with tempfile.TemporaryDirectory() as scratch:
        original = copy_project(demo, Path(scratch) / "original")
        fixed = copy_project(demo, Path(scratch) / "fixed")
        print("== dynolint fix --unsafe-fixes --select DYN104 fixtures/demo  (the cache-stampede handler)")
        proc = subprocess.run([sys.executable, "-m", "dynolint", "fix", "--diff", "--unsafe-fixes", "--select", "DYN104",
                               "src/weather/app.py"], cwd=fixed, capture_output=True, text=True)
        print(proc.stdout)
        fix_paths([fixed / "src" / "weather" / "app.py"], discover(fixed, set(KNOWN_CODES)),
                  Options(select=("DYN104",)), unsafe=True)
        process, endpoint = start_dynalite()
        try:
            client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                                  aws_access_key_id="demo", aws_secret_access_key="demo")
            rows = []
            with PaidApi(delay=0.5) as api:
                for label, project in (("original handler", original), ("after dynolint fix", fixed)):
                    table = f"weather-cache-{label.split()[0]}"
                    client.create_table(TableName=table, KeySchema=[{"AttributeName": "city", "KeyType": "HASH"}],
                                        AttributeDefinitions=[{"AttributeName": "city", "AttributeType": "S"}],
                                        BillingMode="PAY_PER_REQUEST")
                    rows.append((label, measure(project / "src" / "weather", endpoint, table, api)))
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"== {CALLERS} concurrent requests for one uncached city, against dynalite (a paid API call takes 0.5 s)")
    print(f"{'':22}{'paid API calls':>16}{'distinct answers':>18}{'errors':>8}{'seconds':>9}")
    for label, row in rows:
        print(f"{label:22}{row['calls']:>16}{row['answers']:>18}{row['errors']:>8}{row['seconds']:>9}")
    return 0 if rows[1][1]["calls"] == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
