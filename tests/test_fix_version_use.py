"""The optimistic-lock fix of a put-back and what the code itself does with the version attribute.

Two bugs these tests pin down. The code bumped the version itself before the put
(``item["version"] = item.get("version", 0) + 1``) and the fix bumped it again and compared
the stored version with the one read *after* the code's bump: every write after the first
failed. And the code read ``version`` as a string (``pkg["version"].split(".")``) while the
fix started keeping a number under that name (a TypeError, and the package's version lost).
The expected version must be the value read, so a path that assigns the attribute before
the write gets no fix; a new version attribute must be a name the code does not use."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

KEY_ONLY = {"pyproject.toml": '[tool.dynolint.tables.accounts]\npartition-key = "account_id"\n'}
CONFIGURED = {"pyproject.toml": '[tool.dynolint.tables.accounts]\npartition-key = "account_id"\n'
                                'version-attribute = "version"\n'}
RESOURCE = 'import boto3\n\naccounts = boto3.resource("dynamodb").Table("accounts")\n\n\n'
LOW = 'import boto3\n\nddb = boto3.client("dynamodb")\n\n\n'


def _fix(tmp_path: Path, source: str, config: dict[str, str]) -> tuple[str, list[str]]:
    write_project(tmp_path, {"app.py": source, **config})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    after = (tmp_path / "app.py").read_text()
    ast.parse(after)
    again = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    assert (tmp_path / "app.py").read_text() == after and again.changed == []  # fixing twice is fixing once
    return after, [reason for _, reason in report.skipped]


BUMPED = RESOURCE + '''def visit(account_id, when):
    account = accounts.get_item(Key={"account_id": account_id})["Item"]
    account["version"] = account.get("version", 0) + 1
    account["visited"] = when
    accounts.put_item(Item=account)
'''


@pytest.mark.parametrize("config", [KEY_ONLY, CONFIGURED], ids=["new-version", "configured-version"])
def test_a_version_the_code_bumps_before_the_put_gets_no_second_bump_and_no_fix(tmp_path: Path,
                                                                                config: dict[str, str]) -> None:
    after, reasons = _fix(tmp_path, BUMPED, config)
    assert after == BUMPED
    assert reasons and "'version'" in reasons[0] and "line 8" in reasons[0] and "before" in reasons[0]


@pytest.mark.parametrize("change", [
    'account["version"] += 1',
    'account.update({"version": 7})',
    'account.update(version=7)',
    'account.setdefault("version", 1)',
    'del account["version"]',
    'account.pop("version", None)',
])
def test_any_change_of_the_version_before_the_put_means_no_fix(tmp_path: Path, change: str) -> None:
    source = BUMPED.replace('account["version"] = account.get("version", 0) + 1', change)
    after, reasons = _fix(tmp_path, source, CONFIGURED)
    assert after == source and reasons and "'version'" in reasons[0]


def test_a_copy_of_the_item_with_its_version_bumped_means_no_fix(tmp_path: Path) -> None:
    source = RESOURCE + '''def visit(account_id, when):
    account = accounts.get_item(Key={"account_id": account_id})["Item"]
    fresh = dict(account)
    fresh["version"] = account["version"] + 1
    fresh["visited"] = when
    accounts.put_item(Item=fresh)
'''
    after, reasons = _fix(tmp_path, source, CONFIGURED)
    assert after == source and reasons and "'version'" in reasons[0]


def test_a_low_level_version_bumped_by_the_code_means_no_fix(tmp_path: Path) -> None:
    source = LOW + '''def append(account_id, line):
    item = ddb.get_item(TableName="accounts", Key={"account_id": {"S": account_id}})["Item"]
    item["log"] = {"S": item["log"]["S"] + line}
    item["version"] = {"N": str(int(item["version"]["N"]) + 1)}
    ddb.put_item(TableName="accounts", Item=item)
'''
    after, reasons = _fix(tmp_path, source, KEY_ONLY)
    assert after == source and reasons and "'version'" in reasons[0]


def test_an_item_changed_elsewhere_is_still_fixed_with_the_version_read(tmp_path: Path) -> None:
    source = BUMPED.replace('    account["version"] = account.get("version", 0) + 1\n', "")
    after, reasons = _fix(tmp_path, source, KEY_ONLY)
    assert reasons == []
    flat = re.sub(r"\s+", "", after)
    assert 'Item={**account,"version":account.get("version",0)+1}' in flat
    assert 'ExpressionAttributeValues={":dl_ver":account.get("version",0)}' in flat


STRING_VERSION = RESOURCE + '''def describe(account_id, text):
    account = accounts.get_item(Key={"account_id": account_id})["Item"]
    major = account["version"].split(".")[0]
    account["description"] = f"[v{major}] {text}"
    accounts.put_item(Item=account)
'''


def test_a_new_version_attribute_is_never_one_the_code_uses_otherwise(tmp_path: Path) -> None:
    after, reasons = _fix(tmp_path, STRING_VERSION, KEY_ONLY)
    assert after == STRING_VERSION
    assert reasons and "'version'" in reasons[0] and "version-attribute" in reasons[0]
    got = STRING_VERSION.replace('account["version"].split(".")[0]', 'str(account.get("version", "1")).strip()')
    after, reasons = _fix(tmp_path / "get", got, KEY_ONLY)
    assert after == got and reasons and "'version'" in reasons[0]


def test_a_configured_version_attribute_is_used_beside_a_string_version(tmp_path: Path) -> None:
    config = {"pyproject.toml": '[tool.dynolint.tables.accounts]\npartition-key = "account_id"\n'
                                'version-attribute = "rev"\n'}
    after, reasons = _fix(tmp_path, STRING_VERSION, config)
    assert reasons == []
    flat = re.sub(r"\s+", "", after)
    assert 'Item={**account,"rev":account.get("rev",0)+1}' in flat and '"#dl_ver":"rev"' in flat
    assert 'account["version"].split(".")[0]' in after
    assert check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings == []
