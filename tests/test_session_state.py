"""HTTP sessions are state that outlives an invocation (issue 14, DYN302): a session made at
import (``requests.Session()``, ``httpx.Client()``, ``aiohttp.ClientSession()``) keeps what a
handler puts into its headers, cookies, auth or default parameters for every later request the
process sends, whichever tenant it serves, unless the code removes the entry again. What the
session keeps is a library row (``SESSION_STATE``), not a shape of the interpreter: the store is
found through globals, module-level instances, factories and aliases alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, write_project

TENANT = 'tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]'


def codes(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str]]:
    write_project(tmp_path, files)
    return sorted((f.path, f.line, f.code) for f in findings_in(tmp_path).findings)


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


MAKERS = ["requests.Session()", "requests.session()", "httpx.Client()", "httpx.AsyncClient()",
          "aiohttp.ClientSession()"]
STORES = [
    ('S.headers["X-Tenant"] = tenant', "requests.Session()"),
    ('S.headers.update({"X-Tenant": tenant})', "httpx.Client()"),
    ('S.headers.setdefault("X-Tenant", tenant)', "requests.Session()"),
    ('S.cookies.set("tenant", tenant)', "requests.Session()"),
    ('S.auth = (tenant, "secret")', "httpx.Client()"),
    ('S.params = {"tenant": tenant}', "requests.Session()"),
]


def session_module(maker: str, store: str, after: str = "") -> str:
    return f'''import aiohttp
import httpx
import requests

S = {maker}


def handler(event, context):
    {TENANT}
    {store}  # STORE
    try:
        return {{"ok": True}}
    finally:
        {after or "pass"}
'''


@pytest.mark.parametrize("maker", MAKERS)
def test_a_tenant_header_on_a_module_level_session_outlives_the_invocation(tmp_path: Path, maker: str) -> None:
    source = session_module(maker, 'S.headers["X-Tenant"] = tenant')
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# STORE"), "DYN302")]


@pytest.mark.parametrize("store,maker", STORES)
def test_every_kind_of_session_state_is_module_state(tmp_path: Path, store: str, maker: str) -> None:
    source = session_module(maker, store)
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# STORE"), "DYN302")]


@pytest.mark.parametrize("removal", ['S.headers.pop("X-Tenant", None)', 'del S.headers["X-Tenant"]'])
def test_a_header_removed_again_lives_for_one_request(tmp_path: Path, removal: str) -> None:
    assert codes(tmp_path, {"app.py": session_module("requests.Session()", 'S.headers["X-Tenant"] = tenant',
                                                     removal)}) == []


@pytest.mark.parametrize("store", [
    'S.headers["Accept"] = "application/json"',  # not tenant data
    'S.get("https://x.example.com", headers={"X-Tenant": tenant})',  # one request's headers
    'S.timeout = tenant',  # not state the session sends with later requests
])
def test_what_is_not_tenant_state_of_the_session_is_clean(tmp_path: Path, store: str) -> None:
    assert codes(tmp_path, {"app.py": session_module("requests.Session()", store)}) == []


def test_a_session_made_in_the_handler_dies_with_the_invocation(tmp_path: Path) -> None:
    source = f'''import requests


def handler(event, context):
    {TENANT}
    session = requests.Session()
    session.headers["X-Tenant"] = tenant
    return session.get("https://x.example.com").json()
'''
    assert codes(tmp_path, {"app.py": source}) == []


def test_a_removal_of_one_header_does_not_clear_another(tmp_path: Path) -> None:
    source = session_module("requests.Session()", 'S.headers["X-Tenant"] = tenant', 'S.headers.pop("X-Other")')
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# STORE"), "DYN302")]


def test_a_module_dict_entry_removed_somewhere_still_outlives_the_invocation(tmp_path: Path) -> None:
    """Removal makes an entry per request only for process and session state, where set-then-
    remove around a request is the idiom; a module dict cache evicts, it is not per request."""
    source = f'''CACHE = {{}}


def handler(event, context):
    {TENANT}
    CACHE["branding"] = {{"tenant": tenant}}  # STORE
    return CACHE["branding"]


def evict(event, context):
    CACHE.pop("branding", None)
'''
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# STORE"), "DYN302")]


def test_a_session_kept_by_a_module_instance_and_changed_from_another_module(tmp_path: Path) -> None:
    client = '''import httpx


class Partner:
    def __init__(self):
        self.http = httpx.Client()

    def act_for(self, tenant):
        self.http.headers.update({"X-Tenant": tenant})  # STORE


PARTNER = Partner()
'''
    handler = f'''from pkg.client import PARTNER


def handler(event, context):
    {TENANT}
    PARTNER.act_for(tenant)
    return {{"ok": True}}
'''
    found = codes(tmp_path, {"pkg/__init__.py": "", "pkg/client.py": client, "pkg/handler.py": handler})
    assert found == [("pkg/client.py", line_of(client, "# STORE"), "DYN302")]


def test_a_container_held_by_a_module_object_filled_by_a_method_call(tmp_path: Path) -> None:
    """The same module-state reasoning for project objects: ``STATE.seen.update(...)`` stores
    into a container a module-level instance holds, as ``STATE.seen[k] = v`` already did."""
    source = f'''class State:
    def __init__(self):
        self.seen = {{}}


STATE = State()


def handler(event, context):
    {TENANT}
    STATE.seen.update({{"last": tenant}})  # STORE
    return {{"ok": True}}
'''
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# STORE"), "DYN302")]


@pytest.mark.parametrize("decorator,expected", [("@functools.lru_cache(maxsize=None)", True), ("@functools.cache", True),
                                                ("", False)])
def test_a_session_from_a_cached_factory_is_one_object_for_the_process(tmp_path: Path, decorator: str,
                                                                       expected: bool) -> None:
    """``@lru_cache def session()`` hands every call the session it made first: a header stored
    through ``session().headers`` outlives the invocation; an uncached factory's session is new
    on every call."""
    source = f'''import functools
import requests


{decorator}
def partner_session():
    return requests.Session()


def handler(event, context):
    {TENANT}
    partner_session().headers["X-Tenant"] = tenant  # STORE
    return {{"ok": True}}
'''
    expect = [("app.py", line_of(source, "# STORE"), "DYN302")] if expected else []
    assert codes(tmp_path, {"app.py": source}) == expect


def test_a_session_made_at_import_is_module_state_however_it_is_reached(tmp_path: Path) -> None:
    """An alias in the handler, a helper's parameter, an attribute of a module-level instance read
    into a local in an async method: the session is the one made at import. A session the
    handler made and hands to the same helper is not."""
    source = f'''import httpx
import requests

SESSION = requests.Session()


def tag(session, tenant):
    session.headers["X-Tenant"] = tenant  # PARAMETER


class Api:
    def __init__(self):
        self.http = httpx.AsyncClient()

    async def act_for(self, tenant):
        http = self.http
        http.headers.update({{"X-Tenant": tenant}})  # ASYNC


API = Api()


def handler(event, context):
    {TENANT}
    alias = SESSION
    alias.cookies.set("tenant", tenant)  # ALIAS
    tag(SESSION, tenant)
    return {{"ok": True}}


def local_handler(event, context):
    {TENANT}
    tag_local = requests.Session()
    tag_local.headers["X-Tenant"] = tenant
    return {{"ok": True}}


async def async_handler(event, context):
    {TENANT}
    await API.act_for(tenant)
'''
    assert codes(tmp_path, {"app.py": source}) == sorted(
        ("app.py", line_of(source, mark), "DYN302") for mark in ("# PARAMETER", "# ASYNC", "# ALIAS"))
