"""The DYN104 claim helper is synchronous. On an async SDK (aioboto3: ``await rates.get_item``)
its ``table.update_item(...)`` returned a coroutine nobody awaited: no claim was written, every
caller took it, and the completing write, fenced on the claim's owner, failed on every call.
An awaited read now means no fix, and the reason; no helper module is written."""

from __future__ import annotations

from pathlib import Path

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

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


def test_an_awaited_read_gets_no_claim(tmp_path: Path) -> None:
    for number, read in enumerate([
        'cached = (await rates.get_item(Key={"pair": pair})).get("Item")',
        'response = await rates.get_item(Key={"pair": pair})\n        cached = response.get("Item")',
    ]):
        project = tmp_path / str(number)
        before = SOURCE.format(read=read)
        write_project(project, {"app.py": before, "pyproject.toml": '[tool.dynolint.tables.rates]\npartition-key = "pair"\n'})
        report = fix_paths([project], discover(project, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
        assert (project / "app.py").read_text() == before
        assert not (project / "dynolint_claim.py").exists()
        reasons = [why for finding, why in report.skipped if finding.code == "DYN104"]
        assert reasons and "awaited" in reasons[0], reasons
