"""The request as web frameworks on Lambda hand it over is the event: Chalice's
``app.current_request`` (``context`` is the request context, ``query_params`` the query
string, ``uri_params`` the path parameters, ``json_body`` the body) and Powertools'
accessor methods (``authorizer.get_context()``): a tenant id read through them is trusted or
client-controlled as the event field it is."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import boto3
from chalice import Chalice
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = Chalice(app_name="notes")
rest = APIGatewayRestResolver()
table = boto3.resource("dynamodb").Table("notes")


@app.route("/notes")
def notes():
    tenant = TENANT
    return table.get_item(Key={"pk": f"T#{tenant}"}).get("Item")
'''


@pytest.mark.parametrize("tenant", [
    'app.current_request.context["authorizer"]["claims"]["custom:tenant_id"]',
    'app.current_request.context["authorizer"]["lambda"]["tenantId"]',
    'rest.current_event.request_context.authorizer.get_context()["tenant_id"]',
])
def test_trusted_request_fields_make_the_route_tenant_aware(tmp_path: Path, tenant: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == {("app.py", 14, "DYN201")}


@pytest.mark.parametrize("tenant", [
    'app.current_request.headers["x-tenant-id"]',
    'app.current_request.query_params["tenant"]',
    'app.current_request.uri_params["tenant_id"]',
    'app.current_request.json_body["tenantId"]',
])
def test_client_request_fields_are_client_controlled(tmp_path: Path, tenant: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == {("app.py", 13, "DYN204"), ("app.py", 14, "DYN201")}


def test_other_request_fields_read_no_tenant(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace(
        "TENANT", 'app.current_request.context["authorizer"]["claims"]["email"]'))
    assert triples(findings_in(tmp_path)) == set()
