"""A call chained after a bracket a fix split (``table.get_item(...).get("Item")``, as the
DYN104 claim rewrites its read) keeps ``).get("Item")`` on the closing line, as black writes
it; it was split too, over three lines (``.get(`` / ``"Item",`` / ``)``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.rates]\npartition-key = "pair"\n'
SOURCE = '''import boto3
import requests

rates = boto3.resource("dynamodb").Table("rates")


def handler(event, context):
    pair = event["pair"]
    {read}
    if cached is not None:
        return cached["rate"]
    rate = requests.get("https://fx.example.com/" + pair, timeout=5).json()["rate"]
    rates.put_item(Item={{"pair": pair, "rate": str(rate)}})
    return rate
'''
WRAPPED = '''cached = rates.get_item(
        Key={"pair": pair}, ConsistentRead=False, ProjectionExpression="rate, fetched_at, source_name"
    ).get("Item")'''
LONG = '''cached = rates.get_item(
        Key={"pair": pair}, ProjectionExpression="rate, fetched_at, source_name, provider"
    ).get("Item")'''


@pytest.mark.parametrize("read", [WRAPPED, LONG])
def test_a_chained_get_stays_on_the_closing_line(tmp_path: Path, read: str) -> None:
    write_project(tmp_path, {"app.py": SOURCE.format(read=read), "pyproject.toml": CONFIG})
    config = discover(tmp_path, set(KNOWN_CODES))
    report = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    after = (tmp_path / "app.py").read_text()
    assert [f.code for f in report.applied] == ["DYN104"]
    assert '        ).get("Item")\n' in after and ".get(\n" not in after
    assert all(len(line) <= 88 for line in after.splitlines())
    ast.parse(after)
    again = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent
