"""A local alias of module state (``seen = _SEEN``) holds on each path as that path bound it:
a name rebound on one branch only (``if dry: seen = {}``) still names the module's dict on the
other, and a name bound to it on one branch names it after the join on that branch's path. A
store through it on any path that reaches the module's object is a store into module state.
Each positive was missed before (the alias was one fact of the function's frame, dropped for
every path by a rebinding on one)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import line_codes, line_of


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", source)


STORE = '    seen[event["orderId"]] = tenant'

REBOUND_ON_ONE_BRANCH = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    if event.get("dry"):
        seen = {}
    seen[event["orderId"]] = tenant
    return {"ok": True}
'''


def test_an_alias_rebound_on_one_branch_holds_on_the_other(tmp_path: Path) -> None:
    assert run(tmp_path, REBOUND_ON_ONE_BRANCH) == {(line_of(REBOUND_ON_ONE_BRANCH, STORE), "DYN302")}


def test_an_alias_rebound_on_every_branch_is_gone(tmp_path: Path) -> None:
    source = REBOUND_ON_ONE_BRANCH.replace('''        seen = {}
''', '''        seen = {}
    else:
        seen = {"dry": False}
''')
    assert run(tmp_path, source) == set()


def test_a_store_on_the_branch_that_rebound_the_name_is_local(tmp_path: Path) -> None:
    source = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    if event.get("dry"):
        seen = {}
        seen[event["orderId"]] = tenant
        return {"ok": False, "seen": seen}
    return {"ok": True}
'''
    assert run(tmp_path, source) == set()


def test_keyed_by_the_tenant_after_the_branch_is_no_finding(tmp_path: Path) -> None:
    keyed = REBOUND_ON_ONE_BRANCH.replace('seen[event["orderId"]] = tenant', 'seen[(tenant, event["orderId"])] = 1')
    assert run(tmp_path, keyed) == set()


BOUND_ON_ONE_BRANCH = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    if event.get("shared"):
        seen = _SEEN
    else:
        seen = {}
    seen[event["orderId"]] = tenant
    return {"ok": True}
'''


def test_an_alias_bound_on_one_branch_holds_after_the_join(tmp_path: Path) -> None:
    assert run(tmp_path, BOUND_ON_ONE_BRANCH) == {(line_of(BOUND_ON_ONE_BRANCH, STORE), "DYN302")}


def test_a_method_store_through_an_alias_bound_on_one_branch(tmp_path: Path) -> None:
    source = BOUND_ON_ONE_BRANCH.replace('seen[event["orderId"]] = tenant', 'seen.update({"last": tenant})')
    assert run(tmp_path, source) == {(line_of(source, '    seen.update({"last": tenant})'), "DYN302")}


def test_bound_to_fresh_dicts_on_both_branches_is_local(tmp_path: Path) -> None:
    assert run(tmp_path, BOUND_ON_ONE_BRANCH.replace("seen = _SEEN", "seen = dict(_SEEN)")) == set()


NESTED = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    if event.get("dry"):
        seen = {}

    def remember(value):
        seen[event["orderId"]] = value

    remember(tenant)
    return {"ok": True}
'''


def test_a_nested_function_sees_the_alias_of_its_callers_path(tmp_path: Path) -> None:
    assert run(tmp_path, NESTED) == {(line_of(NESTED, '        seen[event["orderId"]] = value'), "DYN302")}


def test_a_nested_function_called_where_the_name_was_rebound_is_local(tmp_path: Path) -> None:
    source = NESTED.replace('''    if event.get("dry"):
        seen = {}
''', '''    seen = {}
''')
    assert run(tmp_path, source) == set()


def test_a_nested_function_called_before_and_after_the_alias(tmp_path: Path) -> None:
    # the first call (``seen`` a local dict) must not stand for the second (``seen`` the module's)
    source = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = {}

    def remember(value):
        seen["last"] = value

    remember(tenant)
    if event.get("shared"):
        seen = _SEEN
    remember(tenant)
    return {"ok": True}
'''
    assert run(tmp_path, source) == {(line_of(source, '        seen["last"] = value'), "DYN302")}


LOOP = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    for record in event["Records"]:
        if record.get("dry"):
            seen = {}
        seen[record["orderId"]] = tenant
    return {"ok": True}
'''


def test_an_alias_rebound_on_one_branch_in_a_loop(tmp_path: Path) -> None:
    assert run(tmp_path, LOOP) == {(line_of(LOOP, '        seen[record["orderId"]] = tenant'), "DYN302")}


def test_an_alias_rebound_at_every_iteration_before_the_store(tmp_path: Path) -> None:
    source = LOOP.replace('''        if record.get("dry"):
            seen = {}
''', '''        seen = {}
''')
    assert run(tmp_path, source) == set()


def test_a_store_after_a_loop_that_may_not_run(tmp_path: Path) -> None:
    # no record: the loop never rebinds ``seen``, which is still the module's dict
    source = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    for record in event["Records"]:
        seen = {"first": record["orderId"]}
    seen["last"] = tenant
    return {"ok": True}
'''
    assert run(tmp_path, source) == {(line_of(source, '    seen["last"] = tenant'), "DYN302")}


def test_an_alias_kept_where_the_rebinding_raised(tmp_path: Path) -> None:
    source = '''
import json

_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    try:
        seen = json.loads(event["body"])
    except ValueError:
        pass
    seen["last"] = tenant
    return {"ok": True}
'''
    assert run(tmp_path, source) == {(line_of(source, '    seen["last"] = tenant'), "DYN302")}
    # the handler leaves where the rebinding raised: on every path that goes on ``seen`` is local
    assert run(tmp_path, source.replace("        pass", '        return {"ok": False}')) == set()


def test_a_walrus_rebinding_on_one_branch(tmp_path: Path) -> None:
    source = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    if event.get("dry"):
        if (seen := {}) is not None:
            pass
    seen[event["orderId"]] = tenant
    return {"ok": True}
'''
    assert run(tmp_path, source) == {(line_of(source, STORE), "DYN302")}


NONLOCAL = '''
_SEEN = {}


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN

    def reset():
        nonlocal seen
        seen = {}

    if event.get("dry"):
        reset()
    seen[event["orderId"]] = tenant
    return {"ok": True}
'''


def test_a_nested_function_rebinding_the_name(tmp_path: Path) -> None:
    # called on every path: ``seen`` is a new dict after it (reported before: the callee's
    # rebinding did not reach its caller's aliases)
    source = NONLOCAL.replace('''    if event.get("dry"):
        reset()
''', '''    reset()
''')
    assert run(tmp_path, source) == set()
    # called on one branch: on the other ``seen`` is still the module's dict
    assert run(tmp_path, NONLOCAL) == {(line_of(NONLOCAL, STORE), "DYN302")}


CONTEXT_MANAGER = '''
from contextlib import contextmanager

_SEEN = {}


@contextmanager
def timed():
    yield


def handler(event, context):
    tenant = context.tenant_id
    seen = _SEEN
    with timed():
        if event.get("dry"):
            seen = {}
        seen[event["orderId"]] = tenant
    return {"ok": True}
'''


def test_an_alias_inside_a_project_context_manager(tmp_path: Path) -> None:
    line = line_of(CONTEXT_MANAGER, '        seen[event["orderId"]] = tenant')
    assert run(tmp_path, CONTEXT_MANAGER) == {(line, "DYN302")}


def test_an_alias_rebound_inside_a_project_context_manager(tmp_path: Path) -> None:
    source = CONTEXT_MANAGER.replace('''        if event.get("dry"):
            seen = {}
        seen[event["orderId"]] = tenant
    return''', '''        seen = {}
    seen[event["orderId"]] = tenant
    return''')
    assert run(tmp_path, source) == set()


AUGMENTED = '''
_RECENT = []
_LAST = {}


def handler(event, context):
    tenant = context.tenant_id
    recent = _RECENT
    last = _LAST
    if event.get("dry"):
        recent = []
    recent += [tenant]
    last |= {"tenant": tenant}
    return {"ok": True}
'''


def test_an_augmented_assignment_changes_the_aliased_container_in_place(tmp_path: Path) -> None:
    # ``+=`` on a list and ``|=`` on a dict change the object the name holds: module state on the
    # path where the name is still its alias (as ``extend`` and ``update`` do)
    assert run(tmp_path, AUGMENTED) == {(line_of(AUGMENTED, "    recent += [tenant]"), "DYN302"),
                                        (line_of(AUGMENTED, '    last |= {"tenant": tenant}'), "DYN302")}


def test_an_augmented_assignment_of_a_number_rebinds_the_name(tmp_path: Path) -> None:
    source = '''
_COUNT = 0


def handler(event, context):
    tenant = context.tenant_id
    count = _COUNT
    count += len(tenant)
    return {"ok": True, "count": count}
'''
    assert run(tmp_path, source) == set()
