"""A presence test kept as a value follows the data (``model/presence.py``): a flag
(``found = item is not None``), a helper's answer (``return item is not None``,
``return bool(item)``, ``return item is None or stale``) is still a branch on whether the read
found the item. A cache-aside miss tested that way is a stampede (DYN104, was DYN101), the
side where the answer says the item is there is no miss, and the claim fix computes the flag
from the item taken out of a claim."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import assert_fixed_for_good, findings_in, fix_unsafe, triples, write_project

HEAD = '''
import time
import boto3
import requests

table = boto3.resource("dynamodb").Table("quotes")

def have(item):
    return item is not None

def have_bool(item):
    return bool(item)

def fresh(item):
    return item is not None and item["ttl"] > time.time()

def stale(item):
    return item is None or item["ttl"] < time.time()

def handler(event, context):
    symbol = event["symbol"]
    item = table.get_item(Key={"symbol": symbol}).get("Item")
'''
MISS = ('price = requests.get("https://q.example.com/" + symbol, timeout=2).json()["price"]\n'
        '    table.put_item(Item={"symbol": symbol, "price": str(price)})')

CASES = {
    "flag": ("found = item is not None\n    if found:\n        return item\n    " + MISS, "DYN104"),
    "helper": ("if have(item):\n        return item\n    " + MISS, "DYN104"),
    "helper-bool": ("if not have_bool(item):\n        " + MISS.replace("\n", "\n    ") + "\n        return None\n"
                    "    return item", "DYN104"),
    "helper-and": ("if fresh(item):\n        return item\n    " + MISS, "DYN104"),
    "helper-or": ("if not stale(item):\n        return item\n    " + MISS, "DYN104"),
    # the side where the answer says the item is there: costly work on a hit is no stampede
    "hit-side": ("if not have(item):\n        return None\n    " + MISS.replace('{"symbol"', '{**item, "symbol"'),
                 "DYN101"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_presence_through_flags_and_helpers(tmp_path: Path, name: str) -> None:
    body, code = CASES[name]
    (tmp_path / "app.py").write_text(textwrap.dedent(HEAD) + "    " + body + "\n")
    found = {(c, line) for _, line, c in triples(findings_in(tmp_path))}
    assert len(found) == 1 and next(iter(found))[0] == code, found


def test_the_claim_fix_reads_the_flag_from_the_unclaimed_item(tmp_path: Path) -> None:
    source = textwrap.dedent(HEAD) + "    found = have(item)\n    if found:\n        return item\n    " + MISS + "\n"
    write_project(tmp_path, {"app.py": source, "pyproject.toml": '[tool.dynolint.tables.quotes]\npartition-key = "symbol"\n'})
    after, skipped = fix_unsafe(tmp_path, "app.py")
    assert skipped == []
    # the item is taken out of a claim where it is bound, before the flag is computed from it
    assert after.index("dynolint_claim.unclaimed(item)") < after.index("found = have(item)")
    assert "        _dl_claim_hit = found\n        if _dl_claim_hit or " in after  # the flag's value, kept
    assert "    try:\n        if _dl_claim_hit:\n" in after
    assert_fixed_for_good(tmp_path, "app.py", after)
