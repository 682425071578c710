"""Neighbouring shapes of the classes the fifteenth session's blind probes showed (each also
has fixture projects in fixtures/cases/*15-*): the same Python or library feature written
another way must give the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import line_with as line_of, project_codes as codes


# -- for k, v in m.items(): the key is what iterating the mapping gives ------------------------
ROLLUP = '''import boto3
from collections import Counter
table = boto3.resource("dynamodb").Table("rollups")

def store(day, lines):
    units = Counter()
    for line in lines:
        units[line["sku"]] += int(line["qty"])
    previous = {sku: table.get_item(Key={"pk": "ROLLUP", "sk": f"{day}#{sku}"}).get("Item", {}) for sku in units}
    with table.batch_writer() as batch:
        {LOOP}
            kept = int(previous[sku].get("refunded", 0))
            batch.put_item(Item={"pk": "ROLLUP", "sk": f"{day}#{sku}", "units": qty, "refunded": kept})
'''


@pytest.mark.parametrize("loop", [
    "for sku, qty in units.items():",
    "for (sku, qty) in units.items():",
    "for sku, qty in sorted(units.items()):",
])
def test_the_keys_of_an_items_view_are_the_mapping_keys(tmp_path: Path, loop: str) -> None:
    source = ROLLUP.replace("{LOOP}", loop)
    found = codes(tmp_path, {"rollup.py": source})
    assert ("rollup.py", line_of(source, "batch.put_item"), "DYN103") in found, found


def test_a_counters_names_are_not_counted_keys(tmp_path: Path) -> None:
    source = '''import boto3
from collections import Counter
table = boto3.resource("dynamodb").Table("hotels")

def snapshot(day):
    late = Counter()
    for stay in table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": day})["Items"]:
        late[stay["hotel"]] += 1
    with table.batch_writer() as batch:
        for hotel, n in late.items():
            batch.put_item(Item={"pk": f"LATE#{day}", "sk": hotel, "n": n})
'''
    assert codes(tmp_path, {"snapshot.py": source}) == []


# -- a conditional expression's branches are two paths -------------------------------------------
PROMOS = '''import boto3
from botocore.exceptions import ClientError
table = boto3.resource("dynamodb").Table("promos")

class Repo:
    def __init__(self, t):
        self.t = t

    def one(self, code):
        promo = self.t.get_item(Key={"pk": code})["Item"]
        try:
            self.t.update_item(Key={"pk": code}, UpdateExpression="ADD uses :one",
                               ConditionExpression="uses < max_uses", ExpressionAttributeValues={":one": 1})
        except ClientError:
            return None
        return promo

    def many(self, code, n):
        promo = self.t.get_item(Key={"pk": code})["Item"]
        self.t.update_item(Key={"pk": code}, UpdateExpression="SET uses = :u",
                           ExpressionAttributeValues={":u": int(promo["uses"]) + n})
        return promo

def checkout(event, context):
    repo = Repo(table)
    {CHOICE}
'''


@pytest.mark.parametrize("choice", [
    'return repo.one(event["code"]) if event["n"] == 1 else repo.many(event["code"], event["n"])',
    'return repo.many(event["code"], event["n"]) if event["n"] > 1 else repo.one(event["code"])',
])
def test_a_claim_in_one_branch_does_not_cover_the_other(tmp_path: Path, choice: str) -> None:
    source = PROMOS.replace("{CHOICE}", choice)
    found = codes(tmp_path, {"promos.py": source})
    assert ("promos.py", line_of(source, 'UpdateExpression="SET uses = :u"'), "DYN102") in found, found


# -- boto3.Session's credentials by position ---------------------------------------------------
SESSION = '''import boto3
sts = boto3.client("sts")

def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
    c = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName="t",
                        Tags=[{"Key": "TenantId", "Value": tenant}])["Credentials"]
    session = {SESSION}
    return session.client("s3").get_object(Bucket="b", Key=f"{tenant}/x")
'''


@pytest.mark.parametrize("made, scoped", [
    ('boto3.Session(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])', True),
    ('boto3.Session(c["AccessKeyId"], c["SecretAccessKey"], aws_session_token=c["SessionToken"])', True),
    ('boto3.session.Session(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], "eu-west-1")', True),
    ('boto3.Session(region_name="eu-west-1")', False),
])
def test_session_credentials_given_by_position(tmp_path: Path, made: str, scoped: bool) -> None:
    found = codes(tmp_path, {"app.py": SESSION.replace("{SESSION}", made)})
    assert (("app.py", 9, "DYN201") in found) is not scoped, found


# -- an update expression built on the path --------------------------------------------------------
STATS = '''import boto3
table = boto3.resource("dynamodb").Table("stats")

def record(key, qty, now):
    expression, values = "ADD units :q", {":q": qty}
    row = table.get_item(Key=key).get("Item")
    if {TEST}:
        expression += "{EXTRA}"
        values[":now"] = {VALUE}
    table.update_item(Key=key, UpdateExpression=expression, ExpressionAttributeValues=values)
'''


@pytest.mark.parametrize("test, extra, value, race", [
    ("row is None", " SET first_sold_at = if_not_exists(first_sold_at, :now)", "now", False),
    ("row is None", ", tally :now", "now", False),
    ("row is None", " SET opened_at = :now", "now", False),  # a value not read: RULES.md's atomic update
    ("row is not None", " SET previous = :now", 'row["units"] + 1', True),  # a copy of what was read
])
def test_each_expression_the_code_may_build(tmp_path: Path, test: str, extra: str, value: str, race: bool) -> None:
    source = STATS.replace("{TEST}", test).replace("{EXTRA}", extra).replace("{VALUE}", value)
    found = codes(tmp_path, {"stats.py": source})
    assert bool(found) is race, found


# -- a settings dataclass made from the environment --------------------------------------------------
SETTINGS = '''import os
from dataclasses import dataclass, fields

@dataclass(frozen=True)
class Settings:
    table: str
    worker_fn: str

def load():
    return Settings(**{EXPR})

settings = load()
'''
INVOKE = '''import json
import boto3
from settings import settings

def requeue(event, context):
    boto3.client("lambda").invoke(FunctionName=settings.worker_fn, Payload=json.dumps(event))
'''
TEMPLATE = '''Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: worker.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
  Ops:
    Type: AWS::Serverless::Function
    Properties:
      Handler: ops.requeue
      Environment:
        Variables:
          WORKER_FN: !Ref Worker
'''


@pytest.mark.parametrize("expr", [
    '{f.name: os.environ[f.name.upper()] for f in fields(Settings)}',
    '{f.name: str(os.environ[f.name.upper()]) for f in fields(Settings) if f.name.upper() in os.environ}',
    '{f.name: os.environ.get(f.name.upper(), "") for f in fields(Settings)}',
])
def test_settings_fields_from_the_environment(tmp_path: Path, expr: str) -> None:
    found = codes(tmp_path, {"settings.py": SETTINGS.replace("{EXPR}", expr), "ops.py": INVOKE,
                             "worker.py": "def handler(event, context):\n    return context.tenant_id\n",
                             "template.yaml": TEMPLATE})
    assert ("ops.py", 6, "DYN205") in found, found


# -- a ContextVar bound by a decorator's wrapper -------------------------------------------------------
SCOPE = '''import functools
from contextvars import ContextVar

current_tenant: ContextVar = ContextVar("current_tenant", default=None)

def bind_tenant(resolve):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(event, context):
{BIND}
            try:
                return fn(event, context)
            finally:
                current_tenant.reset(token)
        return wrapper
    return decorate

def from_claims(event):
    return event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
'''
ROUTES = '''import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
{IMPORT}

app = APIGatewayRestResolver()
orders = boto3.resource("dynamodb").Table("orders")

@app.get("/orders/<order_id>")
def get_order(order_id):
    tenant = current_tenant.get()
    item = orders.get_item(Key={"order_id": order_id}).get("Item")
    return {"mine": item is not None and item.get("tenant") == tenant}

{HANDLER}
'''


@pytest.mark.parametrize("bind", [
    "            token = current_tenant.set(resolve(event))",
    "            tenant = resolve(event)\n            token = current_tenant.set(tenant)",
    "            claims = event\n            tenant = resolve(claims)\n            token = current_tenant.set(tenant)",
])
@pytest.mark.parametrize("imported, handler", [
    ("from scope import bind_tenant, current_tenant, from_claims",
     "@bind_tenant(from_claims)\ndef handler(event, context):\n    return app.resolve(event, context)"),
    ("from scope import bind_tenant as scoped, current_tenant, from_claims",
     "@scoped(from_claims)\ndef handler(event, context):\n    return app.resolve(event, context)"),
    ("import scope\nfrom scope import current_tenant",
     "handler = scope.bind_tenant(scope.from_claims)(app.resolve)"),
])
def test_a_route_reads_what_the_decorators_wrapper_bound(tmp_path: Path, bind: str, imported: str,
                                                         handler: str) -> None:
    routes = ROUTES.replace("{IMPORT}", imported).replace("{HANDLER}", handler)
    found = codes(tmp_path, {"scope.py": SCOPE.replace("{BIND}", bind), "orders.py": routes})
    assert ("orders.py", line_of(routes, "orders.get_item"), "DYN202") in found, found


# -- a @contextmanager method, however the receiver is reached -----------------------------------------
NOTES = '''from contextlib import contextmanager
import boto3

class Store:
    def __init__(self):
        self._ddb = boto3.resource("dynamodb")

    @contextmanager
    def notes(self):
        yield self._ddb.Table("notes")

class Service:
    def __init__(self):
        self.store = Store()

    def get(self, event):
        tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
        with {MANAGER} as table:
            return table.get_item(Key={"pk": f"TENANT#{tenant}"}).get("Item")

STORE = Store()
SERVICE = Service()

def handler(event, context):
    return SERVICE.get(event)
'''


@pytest.mark.parametrize("manager", ["STORE.notes()", "self.store.notes()"])
def test_a_contextmanager_method_binds_what_it_yields(tmp_path: Path, manager: str) -> None:
    source = NOTES.replace("{MANAGER}", manager)
    found = codes(tmp_path, {"app.py": source})
    assert ("app.py", line_of(source, "table.get_item"), "DYN201") in found, found


# -- keys read in chunks -------------------------------------------------------------------------------
CHUNKS = '''import boto3
from collections import Counter
dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table("postings")

def chunks(seq, size):
    for start in range(0, len(seq), size):
        yield seq[start:start + size]

def index(firm, words):
    counts = Counter(words)
    found = {}
    for chunk in chunks({KEYS}, 100):
        resp = dynamodb.batch_get_item(RequestItems={"postings": {"Keys": [{"pk": firm, "sk": t} for t in chunk]}})
        found.update({item["sk"]: item for item in resp["Responses"]["postings"]})
    with table.batch_writer() as batch:
        for term, n in counts.items():
            docs = found.get(term, {}).get("docs", 0)
            batch.put_item(Item={"pk": firm, "sk": term, "docs": docs + n})
'''


@pytest.mark.parametrize("keys", ["sorted(counts)", "list(counts)", "[*counts]"])
def test_a_slice_of_the_keys_holds_the_keys(tmp_path: Path, keys: str) -> None:
    source = CHUNKS.replace("{KEYS}", keys)
    found = codes(tmp_path, {"index.py": source})
    assert ("index.py", line_of(source, "batch.put_item"), "DYN103") in found, found
