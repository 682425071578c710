"""Module state by any name (dynolint/model/module_state.py): what a module holds outlives the
invocation whether function code reaches it by the global's name, a local alias, the module
object from another module, an attribute of a module-level function, or a parameter's mutable
default that the call leaves out. Each spelling is reported as the global's own name is, and
each is clean where the global's own name would be (keyed by the tenant, emptied in finally)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

HANDLER = '''import json

import state

_STORE = CONTAINER


def tenant_of(event):
    return event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"]


HELPER


def handler(event, context):
    tenant = tenant_of(event)
BODY
    return {"statusCode": 200}
'''
BODY_LINE = 17  # the first line of BODY

# spelling -> (the module's container, a helper, the body; the line of the store in the body)
SPELLINGS = {
    "alias item": ("{}", "", "cache = _STORE\ncache[KEY] = tenant", 1),
    "alias method": ("{}", "", "cache = _STORE\ncache.update({KEY: tenant})", 1),
    "alias list": ("[]", "", "seen = _STORE\nseen.append((KEY, tenant))", 1),
    "other module item": ("{}", "", "state.SHARED[KEY] = tenant", 0),
    "other module method": ("{}", "", "state.SHARED.setdefault(KEY, tenant)", 0),
    "function attribute": ("{}", "", "handler.last = {KEY: tenant}", 0),
    "tuple unpacking": ("[]", "", "seen, n = _STORE, 0\nseen.append((KEY, tenant))", 1),
    "container inside": ('{"all": {}}', "", "_STORE[\"all\"][KEY] = tenant", 0),
    "alias of a container inside": ('{"all": {}}', "", "inner = _STORE[\"all\"]\ninner[KEY] = tenant", 1),
    "setdefault alias": ("{}", "", "inner = state.SHARED.setdefault(\"all\", {})\ninner[KEY] = tenant", 1),
    "default that is the global": ("{}", "def remember(key, value, memo=_STORE):\n    memo[key] = value",
                                   "remember(KEY, tenant)", -1),
    "mutable default": ("{}", "def remember(key, value, _memo={}):\n    _memo[key] = value\n    return _memo",
                        "remember(KEY, tenant)", -1),
    "mutable default made by a call": ("{}", "def remember(key, value, _memo=dict()):\n    _memo[key] = value",
                                       "remember(KEY, tenant)", -1),
    "passed to a helper": ("{}", "def remember(memo, key, value):\n    memo[key] = value",
                           "remember(_STORE, KEY, tenant)", -1),
    "passed by keyword": ("{}", "def remember(key, value, *, memo):\n    memo[key] = value",
                          "remember(KEY, tenant, memo=_STORE)", -1),
    "another module's passed": ("{}", "def remember(memo, key, value):\n    memo.setdefault(key, value)",
                                "remember(state.SHARED, KEY, tenant)", -1),
    "alias passed on": ("[]", "def remember(memo, entry):\n    memo.append(entry)",
                        "seen = _STORE\nremember(seen, (KEY, tenant))", -1),
    "passed to a method": ("{}", "class Recorder:\n    def remember(self, memo, key, value):\n"
                                 "        memo[key] = value\n\n\nRECORDER = Recorder()",
                           "RECORDER.remember(_STORE, KEY, tenant)", -1),
}


def check(tmp_path: Path, spelling: str, key: str) -> set[tuple[str, int, str]]:
    container, helper, body, _ = SPELLINGS[spelling]
    source = HANDLER.replace("CONTAINER", container).replace("HELPER", helper or "pass") \
        .replace("BODY", textwrap.indent(body.replace("KEY", key), "    "))
    (tmp_path / "app.py").write_text(source)
    (tmp_path / "state.py").write_text("SHARED = {}\n")
    return {(path, line, code) for path, line, code in triples(findings_in(tmp_path)) if code.startswith("DYN3")}


def store_line(spelling: str) -> tuple[str, int]:
    """Where the store is: in the handler's body, or on the helper's line that stores."""
    _, helper, _, offset = SPELLINGS[spelling]
    if offset < 0:
        return "app.py", 12 + next(n for n, line in enumerate(helper.splitlines()) if "emo[" in line or "emo." in line)
    return "app.py", BODY_LINE + offset


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_tenant_data_stored_under_a_constant_key_is_reported_by_any_name(tmp_path: Path, spelling: str) -> None:
    assert check(tmp_path, spelling, '"current"') == {(*store_line(spelling), "DYN302")}


@pytest.mark.parametrize("spelling", sorted(s for s in SPELLINGS if SPELLINGS[s][0] != "[]" and "attribute" not in s))
def test_the_same_store_keyed_by_the_tenant_is_clean(tmp_path: Path, spelling: str) -> None:
    assert check(tmp_path, spelling, "tenant") == set()


def run(tmp_path: Path, source: str) -> set[tuple[str, int, str]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    (tmp_path / "state.py").write_text("SHARED = {}\nCURRENT = None\n")
    return {(path, line, code) for path, line, code in triples(findings_in(tmp_path)) if code[:4] in ("DYN2", "DYN3")}


PROLOGUE = '''
import state

_STORE = {}


def tenant_of(event):
    return event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"]
'''


@pytest.mark.parametrize("body", [
    "cache = _STORE\n    cache = {}\n    cache['current'] = tenant",  # rebound: a new dict
    "cache = dict(_STORE)\n    cache['current'] = tenant",  # a copy
    "cache = _STORE.copy()\n    cache['current'] = tenant",
    "def remember(value, seen={}):\n        seen['last'] = value\n    remember(tenant)",  # a def run per call
])
def test_other_names_that_are_not_the_module_s_object_are_clean(tmp_path: Path, body: str) -> None:
    source = PROLOGUE + f"\n\ndef handler(event, context):\n    tenant = tenant_of(event)\n    {body}\n"
    assert run(tmp_path, source) == set()


def test_a_mutable_default_the_caller_passes_is_the_caller_s(tmp_path: Path) -> None:
    source = PROLOGUE + '''

def collect(value, into=[]):
    into.append(value)
    return into


def handler(event, context):
    mine = []
    return collect(tenant_of(event), mine)


def leaves_it_out(event, context):
    return collect(tenant_of(event))
'''
    # only the call that leaves the default out shares it (the store is in collect)
    line = textwrap.dedent(source).splitlines().index("    into.append(value)") + 1
    assert run(tmp_path, source) == {("app.py", line, "DYN302")}
    (tmp_path / "app.py").write_text(textwrap.dedent(source.split("def leaves_it_out")[0]))
    assert {f for f in triples(findings_in(tmp_path)) if f[2].startswith("DYN3")} == set()


def test_a_helper_given_a_local_container_or_a_spread_is_the_caller_s(tmp_path: Path) -> None:
    """The same helpers given the caller's own containers store nothing the module keeps; a
    call through ``*args`` may give the default its own value (which one is not known)."""
    source = PROLOGUE + '''

def remember(memo, key, value):
    memo[key] = value


def collect(value, into=[]):
    into.append(value)


def handler(event, context):
    mine = {}
    remember(mine, "current", tenant_of(event))
    args = (tenant_of(event), [])
    collect(*args)
    return mine
'''
    assert run(tmp_path, source) == set()
    shared = source.replace("remember(mine,", "remember(_STORE,")
    line = textwrap.dedent(source).splitlines().index("    memo[key] = value") + 1
    assert run(tmp_path, shared) == {("app.py", line, "DYN302")}


def test_a_known_tuple_or_dict_spread_leaves_the_default_out_as_a_plain_call_does(tmp_path: Path) -> None:
    source = PROLOGUE + '''

def collect(value, into=[]):
    into.append(value)


def handler(event, context):
    args = (tenant_of(event),)
    collect(*args)


def by_name(event, context):
    collect(**{"value": tenant_of(event)})


def unknown(event, context):
    collect(*([tenant_of(event)] + event["more"]))  # may give ``into`` too: which list is not known
'''
    line = textwrap.dedent(source).splitlines().index("    into.append(value)") + 1
    assert run(tmp_path, source) == {("app.py", line, "DYN302")}
    unknown_only = source.replace("    collect(*args)", "    pass").replace('    collect(**{"value": tenant_of(event)})',
                                                                          "    pass")
    assert run(tmp_path, unknown_only) == set()


def test_module_state_handed_to_a_helper_that_empties_it_in_finally_lives_for_the_request(tmp_path: Path) -> None:
    source = PROLOGUE + '''

def remember(memo, key, value):
    memo[key] = value


def forget(memo):
    memo.clear()


def unregister(live, key):
    live.pop(key, None)


def handler(event, context):
    tenant = tenant_of(event)
    try:
        remember(_STORE, "current", tenant)
        remember(state.SHARED, context.aws_request_id, tenant)
        return {"statusCode": 200}
    finally:
        forget(memo=_STORE)
        unregister(state.SHARED, key=context.aws_request_id)
'''
    assert run(tmp_path, source) == set()
    line = textwrap.dedent(source).splitlines().index("    memo[key] = value") + 1
    kept = source.replace("        forget(memo=_STORE)\n", "")
    assert run(tmp_path, kept) == {("app.py", line, "DYN302")}
    other_key = source.replace("unregister(state.SHARED, key=context.aws_request_id)", 'unregister(state.SHARED, "x")')
    assert run(tmp_path, other_key) == {("app.py", line, "DYN302")}


def test_module_state_emptied_in_finally_by_its_other_names_lives_for_the_request(tmp_path: Path) -> None:
    source = PROLOGUE + '''

def handler(event, context):
    tenant = tenant_of(event)
    request = _STORE
    try:
        state.CURRENT = tenant
        request["current"] = tenant
        return {"statusCode": 200}
    finally:
        state.CURRENT = None
        request.clear()
'''
    assert run(tmp_path, source) == set()
    without = source.replace("        state.CURRENT = None\n        request.clear()\n", "        pass\n")
    assert {code for _, _, code in run(tmp_path, without)} == {"DYN302"}
    assert len(run(tmp_path, without)) == 2


def test_tenant_credentials_kept_in_another_module_are_dyn203(tmp_path: Path) -> None:
    source = '''
import boto3

import state

sts = boto3.client("sts")


def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"]
    creds = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName=tenant,
                            Tags=[{"Key": "TenantId", "Value": tenant}])["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    state.CURRENT = session
    state.SHARED[tenant] = session
    return {"statusCode": 200}
'''
    line = textwrap.dedent(source).splitlines().index("    state.CURRENT = session") + 1
    assert run(tmp_path, source) == {("app.py", line, "DYN203")}


def test_a_module_reached_by_its_dotted_name_through_packages_the_analysis_skips(tmp_path: Path) -> None:
    """``import shop.data.carts`` then ``shop.data.carts.load(...)``: the packages' own modules hold
    nothing the analysis needs, and the dotted name is the project's module, not a library."""
    package = tmp_path / "shop" / "data"
    package.mkdir(parents=True)
    (tmp_path / "shop" / "__init__.py").write_text('"""Shop."""\n')
    (package / "__init__.py").write_text("VERSION = 1\n")
    (package / "carts.py").write_text(textwrap.dedent('''
        import boto3

        table = boto3.resource("dynamodb").Table("carts")


        def load(cart_id):
            return table.get_item(Key={"id": cart_id})["Item"]


        def save(cart):
            table.put_item(Item=cart)
    '''))
    (tmp_path / "shop" / "handler.py").write_text(textwrap.dedent('''
        import shop.data.carts


        def handler(event, context):
            cart = shop.data.carts.load(event["id"])
            cart["items"] = cart["items"] + [event["sku"]]
            shop.data.carts.save(cart)
    '''))
    assert {(path, code) for path, _, code in triples(findings_in(tmp_path))} == {("shop/data/carts.py", "DYN101")}
