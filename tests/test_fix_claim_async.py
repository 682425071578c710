"""The DYN104 claim on an async SDK: an awaited read (aioboto3's ``await rates.get_item``, an
aiobotocore client's ``await client.get_item(TableName=...)``) gets the helper's ``AsyncClaim``,
whose conditional write and waits are awaited (``asyncio.sleep``: the event loop is never blocked).

Before, an awaited read got no fix: the synchronous helper's ``table.update_item(...)`` would have
returned a coroutine nobody awaited, no claim written, every caller "winning", every fenced write
failing. The race itself, 20 tasks on one event loop against dynalite, is in
``tests/racelab/test_racelab_async.py``; here: the text, idempotence, ruff, the helper's async
half, and what is still refused."""

from __future__ import annotations

import ast
import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from dynolint.fixes import claim_helper
from tests.conftest import FIXTURES, assert_fixed_for_good, fix_unsafe, write_project
from tests.test_fix_style import _ruff

CONFIG = '[tool.dynolint.tables.rates]\npartition-key = "pair"\n'
HELPER = Path(claim_helper.__file__).read_text()
CASE = FIXTURES / "cases" / "race-weather-cache-aioboto3-stampede"

SOURCE = '''import aioboto3
import httpx

session = aioboto3.Session()


async def handler(event, context):
    pair = event["pair"]
    async with session.resource("dynamodb") as ddb:
        rates = await ddb.Table("rates")
        {read}
        if cached is not None:
            return cached["rate"]
        async with httpx.AsyncClient() as http:
            rate = (await http.get("https://fx.example.com/" + pair)).json()["rate"]
        await rates.put_item(Item={{"pair": pair, "rate": str(rate)}})
        return rate
'''

RESOURCE_AFTER = '''import aioboto3
import httpx

import dynolint_claim

session = aioboto3.Session()


async def handler(event, context):
    pair = event["pair"]
    async with session.resource("dynamodb") as ddb:
        rates = await ddb.Table("rates")
        _dl_claim = dynolint_claim.AsyncClaim()
        _dl_claim_lost = False
        while True:
{read}
            _dl_seen, cached = cached, dynolint_claim.unclaimed(cached)
            _dl_claim_hit = cached is not None
            if _dl_claim_hit or await _dl_claim.take(
                rates,
                {{"pair": pair}},
                "pair",
                _dl_seen,
            ):
                break
            await _dl_claim.wait(_dl_seen)
            _dl_claim_lost = True
        try:
            if _dl_claim_hit:
                return cached["rate"]
            async with httpx.AsyncClient() as http:
                rate = (await http.get("https://fx.example.com/" + pair)).json()["rate"]
            await rates.put_item(
                Item={{
                    "pair": pair,
                    "rate": str(rate),
                    "dl_generation": _dl_claim.owner,
                }},
                ConditionExpression="#dl_owner = :dl_owner",
                ExpressionAttributeNames={{"#dl_owner": "dl_lease_owner"}},
                ExpressionAttributeValues={{":dl_owner": _dl_claim.owner}},
            )
            return rate
        finally:
            await _dl_claim.release()
'''

READS = [  # (the read as written, the read in the fixed loop)
    ('cached = (await rates.get_item(Key={"pair": pair})).get("Item")',
     ('            cached = (await rates.get_item(\n'
      '                Key={"pair": pair},\n'
      '                ConsistentRead=_dl_claim_lost,\n'
      '            )).get("Item")')),
    ('response = await rates.get_item(Key={"pair": pair})\n        cached = response.get("Item")',
     ('            response = await rates.get_item(\n'
      '                Key={"pair": pair},\n'
      '                ConsistentRead=_dl_claim_lost,\n'
      '            )\n'
      '            cached = response.get("Item")')),
]

CLIENT_SOURCE = '''from aiobotocore.session import get_session
import aiohttp

session = get_session()


async def handler(event, context):
    pair = event["pair"]
    async with session.create_client("dynamodb") as client:
        response = await client.get_item(TableName="rates", Key={"pair": {"S": pair}})
        cached = response.get("Item")
        if cached is not None:
            return cached["rate"]["S"]
        async with aiohttp.ClientSession() as http:
            async with http.get("https://fx.example.com/" + pair) as answer:
                rate = (await answer.json())["rate"]
        await client.put_item(TableName="rates", Item={"pair": {"S": pair}, "rate": {"S": str(rate)}})
        return rate
'''

