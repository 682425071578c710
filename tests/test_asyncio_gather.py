"""``asyncio.gather`` answers the results of its awaitables in order (``a, b = await
gather(x(), y())``; over ``*coros``, each one of them); ``create_task``/``ensure_future``/
``shield`` are the coroutine they wrap, whose value is its result once awaited."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import asyncio
import aioboto3

async def load(table, key):
    return (await table.get_item(Key={"id": key}))["Item"]

async def main(ids):
    async with aioboto3.Session().resource("dynamodb") as ddb:
        table = await ddb.Table("jobs")
        settings = await ddb.Table("settings")
        GATHER
        if job["state"] == "NEW":
            await table.put_item(Item={**job, "state": "TAKEN"})
'''


@pytest.mark.parametrize("gather", [
    "job, config = await asyncio.gather(load(table, ids[0]), load(settings, 'global'))",
    "config, job = await asyncio.gather(load(settings, 'global'), load(table, ids[0]))",
    "[job] = await asyncio.gather(*[load(table, i) for i in ids])",
    "job = (await asyncio.gather(*(load(table, i) for i in ids)))[0]",
    "job = await asyncio.create_task(load(table, ids[0]))",
    "job = await asyncio.shield(asyncio.ensure_future(load(table, ids[0])))",
])
def test_each_result_is_its_awaitables(tmp_path: Path, gather: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("GATHER", gather))
    assert triples(findings_in(tmp_path)) == {("app.py", 14, "DYN101")}


def test_the_other_result_is_another_item(tmp_path: Path) -> None:
    """The settings item is decided on, the job is written: the write names an item the
    decision was not about, and the job's own read is not tested, so nothing is stale."""
    source = textwrap.dedent(SOURCE).replace(
        "GATHER", "config, job = await asyncio.gather(load(settings, 'global'), load(table, ids[0]))")
    source = source.replace('if job["state"] == "NEW":', 'if config["state"] == "NEW":') \
        .replace('Item={**job, "state": "TAKEN"}', 'Item={"id": "audit", "state": "TAKEN"}')
    (tmp_path / "app.py").write_text(source)
    assert triples(findings_in(tmp_path)) == set()
