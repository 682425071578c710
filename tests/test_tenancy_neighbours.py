"""Tenancy shapes found by probing neighbours of the labelled ones (session of 2026-12-05, night):
records of a queue or stream event, a Powertools resolver's Lambda context, pydantic and Powertools
parsers of the request body, a literal S3 key read, a key condition's own values (not a filter's),
and a function name qualified by an alias."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

TABLE = 'import json\nimport boto3\n\nt = boto3.resource("dynamodb").Table("notes")\n\n\n'


def check(tmp_path: Path, body: str, files: dict[str, str] | None = None) -> set[tuple[str, int, str]]:
    (tmp_path / "app.py").write_text(TABLE + textwrap.dedent(body))
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return triples(findings_in(tmp_path))


@pytest.mark.parametrize("records", ['event["Records"]', 'event.get("Records", [])'])
def test_a_tenant_field_of_each_queue_record(tmp_path: Path, records: str) -> None:
    # each record is the event's, as event["Records"][0] is; a producer wrote it (no DYN204)
    found = check(tmp_path, f'''
        def handler(event, context):
            for record in {records}:
                msg = json.loads(record["body"])
                t.put_item(Item={{"pk": f"TENANT#{{msg['tenant_id']}}", "sk": record["messageId"]}})
    ''')
    assert found == {("app.py", 11, "DYN201")}


def test_the_tenant_of_a_powertools_resolvers_context(tmp_path: Path) -> None:
    found = check(tmp_path, '''
        from aws_lambda_powertools.event_handler import APIGatewayRestResolver

        app = APIGatewayRestResolver()


        @app.get("/notes")
        def notes():
            tenant = app.lambda_context.tenant_id
            return t.scan()["Items"]


        def handler(event, context):
            return app.resolve(event, context)
    ''')
    assert found == {("app.py", 16, "DYN202")}


@pytest.mark.parametrize("key, expected", [
    ('"templates/invoice.html"', set()),  # shared data, the same for every tenant
    ('f"{tenant}/invoice.html"', {("app.py", 13, "DYN201")}),
    ('event["name"]', {("app.py", 13, "DYN202")}),
])
def test_an_s3_object_read_by_a_literal_key(tmp_path: Path, key: str, expected: set) -> None:
    found = check(tmp_path, f'''
        s3 = boto3.client("s3")


        def handler(event, context):
            tenant = context.tenant_id
            return s3.get_object(Bucket="assets", Key={key})
    ''')
    assert found == expected


def test_a_write_to_a_literal_s3_key_is_still_unscoped(tmp_path: Path) -> None:
    found = check(tmp_path, '''
        s3 = boto3.client("s3")


        def handler(event, context):
            tenant = context.tenant_id
            s3.put_object(Bucket="exports", Key="latest.csv", Body=event["body"])
    ''')
    assert found == {("app.py", 13, "DYN202")}


MODEL = '''
    from pydantic import BaseModel
    from aws_lambda_powertools.utilities.parser import envelopes, parse


    class Note(BaseModel):
        tenant_id: str
        text: str


    def handler(event, context):
        note = PARSED
        t.put_item(Item={"pk": f"TENANT#{note.tenant_id}", "text": note.text})
'''


@pytest.mark.parametrize("parsed, expected", [
    ('Note.model_validate_json(event["body"])', {("app.py", 18, "DYN204"), ("app.py", 19, "DYN201")}),
    ('Note.parse_raw(event["body"])', {("app.py", 18, "DYN204"), ("app.py", 19, "DYN201")}),
    ("parse(event=event, model=Note, envelope=envelopes.ApiGatewayEnvelope)",
     {("app.py", 18, "DYN204"), ("app.py", 19, "DYN201")}),
    ("parse(event=event, model=Note)", {("app.py", 19, "DYN201")}),  # the invocation's own payload
    ("Note.model_validate_json(json.dumps({'tenant_id': 'platform', 'text': 'hi'}))", set()),  # a constant
])
def test_a_request_body_parsed_into_a_model(tmp_path: Path, parsed: str, expected: set) -> None:
    assert check(tmp_path, MODEL.replace("PARSED", parsed)) == expected


@pytest.mark.parametrize("condition, values, code", [
    ('"#s = :open"', '":open": {"S": "OPEN"}, ":t": {"S": tid}', "DYN202"),  # the tenant only filters
    ('"tenant_id = :t AND begins_with(sk, :p)"', '":p": {"S": "NOTE#"}, ":t": {"S": tid}', "DYN201"),
])
def test_the_tenant_in_a_key_condition_or_in_a_filter(tmp_path: Path, condition: str, values: str,
                                                       code: str) -> None:
    found = check(tmp_path, f'''
        ddb = boto3.client("dynamodb")


        def handler(event, context):
            tid = context.tenant_id
            return ddb.query(TableName="T", IndexName="by-status", KeyConditionExpression={condition},
                             FilterExpression="tenant_id = :t", ExpressionAttributeNames={{"#s": "status"}},
                             ExpressionAttributeValues={{{values}}})
    ''')
    assert found == {("app.py", 13, code)}


TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Renderer:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: tenant-render
      Handler: worker.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
"""


