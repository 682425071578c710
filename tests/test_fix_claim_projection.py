"""The DYN104 claim reads the item again in its loop and tells a claim from a hit by the lease
attributes it finds on it. A read that projects (``ProjectionExpression="rate"``) did not read
them back: another caller's claim came back as ``{}``, a hit, and the code went on with an item
without its attributes (``cached["rate"]``: KeyError on every caller that lost the claim). The
fix now adds the claim's attributes to a literal projection, and makes no fix (with the reason)
when the projection is not a literal or the legacy ``AttributesToGet`` is used."""

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
FIELDS = "rate"


def handler(event, context):
    pair = event["pair"]
    cached = rates.get_item(Key={{"pair": pair}}, {projection}).get("Item")
    if cached is not None:
        return cached["rate"]
    rate = requests.get("https://fx.example.com/" + pair, timeout=5).json()["rate"]
    rates.put_item(Item={{"pair": pair, "rate": str(rate)}})
    return rate
'''


def _fix(tmp_path: Path, projection: str) -> tuple[str, str, list[str]]:
    before = SOURCE.format(projection=projection)
    write_project(tmp_path, {"app.py": before, "pyproject.toml": CONFIG})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    return before, (tmp_path / "app.py").read_text(), [reason for _, reason in report.skipped]


def test_a_literal_projection_reads_the_claim_back(tmp_path: Path) -> None:
    _, after, _ = _fix(tmp_path, 'ProjectionExpression="rate"')
    assert 'ProjectionExpression="rate, dl_lease_owner, dl_lease_until, dl_generation"' in after
    assert "dynolint_claim.unclaimed(cached)" in after and "ConsistentRead=_dl_claim_lost" in after
    ast.parse(after)
    again = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent


@pytest.mark.parametrize(("projection", "why"), [
    ("ProjectionExpression=FIELDS", "not a string literal"),
    ('AttributesToGet=["rate"]', "AttributesToGet"),
])
def test_a_projection_the_fix_cannot_extend_means_no_fix(tmp_path: Path, projection: str, why: str) -> None:
    before, after, reasons = _fix(tmp_path, projection)
    assert after == before
    assert any(why in reason for reason in reasons), reasons
