"""A PynamoDB write reached also where the read found no item (``except DoesNotExist:
acct = Account(id)``) creates the item there: the guard fix (``update(..., condition=
<hash key>.exists())``) would fail on that path every time, so new accounts could never be
written (a reviewer's finding). No fix is made; the reason says why."""

from __future__ import annotations

from pathlib import Path

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

MODELS = '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Account(Model):
    class Meta:
        table_name = "accounts"

    id = UnicodeAttribute(hash_key=True)
    balance = NumberAttribute(default=0)
    status = UnicodeAttribute(default="ACTIVE")
'''

CREATES = '''from models import Account


def deposit(acct_id, amount):
    try:
        acct = Account.get(acct_id)
    except Account.DoesNotExist:
        acct = Account(acct_id)
    acct.balance += amount
    acct.save()
    return acct.balance
'''


def _fix(tmp_path: Path, service: str) -> tuple[str, list[str]]:
    write_project(tmp_path, {"models.py": MODELS, "service.py": service})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    return (tmp_path / "service.py").read_text(), [reason for _, reason in report.skipped]


def test_a_write_that_also_creates_the_item_gets_no_exists_condition(tmp_path: Path) -> None:
    after, reasons = _fix(tmp_path, CREATES)
    assert after == CREATES
    assert any("where the read found no item" in reason for reason in reasons), reasons


def test_the_same_write_after_a_read_that_must_find_the_item_is_fixed(tmp_path: Path) -> None:
    # the control: without the create path the update conditioned on existence is right
    service = CREATES.replace("    try:\n        acct = Account.get(acct_id)\n    except Account.DoesNotExist:\n"
                              "        acct = Account(acct_id)\n", "    acct = Account.get(acct_id)\n")
    after, _ = _fix(tmp_path, service)
    assert "condition=Account.id.exists()" in after
    assert _fix(tmp_path / "again", after)[0] == after
