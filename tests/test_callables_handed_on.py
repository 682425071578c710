"""Callables that run later, as Python runs them: ``Context.run(fn, *args, **kwargs)`` of
contextvars calls ``fn`` there and then (a copied context is still the same call), and a
lambda binds its parameters as a ``def`` does: its defaults, evaluated where the lambda is
made, for the arguments a call leaves out, its ``*args``, keyword-only parameters and
``**kwargs``. Each positive was missed before; the clean twins are the same code with the
write guarded, or with the item a call gives in place of the default."""

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


def test_a_lambda_s_default_is_bound_where_the_call_leaves_it_out(tmp_path: Path) -> None:
    source = '''
def handler(event, context):
<READ>
    cb = lambda o=order: table.put_item(Item=o)
    cb()
'''
    write = line_of(source, "    cb = lambda o=order: table.put_item(Item=o)")
    assert run(tmp_path, source) == {(write, "DYN101")}
    # a keyword-only default, and the item given by keyword in place of a fresh default
    assert run(tmp_path, source.replace("lambda o=order:", "lambda *, o=order:")) == {(write, "DYN101")}
    fresh = source.replace("lambda o=order:", 'lambda *, o={"oid": str(uuid.uuid4())}:').replace(
        "cb()", "cb(o=order)")
    assert run(tmp_path, fresh) == {(write, "DYN101")}
    # a new item given in place of the default: it is not the one read
    assert run(tmp_path, source.replace("cb()", 'cb({"oid": str(uuid.uuid4()), "seen": True})')) == set()
    assert run(tmp_path, source.replace("Item=o)", f"Item=o, {GUARD})")) == set()


def test_a_lambda_s_star_parameters_collect_what_the_call_gives(tmp_path: Path) -> None:
    source = '''
def handler(event, context):
<READ>
    put = lambda **kw: table.put_item(**kw)
    put(Item=order)
    each = lambda *items: [table.put_item(Item=i) for i in items]
    each(order)
'''
    put = line_of(source, "    put = lambda **kw: table.put_item(**kw)")
    each = line_of(source, "    each = lambda *items: [table.put_item(Item=i) for i in items]")
    assert run(tmp_path, source) == {(put, "DYN101"), (each, "DYN101")}
    guarded = source.replace("put(Item=order)", f"put(Item=order, {GUARD})").replace(
        "    each(order)\n", "")
    assert run(tmp_path, guarded) == set()


def test_lambdas_made_in_a_loop_keep_each_element(tmp_path: Path) -> None:
    source = '''
def save(o):
    table.put_item(Item=o)


def handler(event, context):
    orders = [table.get_item(Key={"oid": oid})["Item"] for oid in event["oids"]]
    for o in orders:
        o["seen"] = True
    saves = [lambda o=o: save(o) for o in orders]
    for f in saves:
        f()
'''
    assert run(tmp_path, source) == {(line_of(source, "    table.put_item(Item=o)"), "DYN101")}
    fresh = source.replace('[table.get_item(Key={"oid": oid})["Item"] for oid in event["oids"]]',
                           '[{"oid": str(uuid.uuid4())} for oid in event["oids"]]')
    assert run(tmp_path, fresh) == set()
