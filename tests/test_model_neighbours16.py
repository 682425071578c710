"""Neighbouring shapes of the classes the sixteenth session's blind probes showed (each also
has fixture projects in fixtures/cases/*16-*): the same Python or library feature written
another way must give the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import line_with as line_of, project_codes as codes


# -- a filter's presence tests on a listing's items are decisions, as an if's are -------------
LISTING = '''import boto3
table = boto3.resource("dynamodb").Table("tabs")

def take(venue, me):
    rows = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": venue})["Items"]
    {PICK}
        table.update_item(Key={"pk": row["pk"], "sk": row["sk"]}, UpdateExpression="SET reviewer = :me",
                          ConditionExpression="{COND}", ExpressionAttributeValues={":me": me})
'''


@pytest.mark.parametrize("pick", [
    'for row in [r for r in rows if "reviewer" not in r]:',
    'for row in (r for r in rows if not r.get("reviewer")):',
    'for row in filter(lambda r: "reviewer" not in r, rows):',
    'for row in rows:\n        if "reviewer" in row:\n            continue',
])
def test_a_presence_test_the_condition_leaves_open_is_a_race(tmp_path: Path, pick: str) -> None:
    source = LISTING.replace("{PICK}", pick).replace("{COND}", "attribute_exists(pk)")
    found = codes(tmp_path, {"tabs.py": source})
    assert ("tabs.py", line_of(source, "table.update_item"), "DYN101") in found, found


@pytest.mark.parametrize("pick", [
    'for row in [r for r in rows if "reviewer" not in r]:',
    'for row in (r for r in rows if not r.get("reviewer")):',
    'for row in rows:\n        if "reviewer" in row:\n            continue',
])
def test_the_presence_test_pinned_by_the_condition_is_guarded(tmp_path: Path, pick: str) -> None:
    source = LISTING.replace("{PICK}", pick).replace("{COND}", "attribute_not_exists(reviewer)")
    assert codes(tmp_path, {"tabs.py": source}) == []


# -- a marker claimed once overwrites nothing; a marker beside a decided change does -----------
SWEEP = '''import boto3
table = boto3.resource("dynamodb").Table("tickets")

def sweep(queue, now):
    for t in table.query(KeyConditionExpression="pk = :q", ExpressionAttributeValues={":q": queue})["Items"]:
        if t["due_at"] < now and t.get("state") != "BREACHED":
            table.update_item(Key={"pk": t["pk"], "sk": t["sk"]}, UpdateExpression="{EXPR}",
                              ConditionExpression="attribute_not_exists(notified_at)",
                              ExpressionAttributeNames={"#s": "state"},
                              ExpressionAttributeValues={":now": now, ":b": "BREACHED"})
'''


@pytest.mark.parametrize("expression, race", [
    ("SET notified_at = :now", False),
    ("SET notified_at = if_not_exists(notified_at, :now)", False),
    ("SET notified_at = :now, #s = :b", True),
    ("SET notified_at = :now REMOVE escalated", True),
])
def test_a_marker_claimed_once(tmp_path: Path, expression: str, race: bool) -> None:
    source = SWEEP.replace("{EXPR}", expression)
    found = codes(tmp_path, {"sweep.py": source})
    assert (("sweep.py", line_of(source, "table.update_item"), "DYN101") in found) is race, found


# -- a project descriptor read as an attribute runs its __get__ --------------------------------
SCOPE = '''import json
import boto3
_sts = boto3.client("sts")

class {DESC}:
    def __init__(self, fn):
        self.fn = fn
    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        {BODY}

class Scope:
    def __init__(self, tenant):
        self.tenant = tenant
    @{DESC}
    def session(self):
        creds = _sts.assume_role(RoleArn="r", RoleSessionName=self.tenant,
                                 Policy=json.dumps({"t": self.tenant}))["Credentials"]
        return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds["SessionToken"])
    @{DESC}
    def s3(self):
        return self.session.client("s3")

def handler(event, context):
    scope = Scope(event["headers"]["x-tenant-id"])
    return scope.s3.get_object(Bucket="b", Key=f"{scope.tenant}/report.pdf")
'''


@pytest.mark.parametrize("name, body", [
    ("lazy", "value = obj.__dict__[self.fn.__name__] = self.fn(obj)\n        return value"),
    ("cached", "return self.fn(obj)"),
    ("per_request", "setattr(obj, self.fn.__name__, self.fn(obj))\n        return getattr(obj, self.fn.__name__)"),
])
def test_a_descriptor_decorator_gives_what_its_get_returns(tmp_path: Path, name: str, body: str) -> None:
    source = SCOPE.replace("{DESC}", name).replace("{BODY}", body)
    found = codes(tmp_path, {"scope.py": source})
    # the header scopes the tenant's credentials: through both descriptors the client is the tenant's
    assert ("scope.py", line_of(source, "x-tenant-id"), "DYN204") in found, found


# -- the variables of a closure made at import ------------------------------------------------
FACTORY = '''import boto3
_sts = boto3.client("sts")

def scoped(org):
    c = _sts.assume_role(RoleArn="r", RoleSessionName=org, Tags=[{"Key": "org", "Value": org}])["Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"]).resource("dynamodb").Table("usage")

def _factory():
    table = None
    def get(org):
        nonlocal table
        if table is None:
            table = scoped(org)
        return table
    return get

{BIND}

def handler(event, context):
    org = context.tenant_id
    return {CALL}.get_item(Key={"pk": org})
'''


@pytest.mark.parametrize("bind, call, kept", [
    ("usage_table = _factory()", "usage_table(org)", True),
    ("TABLES = {'usage': _factory()}", "TABLES['usage'](org)", True),
    ("", "_factory()(org)", False),  # made by each invocation: it dies with it
])
def test_a_closure_made_at_import_keeps_its_variables(tmp_path: Path, bind: str, call: str, kept: bool) -> None:
    source = FACTORY.replace("{BIND}", bind).replace("{CALL}", call)
    found = codes(tmp_path, {"usage.py": source})
    assert (("usage.py", line_of(source, "table = scoped(org)"), "DYN203") in found) is kept, found


# -- numbers counted over a listing, under a claim every such writer takes ----------------------
NUMBERED = '''import boto3
from botocore.exceptions import ClientError
table = boto3.resource("dynamodb").Table("league")

def generate(league, season, run):
    try:
        table.put_item(Item={"pk": f"L#{league}", "sk": {LEASE}}, ConditionExpression="attribute_not_exists(pk)")
    except ClientError:
        return
    teams = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": f"L#{league}"})["Items"]
    n = 0
    with table.batch_writer() as batch:
        for team in teams:
            n += 1
            batch.put_item(Item={"pk": f"L#{league}", "sk": f"FIX#{season}#{n}", "home": team["name"]})
'''


@pytest.mark.parametrize("lease, race", [
    ('f"RUN#{season}"', False),
    ('"RUN#" + season', False),
    ('f"RUN#{season}#{run}"', True),  # a lease per run: two runs of one season both win theirs
])
def test_numbers_counted_under_a_shared_claim(tmp_path: Path, lease: str, race: bool) -> None:
    source = NUMBERED.replace("{LEASE}", lease)
    found = codes(tmp_path, {"gen.py": source})
    assert (("gen.py", line_of(source, "batch.put_item"), "DYN103") in found) is race, found


# -- a memo of another service's answer by the entry's own name -------------------------------
MEMO = '''import boto3
ssm = boto3.client("ssm")
profiles = boto3.resource("dynamodb").Table("profiles")
LIMITS = {}

def handler(event, context):
    tenant = context.tenant_id
    plan = profiles.get_item(Key={"pk": tenant})["Item"]["plan"]
    if plan not in LIMITS:
        LIMITS[plan] = {VALUE}
    return LIMITS[plan]
'''


@pytest.mark.parametrize("value, leak", [
    ('int(ssm.get_parameter(Name=f"/plans/{plan}/limit")["Parameter"]["Value"])', False),
    ('ssm.get_parameter(Name="/plans/" + plan)["Parameter"]["Value"]', False),
    ('ssm.get_parameter(Name=f"/tenants/{tenant}/plans/{plan}")["Parameter"]["Value"]', True),
])
def test_a_service_answer_memoised_by_its_name(tmp_path: Path, value: str, leak: bool) -> None:
    source = MEMO.replace("{VALUE}", value)
    found = codes(tmp_path, {"limits.py": source})
    assert (("limits.py", line_of(source, "LIMITS[plan] ="), "DYN302") in found) is leak, found


# -- a literal key keys nothing per tenant, even when a session tag holds it --------------------
VEND = '''import boto3
_sts = boto3.client("sts")
CACHE = {}

def client_for(tenant, purpose):
    if {KEY} not in CACHE:
        CACHE[{KEY}] = _sts.assume_role(RoleArn="r", RoleSessionName=tenant, Tags=[
            {"Key": "TenantId", "Value": tenant}, {"Key": "Purpose", "Value": purpose}])["Credentials"]
    c = CACHE[{KEY}]
    return boto3.client("s3", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                        aws_session_token=c["SessionToken"])

def handler(event, context):
    return client_for(context.tenant_id, "reports").list_objects_v2(Bucket="b", Prefix=context.tenant_id)
'''


@pytest.mark.parametrize("key, kept", [
    ("purpose", True),
    ('"reports"', True),
    ("(tenant, purpose)", False),
    ('f"{tenant}:{purpose}"', False),
])
def test_credentials_cached_by_a_literal_are_shared(tmp_path: Path, key: str, kept: bool) -> None:
    source = VEND.replace("{KEY}", key)
    found = codes(tmp_path, {"vend.py": source})
    assert (("vend.py", line_of(source, "CACHE[" + key + "] ="), "DYN203") in found) is kept, found


# -- a module setting compared with a tenant's value is no owner check ---------------------------
SETTING = '''from collections import deque
from os import environ
LIMIT = {LIMIT}
RECENT = deque(maxlen=100)
SEEN = {}

def handler(event, context):
    tenant = context.tenant_id
    SEEN[tenant] = SEEN.get(tenant, 0) + 1
    if SEEN[tenant] {OP} LIMIT:
        return {"statusCode": 429}
    RECENT.append({"tenant": tenant, "path": event["rawPath"]})
'''


@pytest.mark.parametrize("limit, op", [("50", ">"), ("'gold'", "=="), ("50", "!="),
                                       ('int(environ.get("LIMIT", "50"))', ">")])
def test_a_setting_compared_with_a_tenants_value_checks_no_owner(tmp_path: Path, limit: str, op: str) -> None:
    source = SETTING.replace("{LIMIT}", limit).replace("{OP}", op)
    found = codes(tmp_path, {"limits.py": source})
    assert ("limits.py", line_of(source, "RECENT.append"), "DYN302") in found, found


# -- the S3 operations by key: a tenant's object through the execution role ---------------------
S3_CALL = '''import boto3
s3 = boto3.client("s3")

def handler(event, context):
    tenant = context.tenant_id
    return s3.{CALL}
'''


@pytest.mark.parametrize("call", [
    'abort_multipart_upload(Bucket="b", Key=f"{tenant}/in/x", UploadId=event["id"])',
    'list_parts(Bucket="b", Key=f"{tenant}/in/x", UploadId=event["id"])',
    'put_object_acl(Bucket="b", Key=f"{tenant}/x", ACL="private")',
    'get_object_attributes(Bucket="b", Key=f"{tenant}/x", ObjectAttributes=["ETag"])',
    'put_object_legal_hold(Bucket="b", Key=f"{tenant}/x", LegalHold={"Status": "ON"})',
    'list_multipart_uploads(Bucket="b", Prefix=f"{tenant}/")',
])
def test_s3_operations_by_key_are_data_calls(tmp_path: Path, call: str) -> None:
    source = S3_CALL.replace("{CALL}", call)
    assert codes(tmp_path, {"objects.py": source}) == [("objects.py", 6, "DYN201")]
