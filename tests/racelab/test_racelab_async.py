"""Race lab: the async cache stampede (aioboto3, aiobotocore), one event loop, 20 concurrent tasks.

20 ``asyncio.gather``'d requests for one uncached key, against dynalite. Unfixed, every task
misses and pays; fixed by ``dynolint fix`` (the helper's ``AsyncClaim``: an awaited conditional
``update_item``, waits with ``asyncio.sleep``), one task pays and all 20 get its answer.

aioboto3 and aiobotocore are not installed: aiobotocore pins botocore to an older release than the
boto3 the tests use. The code runs on a minimal adapter instead (``_install_async_sdk``): the same
interface (``aioboto3.Session().resource(...)`` and ``aiobotocore.session.get_session().create_client(...)``
as async context managers, an awaited ``Table``, awaited calls, ``meta.client.exceptions`` and
``exceptions``), each awaited call running the real boto3 call in a thread (``asyncio.to_thread``)
against the real server. The tasks interleave on the event loop as they do on the real SDKs: a
task waits for its DynamoDB answer while the others run.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .conftest import REPO_ROOT, Lab
from .harness import PaidApi, copy_project, load_module, report, unload

pytestmark = pytest.mark.racelab

CASE = REPO_ROOT / "fixtures" / "cases" / "race-weather-cache-aioboto3-stampede"
CALLERS = 20
KEYS = ["callers", "api_calls", "answered", "distinct_answers", "errors", "seconds"]

# aiobotocore's low-level client: the same handler, the client flavor of the claim (TableName=, typed values)
CLIENT_SOURCE = '''import asyncio
import os
import urllib.parse
import urllib.request

from aiobotocore.session import get_session

session = get_session()
TABLE_NAME = os.environ.get("WEATHER_CACHE_TABLE", "weather-cache")
API_URL = os.environ.get("WEATHER_API_URL", "https://api.example-weather.com/v3/current")


def fetch_current_weather(city):
    query = urllib.parse.urlencode({"q": city})
    with urllib.request.urlopen(f"{API_URL}?{query}", timeout=10) as response:
        return response.read().decode("utf-8")


async def current_weather(city):
    async with session.create_client("dynamodb") as client:
        response = await client.get_item(TableName=TABLE_NAME, Key={"city": {"S": city}})
        cached = response.get("Item")
        if cached is not None:
            return cached["payload"]["S"]
        payload = await asyncio.to_thread(fetch_current_weather, city)
        await client.put_item(TableName=TABLE_NAME, Item={"city": {"S": city}, "payload": {"S": payload}})
        return payload
'''
CLIENT_CONFIG = '[tool.dynolint.tables.weather-cache]\npartition-key = "city"\n'


class _Awaitable:
    """A boto3 Table or client whose methods are awaited, as aioboto3's and aiobotocore's are:
    each call runs the boto3 call in a thread. ``meta`` and ``exceptions`` are the boto3 object's
    (the exception classes the calls raise)."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name in ("meta", "exceptions") or not callable(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(attribute, *args, **kwargs)
        return call


class _AsyncResource:
    def __init__(self, resource: Any) -> None:
        self._resource = resource

    async def Table(self, name: str) -> _Awaitable:  # aioboto3's name
        return _Awaitable(self._resource.Table(name))


