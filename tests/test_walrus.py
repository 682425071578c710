"""An assignment expression (``name := value``) binds its name as an assignment statement
does: an alias of the module state it names (``(cache := CACHE)[k] = v``), a store into a
module global the function declares ``global``, a local that is not module state, and from a
comprehension, a name of the enclosing function. Each positive was missed before (the walrus
only set the name's value)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import line_codes, line_of


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", source)


ALIAS = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    if (seen := _SEEN) is not None:
        seen[event["orderId"]] = tenant
    return {"ok": True}
'''


def test_a_walrus_alias_of_module_state_is_that_state(tmp_path: Path) -> None:
    assert run(tmp_path, ALIAS) == {(line_of(ALIAS, '        seen[event["orderId"]] = tenant'), "DYN302")}


def test_a_walrus_bound_to_a_new_dict_is_local(tmp_path: Path) -> None:
    assert run(tmp_path, ALIAS.replace("(seen := _SEEN)", "(seen := {})")) == set()


def test_keyed_by_the_tenant_through_the_alias_is_no_finding(tmp_path: Path) -> None:
    keyed = ALIAS.replace('seen[event["orderId"]] = tenant', 'seen[(tenant, event["orderId"])] = tenant')
    assert run(tmp_path, keyed) == set()


def test_a_walrus_into_a_declared_global_stores_module_state(tmp_path: Path) -> None:
    source = '''
_LAST = None


def handler(event, context):
    global _LAST
    tenant = context.tenant_id
    if (_LAST := {"tenant": tenant, "order": event["orderId"]}) is not None:
        return {"ok": True}
    return {"ok": False}
'''
    line = line_of(source, '    if (_LAST := {"tenant": tenant, "order": event["orderId"]}) is not None:')
    assert run(tmp_path, source) == {(line, "DYN302")}
    # without ``global`` the walrus binds a local
    assert run(tmp_path, source.replace("    global _LAST\n", "")) == set()


def test_a_walrus_in_a_comprehension_binds_the_enclosing_functions_name(tmp_path: Path) -> None:
    source = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    rows = [(cache := _SEEN) for _ in range(1)]
    cache[event["orderId"]] = tenant
    return {"ok": True, "rows": len(rows)}
'''
    assert run(tmp_path, source) == {(line_of(source, '    cache[event["orderId"]] = tenant'), "DYN302")}


def test_a_walrus_rebinding_an_alias_ends_it(tmp_path: Path) -> None:
    source = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    if (seen := dict(event)) is not None:
        seen["tenant"] = tenant
    return {"ok": True}
'''
    assert run(tmp_path, source) == set()
