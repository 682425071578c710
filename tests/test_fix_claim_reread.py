"""The DYN104 claim loop reads the item again after a lost claim, to find the winner's claim or
result. It kept the code's ``ConsistentRead=False`` (or a flag of the caller's) on that re-read:
an eventually consistent read can keep missing the winner's item, and the loser polled a stale
copy until ``TimeoutError``. Now the first read stays as the code wrote it (a hit costs what it
cost) and every re-read after a lost claim is consistent: ``ConsistentRead=<the code's> or
_dl_claim_lost``; ``True`` is kept as it is.

The proof runs the fixed handler with the helper module the fix wrote, against a table whose
eventually consistent reads lag: they still see no item while the winner's result is stored."""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.rates]\npartition-key = "pair"\n'
SOURCE = '''import boto3
import requests

rates = boto3.resource("dynamodb").Table("rates")


def handler(event, context):
    pair = event["pair"]
    cached = rates.get_item(Key={{"pair": pair}}{consistent}).get("Item")
    if cached is not None:
        return cached["rate"]
    rate = requests.get("https://fx.example.com/" + pair, timeout=5).json()["rate"]
    rates.put_item(Item={{"pair": pair, "rate": str(rate)}})
    return rate
'''


class _Failed(Exception):
    """A refused conditional write as botocore raises it: its response carries the code."""

    response = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}}


class LaggingTable:
    """One stored item (the winner's result); eventually consistent reads still see none."""

    def __init__(self, stored: dict[str, Any]) -> None:
        self.stored = stored
        self.reads: list[bool] = []
        self.meta = types.SimpleNamespace(client=types.SimpleNamespace(
            exceptions=types.SimpleNamespace(ConditionalCheckFailedException=_Failed)))

    def get_item(self, Key: dict[str, Any], ConsistentRead: bool = False, **_: Any) -> dict[str, Any]:
        self.reads.append(bool(ConsistentRead))
        return {"Item": dict(self.stored)} if ConsistentRead else {}

    def update_item(self, **request: Any) -> None:  # the claim: the item exists, so it is lost
        assert request["ConditionExpression"] == "attribute_not_exists(#dl_key)"
        raise _Failed()

    def put_item(self, **_: Any) -> None:
        raise AssertionError("the loser must not write")


def _fix(tmp_path: Path, consistent: str) -> tuple[str, str]:
    before = SOURCE.format(consistent=consistent)
    write_project(tmp_path, {"app.py": before, "pyproject.toml": CONFIG})
    config = discover(tmp_path, set(KNOWN_CODES))
    report = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    assert [f.code for f in report.applied] == ["DYN104"]
    after = (tmp_path / "app.py").read_text()
    ast.parse(after)
    assert check_paths([tmp_path], config, Options(use_cache=False)).findings == []
    again = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent
    return before, after


def _run_loser(tmp_path: Path, after: str, event: dict[str, Any]) -> tuple[Any, list[bool]]:
    """The fixed handler, run as a loser: the winner's result is stored, the lagging read misses it."""
    table = LaggingTable({"pair": "EURUSD", "rate": "1.08", "dl_generation": "winner"})
    paid = types.ModuleType("requests")
    paid.get = lambda *a, **k: pytest.fail("the loser paid for the call")  # type: ignore[attr-defined]
    fake_boto3 = types.ModuleType("boto3")
    fake_boto3.resource = lambda *a, **k: types.SimpleNamespace(Table=lambda name: table)  # type: ignore[attr-defined]
    helper_source = (tmp_path / "dynolint_claim.py").read_text()
    helper = types.ModuleType("dynolint_claim")
    exec(compile(helper_source, "dynolint_claim.py", "exec"), helper.__dict__)
    helper.FIRST_POLL_SECONDS = 0.001  # type: ignore[attr-defined]
    helper.MAX_WAIT_SECONDS = 0.3  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("requests", "boto3", "dynolint_claim")}
    sys.modules.update({"requests": paid, "boto3": fake_boto3, "dynolint_claim": helper})
    try:
        namespace: dict[str, Any] = {}
        exec(compile(after, "app.py", "exec"), namespace)
        return namespace["handler"](event, None), table.reads
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@pytest.mark.parametrize("consistent", [", ConsistentRead=False", ', ConsistentRead=event.get("strong", False)', ""])
def test_a_loser_reads_the_winners_result_again_consistently(tmp_path: Path, consistent: str) -> None:
    before, after = _fix(tmp_path, consistent)
    assert "_dl_claim_lost = False" in after and "_dl_claim_lost = True" in after
    result, reads = _run_loser(tmp_path, after, {"pair": "EURUSD"})
    assert result == "1.08"
    assert reads == [False, True]  # the code's own first read, then a consistent one


def test_a_caller_flag_is_kept_beside_the_reread(tmp_path: Path) -> None:
    _, after = _fix(tmp_path, ', ConsistentRead=event.get("strong", False)')
    assert 'ConsistentRead=event.get("strong", False) or _dl_claim_lost' in after
    _, reads = _run_loser(tmp_path, after, {"pair": "EURUSD", "strong": True})
    assert reads == [True]  # the caller asked for a consistent first read: a hit at once


def test_a_consistent_read_is_left_as_it_is(tmp_path: Path) -> None:
    _, after = _fix(tmp_path, ", ConsistentRead=True")
    assert "ConsistentRead=True" in after and "ConsistentRead=_dl" not in after


def test_a_conditional_flag_is_parenthesized(tmp_path: Path) -> None:
    _, after = _fix(tmp_path, ', ConsistentRead=True if event.get("strong") else False')
    assert 'ConsistentRead=(True if event.get("strong") else False) or _dl_claim_lost' in after
