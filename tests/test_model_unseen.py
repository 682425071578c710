"""Unresolved work (model/unseen.py): a cache-aside write whose value derives from a call the
model cannot see into, made after the read missed, is a stampede at medium confidence;
local work (clock, uuid, formatting, json, hashing, pure project code) is not work."""

from __future__ import annotations

import pytest

from dynolint.model.unseen import cheap_call, cheap_path
from dynolint.model.values import UNKNOWN, CallV, ConstV, DictV, ParamV, ReadItemV
from tests.modelkit import model_of

HEADER = ("import datetime, hashlib, json, time, uuid\nimport boto3\nimport vendor\n"
          't = boto3.resource("dynamodb").Table("cache")\n')


def cache_aside(value: str, before: str = "", after_miss: str = "", extra: str = "") -> dict[str, object]:
    """A get-miss-compute-put function over ``value``; the race's kind, confidence and work."""
    body = (f"def f(k, client):\n    {before or 'pass'}\n"
            '    if t.get_item(Key={"pk": k}).get("Item"):\n        return None\n'
            f"    {after_miss or 'pass'}\n"
            f'    t.put_item(Item={{"pk": k, "v": {value}}})\n')
    model = model_of({"m.py": HEADER + extra + "\n" + body})
    races = model.races()
    assert len(races) == 1, races
    race = races[0]
    findings = [f for f in model_findings(model) if f.code in ("DYN101", "DYN104")]
    return {"kind": race.kind, "unseen": race.unseen, "what": race.costly.what if race.costly else None,
            "confidence": findings[0].confidence.value if findings else None, "code": findings[0].code}


def model_findings(model):  # the rules over the model, as the pipeline runs them
    from dynolint.rules.dyn101_unguarded_write_after_read import UnguardedWriteAfterRead
    from dynolint.rules.dyn104_cache_stampede import CacheStampede

    out = []
    for rule in (UnguardedWriteAfterRead, CacheStampede):
        out.extend(rule().check(model))
    return out


UNSEEN = {
    "third-party function": ("vendor.fetch(k)", "vendor.fetch()"),
    "method of a parameter (injected client)": ("client.lookup(k)", "client.lookup()"),
    "method of an SDK object": ("vendor.Client().search(k)", "vendor.Client(...).search()"),
    "callable given": ("client(k)", None),
    "local formatting after the work": ('"%s" % vendor.fetch(k).strip()', "vendor.fetch()"),
    "project helper that calls an SDK": ("helper(k)", "vendor.fetch()"),
}

LOCAL = {
    "uuid": "str(uuid.uuid4())",
    "clock": "datetime.datetime.now().isoformat()",
    "time": "int(time.time()) + 60",
    "json": 'json.dumps({"k": k})',
    "hashlib": "hashlib.sha256(k.encode()).hexdigest()",
    "f-string": 'f"v#{k}".upper()',
    "pure project helper": "slug(k)",
    "an SDK class made, no method called": "vendor.Record(k)",
    "a container-like method of a parameter": "client.count(k)",
    "a callable the model lost": "lost(k)",
    "a library's serializer (module function)": "vendor.serialization.dumps({'k': k})",
    "a library's codec": "vendor.codec.b64encode(k.encode())",
}

HELPERS = ("from vendor_pb2 import *\n"  # names the model cannot resolve
           "def helper(x):\n    return {'v': vendor.fetch(x)}\n"
           "def slug(x):\n    return x.lower().replace(' ', '-')\n")


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_unresolved_work_after_a_miss_is_a_stampede_at_medium_confidence(name: str) -> None:
    value, what = UNSEEN[name]
    got = cache_aside(value, extra=HELPERS)
    assert got["kind"] == "stampede" and got["unseen"] is True
    assert got["code"] == "DYN104" and got["confidence"] == "medium"
    if what is not None:
        assert str(got["what"]).startswith(what)


@pytest.mark.parametrize("name", sorted(LOCAL))
def test_local_work_stays_a_lost_update(name: str) -> None:
    got = cache_aside(LOCAL[name], extra=HELPERS)
    assert got["kind"] == "overwrite" and got["code"] == "DYN101"


def test_work_done_before_the_read_is_not_on_the_miss_path() -> None:
    got = cache_aside("data", before="data = vendor.fetch(k)")
    assert got["kind"] == "overwrite"
    got = cache_aside("data", after_miss="data = vendor.fetch(k)")
    assert got["kind"] == "stampede" and got["unseen"]


def test_work_done_once_at_import_is_not_per_request() -> None:
    got = cache_aside("SETTINGS", extra="SETTINGS = vendor.load()\n")
    assert got["kind"] == "overwrite"


def test_provable_http_work_keeps_high_confidence() -> None:
    got = cache_aside("requests.get(k).json()", extra="import requests\n")
    assert got["kind"] == "stampede" and not got["unseen"] and got["confidence"] == "high"


def test_a_raising_method_and_a_stub_are_unseen_work_but_not_an_abstract_method_with_an_override() -> None:
    extra = ("class Rates:\n    def latest(self, k):\n        raise NotImplementedError\n"
             "class Port:\n    def get(self, k):\n        ...\n")
    assert cache_aside("Rates().latest(k)", extra=extra)["unseen"]
    assert cache_aside("Port().get(k)", extra=extra)["unseen"]
    overridden = extra + "class Real(Port):\n    def get(self, k):\n        return k.upper()\n"
    body = ("def f(k, port: Port):\n"
            '    if t.get_item(Key={"pk": k}).get("Item"):\n        return None\n'
            '    t.put_item(Item={"pk": k, "v": port.get(k)})\n')
    races = model_of({"m.py": HEADER + overridden + body}).races()
    assert [r.kind for r in races] == ["overwrite"]


