"""Tenancy shapes a reviewer wrote fresh (issue 14, classes 3 and 4, on the DYN2/DYN3 rules):

- headers normalised by a comprehension (``{k.lower(): v for k, v in headers.items()}``) and
  Powertools' ``get_header_value(name=...)`` are still the request's headers;
- what a function stores on a class or on an instance made at import time (``Branding.logo
  = ...``, ``STATE.plan = ...``, ``CACHE.values[k] = ...``) outlives the invocation as a
  module global does;
- a one-slot cache that compares its owner with the tenant id before reusing what it holds
  is keyed by the tenant;
- ``NamedTemporaryFile(delete=False)`` whose ``.name`` the ``finally`` removes is cleaned up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, write_project

TABLE = 'import boto3\ntable = boto3.resource("dynamodb").Table("orders")\nssm = boto3.client("ssm")\n'
STS = '''sts = boto3.client("sts")

def scoped(tenant_id):
    c = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName="t",
                        Tags=[{"Key": "TenantId", "Value": tenant_id}])["Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"])
'''


def codes(tmp_path: Path, source: str) -> list[tuple[int, str]]:
    write_project(tmp_path, {"app.py": source})
    return sorted((f.line, f.code) for f in findings_in(tmp_path).findings)


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


HEADERS = {
    "comprehension": '''
def handler(event, context):
    headers = {k.lower(): v for k, v in event["headers"].items()}
    tenant_id = headers["x-tenant-id"]  # TAKEN
    return table.get_item(Key={"pk": f"TENANT#{tenant_id}"})  # DATA
''',
    "comprehension over a defaulted mapping": '''
def handler(event, context):
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    tenant_id = headers.get("x-tenant-id")  # TAKEN
    return table.get_item(Key={"pk": f"TENANT#{tenant_id}"})  # DATA
''',
    "powertools keyword": '''
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
app = APIGatewayRestResolver()

@app.get("/orders")
def orders():
    tenant_id = app.current_event.get_header_value(name="X-Tenant-Id")  # TAKEN
    return table.get_item(Key={"pk": f"TENANT#{tenant_id}"})  # DATA
''',
}


@pytest.mark.parametrize("shape", sorted(HEADERS))
def test_a_tenant_header_however_it_is_looked_up(tmp_path: Path, shape: str) -> None:
    source = TABLE + HEADERS[shape]
    assert codes(tmp_path, source) == [(line_of(source, "# TAKEN"), "DYN204"), (line_of(source, "# DATA"), "DYN201")]


MODULE_STATE = {
    "class attribute": ('''
class Branding:
    logo = None

def handler(event, context):
    tenant = context.tenant_id
    Branding.logo = ssm.get_parameter(Name=f"/brand/{tenant}")["Parameter"]["Value"]  # STORE
    return Branding.logo
''', "DYN302"),
    "attribute of an instance made at import": ('''
class State:
    def __init__(self):
        self.plan = None

STATE = State()

def handler(event, context):
    STATE.plan = ssm.get_parameter(Name=f"/plans/{context.tenant_id}")["Parameter"]["Value"]  # STORE
    return STATE.plan
''', "DYN302"),
    "container an instance holds": ('''
class Cache:
    def __init__(self):
        self.values = {}

CACHE = Cache()

def handler(event, context):
    CACHE.values["quota"] = ssm.get_parameter(Name=f"/quota/{context.tenant_id}")["Parameter"]["Value"]  # STORE
    return CACHE.values["quota"]
''', "DYN302"),
    "container an instance holds, through an alias": ('''
class Cache:
    def __init__(self):
        self.values = {}

CACHE = Cache()

def handler(event, context):
    cache = CACHE
    cache.values["quota"] = ssm.get_parameter(Name=f"/quota/{context.tenant_id}")["Parameter"]["Value"]  # STORE
    return cache.values["quota"]
''', "DYN302"),
    "scoped credentials on a class": (STS + '''
class Scope:
    session = None

def handler(event, context):
    Scope.session = scoped(context.tenant_id)  # STORE
    return Scope.session.client("s3").get_object(Bucket="b", Key=f"{context.tenant_id}/x")
''', "DYN203"),
}


@pytest.mark.parametrize("shape", sorted(MODULE_STATE))
def test_what_a_function_stores_on_a_module_object_outlives_the_invocation(tmp_path: Path, shape: str) -> None:
    source, code = MODULE_STATE[shape]
    source = TABLE + source
    assert (line_of(source, "# STORE"), code) in codes(tmp_path, source)


CLEAN = {
    "class attribute keyed by tenant": '''
class Branding:
    by_tenant = {}

def handler(event, context):
    tenant = context.tenant_id
    Branding.by_tenant[tenant] = ssm.get_parameter(Name=f"/brand/{tenant}")["Parameter"]["Value"]
    return Branding.by_tenant[tenant]
''',
    "a local instance": '''
class State:
    def __init__(self):
        self.plan = None

def handler(event, context):
    state = State()
    state.plan = ssm.get_parameter(Name=f"/plans/{context.tenant_id}")["Parameter"]["Value"]
    return state.plan
''',
    "one slot, its owner compared": STS + '''
_session = None
_owner = None

def session_for(tenant_id):
    global _session, _owner
    if _session is None or _owner != tenant_id:
        _session = scoped(tenant_id)
        _owner = tenant_id
    return _session

def handler(event, context):
    return session_for(context.tenant_id).client("s3").get_object(Bucket="b", Key=f"{context.tenant_id}/x")
''',
    "one slot holding (owner, value)": STS + '''
_cached = None

def session_for(tenant_id):
    global _cached
    if _cached is None or _cached[0] != tenant_id:
        _cached = (tenant_id, scoped(tenant_id))
    return _cached[1]

def handler(event, context):
    return session_for(context.tenant_id).client("s3").get_object(Bucket="b", Key=f"{context.tenant_id}/x")
''',
    "temporary file removed by its name": '''
import os
import tempfile

def handler(event, context):
    tenant = context.tenant_id
    with tempfile.NamedTemporaryFile("w", delete=False) as fh:
        fh.write(tenant)
        path = fh.name
    try:
        return os.path.getsize(path)
    finally:
        os.remove(path)
''',
}


@pytest.mark.parametrize("shape", sorted(CLEAN))
def test_clean(tmp_path: Path, shape: str) -> None:
    assert [c for c in codes(tmp_path, TABLE + CLEAN[shape]) if c[1] in ("DYN203", "DYN301", "DYN302")] == []


POSITIVE_CONTROLS = {
    "one slot, never compared": (CLEAN["one slot, its owner compared"].replace(" or _owner != tenant_id", ""),
                                 "_session = scoped(tenant_id)", "DYN203"),
    "temporary file kept": (CLEAN["temporary file removed by its name"].replace("        os.remove(path)\n",
                                                                            "        pass\n"),
                            "NamedTemporaryFile", "DYN301"),
}


@pytest.mark.parametrize("shape", sorted(POSITIVE_CONTROLS))
def test_the_same_without_the_check_is_reported(tmp_path: Path, shape: str) -> None:
    source, marker, code = POSITIVE_CONTROLS[shape]
    source = TABLE + source
    assert (line_of(source, marker), code) in codes(tmp_path, source)


S3_COLLECTIONS = '''
bucket = boto3.resource("s3").Bucket("uploads")

def scoped_listing(event, context):
    return [o.key for o in bucket.objects.filter(Prefix=f"{context.tenant_id}/")]  # PREFIXED

def whole_bucket(event, context):
    tenant = context.tenant_id
    return [o.key for o in bucket.objects.all() if o.key.startswith(tenant)]  # ALL

def nightly_report(event, context):
    return len(list(bucket.objects.all()))
'''


def test_a_buckets_object_collection_is_a_listing(tmp_path: Path) -> None:
    # boto3's resource collections: bucket.objects.filter(Prefix=...) / .all() list the bucket;
    # the scheduled report reads no tenant id and is not tenant-aware
    source = TABLE + S3_COLLECTIONS
    assert codes(tmp_path, source) == [(line_of(source, "# PREFIXED"), "DYN201"), (line_of(source, "# ALL"), "DYN202")]


SINGLETON = STS + '''
class TenantSession:
    def __init__(self):
        self.session = None
        self.owner = None

    def get(self, tenant_id):
        if self.session is None:
            self.session = scoped(tenant_id)  # STORE
        return self.session

SESSIONS = TenantSession()

def handler(event, context):
    return SESSIONS.get(context.tenant_id).client("s3").get_object(Bucket="b", Key=f"{context.tenant_id}/x")
'''


def test_a_singletons_attributes_set_in_its_methods_are_module_state(tmp_path: Path) -> None:
    source = TABLE + SINGLETON
    assert (line_of(source, "# STORE"), "DYN203") in codes(tmp_path, source)
    # the same object checking whose session it holds is a one-slot cache keyed by the tenant
    checked = source.replace("if self.session is None:", "if self.session is None or self.owner != tenant_id:")
    checked = checked.replace("  # STORE", "\n            self.owner = tenant_id")
    assert [c for c in codes(tmp_path / "checked", checked) if c[1] in ("DYN203", "DYN302")] == []
    # a per-request instance holds nothing past the request
    local = source.replace("SESSIONS.get(", "TenantSession().get(")
    assert [c for c in codes(tmp_path / "local", local) if c[1] in ("DYN203", "DYN302")] == []


CONTEXT_VAR = STS + '''
import contextvars

_session = contextvars.ContextVar("tenant_session", default=None)

def session_for(tenant_id):
    current = _session.get()
    if current is None:
        current = scoped(tenant_id)
        _session.set(current)  # STORE
    return current

def handler(event, context):
    return session_for(context.tenant_id).client("s3").get_object(Bucket="b", Key=f"{context.tenant_id}/x")
'''

CONTEXT_VAR_RESET = STS + '''
import contextvars

_session = contextvars.ContextVar("tenant_session", default=None)

def handler(event, context):
    token = _session.set(scoped(context.tenant_id))
    try:
        return _session.get().client("s3").get_object(Bucket="b", Key=f"{context.tenant_id}/x")
    finally:
        _session.reset(token)
'''


def test_a_context_variable_set_and_never_reset_outlives_the_invocation(tmp_path: Path) -> None:
    source = TABLE + CONTEXT_VAR
    assert (line_of(source, "# STORE"), "DYN203") in codes(tmp_path, source)
    # set and reset around the invocation (token vending): per request
    assert [c for c in codes(tmp_path / "reset", TABLE + CONTEXT_VAR_RESET) if c[1] in ("DYN203", "DYN302")] == []


DEFAULT_SESSION = STS.replace("    return boto3.Session(", "    boto3.setup_default_session(").replace(
    "def scoped(tenant_id):", "def use_tenant(tenant_id):") + '''
def handler(event, context):
    use_tenant(context.tenant_id)
    s3 = boto3.client("s3")
    return s3.get_object(Bucket="b", Key=f"{context.tenant_id}/x")  # DATA
'''


def test_boto3s_default_session_set_with_tenant_credentials_is_module_state(tmp_path: Path) -> None:
    # every later boto3.client() uses them, in this invocation and the next tenant's: DYN203 at
    # the setup, and the client is no longer the execution role's (no DYN201)
    source = TABLE + DEFAULT_SESSION
    found = codes(tmp_path, source)
    assert (line_of(source, "boto3.setup_default_session("), "DYN203") in found
    assert (line_of(source, "# DATA"), "DYN201") not in found
