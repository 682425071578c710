"""Tenancy shapes found by probing fresh multi-tenant code (session of 2026-12-06): what a
query of the tenant's partition returns is the tenant's data; a deque or queue made at import
keeps what an invocation puts on it; a FastAPI dependency declared by a module-level
``Annotated[...]`` alias runs where the alias annotates a parameter."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples


def check(tmp_path: Path, source: str, name: str = "app.py") -> set[tuple[str, int, str]]:
    """The findings of state that outlives an invocation (DYN3xx)."""
    (tmp_path / name).write_text(textwrap.dedent(source))
    return {(path, line, code) for path, line, code in triples(findings_in(tmp_path)) if code.startswith("DYN3")}


MEMBERS = '''import boto3
from boto3.dynamodb.conditions import Key

people = boto3.resource("dynamodb").Table("people")
_by_team = {}


def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
    team = event["pathParameters"]["team"]
    rows = QUERY
    _by_team[CACHE_KEY] = rows
    return {"members": rows}
'''

QUERIES = {
    "expression": 'people.query(KeyConditionExpression="pk = :p",\n'
                  '                        ExpressionAttributeValues={":p": f"ORG#{tenant}#TEAM#{team}"})["Items"]',
    "Key condition": 'people.query(KeyConditionExpression=Key("pk").eq(f"ORG#{tenant}"))\n'
                     '    rows = rows.get("Items", [])',
}


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_the_items_of_a_query_of_the_tenant_s_partition_are_the_tenant_s_data(tmp_path: Path, query: str) -> None:
    source = MEMBERS.replace("QUERY", QUERIES[query]).replace("CACHE_KEY", "team")
    line = 12 + QUERIES[query].count("\n")
    assert check(tmp_path, source) == {("app.py", line, "DYN302")}


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_cached_under_the_tenant_they_stay_the_tenant_s(tmp_path: Path, query: str) -> None:
    source = MEMBERS.replace("QUERY", QUERIES[query]).replace("CACHE_KEY", "(tenant, team)")
    assert check(tmp_path, source) == set()


def test_a_query_of_a_shared_partition_is_nobody_s_data(tmp_path: Path) -> None:
    source = MEMBERS.replace("QUERY", 'people.query(KeyConditionExpression=Key("pk").eq("PLANS"))["Items"]')
    assert check(tmp_path, source.replace("CACHE_KEY", "team")) == set()


BUFFERS = '''import collections
import queue

import requests

MADE
http = requests.Session()


def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
    STORE
    return {"queued": True}
'''

STORES = {
    "deque appendleft": ("RECENT = collections.deque(maxlen=50)", 'RECENT.appendleft({"tenant": tenant})'),
    "deque extendleft": ("RECENT = collections.deque(maxlen=50)", 'RECENT.extendleft([{"tenant": tenant}])'),
    "queue put": ("OUTBOX = queue.Queue()", 'OUTBOX.put({"tenant": tenant, "to": event["email"]})'),
    "simple queue put_nowait": ("OUTBOX = queue.SimpleQueue()", 'OUTBOX.put_nowait({"tenant": tenant})'),
}


@pytest.mark.parametrize("name", sorted(STORES))
def test_a_module_level_deque_or_queue_keeps_what_an_invocation_puts_on_it(tmp_path: Path, name: str) -> None:
    made, store = STORES[name]
    assert check(tmp_path, BUFFERS.replace("MADE", made).replace("STORE", store)) == {("app.py", 12, "DYN302")}


def test_a_put_on_an_http_session_sends_it_and_keeps_nothing(tmp_path: Path) -> None:
    source = BUFFERS.replace("MADE", "").replace("STORE", 'http.put("https://example.com/t", json={"tenant": tenant})')
    assert check(tmp_path, source) == set()


DEPS = '''from typing import Annotated

import boto3
from fastapi import Depends, Request

notes = boto3.resource("dynamodb").Table("notes")


def tenant_of(request: Request) -> str:
    return request.scope["aws.event"]["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]


class Notes:
    def __init__(self, tenant: str):
        self.tenant = tenant

    def get(self, note_id: str):
        return notes.get_item(Key={"pk": f"{self.tenant}#{note_id}"}).get("Item")


def notes_for(tenant: Annotated[str, Depends(tenant_of)]) -> Notes:
    return Notes(tenant)


NotesDep = Annotated[Notes, Depends(notes_for)]
NoteId = str
'''

ROUTES = '''from fastapi import FastAPI
from mangum import Mangum

import deps

app = FastAPI()


@app.get("/notes/{note_id}")
def read_note(note_id: deps.NoteId, repo: deps.NotesDep):
    return repo.get(note_id)


handler = Mangum(app)
'''


def test_a_module_level_annotated_alias_declares_its_dependency_where_it_is_used(tmp_path: Path) -> None:
    (tmp_path / "deps.py").write_text(DEPS)
    (tmp_path / "routes.py").write_text(ROUTES)
    assert triples(findings_in(tmp_path)) == {("deps.py", 18, "DYN201")}


def test_an_alias_without_a_dependency_injects_nothing(tmp_path: Path) -> None:
    # ``repo: deps.NotesDep`` is then only a type: nothing builds the repository for the request
    (tmp_path / "deps.py").write_text(DEPS.replace("Annotated[Notes, Depends(notes_for)]", "Notes"))
    (tmp_path / "routes.py").write_text(ROUTES)
    assert triples(findings_in(tmp_path)) == set()


def codes_at(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    return {(line, code) for _, line, code in triples(findings_in(tmp_path))}


@pytest.mark.parametrize("compare", ["hmac.compare_digest(asked.encode(), claims['custom:tenant_id'].encode())",
                                     "secrets.compare_digest(asked, claims['custom:tenant_id'])"])
def test_a_constant_time_comparison_with_the_claims_authorizes_the_tenant_asked_for(tmp_path: Path,
                                                                                     compare: str) -> None:
    found = codes_at(tmp_path, f'''
        import hmac
        import secrets

        import boto3

        reports = boto3.resource("dynamodb").Table("reports")


        def report(event, context):
            claims = event["requestContext"]["authorizer"]["claims"]
            asked = event["pathParameters"]["tenant_id"]
            if not {compare}:
                return {{"statusCode": 403}}
            return reports.get_item(Key={{"pk": f"TENANT#{{asked}}"}}).get("Item")
        ''')
    assert found == {(15, "DYN201")}


def test_a_tenant_asked_for_and_never_compared_is_untrusted(tmp_path: Path) -> None:
    found = codes_at(tmp_path, '''
        import boto3

        reports = boto3.resource("dynamodb").Table("reports")


        def report(event, context):
            asked = event["pathParameters"]["tenant_id"]
            return reports.get_item(Key={"pk": f"TENANT#{asked}"}).get("Item")
        ''')
    assert found == {(8, "DYN204"), (9, "DYN201")}


STS = '''import os

import boto3

sts = boto3.client("sts")
_STATE = {}


def handler(event, context):
    tenant_id = context.tenant_id
    credentials = sts.assume_role(RoleArn=os.environ["ROLE"], RoleSessionName=f"t-{tenant_id}",
                                  Tags=[{"Key": "TenantId", "Value": tenant_id}])["Credentials"]
    _STATE[NAME] = VALUE
    s3 = boto3.client("s3", aws_access_key_id=credentials["AccessKeyId"],
                      aws_secret_access_key=credentials["SecretAccessKey"],
                      aws_session_token=credentials["SessionToken"])
    return s3.get_object(Bucket=os.environ["BUCKET"], Key=f"{tenant_id}/profile.json")["Body"].read()
'''


@pytest.mark.parametrize(("value", "found"), [
    ('credentials["Expiration"]', set()),  # when they expire is no credential
    ('credentials["SessionToken"]', {(13, "DYN203")}),
    ("credentials", {(13, "DYN203")}),
])
def test_only_the_parts_of_credentials_that_grant_access_are_credentials(tmp_path: Path, value: str,
                                                                         found: set[tuple[int, str]]) -> None:
    assert codes_at(tmp_path, STS.replace("NAME", '"last"').replace("VALUE", value)) == found


COPIES = '''import boto3

s3 = boto3.client("s3")
assets = boto3.resource("s3").Bucket("assets")


def publish(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
    name = event["pathParameters"]["name"]
    COPY
'''


@pytest.mark.parametrize(("copy", "code"), [
    # from the tenant's drafts into a shared place: the destination is anyone's
    ('s3.copy_object(Bucket="assets", Key=f"public/{name}", CopySource={"Bucket": "assets", '
     '"Key": f"{tenant}/drafts/{name}"})', "DYN202"),
    # into the tenant's place from wherever the request says: the source is anyone's
    ('s3.copy({"Bucket": "assets", "Key": event["source"]}, "assets", f"{tenant}/imported/{name}")', "DYN202"),
    ('assets.copy({"Bucket": "assets", "Key": event["source"]}, f"{tenant}/imported/{name}")', "DYN202"),
    # both the tenant's
    ('s3.copy_object(Bucket="assets", Key=f"{tenant}/public/{name}", CopySource={"Bucket": "assets", '
     '"Key": f"{tenant}/drafts/{name}"})', "DYN201"),
    # a shared template copied into the tenant's place
    ('s3.copy_object(Bucket="assets", Key=f"{tenant}/theme.css", CopySource={"Bucket": "assets", '
     '"Key": "templates/theme.css"})', "DYN201"),
])
def test_a_copy_is_scoped_only_where_both_its_objects_are_the_tenant_s(tmp_path: Path, copy: str, code: str) -> None:
    assert codes_at(tmp_path, COPIES.replace("COPY", copy)) == {(10, code)}


@pytest.mark.parametrize("call", [
    'boto3.resource("dynamodb").Table(f"orders-{tenant}").get_item(Key={"order_id": name})',
    'boto3.client("s3").get_object(Bucket=f"acme-{tenant}-docs", Key=name)',
])
def test_a_table_or_bucket_per_tenant_scopes_what_it_holds(tmp_path: Path, call: str) -> None:
    found = codes_at(tmp_path, COPIES.replace("COPY", f"return {call}"))
    assert found == {(10, "DYN201")}


@pytest.mark.parametrize("use", ["@tenant_middleware", "@tenant_middleware(strict=True)"])
def test_a_powertools_middleware_runs_around_the_handler_it_decorates(tmp_path: Path, use: str) -> None:
    found = codes_at(tmp_path, f'''
        import boto3
        from aws_lambda_powertools.middleware_factory import lambda_handler_decorator

        audit = boto3.resource("dynamodb").Table("audit")
        CURRENT = {{}}


        @lambda_handler_decorator
        def tenant_middleware(handler, event, context, strict=False):
            CURRENT["tenant"] = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
            return handler(event, context)


        {use}
        def handler(event, context):
            audit.put_item(Item={{"pk": f"TENANT#{{CURRENT['tenant']}}", "sk": context.aws_request_id}})
            return {{"statusCode": 204}}
        ''')
    assert found == {(11, "DYN302"), (17, "DYN201")}


SCOPED = '''import os
from contextvars import ContextVar

import boto3
from cachetools.func import ttl_cache

sts = boto3.client("sts")
tenant_var: ContextVar[str] = ContextVar("tenant")


def scoped_session(tenant_id):
    credentials = sts.assume_role(RoleArn=os.environ["ROLE"], RoleSessionName=f"t-{tenant_id}",
                                  Tags=[{"Key": "TenantId", "Value": tenant_id}])["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"])
'''


@pytest.mark.parametrize(("cached", "call", "found"), [
    ("@ttl_cache(maxsize=1, ttl=900)\ndef current():\n    return scoped_session(tenant_var.get())\n",
     "current()", {21}),
    ("@ttl_cache(maxsize=256, ttl=900)\ndef current(tenant_id):\n    return scoped_session(tenant_id)\n",
     "current(context.tenant_id)", set()),
])
def test_cachetools_memoizing_decorators_key_their_cache_by_the_arguments(tmp_path: Path, cached: str, call: str,
                                                                         found: set[int]) -> None:
    source = SCOPED + "\n\n" + cached + f"""