CLIENT_AFTER = '''from aiobotocore.session import get_session
import aiohttp

import dynolint_claim

session = get_session()


async def handler(event, context):
    pair = event["pair"]
    async with session.create_client("dynamodb") as client:
        _dl_claim = dynolint_claim.AsyncClaim()
        _dl_claim_lost = False
        while True:
            response = await client.get_item(
                TableName="rates",
                Key={"pair": {"S": pair}},
                ConsistentRead=_dl_claim_lost,
            )
            cached = response.get("Item")
            _dl_seen, cached = cached, dynolint_claim.unclaimed(cached)
            _dl_claim_hit = cached is not None
            if _dl_claim_hit or await _dl_claim.take(
                client,
                {"pair": {"S": pair}},
                "pair",
                _dl_seen,
                table_name="rates",
            ):
                break
            await _dl_claim.wait(_dl_seen)
            _dl_claim_lost = True
        try:
            if _dl_claim_hit:
                return cached["rate"]["S"]
            async with aiohttp.ClientSession() as http:
                async with http.get("https://fx.example.com/" + pair) as answer:
                    rate = (await answer.json())["rate"]
            await client.put_item(
                TableName="rates",
                Item={
                    "pair": {"S": pair},
                    "rate": {"S": str(rate)},
                    "dl_generation": {"S": _dl_claim.owner},
                },
                ConditionExpression="#dl_owner = :dl_owner",
                ExpressionAttributeNames={"#dl_owner": "dl_lease_owner"},
                ExpressionAttributeValues={":dl_owner": {"S": _dl_claim.owner}},
            )
            return rate
        finally:
            await _dl_claim.release()
'''


def _fixed(project: Path, source: str) -> str:
    write_project(project, {"app.py": source, "pyproject.toml": CONFIG})
    before = _ruff(project)
    after, skipped = fix_unsafe(project, "app.py")
    assert skipped == []
    assert (project / "dynolint_claim.py").read_text() == HELPER  # the one helper text, placed once
    assert_fixed_for_good(project, "app.py", after)  # parses, no finding left, a second run changes nothing
    assert _ruff(project) - before == {}  # nothing new for ruff (E501, I001, F401, F821)
    return after


@pytest.mark.parametrize("read,looped", READS, ids=["chained", "response"])
def test_an_awaited_table_read_gets_an_awaited_claim(tmp_path: Path, read: str, looped: str) -> None:
    after = _fixed(tmp_path, SOURCE.format(read=read))
    assert after == RESOURCE_AFTER.format(read=looped)


def test_an_awaited_client_read_gets_an_awaited_claim(tmp_path: Path) -> None:
    after = _fixed(tmp_path, CLIENT_SOURCE)
    assert after == CLIENT_AFTER


def test_the_async_fixture_project_is_fixed(tmp_path: Path) -> None:
    project = tmp_path / CASE.name
    shutil.copytree(CASE, project)
    before = _ruff(project)
    after, skipped = fix_unsafe(project, "weather.py")
    assert skipped == []
    assert_fixed_for_good(project, "weather.py", after)
    assert _ruff(project) - before == {}
    assert "        _dl_claim = dynolint_claim.AsyncClaim()\n" in after
    assert "            await _dl_claim.wait(_dl_seen)\n" in after
    assert "            if _dl_claim_hit or await _dl_claim.take(\n" in after
    assert "time.sleep" not in after


def test_a_sync_read_keeps_the_sync_claim(tmp_path: Path) -> None:
    """The same handler on boto3 (no await): ``Claim``, nothing awaited, as before."""
    source = SOURCE.replace('        rates = await ddb.Table("rates")\n', '        rates = ddb.Table("rates")\n') \
        .replace("await rates.put_item", "rates.put_item")
    after = _fixed(tmp_path, source.format(read='cached = rates.get_item(Key={"pair": pair}).get("Item")'))
    assert "_dl_claim = dynolint_claim.Claim()\n" in after and "AsyncClaim" not in after
    assert "await _dl_claim" not in after and "        _dl_claim.wait(_dl_seen)\n" in after


def test_a_project_helper_without_async_claim_is_not_used_for_an_awaited_read(tmp_path: Path) -> None:
    """A ``dynolint_claim.py`` an older dynolint wrote (sync only) is reused as it is: an async claim
    through it would fail at run time, so the awaited read gets no fix, and the reason."""
    old = HELPER[:HELPER.index("class AsyncClaim")]
    before = SOURCE.format(read='cached = (await rates.get_item(Key={"pair": pair})).get("Item")')
    write_project(tmp_path, {"app.py": before, "pyproject.toml": CONFIG, "dynolint_claim.py": old})
    after, skipped = fix_unsafe(tmp_path, "app.py")
    assert after == before and (tmp_path / "dynolint_claim.py").read_text() == old
    assert len(skipped) == 1 and "no AsyncClaim" in skipped[0] and "delete it" in skipped[0]


