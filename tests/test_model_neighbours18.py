"""Neighbouring shapes of the classes the eighteenth session's blind probes showed (each also
has fixture projects in fixtures/cases/*18-*): the same Python feature written another way
must give the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import line_with as line_of, project_codes as codes

# -- a key attribute rendered by a descriptor of the class ------------------------------------
DESCRIPTOR = '''import boto3

T = boto3.resource("dynamodb").Table("t")

class Key:
    def __init__(self, prefix, field):
        self.prefix, self.field = prefix, field

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return {RENDER}

    def of(self, value):
        return f"{self.prefix}#{value}"

class Doc:
    pk = Key("DOC", "doc_id")

    def __init__(self, doc_id, state):
        self.doc_id, self.state = doc_id, state

    def item(self):
        return {"pk": self.pk, "state": self.state}

def handler(event, context):
    doc_id = event["doc_id"]
    got = T.get_item(Key={"pk": {READ_KEY}})["Item"]
    doc = Doc({DOC_ID}, got["state"])
    if doc.state == "draft":
        doc.state = "published"
        T.put_item(Item=doc.item(){GUARD})
'''


@pytest.mark.parametrize("render", ['self.of(getattr(obj, self.field))',
                                    'f"{self.prefix}#{getattr(obj, self.field)}"',
                                    '"#".join([self.prefix, str(getattr(obj, self.field))])'])
@pytest.mark.parametrize("read_key", ['Doc.pk.of(doc_id)', 'f"DOC#{doc_id}"'])
def test_a_key_a_descriptor_renders_is_the_key_it_renders(tmp_path: Path, render: str, read_key: str) -> None:
    source = DESCRIPTOR.replace("{RENDER}", render).replace("{READ_KEY}", read_key).replace("{DOC_ID}", "doc_id") \
        .replace("{GUARD}", "")
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "T.put_item"), "DYN101")]


def test_a_descriptor_rendered_key_written_under_the_decided_condition_is_guarded(tmp_path: Path) -> None:
    source = DESCRIPTOR.replace("{RENDER}", "self.of(getattr(obj, self.field))").replace("{READ_KEY}", "Doc.pk.of(doc_id)") \
        .replace("{DOC_ID}", "doc_id").replace("{GUARD}", ', ConditionExpression="#s = :d", '
                                               'ExpressionAttributeNames={"#s": "state"}, '
                                               'ExpressionAttributeValues={":d": "draft"}')
    assert codes(tmp_path, {"app.py": source}) == []


def test_a_descriptor_rendering_another_documents_key_names_another_item(tmp_path: Path) -> None:
    source = DESCRIPTOR.replace("{RENDER}", "self.of(getattr(obj, self.field))").replace("{READ_KEY}", "Doc.pk.of(doc_id)") \
        .replace("{DOC_ID}", 'event["copy_to"]').replace("{GUARD}", "")
    assert codes(tmp_path, {"app.py": source}) == []


def test_an_instance_attribute_holding_a_descriptor_object_is_that_object(tmp_path: Path) -> None:
    """Python calls ``__get__`` only for class attributes: one stored on the instance is itself."""
    source = DESCRIPTOR.replace("{RENDER}", "self.of(getattr(obj, self.field))").replace("{READ_KEY}", "Doc.pk.of(doc_id)") \
        .replace("{DOC_ID}", "doc_id").replace("{GUARD}", "") \
        .replace("self.doc_id, self.state = doc_id, state", "self.doc_id, self.state = doc_id, state\n        "
                                                            "self.pk = Key(\"ARCHIVE\", \"doc_id\").of(doc_id)")
    assert codes(tmp_path, {"app.py": source}) == []


# -- a key prefix cut off by slicing and put back ------------------------------------------------
SLICED = '''import boto3

T = boto3.resource("dynamodb").Table("t")

def handler(event, context):
    item = T.get_item(Key={"pk": f"ACCT#{event['account']}", "sk": "PROFILE"})["Item"]
    account = item["pk"]{CUT}
    if item["tier"] == "free":
        T.put_item(Item={"pk": {BACK}, "sk": "PROFILE", "tier": "pro"})
'''


@pytest.mark.parametrize("cut, back", [("[5:]", 'f"ACCT#{account}"'), ("[5:]", '"ACCT#" + account'),
                                       ('.removeprefix("ACCT#")', 'f"ACCT#{account}"'),
                                       ('.split("#", 1)[1]', '"ACCT#" + account')])
def test_a_key_part_sliced_off_its_prefix_and_put_back_is_the_key(tmp_path: Path, cut: str, back: str) -> None:
    source = SLICED.replace("{CUT}", cut).replace("{BACK}", back)
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "T.put_item"), "DYN101")]


@pytest.mark.parametrize("cut, back", [("[5:]", 'f"OLD#{account}"'), ("[4:]", 'f"ACCT#{account}"'),
                                       ("[5:]", 'f"ACCT#{account}#v2"')])
def test_a_sliced_part_behind_another_prefix_names_another_item(tmp_path: Path, cut: str, back: str) -> None:
    """Another prefix, a cut one character short (``CCT#`` would be put back twice), a suffix
    added: not the item read."""
    source = SLICED.replace("{CUT}", cut).replace("{BACK}", back)
    assert codes(tmp_path, {"app.py": source}) == []


def test_a_slice_of_a_constant_is_the_constant_sliced(tmp_path: Path) -> None:
    source = SLICED.replace('f"ACCT#{event[\'account\']}"', '"ACCT#" + "SYSTEM"[0:]').replace("{CUT}", "[5:]") \
        .replace("{BACK}", '"ACCT#SYSTEM"')
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "T.put_item"), "DYN101")]


# -- a tenant id another root left in module state -----------------------------------------------
CACHED = '''import boto3

SHARED = boto3.resource("dynamodb").Table("t")
DATA = boto3.resource("dynamodb").Table("data")
_names = {}

def name_of(tenant):
    if tenant not in _names:
        _names[tenant] = {"tenant": tenant, "name": SHARED.get_item(Key={"pk": f"TENANT#{tenant}"})["Item"]["name"]}
    return _names[tenant]

def api(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["tenant_id"]
    return name_of(tenant)

def job(event, context):
    {JOB}
'''


@pytest.mark.parametrize("job", ['for row in SHARED.scan()["Items"]:\n        print(name_of(row["pk"])["name"])',
                                 'print([entry["tenant"] for entry in _names.values()])',
                                 'print(name_of("ops")["tenant"], DATA.get_item(Key={"pk": event["pathParameters"]["doc"]}))'])
def test_a_root_reading_what_another_root_cached_for_a_tenant_is_not_tenant_aware(tmp_path: Path, job: str) -> None:
    source = CACHED.replace("{JOB}", job)
    found = codes(tmp_path, {"app.py": source})
    assert not [f for f in found if f[2].startswith("DYN2") and f[1] >= line_of(source, "def job")], found


def test_a_root_that_takes_the_tenant_itself_is_tenant_aware(tmp_path: Path) -> None:
    source = CACHED.replace("{JOB}", 'tenant = event["requestContext"]["authorizer"]["claims"]["tenant_id"]\n    '
                                     'print(name_of(tenant), DATA.get_item(Key={"pk": event["pathParameters"]["doc"]}))')
    found = codes(tmp_path, {"app.py": source})
    assert ("app.py", line_of(source, 'DATA.get_item(Key={"pk": event["pathParameters"]["doc"]})'), "DYN202") in found


# -- a session kept in a cache the analysis saw nothing stored in --------------------------------
SESSIONS = '''import boto3

class Sessions:
    def __init__(self):
        self._held = {}

    def keep(self, tenant, session):
        self._held[tenant] = (session, 0)

    def session_for(self, tenant):
        return self._held{LOOKUP}

SESSIONS = Sessions()

def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["tenant_id"]
    table = SESSIONS.session_for(tenant).{MAKE}
    item = table.get_item(Key={"pk": f"TENANT#{tenant}"})["Item"]
    table.put_item(Item={**item, "seats": item["seats"] + 1})
'''


@pytest.mark.parametrize("lookup", ["[tenant][0]", ".get(tenant)[0]"])
@pytest.mark.parametrize("make", ['resource("dynamodb").Table("t")', 'resource(service_name="dynamodb").Table("t")'])
def test_a_table_of_a_session_from_a_cache_seen_empty_is_a_table(tmp_path: Path, lookup: str, make: str) -> None:
    """A session the code looks up in a cache whose entries the analysis never saw stored there
    (another root, another method fills it): what ``.resource("dynamodb")`` makes of it is a table."""
    source = SESSIONS.replace("{LOOKUP}", lookup).replace("{MAKE}", make)
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "table.put_item"), "DYN102")]


def test_a_cache_entrys_other_service_is_not_dynamodb(tmp_path: Path) -> None:
    source = SESSIONS.replace("{LOOKUP}", "[tenant][0]").replace("{MAKE}", 'resource("s3").Bucket("t")')
    assert codes(tmp_path, {"app.py": source}) == []


# -- dependency-injection containers -------------------------------------------------------------
PROVIDERS = '''import boto3
from dependency_injector import containers, providers

class Reader:
    def __init__(self, table):
        self.table = table

    def level(self, sku):
        return self.table.get_item(Key={"sku": sku})["Item"]

class Writer:
    def __init__(self, table, audit=None):
        self.table = table

    def store(self, sku, n):
        self.table.put_item(Item={"sku": sku, "n": n})

def make_table(name):
    return boto3.resource("dynamodb").Table(name)

class Container(containers.DeclarativeContainer):
    config = providers.Configuration()
    table = providers.{KIND}(make_table, {NAME})
    reader = providers.Factory(Reader, table=table)
    writer = providers.Factory(Writer, table=table)

container = Container()

def handler(event, context):
    sku = event["sku"]
    level = {GET_READER}.level(sku)
    {GET_WRITER}.store(sku, level["n"] + 1)
'''


@pytest.mark.parametrize("kind", ["Singleton", "Factory", "ThreadSafeSingleton"])
@pytest.mark.parametrize("name", ['"stock"', "config.stock_table", "config.tables.stock"])
@pytest.mark.parametrize("get_reader, get_writer", [("container.reader()", "container.writer()"),
                                                    ("Container.reader()", "Container.writer(audit=None)")])
def test_what_a_provider_gives_is_what_it_provides(tmp_path: Path, kind: str, name: str, get_reader: str,
                                                   get_writer: str) -> None:
    source = PROVIDERS.replace("{KIND}", kind).replace("{NAME}", name).replace("{GET_READER}", get_reader) \
        .replace("{GET_WRITER}", get_writer)
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "self.table.put_item"), "DYN102")]


def test_providers_of_two_tables_give_two_tables(tmp_path: Path) -> None:
    source = PROVIDERS.replace("{KIND}", "Singleton").replace("{NAME}", '"stock"') \
        .replace("{GET_READER}", "container.reader()").replace("{GET_WRITER}", "container.writer()") \
        .replace('writer = providers.Factory(Writer, table=table)',
                 'writer = providers.Factory(Writer, table=providers.Singleton(make_table, "history"))')
    assert codes(tmp_path, {"app.py": source}) == []


def test_a_provider_handed_on_is_called_where_it_is_called(tmp_path: Path) -> None:
    source = PROVIDERS.replace("{KIND}", "Singleton").replace("{NAME}", '"stock"') \
        .replace("{GET_READER}", "container.reader()").replace("{GET_WRITER}", "container.writer_factory()()") \
        .replace('writer = providers.Factory(Writer, table=table)',
                 'writer = providers.Factory(Writer, table=table)\n    '
                 'writer_factory = providers.Object(writer.provider)')
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "self.table.put_item"), "DYN102")]


REGISTRY = '''import boto3
import punq

class Store:
    def __init__(self, table=None):
        self.table = table or boto3.resource("dynamodb").Table("t")

    def get(self, k):
        return self.table.get_item(Key={"pk": k})["Item"]

    def put(self, k, n):
        self.table.put_item(Item={"pk": k, "n": n})

def made():
    return Store(boto3.resource("dynamodb").Table("t"))

c = punq.Container()
{REGISTER}

def handler(event, context):
    store = c.resolve(Store)
    item = store.get(event["k"])
    {WRITER}.put(event["k"], item["n"] + 1)
'''


@pytest.mark.parametrize("register, writer", [
    ('c.register(Store, instance=made())', "c.resolve(Store)"),
    ('c.register(Store, instance=made())', "store"),
    ("c.register(Store, factory=made)", "store"),
    ("c.register(Store)", "store"),
])
def test_what_a_registry_resolves_is_what_was_registered(tmp_path: Path, register: str, writer: str) -> None:
    source = REGISTRY.replace("{REGISTER}", register).replace("{WRITER}", writer)
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "self.table.put_item"), "DYN102")]


def test_a_factory_registered_makes_a_new_object_each_time(tmp_path: Path) -> None:
    """``register(Key, factory=f)`` makes one per ``resolve``: two objects, one table each, the same
    table by name (a race all the same); an instance registered under another key is not resolved."""
    source = REGISTRY.replace("{REGISTER}", 'c.register("other", instance=made())').replace("{WRITER}", "store")
    assert codes(tmp_path, {"app.py": source}) == []


# -- class decorators ------------------------------------------------------------------------------
DECORATED = '''import boto3

TABLE = boto3.resource("dynamodb").Table("t")
KINDS = {}

def kind(name):
    def register(cls):
        KINDS[name] = cls
        return {RETURNS}
    return register

class Base:
    def __init__(self, table):
        self.table = table

@kind("bump")
class Bump(Base):
    def apply(self, item):
        self.table.put_item(Item={**item, "n": item["n"] + 1})

def handler(event, context):
    item = TABLE.get_item(Key={"pk": event["k"]})["Item"]
    {DISPATCH}.apply(item)
'''


@pytest.mark.parametrize("returns", ["cls", "None"])
@pytest.mark.parametrize("dispatch", ['KINDS["bump"](TABLE)', '{k: c(TABLE) for k, c in KINDS.items()}["bump"]',
                                      'next(c for c in KINDS.values())(TABLE)'])
def test_a_class_decorator_runs_where_the_class_is_defined(tmp_path: Path, returns: str, dispatch: str) -> None:
    source = DECORATED.replace("{RETURNS}", returns).replace("{DISPATCH}", dispatch)
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "self.table.put_item"), "DYN102")]


def test_a_registry_key_no_class_was_registered_under_gives_none_of_them(tmp_path: Path) -> None:
    source = DECORATED.replace("{RETURNS}", "cls").replace("{DISPATCH}", 'KINDS["reset"](TABLE)')
    assert codes(tmp_path, {"app.py": source}) == []


# -- a method's cache keys its instance --------------------------------------------------------------
CACHED_METHOD = '''import boto3
from cachetools import TTLCache, cached
from cachetools.keys import hashkey

_cache = TTLCache(maxsize=64, ttl=60)

class Settings:
    def __init__(self, tenant_id):
        self.tenant_id = tenant_id
        self.table = boto3.resource("dynamodb").Table("settings")

    @cached(_cache, key={KEY})
    def load(self):
        return self.table.get_item(Key={"pk": f"TENANT#{self.tenant_id}"}).get("Item") or {}

def handler(event, context):
    tenant_id = event["requestContext"]["authorizer"]["claims"]["tenant_id"]
    return Settings(tenant_id).load()
'''


@pytest.mark.parametrize("key, leaks", [("lambda self: hashkey(self.tenant_id)", False),
                                        ('lambda self: hashkey("settings")', True)])
def test_a_cached_methods_key_function_is_given_the_instance(tmp_path: Path, key: str, leaks: bool) -> None:
    source = CACHED_METHOD.replace("{KEY}", key)
    found = [code for _, _, code in codes(tmp_path, {"app.py": source}) if code == "DYN302"]
    assert found == (["DYN302"] if leaks else [])


# -- what an authorizer answers --------------------------------------------------------------------
AUTHORIZER = '''import jwt

def handler(event, context):
    {TAKE}
    return {ANSWER}
'''


@pytest.mark.parametrize("take", [
    'tenant = jwt.decode(event["authorizationToken"], options={"verify_signature": False})["tenant_id"]',
    'arn = event["methodArn"]\n    tenant = event["headers"]["x-tenant-id"]',
])
@pytest.mark.parametrize("answer", [
    '{"principalId": "u", "policyDocument": {}, "context": {"tenantId": tenant}}',
    '{"isAuthorized": True, "context": {"tenant": tenant, "plan": "pro"}}',
])
def test_an_authorizer_passing_on_an_untrusted_tenant_id_is_dyn204(tmp_path: Path, take: str, answer: str) -> None:
    source = AUTHORIZER.replace("{TAKE}", take).replace("{ANSWER}", answer)
    found = codes(tmp_path, {"app.py": source})
    assert found == [("app.py", line_of(source, "tenant = "), "DYN204")]


@pytest.mark.parametrize("answer", [
    '{"principalId": tenant, "policyDocument": {}}',  # (names the caller, passes no tenant on)
    '{"principalId": "u", "policyDocument": {}, "context": {"plan": "pro"}}',
])
def test_an_authorizer_passing_no_tenant_id_on_is_not(tmp_path: Path, answer: str) -> None:
    source = AUTHORIZER.replace("{TAKE}", 'tenant = jwt.decode(event["authorizationToken"], '
                                          'options={"verify_signature": False})["tenant_id"]').replace("{ANSWER}", answer)
    assert codes(tmp_path, {"app.py": source}) == []


# -- a method's decorators of the project ------------------------------------------------------------
METHOD_DECORATED = '''import functools
import boto3

TABLE = boto3.resource("dynamodb").Table("t")

{DECORATOR}

class Counter:
    def __init__(self, key):
        self.key = key
        self.item = TABLE.get_item(Key={"pk": key})["Item"]

    {USE}
    def bump(self):
        self.item["n"] = self.item["n"] + 1

def handler(event, context):
    Counter(event["k"]).bump()
'''
SAVING = '''def saved(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        out = method(self, *args, **kwargs)
        TABLE.put_item(Item=self.item)
        return out
    return wrapper

def saved_by(kind):
    def decorate(method):
        def wrapper(self, *args):
            method(self, *args)
            TABLE.put_item(Item=self.item)
        return wrapper
    return decorate'''


@pytest.mark.parametrize("use, saves_in", [("@saved", "out = method("), ('@saved_by("counter")', "method(self, *args)\n")])
def test_a_methods_wrapper_runs_when_the_method_is_called(tmp_path: Path, use: str, saves_in: str) -> None:
    source = METHOD_DECORATED.replace("{DECORATOR}", SAVING).replace("{USE}", use)
    put = source.index("TABLE.put_item(Item=self.item)", source.index(saves_in))
    assert codes(tmp_path, {"app.py": source}) == [("app.py", source[:put].count("\n") + 1, "DYN102")]


@pytest.mark.parametrize("use", ["@staticmethod", "@functools.lru_cache(maxsize=None)", "@noted"])
def test_a_decorator_that_makes_no_wrapper_leaves_the_method(tmp_path: Path, use: str) -> None:
    """A library decorator, or one of the project's that returns the method itself, changes nothing
    the model runs (the static method runs without an instance: nothing is written either way)."""
    source = METHOD_DECORATED.replace("{DECORATOR}", SAVING + "\n\nNOTED = []\n\ndef noted(method):\n"
                                                           "    NOTED.append(method)\n    return method") \
        .replace("{USE}", use)
    assert codes(tmp_path, {"app.py": source}) == []


CONTEXT_SET = '''import contextvars
import boto3

DATA = boto3.resource("dynamodb").Table("data")
_tenant = contextvars.ContextVar("tenant")
_sessions = {}

def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["tenant_id"]
    {CACHE}
    token = _tenant.set(tenant)
    try:
        return route(event)
    finally:
        _tenant.reset(token)

def route(event):
    tenant = _tenant.get()
    return DATA.get_item(Key={"pk": event["pathParameters"]["doc"], "owner": tenant})
'''


@pytest.mark.parametrize("cache", ["pass", '_sessions[tenant] = boto3.Session()'])
def test_a_tenant_id_the_handler_set_for_the_request_is_the_routes_own(tmp_path: Path, cache: str) -> None:
    """The route, a root of its own, reads the tenant id the handler set in a ContextVar for this
    request (another root's write, but not a cache's entry): it is tenant-aware, and its key is
    not the tenant's (the shared role reads any tenant's document)."""
    source = CONTEXT_SET.replace("{CACHE}", cache)
    found = codes(tmp_path, {"app.py": source})
    assert ("app.py", line_of(source, "return DATA.get_item"), "DYN202") in found
