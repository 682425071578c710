"""A Powertools data class made of the event (``APIGatewayProxyEvent(event)``,
``APIGatewayProxyEventV2(data=event)``, in the handler or in a helper) is the event: its
properties read the event's fields, so a tenant taken from its authorizer claims makes the
code tenant-aware and one taken from its headers is client-controlled. Made of anything
else (stored data), it is no tenant source."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import boto3
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEvent as RestEvent

table = boto3.resource("dynamodb").Table("notes")


def wrap(raw):
    return WRAP


def handler(raw, context):
    event = wrap(raw)
    tenant = event.TENANT
    return table.get_item(Key={"pk": f"T#{tenant}"}).get("Item")
'''

CLAIMS = 'request_context.authorizer.claims["custom:tenant_id"]'


@pytest.mark.parametrize("wrap", [
    "APIGatewayProxyEvent(raw)", "APIGatewayProxyEventV2(data=raw)", "RestEvent(raw)",
])
def test_claims_of_the_wrapped_event_make_the_code_tenant_aware(tmp_path: Path, wrap: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("WRAP", wrap).replace("TENANT", CLAIMS))
    assert triples(findings_in(tmp_path)) == {("app.py", 16, "DYN201")}


def test_a_header_of_the_wrapped_event_is_client_controlled(tmp_path: Path) -> None:
    source = textwrap.dedent(SOURCE).replace("WRAP", "APIGatewayProxyEvent(raw)") \
        .replace("TENANT", 'headers["x-tenant-id"]')
    (tmp_path / "app.py").write_text(source)
    assert triples(findings_in(tmp_path)) == {("app.py", 15, "DYN204"), ("app.py", 16, "DYN201")}


def test_a_data_class_of_stored_data_is_no_tenant_source(tmp_path: Path) -> None:
    """The same claims read from an event recorded in a table (a replay job): stored data,
    which makes no code tenant-aware."""
    source = textwrap.dedent(SOURCE).replace("WRAP", 'APIGatewayProxyEvent(table.get_item(Key={"pk": raw["id"]})["Item"])') \
        .replace("TENANT", CLAIMS).replace("event = wrap(raw)", 'event = wrap({"id": "replay"})')
    (tmp_path / "app.py").write_text(source)
    assert triples(findings_in(tmp_path)) == set()