def test_an_unawaited_read_beside_an_await_is_refused(tmp_path: Path) -> None:
    """A read whose get_item is not awaited in a statement that awaits something else: which SDK
    the table is cannot be told from the read, so no claim is guessed."""
    source = SOURCE.format(read='cached = rates.get_item(Key={"pair": pair}, Token=await ddb.Token()).get("Item")')
    source = source.replace('        rates = await ddb.Table("rates")\n', '        rates = ddb.Table("rates")\n') \
        .replace("await rates.put_item", "rates.put_item")
    write_project(tmp_path, {"app.py": source, "pyproject.toml": CONFIG})
    after, skipped = fix_unsafe(tmp_path, "app.py")
    assert after == source and not (tmp_path / "dynolint_claim.py").exists()
    assert len(skipped) == 1 and "awaits something but not its get_item" in skipped[0]


# -- the helper's async half ----------------------------------------------------------------------


def test_the_async_claim_never_sleeps_in_the_event_loop() -> None:
    """No ``time.sleep`` in an async function of the helper; ``asyncio.sleep`` and the conditional
    ``update_item`` awaited."""
    tree = ast.parse(HELPER)
    [async_claim] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AsyncClaim"]
    methods = {n.name: n for n in async_claim.body if isinstance(n, ast.AsyncFunctionDef)}
    assert set(methods) == {"take", "wait", "release"}
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef):
            assert "time.sleep" not in ast.unparse(node)
    awaited = {ast.unparse(n.value) for m in methods.values() for n in ast.walk(m) if isinstance(n, ast.Await)}
    assert "asyncio.sleep(self._delay(seen))" in awaited
    assert "table.update_item(**self._request(key, key_attribute, seen, table_name))" in awaited
    assert "getattr(held[0], request[0])(**request[1])" in awaited  # the release's conditional write


class _Failed(Exception):
    """A refused conditional write as botocore raises it: its response carries the code."""

    response = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}}


_YIELD = asyncio.sleep  # as it is before the test below replaces it


class _AsyncTable:
    """aioboto3's Table as the claim sees it: an awaited update_item, meta.client.exceptions."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.requests: list[dict[str, Any]] = []
        self.exceptions = _Exceptions()
        self.meta = type("Meta", (), {"client": type("Client", (), {"exceptions": self.exceptions})()})()

    async def update_item(self, **request: Any) -> dict[str, Any]:
        await _YIELD(0)  # a real await: the event loop runs other tasks meanwhile
        self.requests.append(request)
        if self.fail:
            raise _Failed()
        return {}


class _Exceptions:
    ConditionalCheckFailedException = _Failed


def test_async_take_awaits_the_conditional_write_and_wait_yields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claim_helper.time, "sleep", lambda _: pytest.fail("time.sleep in async code"))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await _YIELD(0)

    monkeypatch.setattr(claim_helper.asyncio, "sleep", sleep)

    async def scenario() -> None:
        won, lost = _AsyncTable(fail=False), _AsyncTable(fail=True)
        claim = claim_helper.AsyncClaim(lease_seconds=5)
        assert await claim.take(won, {"pair": "EURUSD"}, "pair", None) is True
        [request] = won.requests
        assert request["ConditionExpression"] == "attribute_not_exists(#dl_key)"
        assert request["ExpressionAttributeValues"][":dl_owner"] == claim.owner
        assert await claim.take(lost, {"pair": "EURUSD"}, "pair", None) is False
        # the low-level client: TableName= and typed values
        client = _AsyncTable(fail=False)
        assert await claim.take(client, {"pair": {"S": "EURUSD"}}, "pair", None, table_name="rates") is True
        assert client.requests[0]["TableName"] == "rates"
        assert client.requests[0]["ExpressionAttributeValues"][":dl_owner"] == {"S": claim.owner}
        await claim.wait(None)
        await claim.wait(None)
        assert sleeps == [claim_helper.FIRST_POLL_SECONDS, 2 * claim_helper.FIRST_POLL_SECONDS]
        timed_out = claim_helper.AsyncClaim(lease_seconds=5, max_wait_seconds=0)
        with pytest.raises(TimeoutError):
            await timed_out.wait(None)

    asyncio.run(scenario())


def test_a_refused_claim_is_told_by_its_code_not_its_class() -> None:
    """botocore makes a client's exception classes on first use, and threads racing there each
    make their own: a refusal raised with a class the table does not name is still a lost
    claim; any other error (throttling, a missing table) reaches the caller."""

    class Refused(Exception):  # from another exception factory than the table's
        response = {"Error": {"Code": "ConditionalCheckFailedException"}}

    class Throttled(Exception):
        response = {"Error": {"Code": "ProvisionedThroughputExceededException"}}

    class Table:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def update_item(self, **request: Any) -> None:
            raise self.error

    claim = claim_helper.Claim(lease_seconds=5)
    assert claim.take(Table(Refused()), {"pk": "a"}, "pk", None) is False
    with pytest.raises(Throttled):
        claim.take(Table(Throttled()), {"pk": "a"}, "pk", None)
    with pytest.raises(ValueError):
        claim.take(Table(ValueError("no table")), {"pk": "a"}, "pk", None)