def handler(event, context):
    tenant_var.set(context.tenant_id)
    return {call}.client("s3").list_buckets()
"""
    assert {line for line, code in codes_at(tmp_path, source) if code == "DYN203"} == found


def test_assigning_boto3_s_default_session_in_a_handler_keeps_the_tenant_s_credentials(tmp_path: Path) -> None:
    found = codes_at(tmp_path, SCOPED + '''

def handler(event, context):
    boto3.DEFAULT_SESSION = scoped_session(context.tenant_id)
    s3 = boto3.client("s3")
    return s3.get_object(Bucket="docs", Key=f"{context.tenant_id}/index.json")["Body"].read()
''')
    assert found == {(20, "DYN203")}  # and no DYN201: the client is made on the tenant's credentials


@pytest.mark.parametrize("proxy", ["current_app.config", "app.config"])
def test_flask_s_current_app_is_the_application_the_module_made(tmp_path: Path, proxy: str) -> None:
    found = codes_at(tmp_path, f'''
        import awsgi
        from flask import Flask, current_app, g, request

        app = Flask(__name__)


        @app.before_request
        def bind_tenant():
            g.tenant_id = request.environ["awsgi.event"]["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
            {proxy}["LAST_TENANT"] = g.tenant_id


        @app.get("/ping")
        def ping():
            return {{"tenant": g.tenant_id}}


        def handler(event, context):
            return awsgi.response(app, event, context)
        ''')
    assert found == {(11, "DYN302")}


@pytest.mark.parametrize(("decode", "found"), [
    ("jwt.PyJWT().decode(token, SECRET, algorithms=['HS256'])", {(12, "DYN201")}),
    ("jwt.PyJWT(options={'verify_signature': False}).decode(token)", {(12, "DYN201"), (12, "DYN204")}),
    ("jwt.PyJWT().decode(token, options={'verify_signature': False})", {(12, "DYN201"), (12, "DYN204")}),
])
def test_pyjwt_s_class_api_verifies_as_jwt_decode_does(tmp_path: Path, decode: str,
                                                      found: set[tuple[int, str]]) -> None:
    assert codes_at(tmp_path, f'''
        import boto3
        import jwt

        SECRET = "s3cr3t"
        accounts = boto3.resource("dynamodb").Table("accounts")


        def handler(event, context):
            token = event["headers"]["authorization"].split()[1]
            claims = {decode}
            return accounts.get_item(Key={{"pk": f"TENANT#{{claims['tenant_id']}}"}}).get("Item")
        ''') == found


@pytest.mark.parametrize(("used", "found"), [
    ("asked", {(13, "DYN201")}),  # the id compared is the one used
    ("target", {(10, "DYN204"), (13, "DYN201")}),  # another id the client gave, never compared
])
def test_a_comparison_with_the_caller_s_tenant_authorizes_only_the_id_compared(tmp_path: Path, used: str,
                                                                              found: set[tuple[int, str]]) -> None:
    assert codes_at(tmp_path, f'''
        import boto3

        reports = boto3.resource("dynamodb").Table("reports")


        def report(event, context):
            claims = event["requestContext"]["authorizer"]["claims"]
            asked = event["headers"]["x-tenant-id"]
            target = event["headers"]["x-target-tenant"]
            if asked != claims["custom:tenant_id"]:
                return {{"statusCode": 403}}
            return reports.get_item(Key={{"pk": f"TENANT#{{{used}}}"}}).get("Item")
        ''') == found


def test_a_starlette_middleware_class_runs_before_each_request(tmp_path: Path) -> None:
    found = codes_at(tmp_path, '''
        import boto3
        from fastapi import FastAPI, Request
        from mangum import Mangum
        from starlette.middleware.base import BaseHTTPMiddleware

        s3 = boto3.client("s3")


        class TenantMiddleware(BaseHTTPMiddleware):
            async def dispatch(self, request: Request, call_next):
                claims = request.scope["aws.event"]["requestContext"]["authorizer"]["claims"]
                request.state.tenant_id = claims["custom:tenant_id"]
                return await call_next(request)


        app = FastAPI()
        app.add_middleware(TenantMiddleware)


        @app.get("/assets/{name}")
        def get_asset(name: str, request: Request):
            return s3.get_object(Bucket="assets", Key=f"{request.state.tenant_id}/{name}")["ContentLength"]


        handler = Mangum(app)
        ''')
    assert found == {(23, "DYN201")}


SERVERLESS = '''service: thumbs
provider:
  name: aws
  runtime: python3.12
functions:
  api:
    handler: api.handler
    environment:
      RESIZER: NAME
  resize:
    handler: resize.handler
resources:
  Resources:
    ResizeLambdaFunction:
      Properties:
        TenancyConfig:
          TenantIsolationMode: PER_TENANT
'''


@pytest.mark.parametrize(("name", "found"), [
    ("${self:service}-${sls:stage}-resize", {("api.py", 8, "DYN205")}),
    ("${self:service}-${opt:stage, 'dev'}-resize", {("api.py", 8, "DYN205")}),
    ("${self:service}-${sls:stage}-api", set()),  # itself, which is not PER_TENANT
])
def test_serverless_s_default_function_name_names_the_function(tmp_path: Path, name: str,
                                                               found: set[tuple[str, int, str]]) -> None:
    (tmp_path / "serverless.yml").write_text(SERVERLESS.replace("NAME", name))
    (tmp_path / "resize.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "api.py").write_text(textwrap.dedent('''\
        import json
        import os

        import boto3


        def handler(event, context):
            boto3.client("lambda").invoke(FunctionName=os.environ["RESIZER"], Payload=json.dumps(event))
            return {"statusCode": 202}
        '''))
    assert {t for t in triples(findings_in(tmp_path)) if t[2] == "DYN205"} == found


@pytest.mark.parametrize("call", [
    'boto3.resource("dynamodb").Table(f"orders-{tenant}").scan()["Items"]',
    'boto3.client("s3").list_objects_v2(Bucket=f"acme-{tenant}")',
    'boto3.resource("s3").Bucket(f"acme-{tenant}").put_object(Key="latest.json", Body=b"{}")',
    'boto3.resource("s3").Object(f"acme-{tenant}", "latest.json").put(Body=b"{}")',
])
def test_a_silo_s_listing_and_its_resource_forms_hold_only_the_tenant_s_data(tmp_path: Path, call: str) -> None:
    assert codes_at(tmp_path, COPIES.replace("COPY", f"return {call}")) == {(10, "DYN201")}


def test_boto3_s_default_session_set_back_in_finally_lives_for_the_request(tmp_path: Path) -> None:
    found = codes_at(tmp_path, SCOPED + '''

def handler(event, context):
    boto3.DEFAULT_SESSION = scoped_session(context.tenant_id)
    try:
        return boto3.client("s3").get_object(Bucket="docs", Key=f"{context.tenant_id}/index.json")["Body"].read()
    finally:
        boto3.DEFAULT_SESSION = None
''')
    assert found == set()


def test_a_counter_updated_with_the_tenant_counts_it_under_the_tenant(tmp_path: Path) -> None:
    assert codes_at(tmp_path, '''
        from collections import Counter

        CALLS = Counter()


        def handler(event, context):
            CALLS.update([context.tenant_id])
            return {"calls": CALLS[context.tenant_id]}
        ''') == set()


def test_a_comparison_with_a_value_not_read_as_a_tenant_id_authorizes_no_client_tenant_id(tmp_path: Path) -> None:
    found = codes_at(tmp_path, '''
        import boto3

        reports = boto3.resource("dynamodb").Table("reports")


        def report(event, context):
            claims = event["requestContext"]["authorizer"]["claims"]
            tenant = event["headers"]["x-tenant-id"]
            if event["pathParameters"]["org"] != claims["custom:tenant_id"]:
                return {"statusCode": 403}
            return reports.get_item(Key={"pk": f"TENANT#{tenant}"}).get("Item")
        ''')
    assert found == {(9, "DYN204"), (12, "DYN201")}


@pytest.mark.parametrize("compare", ["hmac.compare_digest(asked, claims['custom:tenant_id'])",
                                     "asked == claims['custom:tenant_id']"])
def test_a_comparison_kept_in_a_local_authorizes_where_the_local_is_tested(tmp_path: Path, compare: str) -> None:
    found = codes_at(tmp_path, f'''
        import hmac

        import boto3

        reports = boto3.resource("dynamodb").Table("reports")


        def report(event, context):
            claims = event["requestContext"]["authorizer"]["claims"]
            asked = event["pathParameters"]["tenant_id"]
            allowed = {compare}
            if not allowed:
                return {{"statusCode": 403}}
            return reports.get_item(Key={{"pk": f"TENANT#{{asked}}"}}).get("Item")
        ''')
    assert found == {(15, "DYN201")}


@pytest.mark.parametrize(("restore", "found"), [
    ("boto3.DEFAULT_SESSION = previous", set()),  # set back to what it was: for this request only
    ("print(previous)", {(21, "DYN203")}),
])
def test_a_default_session_set_back_to_the_one_saved_lives_for_the_request(tmp_path: Path, restore: str,
                                                                          found: set[tuple[int, str]]) -> None:
    assert codes_at(tmp_path, SCOPED + f'''

def handler(event, context):
    previous = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = scoped_session(context.tenant_id)
    try:
        return boto3.client("s3").get_object(Bucket="docs", Key=f"{{context.tenant_id}}/a.json")["Body"].read()
    finally:
        {restore}
''') == found