class _Entered:
    """``async with ...`` giving ``value``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    async def __aenter__(self) -> Any:
        return self.value

    async def __aexit__(self, *exc: object) -> None:
        return None


def _install_async_sdk(lab: Lab) -> None:
    """``aioboto3`` and ``aiobotocore.session`` modules over boto3 (shared objects, made once:
    boto3's clients are thread-safe, making one per task would only slow the burst down)."""
    lock = threading.Lock()
    shared: dict[str, Any] = {}

    def made(kind: str) -> Any:
        with lock:
            if kind not in shared:
                shared[kind] = getattr(boto3.session.Session(), kind)(
                    "dynamodb", config=Config(max_pool_connections=4 * CALLERS))
            return shared[kind]

    class Session:
        def resource(self, service_name: str, **_: Any) -> _Entered:
            assert service_name == "dynamodb"
            return _Entered(_AsyncResource(made("resource")))

    class _ClientSession:
        def create_client(self, service_name: str, **_: Any) -> _Entered:
            assert service_name == "dynamodb"
            return _Entered(_Awaitable(made("client")))

    aioboto3 = types.ModuleType("aioboto3")
    aioboto3.Session = Session  # type: ignore[attr-defined]
    aiobotocore = types.ModuleType("aiobotocore")
    aiobotocore_session = types.ModuleType("aiobotocore.session")
    aiobotocore_session.get_session = _ClientSession  # type: ignore[attr-defined]
    aiobotocore.session = aiobotocore_session  # type: ignore[attr-defined]
    for name, module in (("aioboto3", aioboto3), ("aiobotocore", aiobotocore),
                         ("aiobotocore.session", aiobotocore_session)):
        lab.monkeypatch.setitem(sys.modules, name, module)


def measure_async_stampede(project: Path, module_name: str, lab: Lab, callers: int = CALLERS) -> dict[str, Any]:
    """``callers`` tasks gathered on one event loop, all asking for one city not cached yet."""
    lab.table("city", env_var="WEATHER_CACHE_TABLE")
    _install_async_sdk(lab)
    with PaidApi(delay=0.5) as api:
        lab.setenv("WEATHER_API_URL", f"{api.url}/v3/current")
        lab.fresh_boto3()
        mod = load_module(project, module_name)

        async def burst() -> tuple[list[Any], float]:
            loop = asyncio.get_running_loop()
            # asyncio.to_thread's default pool has min(32, CPUs + 4) threads: 6 here, too few for
            # every task's DynamoDB call to be in flight at once, as it is on the real async SDKs
            loop.set_default_executor(ThreadPoolExecutor(max_workers=4 * callers))
            started = loop.time()
            results = await asyncio.gather(*(mod.current_weather("lisbon") for _ in range(callers)),
                                           return_exceptions=True)
            return results, loop.time() - started

        try:
            results, seconds = asyncio.run(burst())
            api_calls = api.calls
        finally:
            unload(mod)
    answers = [r for r in results if not isinstance(r, BaseException)]
    return {
        "callers": callers,
        "api_calls": api_calls,
        "answered": len(answers),
        "distinct_answers": len(set(answers)),
        "errors": [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)],
        "seconds": round(seconds, 3),
    }


def _fixed(project: Path) -> list[str]:
    from dynolint.api import Options, fix_paths
    from dynolint.config import discover
    from dynolint.rules import KNOWN_CODES

    fixed = fix_paths([project], discover(project, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    assert fixed.after is not None and fixed.after.findings == [], fixed.skipped
    return sorted(f.code for f in fixed.applied)


def test_async_resource_stampede_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    """aioboto3's Table (the fixture project, unedited): 20 paid calls unfixed, 1 fixed."""
    unfixed = measure_async_stampede(CASE, "weather", lab)
    project = copy_project(CASE, tmp_path / "fixed")
    assert _fixed(project) == ["DYN104"]
    assert "dynolint_claim.AsyncClaim()" in (project / "weather.py").read_text()
    fixed = measure_async_stampede(project, "weather", lab)
    report("async_stampede (aioboto3 Table)", "original", unfixed, KEYS)
    report("async_stampede (aioboto3 Table)", "fixed", fixed, KEYS)
    assert unfixed["errors"] == [] and unfixed["api_calls"] == CALLERS  # every task missed and paid
    assert fixed["errors"] == []
    assert fixed["api_calls"] == 1
    assert fixed["answered"] == CALLERS and fixed["distinct_answers"] == 1


def test_async_client_stampede_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    """aiobotocore's low-level client (``TableName=``, typed values): the same, 20 paid calls to 1."""
    original = tmp_path / "original"
    original.mkdir()
    (original / "weather.py").write_text(CLIENT_SOURCE)
    (original / "pyproject.toml").write_text(CLIENT_CONFIG)
    unfixed = measure_async_stampede(original, "weather", lab)
    project = copy_project(original, tmp_path / "fixed")
    assert _fixed(project) == ["DYN104"]
    fixed_text = (project / "weather.py").read_text()
    assert "dynolint_claim.AsyncClaim()" in fixed_text and "table_name=TABLE_NAME" in fixed_text
    fixed = measure_async_stampede(project, "weather", lab)
    report("async_stampede (aiobotocore client)", "original", unfixed, KEYS)
    report("async_stampede (aiobotocore client)", "fixed", fixed, KEYS)
    assert unfixed["errors"] == [] and unfixed["api_calls"] == CALLERS
    assert fixed["errors"] == []
    assert fixed["api_calls"] == 1
    assert fixed["answered"] == CALLERS and fixed["distinct_answers"] == 1
