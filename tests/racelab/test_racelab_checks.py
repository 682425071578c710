"""Race lab l: a wallet whose balance check is no ``if`` on the balance.

``wallet_checks/`` refuses a spend the balance does not cover in two ways the model once
missed as decisions: a comprehension filter keeps the amount only when it is covered
(``[a for a in (amount,) if a <= item["balance"]]``), and a conditional expression debits
nothing when it is not. Each then writes ``balance - spent`` back. The atomic ADD that
``dynolint fix`` once made of them dropped the check with the read: concurrent spends overdrew
the wallet. Now the test inside the expression is a decision of the path: no atomic rewrite
drops it, the safe fixes leave the file alone, and the unsafe one pins the balance seen.
Measured against dynalite with 20 threads per burst.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES

from .conftest import Lab
from .harness import copy_project, report
from .test_racelab import SCENARIOS, WALLET_KEYS, fixed_copy, measure_wallet

pytestmark = pytest.mark.racelab

ENTRIES = ["spend_filtered", "spend_ternary"]
CONDITION_FAILED = "ConditionalCheckFailedException"


def test_the_safe_fixes_leave_a_hidden_balance_check_alone(tmp_path: Path) -> None:
    target = copy_project(SCENARIOS / "wallet_checks", tmp_path / "safe")
    before = (target / "wallet.py").read_text()
    report_ = fix_paths([target], discover(target, set(KNOWN_CODES)), Options(), unsafe=False)
    assert not report_.changed
    assert (target / "wallet.py").read_text() == before
    assert sorted(f.code for f in report_.before.findings) == ["DYN102", "DYN102"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_unfixed_the_checks_give_money_away(lab: Lab, entry: str) -> None:
    m = measure_wallet(SCENARIOS / "wallet_checks", lab, entry=entry, rounds=2)
    report("wallet_checks", f"original {entry}", m, WALLET_KEYS)
    assert m["errors"] == []
    assert max(m["succeeded"]) > m["allowed"] and max(m["money_created"]) > 0


@pytest.mark.parametrize("entry", ENTRIES)
def test_fixed_the_wallet_never_overdraws_nor_gives_money_away(lab: Lab, tmp_path: Path, entry: str) -> None:
    project, fixed = fixed_copy("wallet_checks", tmp_path)
    assert fixed == ["DYN102", "DYN102"]
    assert "ADD" not in (project / "wallet.py").read_text()  # the check is kept: no atomic rewrite dropped it
    m = measure_wallet(project, lab, entry=entry, rounds=2)
    report("wallet_checks", f"fixed {entry}", {**m, "errors": len(m["errors"])}, WALLET_KEYS)
    # every stored balance is what the successful spends left: nothing lost, nothing overdrawn
    assert m["negative"] == 0 and m["money_created"] == [0] * m["rounds"]
    assert all(0 < s <= m["allowed"] for s in m["succeeded"])
    # the spends that lost the race fail on the pinned balance (the guard fix routes no refusal)
    assert all(e.startswith(CONDITION_FAILED) for e in m["errors"])
