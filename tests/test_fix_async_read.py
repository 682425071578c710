"""An awaited read subscripted inline (``(await t.get_item(...))["Item"]``, aioboto3) proves
the item present where the write runs, as the synchronous form does: the pinned guard is
written (it was skipped as "the code does not show that the item read is present")."""

from __future__ import annotations

import ast
from pathlib import Path

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.orders]\npartition-key = "pk"\n'
SOURCE = '''import aioboto3

session = aioboto3.Session()


async def close(order_id):
    async with session.resource("dynamodb") as dynamodb:
        table = await dynamodb.Table("orders")
        order = (await table.get_item(Key={"pk": order_id}))["Item"]
        if order["status"] == "OPEN":
            await table.update_item(
                Key={"pk": order_id},
                UpdateExpression="SET #s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": "CLOSED"},
            )
'''


def test_an_awaited_inline_read_gets_the_pinned_guard(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": SOURCE, "pyproject.toml": CONFIG})
    config = discover(tmp_path, set(KNOWN_CODES))
    report = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    after = (tmp_path / "app.py").read_text()
    assert [f.code for f in report.applied] == ["DYN101"]
    assert 'ConditionExpression="attribute_exists(#dl_key) AND #dl_seen = :dl_seen"' in after
    assert '":dl_seen": order["status"]' in after and "await table.update_item(" in after
    ast.parse(after)
    again = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent
