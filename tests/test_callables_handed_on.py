"""Callables that run later, as Python runs them: ``Context.run(fn, *args, **kwargs)`` of
contextvars calls ``fn`` there and then (a copied context is still the same call). Each
positive was missed before; the clean twins are the same code with the write guarded."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in, triples

TABLE = '''import contextvars
import uuid

import boto3

table = boto3.resource("dynamodb").Table("orders")
'''
READ = '''    order = table.get_item(Key={"oid": event["oid"]})["Item"]
    order["seen"] = True
'''
GUARD = 'ConditionExpression="attribute_not_exists(seen)"'


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    (tmp_path / "app.py").write_text(TABLE + textwrap.dedent(source).replace("<READ>\n", READ))
    return {(line, code) for _, line, code in triples(findings_in(tmp_path))}


def line_of(source: str, text: str) -> int:
    return (TABLE + textwrap.dedent(source).replace("<READ>\n", READ)).splitlines().index(text) + 1


def test_context_run_calls_the_function_it_is_given(tmp_path: Path) -> None:
    source = '''
def save(item, *, tag=None):
    table.put_item(Item=item)


def handler(event, context):
<READ>
    contextvars.copy_context().run(save, order)
'''
    write = line_of(source, "    table.put_item(Item=item)")
    assert run(tmp_path, source) == {(write, "DYN101")}
    # a context kept in a variable, imported by name or made empty; arguments by keyword
    kept = source.replace("    contextvars.copy_context().run(save, order)",
                          "    ctx = contextvars.Context()\n    ctx.run(save, item=order, tag='x')")
    assert run(tmp_path, kept) == {(write, "DYN101")}
    by_name = "from contextvars import copy_context\n" + source.replace(
        "contextvars.copy_context().run(save, order)", "ctx = copy_context()\n    return ctx.run(save, order)")
    assert run(tmp_path, by_name) == {(write + 1, "DYN101")}
    # the write guarded: clean
    assert run(tmp_path, source.replace("Item=item)", f"Item=item, {GUARD})")) == set()


def test_context_run_of_a_lambda(tmp_path: Path) -> None:
    source = '''
CTX = contextvars.copy_context()


def handler(event, context):
<READ>
    return CTX.run(lambda: table.put_item(Item=order))
'''
    assert run(tmp_path, source) == {(line_of(source, "    return CTX.run(lambda: table.put_item(Item=order))"),
                                      "DYN101")}
