"""Calls into project code that raise on every path (model/raising.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in, triples

TABLE = '''import boto3
import requests

table = boto3.resource("dynamodb").Table("results")
'''

SHIP = '''
class Busy(Exception):
    pass


def busy(why):
    raise Busy(why)


def handler(event, context):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    if order["state"] != "NEW":
        busy("not new")
    busy("orders are read-only")
    order["state"] = "SHIPPED"
    table.put_item(Item=order)
'''


def run(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return set(triples(findings_in(tmp_path)))


def app(source: str) -> dict[str, str]:
    return {"app.py": TABLE + source}


def line_of(source: str, text: str) -> int:
    return (TABLE + source).splitlines().index(text) + 1


WRITE = "    table.put_item(Item=order)"


def test_a_no_return_helper_called_again_ends_the_path_each_time(tmp_path: Path) -> None:
    """The second call of ``busy`` with the same arguments reuses the first one's summary: it
    ends the path too (one annotated ``-> NoReturn`` did not, on reuse)."""
    annotated = "from typing import NoReturn\n" + SHIP.replace("def busy(why):", "def busy(why) -> NoReturn:")
    again = annotated.replace('    busy("orders are read-only")', '    busy("not new")')
    assert run(tmp_path, app(again)) == set()
    once = again.replace('    busy("not new")\n    order', "    order")  # the path where the item is new goes on
    assert run(tmp_path, app(once)) == {("app.py", line_of(once, WRITE), "DYN101")}
