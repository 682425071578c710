"""Callables as projects hand them around (issue 14, class 3), each missed before:

* a function's free names resolve through every enclosing function, as Python's scopes do
  (a decorator factory's innermost wrapper uses the factory's table);
* a decorator whose wrapper is shaped as a handler (``def wrapper(event, context)``) is what
  Lambda calls: what it takes out of the context (``context.tenant_id``) and hands to the
  function it wraps is the invocation's;
* a function a decorator appends to a module-level list (a registry of hooks) is an element
  of that list where the handler iterates it.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import line_codes, line_of


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "app.py", source)


TWO_LEVELS = '''
import boto3

ddb = boto3.resource("dynamodb")


def outer():
    tbl = ddb.Table("counters")

    def middle():
        def inner(key):
            rec = tbl.get_item(Key={"id": key})["Item"]
            tbl.put_item(Item={"id": key, "n": rec["n"] + 1})
        return inner
    return middle()


bump = outer()


def handler(event, context):
    bump(event["id"])
'''


def test_a_free_name_two_functions_out_is_the_enclosing_functions(tmp_path: Path) -> None:
    write = '            tbl.put_item(Item={"id": key, "n": rec["n"] + 1})'
    assert run(tmp_path, TWO_LEVELS) == {(line_of(TWO_LEVELS, write), "DYN102")}


def test_the_innermost_binding_of_a_name_wins(tmp_path: Path) -> None:
    # ``middle`` binds its own ``tbl``: the read and the write are of two tables
    shadowed = TWO_LEVELS.replace("        def inner(key):\n",
                                  '        tbl = ddb.Table("archive")\n\n        def inner(key):\n')
    shadowed = shadowed.replace('rec = tbl.get_item(Key={"id": key})["Item"]',
                                'rec = ddb.Table("counters").get_item(Key={"id": key})["Item"]')
    assert run(tmp_path, shadowed) == set()


def test_the_enclosing_guard_is_seen_too(tmp_path: Path) -> None:
    atomic = TWO_LEVELS.replace('tbl.put_item(Item={"id": key, "n": rec["n"] + 1})',
                                'tbl.update_item(Key={"id": key}, UpdateExpression="ADD n :one", '
                                'ExpressionAttributeValues={":one": 1})')
    assert run(tmp_path, atomic) == set()


WRAPPED = '''
import boto3

orders = boto3.resource("dynamodb").Table("orders")


def tenant_scoped(fn):
    def wrapper(event, context):
        return fn(event, context.tenant_id)
    return wrapper


@tenant_scoped
def get_order(event, tenant_id):
    return orders.get_item(Key={"order_id": event["orderId"]}).get("Item")
'''


def test_a_handler_wrapper_hands_the_invocations_tenant_id_on(tmp_path: Path) -> None:
    read = '    return orders.get_item(Key={"order_id": event["orderId"]}).get("Item")'
    assert run(tmp_path, WRAPPED) == {(line_of(WRAPPED, read), "DYN202")}


def test_a_key_built_from_the_handed_tenant_id_is_scoped_but_the_role_is_shared(tmp_path: Path) -> None:
    scoped = WRAPPED.replace('Key={"order_id": event["orderId"]}',
                             'Key={"tenant_id": tenant_id, "order_id": event["orderId"]}')
    read = '    return orders.get_item(Key={"tenant_id": tenant_id, "order_id": event["orderId"]}).get("Item")'
    assert run(tmp_path, scoped) == {(line_of(scoped, read), "DYN201")}


def test_a_wrapper_that_hands_on_a_constant_is_no_tenant_source(tmp_path: Path) -> None:
    fixed = WRAPPED.replace("return fn(event, context.tenant_id)", 'return fn(event, "internal")')
    assert run(tmp_path, fixed) == set()


HOOKS = '''
import boto3

table = boto3.resource("dynamodb").Table("users")
HOOKS = []


def hook(fn):
    HOOKS.append(fn)
    return fn


@hook
def stamp(user):
    user["seen"] = True
    table.put_item(Item=user)


def handler(event, context):
    user = table.get_item(Key={"uid": event["uid"]})["Item"]
    for run_hook in HOOKS:
        run_hook(user)
'''


def test_a_hook_a_decorator_appends_to_a_module_list_runs_where_the_list_is_iterated(tmp_path: Path) -> None:
    assert run(tmp_path, HOOKS) == {(line_of(HOOKS, "    table.put_item(Item=user)"), "DYN101")}


def test_a_guarded_hook_is_no_finding(tmp_path: Path) -> None:
    guarded = HOOKS.replace("table.put_item(Item=user)",
                            'table.put_item(Item=user, ConditionExpression="attribute_not_exists(seen)")')
    assert run(tmp_path, guarded) == set()


def test_hooks_added_with_extend_and_insert_are_elements_too(tmp_path: Path) -> None:
    for adding in ("HOOKS.extend([fn])", "HOOKS.insert(0, fn)"):
        source = HOOKS.replace("    HOOKS.append(fn)", "    " + adding)
        assert run(tmp_path, source) == {(line_of(source, "    table.put_item(Item=user)"), "DYN101")}, adding
