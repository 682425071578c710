"""Tenancy shapes found by probing fresh multi-tenant code (session of 2026-12-05, late): a handler
that serves EventBridge events and API requests alike, and a tenant id authorized by membership
in the tenants the caller's verified claims grant."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

TABLE = 'import json\nimport boto3\n\nt = boto3.resource("dynamodb").Table("notes")\n\n\n'


def check(tmp_path: Path, body: str) -> set[tuple[str, int, str]]:
    (tmp_path / "app.py").write_text(TABLE + textwrap.dedent(body))
    return triples(findings_in(tmp_path))


# -- an EventBridge field read beside a request's ------------------------------------------------


@pytest.mark.parametrize("request_read", [
    'json.loads(event["body"])',
    'event.get("queryStringParameters") or {}',
    'event["pathParameters"]',
])
def test_a_handler_that_also_reads_a_request_serves_requests(tmp_path: Path, request_read: str) -> None:
    found = check(tmp_path, f'''
        def handler(event, context):
            update = event.get("detail") or {request_read}
            tenant = event["headers"]["x-tenant-id"]
            t.put_item(Item={{"pk": f"TENANT#{{tenant}}", "sk": update["id"]}})
    ''')
    assert found == {("app.py", 10, "DYN204"), ("app.py", 11, "DYN201")}


@pytest.mark.parametrize("field", ['event["detail"]', 'event.get("detail-type")'])
def test_an_eventbridge_only_handler_stays_platform_invoked(tmp_path: Path, field: str) -> None:
    found = check(tmp_path, f'''
        def handler(event, context):
            kind = {field}
            detail = event["detail"]
            t.put_item(Item={{"pk": f"TENANT#{{detail['tenantId']}}", "sk": detail["id"], "kind": str(kind)}})
    ''')
    assert found == set()


def test_a_field_of_the_detail_named_like_a_request_section_is_not_a_request(tmp_path: Path) -> None:
    # ``event["detail"]["body"]``: the event's own payload, not an HTTP request's body
    found = check(tmp_path, '''
        def handler(event, context):
            body = json.loads(event["detail"]["body"])
            t.put_item(Item={"pk": f"TENANT#{body['tenantId']}", "sk": body["id"]})
    ''')
    assert found == set()


# -- membership in the tenants the verified claims grant ------------------------------------------

CLAIMS = 'event["requestContext"]["authorizer"]["claims"]'


@pytest.mark.parametrize("allowed", [
    f'{CLAIMS}["custom:tenants"].split(",")',
    f'json.loads({CLAIMS}.get("custom:tenants", "[]"))',
    f'{CLAIMS}["cognito:groups"]',
    f'set({CLAIMS}["custom:tenants"].split(","))',
])
def test_a_tenant_among_those_the_claims_grant_is_authorized(tmp_path: Path, allowed: str) -> None:
    found = check(tmp_path, f'''
        def handler(event, context):
            tenant = event["headers"]["x-tenant-id"].strip()
            if tenant not in {allowed}:
                return {{"statusCode": 403}}
            return t.get_item(Key={{"pk": f"TENANT#{{tenant}}", "sk": "settings"}}).get("Item")
    ''')
    assert found == {("app.py", 12, "DYN201")}  # authorized: the execution role is still the shared one


def test_membership_in_a_list_the_client_sends_authorizes_nothing(tmp_path: Path) -> None:
    found = check(tmp_path, '''
        def handler(event, context):
            tenant = event["headers"]["x-tenant-id"]
            if tenant not in event["headers"]["x-allowed-tenants"].split(","):
                return {"statusCode": 403}
            return t.get_item(Key={"pk": f"TENANT#{tenant}", "sk": "settings"}).get("Item")
    ''')
    assert found == {("app.py", 9, "DYN204"), ("app.py", 12, "DYN201")}


def test_membership_that_only_logs_authorizes_nothing(tmp_path: Path) -> None:
    found = check(tmp_path, f'''
        def handler(event, context):
            tenant = event["headers"]["x-tenant-id"]
            if tenant not in {CLAIMS}["custom:tenants"].split(","):
                print("not a member", tenant)
            return t.get_item(Key={{"pk": f"TENANT#{{tenant}}", "sk": "settings"}}).get("Item")
    ''')
    assert found == {("app.py", 9, "DYN204"), ("app.py", 12, "DYN201")}


def test_a_comparison_of_computed_operands_is_an_authorization(tmp_path: Path) -> None:
    # the operands are calls (a trimmed header, a helper returning the claims): the comparison's
    # evaluated values decide, not a look at names alone
    found = check(tmp_path, f'''
        def claims_of(event):
            return {CLAIMS}


        def handler(event, context):
            tenant = event["headers"]["x-tenant-id"]
            if tenant.strip().lower() != claims_of(event)["custom:tenant_id"].lower():
                return {{"statusCode": 403}}
            return t.get_item(Key={{"pk": f"TENANT#{{tenant.strip().lower()}}", "sk": "s"}}).get("Item")
    ''')
    assert found == {("app.py", 16, "DYN201")}


# -- a module dict's entry given back a value that holds nothing ----------------------------------

ADAPTER = '''
import logging

logger = logging.getLogger("orders")
_extra = {"tenant": "-"}
log = logging.LoggerAdapter(logger, _extra)


def handler(event, context):
    _extra["tenant"] = context.tenant_id
    try:
        log.info("start")
        return {"ok": True}
    finally:
        _extra["tenant"] = RESET
'''


@pytest.mark.parametrize("reset", ['"-"', "None"])
def test_an_entry_reset_in_a_finally_lives_for_the_request(tmp_path: Path, reset: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(ADAPTER.replace("RESET", reset)))
    assert triples(findings_in(tmp_path)) == set()


def test_an_entry_given_another_value_in_a_finally_still_outlives_it(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(ADAPTER.replace("RESET", 'context.function_name')))
    assert triples(findings_in(tmp_path)) == {("app.py", 10, "DYN302")}


def test_an_entry_reset_only_where_it_succeeds_outlives_a_failure(tmp_path: Path) -> None:
    source = ADAPTER.replace("    try:\n", "    if True:\n").replace("    finally:\n", "    if True:\n") \
        .replace("RESET", '"-"')
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    assert triples(findings_in(tmp_path)) == {("app.py", 10, "DYN302")}


# -- Powertools' batch utilities call the record handler with each record ---------------------------

BATCH = '''
import json

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, PROCESS

processor = BatchProcessor(event_type=EventType.SQS)
orders = boto3.resource("dynamodb").Table("orders")
LAST = {}


def record_handler(record):
    payload = json.loads(record.body)
    LAST["tenant"] = payload["tenantId"]
    orders.put_item(Item={"pk": payload["orderId"], "status": "PAID"})


def handler(event, context):
    return PROCESS(event=event, record_handler=record_handler, processor=processor, context=context)
'''


@pytest.mark.parametrize("process", ["process_partial_response", "async_process_partial_response"])
def test_each_record_reaches_the_record_handler(tmp_path: Path, process: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(BATCH.replace("PROCESS", process)))
    # the tenant a producer put in the record (invoker-trusted: no DYN204), kept in a module dict
    # and not in the key of the write
    assert triples(findings_in(tmp_path)) == {("app.py", 14, "DYN302"), ("app.py", 15, "DYN202")}


def test_a_record_handler_that_keys_by_the_tenant_and_keeps_nothing_is_clean(tmp_path: Path) -> None:
    source = BATCH.replace("PROCESS", "process_partial_response").replace('    LAST["tenant"] = payload["tenantId"]\n', "") \
        .replace('{"pk": payload["orderId"]', '{"pk": f"{payload[\'tenantId\']}#{payload[\'orderId\']}"')
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    assert {code for _, _, code in triples(findings_in(tmp_path))} == {"DYN201"}


# -- Powertools' @event_parser gives the handler the model it parsed --------------------------------

PARSED = '''
import boto3
from aws_lambda_powertools.utilities.parser import BaseModel, envelopes, event_parser

table = boto3.resource("dynamodb").Table("projects")


class CreateProject(BaseModel):
    tenant_id: str
    name: str


@event_parser(PARSER)
def handler(event: CreateProject, context):
    table.put_item(Item={"pk": f"TENANT#{event.tenant_id}", "sk": event.name})
'''


@pytest.mark.parametrize("parser", ["model=CreateProject, envelope=envelopes.ApiGatewayEnvelope",
                                    "envelope=envelopes.ApiGatewayEnvelope"])  # the model from the annotation
def test_a_model_parsed_from_an_api_body_holds_the_clients_tenant(tmp_path: Path, parser: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(PARSED.replace("PARSER", parser)))
    found = triples(findings_in(tmp_path))
    assert found == {("app.py", 14, "DYN204"), ("app.py", 15, "DYN201")}  # the id is taken by the handler


def test_a_model_parsed_from_the_invocation_is_the_invokers(tmp_path: Path) -> None:
    # no envelope: the event itself (a direct invocation's payload): the invoker's tenant, no DYN204
    (tmp_path / "app.py").write_text(textwrap.dedent(PARSED.replace("PARSER", "model=CreateProject")))
    assert triples(findings_in(tmp_path)) == {("app.py", 15, "DYN201")}


# -- Flask's g: what a before-request hook stores is there in the view ------------------------------

FLASK_G = '''
import boto3
from flask import Blueprint, Flask, g, request

app = Flask(__name__)
orders = Blueprint("orders", __name__)
table = boto3.resource("dynamodb").Table("orders")


@HOOK
def load_tenant():
    g.tenant_id = SOURCE


@orders.route("/orders/<order_id>")
def get_order(order_id):
    return table.get_item(Key={"pk": f"TENANT#{g.tenant_id}", "sk": order_id}).get("Item")
'''


@pytest.mark.parametrize("hook", ["app.before_request", "orders.before_app_request"])
def test_a_tenant_a_hook_took_from_a_header_scopes_the_view(tmp_path: Path, hook: str) -> None:
    source = FLASK_G.replace("HOOK", hook).replace("SOURCE", 'request.headers["X-Tenant-Id"]')
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    assert triples(findings_in(tmp_path)) == {("app.py", 12, "DYN204"), ("app.py", 17, "DYN201")}


def test_a_tenant_a_hook_took_from_verified_claims_is_trusted(tmp_path: Path) -> None:
    source = FLASK_G.replace("HOOK", "app.before_request").replace(
        "SOURCE", 'request.environ["serverless.event"]["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]')
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    assert {code for _, _, code in triples(findings_in(tmp_path))} <= {"DYN201"}


def test_g_is_the_requests_not_process_state(tmp_path: Path) -> None:
    # a tenant kept on g lives for the request (Flask makes a new g for each): no DYN302
    source = FLASK_G.replace("HOOK", "app.before_request").replace("SOURCE", 'request.headers["X-Tenant-Id"]')
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    assert "DYN302" not in {code for _, _, code in triples(findings_in(tmp_path))}


def test_a_view_that_stores_and_reads_g_itself(tmp_path: Path) -> None:
    source = FLASK_G.replace("@HOOK\n", "").replace("SOURCE", 'request.headers["X-Tenant-Id"]').replace(
        '    return table.get_item(', '    load_tenant()\n    return table.get_item(')
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    assert triples(findings_in(tmp_path)) == {("app.py", 11, "DYN204"), ("app.py", 17, "DYN201")}


# -- a /tmp file removed in every handler and where the body succeeded ---------------------------

EXPORT = '''
import os

import boto3

s3 = boto3.client("s3")


def export(event, context):
    tenant_id = context.tenant_id
    out = f"/tmp/{tenant_id}-report.csv"
    try:
        with open(out, "w") as fh:
            fh.write("id\\n")
        s3.upload_file(out, "reports", f"{tenant_id}/report.csv")
    except CAUGHT:
        HANDLER
        raise
    else:
        os.remove(out)
    return {"ok": True}
'''


@pytest.mark.parametrize("caught", ["Exception", "BaseException", "(OSError, Exception)"])
def test_removed_in_a_catch_all_handler_and_in_else_is_removed_on_every_path(tmp_path: Path, caught: str) -> None:
    (tmp_path / "app.py").write_text(EXPORT.replace("CAUGHT", caught).replace("HANDLER", "os.remove(out)"))
    assert "DYN301" not in {code for _, _, code in triples(findings_in(tmp_path))}


@pytest.mark.parametrize(("caught", "handler"), [
    ("OSError", "os.remove(out)"),  # another exception leaves the file behind
    ("Exception", "print('failed')"),  # the handler keeps it
])
def test_a_path_that_keeps_the_file_still_leaves_it_for_the_next_tenant(tmp_path: Path, caught: str,
                                                                          handler: str) -> None:
    (tmp_path / "app.py").write_text(EXPORT.replace("CAUGHT", caught).replace("HANDLER", handler))
    assert ("app.py", 13, "DYN301") in triples(findings_in(tmp_path))


# -- a library object's state attribute: a logging adapter's extra, a Flask app's config ------------

LOG_EXTRA = '''
import logging

log = logging.LoggerAdapter(logging.getLogger("orders"), {"tenant": None})


def handler(event, context):
    STORE
    try:
        log.info("start")
    finally:
        RESET
'''


@pytest.mark.parametrize("store", ['log.extra["tenant"] = context.tenant_id',
                                   'log.extra.update(tenant=context.tenant_id)'])
def test_a_tenant_kept_in_a_module_adapters_extra_outlives_the_request(tmp_path: Path, store: str) -> None:
    (tmp_path / "app.py").write_text(LOG_EXTRA.replace("STORE", store).replace("RESET", "pass"))
    assert triples(findings_in(tmp_path)) == {("app.py", 8, "DYN302")}


@pytest.mark.parametrize("reset", ['log.extra.pop("tenant", None)', "log.extra.clear()", 'log.extra["tenant"] = None',
                                   'del log.extra["tenant"]'])
def test_an_adapters_extra_emptied_in_a_finally_lives_for_the_request(tmp_path: Path, reset: str) -> None:
    (tmp_path / "app.py").write_text(LOG_EXTRA.replace("STORE", 'log.extra["tenant"] = context.tenant_id')
                                     .replace("RESET", reset))
    assert triples(findings_in(tmp_path)) == set()


def test_a_flask_apps_config_is_process_state(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        from flask import Flask, request

        app = Flask(__name__)


        @app.get("/branding")
        def branding():
            app.config["BRAND_TENANT"] = request.headers["X-Tenant-Id"]
            return {}
    '''))
    assert ("app.py", 9, "DYN302") in triples(findings_in(tmp_path))


# -- Starlette's request.state: what HTTP middleware stores is there in the view --------------------

FASTAPI_STATE = '''
import boto3
from fastapi import FastAPI, Request

app = FastAPI()
table = boto3.resource("dynamodb").Table("invoices")


@app.middleware("http")
async def tenant_middleware(request: Request, call_next):
    request.state.tenant_id = SOURCE
    return await call_next(request)


@app.get("/invoices/{invoice_id}")
async def get_invoice(invoice_id: str, request: Request):
    return table.get_item(Key={"pk": f"TENANT#{request.state.tenant_id}", "sk": invoice_id}).get("Item")
'''


def test_a_tenant_middleware_took_from_a_header_scopes_the_view(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(FASTAPI_STATE.replace("SOURCE", 'request.headers.get("x-tenant-id")'))
    assert triples(findings_in(tmp_path)) == {("app.py", 11, "DYN204"), ("app.py", 17, "DYN201")}


def test_request_state_is_the_requests_not_process_state(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(FASTAPI_STATE.replace("SOURCE", 'request.headers.get("x-tenant-id")'))
    assert "DYN302" not in {code for _, _, code in triples(findings_in(tmp_path))}


def test_what_the_application_put_in_request_state_is_no_tenant(tmp_path: Path) -> None:
    # nothing stores request.state.tenant_id: the view's read is not the client's tenant
    source = FASTAPI_STATE.replace('@app.middleware("http")\n', "").replace("SOURCE", '"-"')
    (tmp_path / "app.py").write_text(source)
    assert "DYN204" not in {code for _, _, code in triples(findings_in(tmp_path))}


@pytest.mark.parametrize(("options", "codes"), [
    ("", {"DYN201"}),  # a verified token's tenants: authorized
    (', options={"verify_signature": False}', {"DYN201", "DYN204"}),  # decoded unverified: the client's list
])
def test_a_tenant_among_those_a_decoded_token_grants(tmp_path: Path, options: str, codes: set[str]) -> None:
    found = check(tmp_path, f'''
        import jwt


        def handler(event, context):
            claims = jwt.decode(event["headers"]["authorization"], "key", algorithms=["RS256"]{options})
            tenant = event["headers"]["x-tenant-id"]
            if tenant not in claims["tenants"]:
                return {{"statusCode": 403}}
            return t.get_item(Key={{"pk": f"TENANT#{{tenant}}", "sk": "s"}}).get("Item")
    ''')
    assert {code for _, _, code in found} == codes
