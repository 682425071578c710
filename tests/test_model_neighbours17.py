"""Neighbouring shapes of the classes the seventeenth session's blind probes showed (each also
has fixture projects in fixtures/cases/*17-*): the same Python or library feature written
another way must give the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynolint.engine.importscan import _imports
from tests.conftest import line_with as line_of, project_codes as codes


# -- what a web application keeps: app.extensions, app.config, app.state ----------------------
FLASK = '''import boto3
from flask import Flask, current_app

class Broker:
    def __init__(self, name):
        self.name = name

    def table(self):
        return boto3.resource("dynamodb").Table(self.name)

{MAKE}

def _table():
    return {GET}

@app.post("/bump/<key>")
def bump(key):
    t = _table()
    item = t.get_item(Key={"pk": key})["Item"]
    if item["state"] == "open":
        t.put_item(Item={**item, "state": "closed"}{GUARD})
'''
FLASK_MAKERS = {
    "factory": 'def create_app():\n    app = Flask(__name__)\n    app.extensions["b"] = Broker("t")\n    return app\n\n'
               'app = create_app()',
    "module": 'app = Flask(__name__)\napp.extensions["b"] = Broker("t")',
    "config": 'app = Flask(__name__)\napp.config["BROKER"] = Broker("t")',
}


@pytest.mark.parametrize("make, get", [
    ("factory", 'current_app.extensions["b"].table()'),
    ("factory", 'app.extensions["b"].table()'),
    ("module", 'current_app.extensions.get("b").table()'),
    ("config", 'current_app.config["BROKER"].table()'),
])
def test_a_table_an_application_keeps_is_a_table(tmp_path: Path, make: str, get: str) -> None:
    source = FLASK.replace("{MAKE}", FLASK_MAKERS[make]).replace("{GET}", get).replace("{GUARD}", "")
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "t.put_item"), "DYN101")]


def test_the_kept_table_written_under_a_condition_is_guarded(tmp_path: Path) -> None:
    source = FLASK.replace("{MAKE}", FLASK_MAKERS["factory"]).replace("{GET}", 'current_app.extensions["b"].table()') \
        .replace("{GUARD}", ', ConditionExpression="#s = :o", ExpressionAttributeNames={"#s": "state"}, '
                            'ExpressionAttributeValues={":o": "open"}')
    assert codes(tmp_path, {"app.py": source}) == []


STARLETTE = '''import boto3
from contextlib import asynccontextmanager
from fastapi import FastAPI, Request

{MAKE}

@app.post("/bump/{key}")
def bump(key: str, request: Request):
    t = {GET}
    item = t.get_item(Key={"pk": key})["Item"]
    t.put_item(Item={**item, "n": item["n"] + 1})
'''


@pytest.mark.parametrize("make", [
    '@asynccontextmanager\nasync def lifespan(app: FastAPI):\n    app.state.table = boto3.resource("dynamodb").Table("t")\n'
    '    yield\n\napp = FastAPI(lifespan=lifespan)',
    'app = FastAPI()\napp.state.table = boto3.resource("dynamodb").Table("t")',
])
@pytest.mark.parametrize("get", ["request.app.state.table", 'getattr(request.app.state, "table")', "app.state.table"])
def test_a_table_kept_on_app_state_is_a_table(tmp_path: Path, make: str, get: str) -> None:
    source = STARLETTE.replace("{MAKE}", make).replace("{GET}", get)
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "t.put_item"), "DYN102")]


CACHED_CLIENT = '''import boto3
from flask import Flask, current_app, g

app = Flask(__name__)
sts = boto3.client("sts")

def scoped_s3(org):
    creds = sts.assume_role(RoleArn="arn:aws:iam::1:role/org", RoleSessionName="x",
                            Tags=[{"Key": "org", "Value": org}])["Credentials"]
    return boto3.client("s3", aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])

@app.post("/audit")
def audit():
    org = g.claims["custom:tenant_id"]
    {STORE}
'''


@pytest.mark.parametrize("hook", ["@app.before_serving", '@app.on_event("startup")', "@app.before_first_request"])
def test_what_a_startup_hook_keeps_on_the_application_is_there_for_requests(tmp_path: Path, hook: str) -> None:
    source = FLASK.replace("{MAKE}", f'app = Flask(__name__)\n\n{hook}\nasync def start():\n'
                                     f'    app.extensions["b"] = Broker("t")') \
        .replace("{GET}", 'current_app.extensions["b"].table()').replace("{GUARD}", "")
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "t.put_item"), "DYN101")]


@pytest.mark.parametrize("store, expected", [
    ('current_app.extensions["s3"] = scoped_s3(org)', True),
    ('app.extensions["s3"] = scoped_s3(org)', True),
    ('g.s3 = scoped_s3(org)', False),  # a request's own namespace
])
def test_a_scoped_client_kept_by_the_application_outlives_the_request(tmp_path: Path, store: str,
                                                                       expected: bool) -> None:
    source = CACHED_CLIENT.replace("{STORE}", store)
    found = codes(tmp_path, {"app.py": source})
    assert (("app.py", line_of(source, store), "DYN203") in found) is expected, found


# -- a settings model's fields come from the environment --------------------------------------
SETTINGS = '''import boto3
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings{IMPORT}

class Settings(BaseSettings):
{CONFIG}
    worker: str = {DEFAULT}

_lambda = boto3.client("lambda")

def handler(event, context, settings: Settings = None):
    s = {MAKE}
    _lambda.invoke(FunctionName=s.worker, Payload=b"{}")
'''
INFRA = '''Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: worker.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Environment:
        Variables:
          {VARIABLE}: !Ref Worker
'''


@pytest.mark.parametrize("config, default, variable", [
    ('    model_config = SettingsConfigDict(env_prefix="APP_")', '"worker-fn"', "APP_WORKER"),
    ('    model_config = {"env_prefix": "svc_"}', '"worker-fn"', "SVC_WORKER"),
    ('    class Config:\n        env_prefix = "OLD_"', '"worker-fn"', "OLD_WORKER"),
    ("    pass", '"worker-fn"', "WORKER"),
    ("    pass", 'Field("worker-fn", validation_alias="WORKER_FN")', "WORKER_FN"),
    ("    pass", 'Field(default="w", validation_alias=AliasChoices("WORKER_FUNCTION", "APP_WORKER"))', "APP_WORKER"),
])
@pytest.mark.parametrize("make", ["Settings()", "settings"])
def test_a_settings_field_is_its_environment_variable(tmp_path: Path, config: str, default: str, variable: str,
                                                      make: str) -> None:
    source = SETTINGS.replace("{IMPORT}", ", SettingsConfigDict").replace("{CONFIG}", config) \
        .replace("{DEFAULT}", default).replace("{MAKE}", make)
    found = codes(tmp_path, {"app.py": source, "template.yaml": INFRA.replace("{VARIABLE}", variable)})
    assert found == [("app.py", line_of(source, "_lambda.invoke"), "DYN205")]


def test_a_settings_field_set_for_another_variable_is_not_the_function(tmp_path: Path) -> None:
    source = SETTINGS.replace("{IMPORT}", ", SettingsConfigDict") \
        .replace("{CONFIG}", '    model_config = SettingsConfigDict(env_prefix="APP_")') \
        .replace("{DEFAULT}", '"worker-fn"').replace("{MAKE}", "Settings()")
    found = codes(tmp_path, {"app.py": source, "template.yaml": INFRA.replace("{VARIABLE}", "OTHER_WORKER")})
    assert found == []


# -- a listed row given another sort key is another item ---------------------------------------
MOVE = '''import boto3
from boto3.dynamodb.conditions import Key
table = boto3.resource("dynamodb").Table("t")

def handler(event, context):
    src, dst = event["src"], event["dst"]
    rows = table.query(KeyConditionExpression=Key("pk").eq("P") & Key("sk").begins_with({PREFIX}))["Items"]
    with table.batch_writer() as batch:
        for row in rows:
            batch.put_item(Item={ITEM})
'''


@pytest.mark.parametrize("prefix", ['f"C#{src}#"', '"C#" + src', '"C#"'])
@pytest.mark.parametrize("item, expected", [
    ('{**row, "sk": row["sk"].replace(f"C#{src}#", f"C#{dst}#", 1)}', False),
    ('{**row, "sk": f"ARCHIVE#{row[\'id\']}"}', False),
    ('{**row, "moved": True}', True),
    ('{**row, "sk": row["sk"]}', True),
])
def test_a_listed_row_written_under_another_sort_key_is_a_new_item(tmp_path: Path, prefix: str, item: str,
                                                                    expected: bool) -> None:
    source = MOVE.replace("{PREFIX}", prefix).replace("{ITEM}", item)
    found = codes(tmp_path, {"move.py": source})
    assert (found == [("move.py", line_of(source, "batch.put_item"), "DYN103")]) is expected, found


# -- an owner check scopes access as a key does -----------------------------------------------
OWNER = '''import boto3
table = boto3.resource("dynamodb").Table("docs")

def handler(event, context):
    org = {ORG}
    doc = table.get_item(Key={"id": event["pathParameters"]["id"]})["Item"]
    {CHECK}
'''


@pytest.mark.parametrize("check", [
    'if doc["org_id"] != org:\n        return {"statusCode": 404}\n    return doc',
    'if org == doc.get("org_id"):\n        return doc',
    'if org not in doc["orgs"]:\n        return {"statusCode": 403}\n    return doc',
    'return [v for v in doc["versions"] if v["org"] == org]',
])
@pytest.mark.parametrize("org, expected", [
    ('event["headers"]["x-org-id"]', True),
    ('event["requestContext"]["authorizer"]["claims"]["custom:org_id"]', False),
])
def test_an_owner_check_with_a_client_chosen_id_is_untrusted(tmp_path: Path, check: str, org: str,
                                                             expected: bool) -> None:
    source = OWNER.replace("{ORG}", org).replace("{CHECK}", check)
    found = codes(tmp_path, {"docs.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert (("docs.py", line_of(source, "org = "), "DYN204") in found) is expected, found


def test_a_comparison_of_the_id_with_another_request_value_is_no_owner_check(tmp_path: Path) -> None:
    source = OWNER.replace("{ORG}", 'event["headers"]["x-org-id"]').replace(
        "{CHECK}", 'if org == event["queryStringParameters"]["org"]:\n        return doc')
    found = codes(tmp_path, {"docs.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert not any(code == "DYN204" for _, _, code in found), found


# -- ``from . import x`` imports the package itself -------------------------------------------
@pytest.mark.parametrize("text, expected", [
    (b"from . import create_app\n", {"shop/__init__.py"}),
    (b"from .views import bp\n", {"shop/views.py"}),
    (b"from .. import shared\n", set()),  # (beyond the top package: nothing)
])
def test_a_relative_import_of_a_name_reaches_the_package(text: bytes, expected: set[str]) -> None:
    index = {"shop": ["shop/__init__.py"], "views": ["shop/views.py"], "wsgi": ["shop/wsgi.py"]}
    assert _imports("shop/wsgi.py", text, index) == expected


# -- a GraphQL schema of the project's classes runs their resolvers ---------------------------
GRAPHQL = '''import boto3
{IMPORTS}

table = boto3.resource("dynamodb").Table("people")

class Query({BASE}):
    {DECORATOR}
    def {NAME}(self, {INFO}, team: str{MORE}) -> list:
        org = {INFO_NAME}.context["org_id"]
        return table.get_item(Key={"pk": f"ORG#{{ORG}}#{team}"})["Item"]["members"]

schema = {SCHEMA}(query=Query)

{DEF} handler(event, context):
    claims = event["requestContext"]["authorizer"]["claims"]
    return {AWAIT}schema.{EXECUTE}(event["body"], context_value={"org_id": claims["custom:org_id"]})
'''
STRAWBERRY = {"IMPORTS": "import strawberry\nfrom strawberry.types import Info", "BASE": "", "SCHEMA": "strawberry.Schema",
              "DECORATOR": "@strawberry.field", "NAME": "members"}
GRAPHENE = {"IMPORTS": "import graphene", "BASE": "graphene.ObjectType", "SCHEMA": "graphene.Schema", "DECORATOR": "",
            "NAME": "resolve_members"}


def graphql(flavour: dict[str, str], info: str = "info: Info", more: str = "", execute: str = "execute_sync",
            org: str = "org") -> str:
    source = GRAPHQL
    for key, value in {**flavour, "INFO": info, "INFO_NAME": info.split(":")[0], "MORE": more, "EXECUTE": execute,
                       "DEF": "async def" if execute == "execute" else "def",
                       "AWAIT": "await " if execute == "execute" else "", "{ORG}": org}.items():
        source = source.replace("{" + key + "}" if not key.startswith("{") else key, value)
    return source


@pytest.mark.parametrize("flavour", [STRAWBERRY, GRAPHENE], ids=["strawberry", "graphene"])
@pytest.mark.parametrize("info, execute", [("info: Info", "execute_sync"), ("info", "execute"),
                                           ("ctx: Info", "execute_sync")])
def test_a_resolver_run_by_the_schema_reads_the_routes_tenant(tmp_path: Path, flavour: dict[str, str], info: str,
                                                              execute: str) -> None:
    source = graphql(flavour, info if flavour is STRAWBERRY or info != "ctx: Info" else "info", execute=execute)
    found = codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert found == [("api.py", line_of(source, "table.get_item"), "DYN201")]


def test_a_resolver_the_code_never_executes_is_not_tenant_aware(tmp_path: Path) -> None:
    source = graphql(STRAWBERRY).replace("return schema.execute_sync", "return schema.as_str")
    assert codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'}) == []


def test_a_tenant_named_argument_of_a_resolver_is_client_chosen(tmp_path: Path) -> None:
    source = graphql(STRAWBERRY, more=", org_id: str = ''", org="org_id")
    found = codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert ("api.py", line_of(source, "def members"), "DYN204") in found, found


# -- a delete after the path copied the item's contents into an object -------------------------
ARCHIVE = '''import json
import boto3
table = boto3.resource("dynamodb").Table("orders")
s3 = boto3.{S3}

def handler(event, context):
    key = {"pk": event["pk"], "sk": event["sk"]}
    item = table.get_item(Key=key)["Item"]
    {PUT}
    table.delete_item(Key=key)
'''


@pytest.mark.parametrize("s3, put, expected", [
    ('client("s3")', 's3.put_object(Bucket="b", Key=event["pk"], Body=json.dumps(item))', True),
    ('client("s3")', 's3.put_object(Bucket="b", Key=event["pk"], Body=item["notes"].encode())', True),
    ('resource("s3")', 's3.Object("b", event["pk"]).put(Body=json.dumps(item, default=str))', True),
    ('client("s3")', 's3.put_object(Bucket="b", Key=event["pk"], Body=json.dumps([item["pk"], item["sk"]]))', False),
    ('client("s3")', 's3.put_object(Bucket="b", Key=event["pk"], Body=b"gone")', False),
])
def test_a_delete_after_copying_the_item_loses_what_changed_since(tmp_path: Path, s3: str, put: str,
                                                                  expected: bool) -> None:
    source = ARCHIVE.replace("{S3}", s3).replace("{PUT}", put)
    found = codes(tmp_path, {"orders.py": source})
    assert (found == [("orders.py", line_of(source, "table.delete_item"), "DYN101")]) is expected, found


# -- items chosen by the order of what they hold -------------------------------------------------
TRIM = '''import boto3
table = boto3.resource("dynamodb").Table("jobs")

def handler(event, context):
    rows = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": event["queue"]})["Items"]
    {PICK}
    table.delete_item(Key={"pk": victim["pk"], "sk": victim["sk"]})
'''


@pytest.mark.parametrize("pick, expected", [
    ('victim = min(rows, key=lambda r: r["heartbeat"])', True),
    ('victim = max(rows, key=lambda r: (r["attempts"], r["sk"]))', True),
    ('victim = sorted(rows, key=lambda r: r["priority"])[0]', True),
    ('victim = sorted(rows, key=lambda r: r["sk"])[0]', False),
    ('victim = rows[0]', False),
])
def test_an_item_chosen_by_the_order_of_its_contents_was_examined(tmp_path: Path, pick: str, expected: bool) -> None:
    source = TRIM.replace("{PICK}", pick)
    found = codes(tmp_path, {"jobs.py": source})
    assert (found == [("jobs.py", line_of(source, "table.delete_item"), "DYN101")]) is expected, found


ARIADNE = '''import boto3
from ariadne import QueryType, MutationType, graphql_sync, make_executable_schema

table = boto3.resource("dynamodb").Table("people")
{BINDABLE} = {CLASS}()

@{BINDABLE}.field("member")
def resolve_member(obj, info, team):
    org = info.context.org_id
    return table.get_item(Key={"pk": f"ORG#{org}#{team}"})["Item"]

class Ctx:
    def __init__(self, org_id):
        self.org_id = org_id

schema = make_executable_schema("type Query { member(team: String!): String }", {BINDABLE})

def handler(event, context):
    claims = event["requestContext"]["authorizer"]["claims"]
    ok, result = graphql_sync(schema, event["body"], context_value=Ctx(claims["custom:org_id"]))
    return result
'''


@pytest.mark.parametrize("bindable, cls", [("query", "QueryType"), ("mutation", "MutationType")])
def test_a_resolver_bound_to_an_ariadne_type_reads_the_routes_tenant(tmp_path: Path, bindable: str, cls: str) -> None:
    source = ARIADNE.replace("{BINDABLE}", bindable).replace("{CLASS}", cls)
    found = codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert found == [("api.py", line_of(source, "table.get_item"), "DYN201")]


def test_an_ariadne_type_given_to_no_schema_runs_nothing(tmp_path: Path) -> None:
    source = ARIADNE.replace("{BINDABLE}", "query").replace("{CLASS}", "QueryType") \
        .replace('make_executable_schema("type Query { member(team: String!): String }", query)',
                 'make_executable_schema("type Query { member(team: String!): String }")')
    assert codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'}) == []


GRAPHENE_MUTATION = '''import boto3
import graphene

table = boto3.resource("dynamodb").Table("people")

class Rename(graphene.Mutation):
    class Arguments:
        team = graphene.String()

    ok = graphene.Boolean()

    def mutate(root, info, team):
        org = info.context["org_id"]
        table.update_item(Key={"pk": f"ORG#{org}#{team}"}, UpdateExpression="SET renamed = :t",
                          ExpressionAttributeValues={":t": True})
        return Rename(ok=True)

class Mutation(graphene.ObjectType):
    rename = Rename.Field()

class Query(graphene.ObjectType):
    ping = graphene.String()

schema = graphene.Schema(query=Query, mutation=Mutation)

def handler(event, context):
    claims = event["requestContext"]["authorizer"]["claims"]
    return schema.execute(event["body"], context_value={"org_id": claims["custom:org_id"]}).data
'''


def test_a_graphene_mutations_mutate_runs_with_the_routes_tenant(tmp_path: Path) -> None:
    found = codes(tmp_path, {"api.py": GRAPHENE_MUTATION,
                             "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert found == [("api.py", line_of(GRAPHENE_MUTATION, "table.update_item"), "DYN201")]


ROUTER = '''import boto3
import strawberry
from fastapi import FastAPI, Request
from strawberry.fastapi import GraphQLRouter
from strawberry.types import Info

table = boto3.resource("dynamodb").Table("people")

@strawberry.type
class Query:
    @strawberry.field
    def member(self, info: Info, team: str) -> str:
        return table.get_item(Key={"pk": f"ORG#{info.context['org_id']}#{team}"})["Item"]["name"]

schema = strawberry.Schema(query=Query)

{GETTER}

app = FastAPI()
app.include_router(GraphQLRouter(schema{CONTEXT}), prefix="/graphql")
'''


@pytest.mark.parametrize("getter", [
    'async def get_context(request: Request):\n'
    '    return {"org_id": request.scope["aws.event"]["requestContext"]["authorizer"]["claims"]["custom:org_id"]}',
    'def get_context(request: Request) -> dict:\n'
    '    claims = request.scope["aws.event"]["requestContext"]["authorizer"]["claims"]\n'
    '    return dict(org_id=claims["custom:org_id"])',
])
def test_a_schema_a_router_serves_runs_with_the_getters_context(tmp_path: Path, getter: str) -> None:
    source = ROUTER.replace("{GETTER}", getter).replace("{CONTEXT}", ", context_getter=get_context")
    found = codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert found == [("api.py", line_of(source, "table.get_item"), "DYN201")]


def test_a_router_given_no_getter_gives_no_tenant(tmp_path: Path) -> None:
    source = ROUTER.replace("{GETTER}", "").replace("{CONTEXT}", "")
    assert codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'}) == []


# -- a session the model lost still makes a DynamoDB client ---------------------------------------
LOST_SESSION = '''from contextvars import ContextVar
import boto3

_session = ContextVar("session")

def current():
    return _session.get()

def bump(course):
    ddb = {SESSION}.client("dynamodb")
    item = ddb.get_item(TableName="t", Key={"pk": {"S": course}})["Item"]
    ddb.put_item(TableName="t", Item={**item, "n": {"N": str(int(item["n"]["N"]) + 1)}})
'''


@pytest.mark.parametrize("session", ["_session.get()", "current()"])
def test_a_client_of_a_lost_session_is_still_dynamodbs(tmp_path: Path, session: str) -> None:
    source = LOST_SESSION.replace("{SESSION}", session)
    assert codes(tmp_path, {"c.py": source}) == [("c.py", line_of(source, "ddb.put_item"), "DYN102")]


# -- data a filter kept for the tenant is the tenant's ---------------------------------------------
FILTERED = '''import boto3
from boto3.dynamodb.conditions import Attr
table = boto3.resource("dynamodb").Table("docs")
_MEMO = {}

def handler(event, context):
    org = event["requestContext"]["authorizer"]["claims"]["custom:org_id"]
    kind = event["queryStringParameters"]["kind"]
    if kind not in _MEMO:
        _MEMO[kind] = table.scan({FILTER})["Items"]
    return _MEMO[kind]
'''


@pytest.mark.parametrize("filter_, expected", [
    ('FilterExpression=Attr("org").eq(org) & Attr("kind").eq(kind)', True),
    ('FilterExpression="org_id = :o", ExpressionAttributeValues={":o": org}', True),
    ('FilterExpression=Attr("kind").eq("public")', False),
])
def test_items_a_filter_kept_for_the_tenant_are_its_data(tmp_path: Path, filter_: str, expected: bool) -> None:
    source = FILTERED.replace("{FILTER}", filter_)
    found = codes(tmp_path, {"docs.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert (("docs.py", line_of(source, "_MEMO[kind] ="), "DYN302") in found) is expected, found


# -- a ContextVar set by a body its helper runs (``asyncio.run(_body())``) --------------------------
BODY_SETTER = '''import asyncio
from contextvars import ContextVar
import boto3
from boto3.dynamodb.conditions import Attr
from fastapi import FastAPI, Request

_org = ContextVar("org", default=None)
app = FastAPI()
table = boto3.resource("dynamodb").Table("docs")

def bind(org):
{BODY}

@app.get("/docs")
def docs():
    org = _org.get()
    return table.scan(FilterExpression=Attr("org_id").eq(org))["Items"]

@app.middleware("http")
async def with_org(request: Request, call_next):
    token = bind(request.scope["aws.event"]["requestContext"]["authorizer"]["claims"]["custom:org_id"])
    try:
        return await call_next(request)
    finally:
        _org.reset(token)
'''


@pytest.mark.parametrize("body", [
    "    return _org.set(org)",
    "    async def _inner():\n        return _org.set(org)\n    return asyncio.run(_inner())",
    "    def _inner():\n        return _org.set(org)\n    return _inner()",
])
def test_a_variable_a_helpers_own_body_sets_is_bound_by_its_callers(tmp_path: Path, body: str) -> None:
    source = BODY_SETTER.replace("{BODY}", body)
    found = codes(tmp_path, {"api.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert found == [("api.py", line_of(source, "table.scan"), "DYN202")]


# -- Django's settings are the project's settings module -------------------------------------------
DJANGO = {
    "shop/settings.py": 'import os\nRENDERER_FUNCTION = os.environ["RENDERER_FUNCTION"]\n',
    "shop/signals.py": '''import boto3
from django.conf import settings

_lambda = boto3.client("lambda")

def queue_render(tenant_id, order_id):
    _lambda.invoke(FunctionName=settings.RENDERER_FUNCTION, InvocationType="Event", Payload=order_id.encode(){TENANT})
''',
    "template.yaml": INFRA.replace("{VARIABLE}", "RENDERER_FUNCTION").replace("Handler: app.handler",
                                                                             "Handler: shop.signals.queue_render"),
}


@pytest.mark.parametrize("tenant, expected", [("", True), (", TenantId=tenant_id", False)])
def test_a_django_setting_names_what_the_settings_module_binds(tmp_path: Path, tenant: str, expected: bool) -> None:
    files = {**DJANGO, "shop/signals.py": DJANGO["shop/signals.py"].replace("{TENANT}", tenant)}
    found = codes(tmp_path, files)
    assert (found == [("signals.py", line_of(files["shop/signals.py"], "_lambda.invoke"), "DYN205")]) is expected, found


# -- the tenant's own role scopes what its credentials reach ---------------------------------------
OWN_ROLE = '''import os
import boto3
sts = boto3.client("sts")
links = boto3.resource("dynamodb").Table("links")

def handler(event, context):
    org = event["requestContext"]["authorizer"]["claims"]["custom:org_id"]
    link = links.get_item(Key={"pk": f"ORG#{org}"})["Item"]
    creds = sts.assume_role(RoleArn={ROLE}, RoleSessionName="backup", ExternalId=link["external_id"])["Credentials"]
    s3 = boto3.client("s3", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    return s3.get_object(Bucket="backups", Key=f"{org}/manifest.json")["Body"].read()
'''


@pytest.mark.parametrize("role, expected", [
    ('link["role_arn"]', False),  # the role the org's own account link names
    ('f"arn:aws:iam::123456789012:role/org-{org}"', False),  # a role per org
    ('os.environ["BACKUP_ROLE_ARN"]', True),  # one role for every org
])
def test_credentials_of_the_tenants_own_role_are_scoped(tmp_path: Path, role: str, expected: bool) -> None:
    source = OWN_ROLE.replace("{ROLE}", role)
    found = codes(tmp_path, {"backup.py": source, "pyproject.toml": '[tool.dynolint]\ntenant-names = ["org"]\n'})
    assert (("backup.py", line_of(source, "s3.get_object"), "DYN201") in found) is expected, found