@pytest.mark.parametrize("name", ["tenant-render:live", "tenant-render:7", "123456789012:function:tenant-render"])
def test_a_per_tenant_function_named_with_a_qualifier(tmp_path: Path, name: str) -> None:
    found = check(tmp_path, f'''
        lam = boto3.client("lambda")


        def handler(event, context):
            lam.invoke(FunctionName="{name}", Payload=b"{{}}")
    ''', {"template.yaml": TEMPLATE, "worker.py": "def handler(event, context):\n    return 1\n"})
    assert found == {("app.py", 12, "DYN205")}


@pytest.mark.parametrize("removal, expected", [
    ("IN_FLIGHT.pop(context.aws_request_id, None)", set()),  # the entry lives for the request
    ("del IN_FLIGHT[context.aws_request_id]", set()),
    ('IN_FLIGHT.pop("other", None)', {("app.py", 13, "DYN302")}),  # another entry removed
])
def test_a_module_dict_entry_removed_by_its_key_in_a_finally(tmp_path: Path, removal: str, expected: set) -> None:
    found = check(tmp_path, f'''
        IN_FLIGHT = {{}}


        def handler(event, context):
            tid = context.tenant_id
            IN_FLIGHT[context.aws_request_id] = tid
            try:
                return t.get_item(Key={{"pk": f"{{tid}}#settings"}})
            finally:
                {removal}
    ''')
    assert {f for f in found if f[2] == "DYN302"} == expected


VAULT = '''
    class Vault:
        _session = None
        _sessions = {}

        @classmethod
        def for_tenant(cls, tid):
            creds = boto3.client("sts").assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName=tid,
                                                     Tags=[{"Key": "tenant", "Value": tid}])["Credentials"]
            session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                                    aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"])
            STORE
            return session


    def handler(event, context):
        s = Vault.for_tenant(context.tenant_id)
        return s.resource("dynamodb").Table("t").get_item(Key={"pk": f"{context.tenant_id}#x"})
'''


@pytest.mark.parametrize("store, expected", [
    ("cls._session = session", {("app.py", 19, "DYN203")}),  # the class is module state, whatever names it
    ("cls._sessions[tid] = session", set()),  # keyed by the tenant
])
def test_scoped_credentials_kept_on_the_class_by_a_classmethod(tmp_path: Path, store: str, expected: set) -> None:
    assert check(tmp_path, VAULT.replace("STORE", store)) == expected


@pytest.mark.parametrize("target, expected", [
    ("STATE", {("app.py", 15, "DYN302")}),  # setattr on module state is the assignment it stands for
    ("Box()", set()),  # on an object made for the request
])
def test_setattr_with_a_literal_name(tmp_path: Path, target: str, expected: set) -> None:
    found = check(tmp_path, f'''
        import threading

        STATE = threading.local()
        Box = type("Box", (), {{}})


        def handler(event, context):
            setattr({target}, "tenant", context.tenant_id)
            return 1
    ''')
    assert found == expected


@pytest.mark.parametrize("callback, expected", [
    ("stack.callback(os.remove, path)", set()),  # removed where the block ends, on every path
    ("stack.callback(print, path)", {("app.py", 17, "DYN301")}),
])
def test_a_tmp_file_removed_by_an_exit_stack_callback(tmp_path: Path, callback: str, expected: set) -> None:
    found = check(tmp_path, f'''
        import contextlib
        import os


        def handler(event, context):
            tenant = context.tenant_id
            path = f"/tmp/{{context.aws_request_id}}.bin"
            with contextlib.ExitStack() as stack:
                {callback}
                with open(path, "w") as f:
                    f.write(tenant)
    ''')
    assert found == expected


@pytest.mark.parametrize("before, after, expected", [
    ("", "", {("app.py", 14, "DYN302")}),  # bound for the request, kept by the process for the next
    ("structlog.contextvars.clear_contextvars()", "", set()),  # cleared as every request starts
    ("", 'structlog.contextvars.unbind_contextvars("tenant_id")', set()),
])
def test_structlog_context_bound_to_the_tenant(tmp_path: Path, before: str, after: str, expected: set) -> None:
    found = check(tmp_path, f'''
        import structlog


        def handler(event, context):
            {before or "pass"}
            tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
            structlog.contextvars.bind_contextvars(tenant_id=tenant)
            {after or "pass"}
            return tenant
    ''')
    assert found == expected


def test_one_untrusted_tenant_id_a_line(tmp_path: Path) -> None:
    # two spellings of one header tried on one line take one tenant id: one finding there
    check(tmp_path, '''
        def handler(event, context):
            h = event["headers"]
            tenant = h.get("X-Tenant-Id") or h.get("x-tenant-id")
            return t.get_item(Key={"pk": f"{tenant}#settings"})
    ''')
    found = [(f.line, f.code) for f in findings_in(tmp_path).findings]  # (a list: two on one line count twice)
    assert sorted(found) == [(10, "DYN204"), (11, "DYN201")]