def test_the_same_call_on_the_same_inputs_still_names_the_same_key() -> None:
    # the stamp (where and when the call ran) is not part of a value's identity
    first = CallV("vendor.key", None, (ParamV("f", "k"),), at=(0, 3, ("m.py", 1)))
    second = CallV("vendor.key", None, (ParamV("f", "k"),), at=(0, 9, ("m.py", 5)))
    assert first == second and hash(first) == hash(second)
    body = ('def f(k):\n    if t.get_item(Key={"pk": vendor.key(k)}).get("Item"):\n        return None\n'
            '    t.put_item(Item={"pk": vendor.key(k), "v": 1})\n')
    assert [r.kind for r in model_of({"m.py": HEADER + body}).races()] == ["overwrite"]


def test_cheap_tables() -> None:
    assert cheap_path("json.dumps") and cheap_path("datetime.datetime.now") and cheap_path("len")
    assert cheap_path("pydantic.BaseModel") and cheap_path("boto3.dynamodb.conditions.Key") and cheap_path("mmh3.hash")
    assert not cheap_path("stripe.Customer.retrieve") and not cheap_path("socket.create_connection")
    assert not cheap_path("subprocess.run") and not cheap_path("?")
    assert cheap_call(CallV("strip", UNKNOWN, ()))  # a string method, whatever the receiver
    assert cheap_call(CallV("compute", ReadItemV(0), ()))  # a method of data read from the table
    assert cheap_call(CallV("compute", DictV(((ConstV("a"), ConstV(1)),)), ()))
    assert not cheap_call(CallV("compute", ParamV("f", "client"), ()))
    assert not cheap_call(CallV("fetch", CallV("vendor.Client", None, ()), ()))


def _kinds(source: str) -> dict[int, tuple[str, bool, str | None]]:
    model = model_of({"m.py": HEADER + source})
    return {model.span(r.write.loc).line - HEADER.count("\n"): (r.kind, r.unseen, r.costly.what if r.costly else None)
            for r in model.races()}


def test_an_awaited_method_of_a_client_given_to_init_is_unseen_work() -> None:
    source = ("class Svc:\n    def __init__(self, client):\n        self.client = client\n"
              "    async def get(self, k):\n"
              '        if t.get_item(Key={"pk": k}).get("Item"):\n            return None\n'
              "        data = await self.client.fetch(k)\n"
              '        t.put_item(Item={"pk": k, "data": data})\n')
    assert _kinds(source) == {8: ("stampede", True, "client.fetch()")}


def test_the_elements_of_an_sdk_iterator_are_unseen_work() -> None:
    source = ("def f(k):\n"
              '    if t.get_item(Key={"pk": k}).get("Item") is None:\n'
              "        for part in vendor.pages(k):\n"
              '            t.put_item(Item={"pk": k, "v": part})\n')
    assert _kinds(source) == {4: ("stampede", True, "vendor.pages()")}


def test_a_method_of_an_http_client_made_at_import_is_http_work_where_it_is_called() -> None:
    source = ("import httpx\nHTTP = httpx.Client(timeout=3)\n"
              "def f(k):\n"
              '    if t.get_item(Key={"pk": k}).get("Item") is None:\n'
              '        t.put_item(Item={"pk": k, "v": HTTP.post("https://api.example.com", json={"q": k}).json()})\n')
    kind, unseen, what = _kinds(source)[5]
    assert kind == "stampede" and not unseen and what == "HTTP request (httpx.Client.post)"


def test_unseen_work_in_a_value_the_write_does_not_store_is_not_a_stampede() -> None:
    source = ("def f(k):\n"
              '    if t.get_item(Key={"pk": k}).get("Item") is None:\n'
              "        if vendor.allowed(k):\n"
              '            t.put_item(Item={"pk": k, "v": 1})\n')
    assert _kinds(source) == {4: ("overwrite", False, None)}


@pytest.mark.parametrize("first", ["a_handler.py", "z_handler.py"])
def test_work_done_at_import_in_another_module_is_never_a_stampede(first: str) -> None:
    # the module is loaded in the middle of whichever root needs it first: the order of its
    # work against a request's read means nothing (AWS work, and a vendor call in a helper)
    handler = ("import boto3\nfrom conf import SETTINGS, PROFILE\n"
               't = boto3.resource("dynamodb").Table("c")\n'
               "def f(k):\n"
               '    if t.get_item(Key={"pk": k}).get("Item") is None:\n'
               '        t.put_item(Item={"pk": k, "v": SETTINGS["Parameter"]["Value"], "p": PROFILE})\n')
    conf = ("import boto3, vendor\n"
            'SETTINGS = boto3.client("ssm").get_parameter(Name="x")\n'
            "def load():\n    return vendor.profile()\n"
            "PROFILE = load()\n")
    files = {first: handler, "conf.py": conf} if first < "conf.py" else {"conf.py": conf, first: handler}
    assert [r.kind for r in model_of(files).races()] == ["overwrite"]
