"""Python runs a class's own methods for its operators: ``obj[k]`` is ``__getitem__``,
``obj[k] = v`` ``__setitem__``, ``del obj[k]`` ``__delitem__``, ``obj[k] += 1`` both of the
first two, and ``obj(x)`` is ``__call__``, also where a library calls it back (``map``,
``ThreadPoolExecutor.map``, ``threading.Thread(target=...)``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

REPO = '''
import boto3

table = boto3.resource("dynamodb").Table("counters")

class Counters:
    def __getitem__(self, key):
        return table.get_item(Key={"name": key})["Item"]["n"]

    def __setitem__(self, key, n):
        table.put_item(Item={"name": key, "n": n})

    def __delitem__(self, key):
        table.delete_item(Key={"name": key})

    def __call__(self, key):
        return table.get_item(Key={"name": key})["Item"]

COUNTERS = Counters()

def handler(event, context):
    key = event["key"]
'''


def _codes(tmp_path: Path, body: str) -> set[tuple[int, str]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(REPO) + textwrap.indent(textwrap.dedent(body), "    "))
    return {(line, code) for _, line, code in triples(findings_in(tmp_path))}


@pytest.mark.parametrize("body", [
    "COUNTERS[key] = COUNTERS[key] + 1\n",
    "COUNTERS[key] += 1\n",
    "n = COUNTERS[key]\nCOUNTERS[key] = n * 2\n",
])
def test_item_methods_read_and_write(tmp_path: Path, body: str) -> None:
    assert _codes(tmp_path, body) == {(11, "DYN102")}


def test_del_runs_delitem_after_a_decision(tmp_path: Path) -> None:
    assert _codes(tmp_path, "if COUNTERS[key] > 100:\n    del COUNTERS[key]\n") == {(14, "DYN101")}


@pytest.mark.parametrize("body", [
    "item = COUNTERS(key)\n",
    "[item] = list(map(COUNTERS, [key]))\n",
    "from concurrent.futures import ThreadPoolExecutor\n"
    "with ThreadPoolExecutor() as pool:\n    [item] = list(pool.map(COUNTERS, [key]))\n",
])
def test_a_callable_object_runs_its_call(tmp_path: Path, body: str) -> None:
    body += "table.put_item(Item={'name': key, 'n': item['n'] - 1})\n"
    assert {code for _, code in _codes(tmp_path, body)} == {"DYN102"}


def test_an_item_store_without_dynamodb_is_nothing(tmp_path: Path) -> None:
    """A dict-like class of its own that keeps entries in memory: reading and storing through
    it reaches no table, so nothing races."""
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import boto3

        table = boto3.resource("dynamodb").Table("counters")

        class Memo:
            def __init__(self):
                self.data = {}

            def __getitem__(self, key):
                return self.data.get(key, 0)

            def __setitem__(self, key, value):
                self.data[key] = value

        def handler(event, context):
            memo = Memo()
            memo[event["key"]] += 1
            table.update_item(Key={"name": event["key"]}, UpdateExpression="ADD n :one",
                              ExpressionAttributeValues={":one": 1})
    '''))
    assert triples(findings_in(tmp_path)) == set()
