"""DYN104's claim is released on the paths that leave without the completing write.

The claim loop's fix used to leave the claim in the table when the code returned early after it
(an error answer passed on, never cached) or raised: every caller for the key then waited the
30 s lease out. The statements from the miss test on now run in ``try: ... finally:
<claim>.release()`` when the completing write is one of them; the release is a conditional
write that does nothing once the write replaced the claim. (Against dynalite:
``tests/racelab/test_racelab_release.py``.)"""

from __future__ import annotations

import ast
from pathlib import Path

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.fixes import claim_helper
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.quotes]\npartition-key = "symbol"\n'
PLAIN = '''import boto3
import requests

quotes = boto3.resource("dynamodb").Table("quotes")


def handler(event, context):
    symbol = event["symbol"]
    cached = quotes.get_item(Key={"symbol": symbol}).get("Item")
    if cached:
        return cached["price"]
    answer = requests.get("https://md.example.com/" + symbol, timeout=5).json()
    if "error" in answer:
        return None
    quotes.put_item(Item={"symbol": symbol, "price": str(answer["price"])})
    return answer["price"]
'''
ASYNC = '''import aioboto3
import httpx


async def handler(event, context):
    symbol = event["symbol"]
    async with aioboto3.Session().resource("dynamodb") as dynamodb:
        quotes = await dynamodb.Table("quotes")
        cached = (await quotes.get_item(Key={"symbol": symbol})).get("Item")
        if cached:
            return cached["price"]
        async with httpx.AsyncClient() as http:
            answer = (await http.get("https://md.example.com/" + symbol)).json()
        if "error" in answer:
            return None
        await quotes.put_item(Item={"symbol": symbol, "price": str(answer["price"])})
        return answer["price"]
'''
OUTSIDE = '''import boto3
import requests

quotes = boto3.resource("dynamodb").Table("quotes")


def handler(event, context):
    symbol = event.get("symbol")
    price = None
    if symbol:
        cached = quotes.get_item(Key={"symbol": symbol}).get("Item")
        if cached:
            return cached["price"]
        price = requests.get("https://md.example.com/" + symbol, timeout=5).json()["price"]
    quotes.put_item(Item={"symbol": symbol or "-", "price": str(price)})
    return price
'''


def _fix(tmp_path: Path, source: str, extra: dict[str, str] | None = None) -> tuple[str, list[str]]:
    write_project(tmp_path, {"app.py": source, "pyproject.toml": CONFIG, **(extra or {})})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    return (tmp_path / "app.py").read_text(), sorted(f.code for f in report.applied)


def _function(text: str) -> ast.AsyncFunctionDef | ast.FunctionDef:
    found = [node for node in ast.walk(ast.parse(text)) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name == "handler"]
    assert len(found) == 1
    return found[0]


def _releasing_tries(function: ast.AST) -> list[ast.Try]:
    return [node for node in ast.walk(function) if isinstance(node, ast.Try)
            and any("release" in ast.unparse(statement) for statement in node.finalbody)]


def _writes(nodes: list[ast.stmt]) -> int:
    return sum(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "put_item"
               for statement in nodes for node in ast.walk(statement))


def test_the_miss_path_runs_in_a_try_that_releases_the_claim(tmp_path: Path) -> None:
    after, codes = _fix(tmp_path, PLAIN)
    assert codes == ["DYN104"]
    tries = _releasing_tries(_function(after))
    assert len(tries) == 1
    (guard,) = tries
    assert [ast.unparse(s) for s in guard.finalbody] == ["_dl_claim.release()"]
    assert _writes(guard.body) == 1  # the completing write is inside: the release runs after it
    assert any(isinstance(s, ast.Return) and ast.unparse(s) == "return None"
               for s in ast.walk(guard)), "the early return is inside the try"
    again = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent


def test_an_async_claim_awaits_its_release(tmp_path: Path) -> None:
    after, codes = _fix(tmp_path, ASYNC)
    assert codes == ["DYN104"]
    (guard,) = _releasing_tries(_function(after))
    assert [ast.unparse(s) for s in guard.finalbody] == ["await _dl_claim.release()"]
    assert "dynolint_claim.AsyncClaim()" in after


def test_a_write_after_the_claimed_block_keeps_to_the_lease(tmp_path: Path) -> None:
    """The completing write comes after the block that holds the claim loop: a ``finally`` around
    the block's statements would release the claim before the write, and the write, fenced on
    the claim, would be refused. Such a claim keeps to its lease."""
    after, codes = _fix(tmp_path, OUTSIDE)
    assert codes == ["DYN104"]
    assert "dynolint_claim.Claim()" in after and "_dl_claim.owner" in after
    assert _releasing_tries(_function(after)) == [] and ".release()" not in after


def test_an_older_helper_without_release_keeps_to_the_lease(tmp_path: Path) -> None:
    """A project whose dynolint_claim.py an older dynolint wrote (no ``release``) is fixed as
    that dynolint did: the fixed code must not call a method its helper lacks."""
    text = Path(claim_helper.__file__).read_text()
    start = text.index("    def release(self) -> None:")
    end = text.index("    def wait(self, seen: Any) -> None:")
    older = text[:start] + text[end:]
    start = older.index("    async def release(self) -> None:")
    end = older.index("    async def wait(self, seen: Any) -> None:")
    older = older[:start] + older[end:]
    assert "def release(" not in older
    after, codes = _fix(tmp_path, PLAIN, {"dynolint_claim.py": older})
    assert codes == ["DYN104"]
    assert _releasing_tries(_function(after)) == [] and ".release()" not in after
    assert (tmp_path / "dynolint_claim.py").read_text() == older  # reused as it is
