"""A helper that the tenant id is not passed to is tenant-aware code where it reaches an item
the request names: the handler read the caller's tenant, and the request, not the tenant,
picked the item (``load_invoice(event["pathParameters"]["id"])``). A helper's read by a
constant key (shared data), by nothing from the request, or of a tenant on a table of tenants
(the tenant as the object) is not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

STORE = '''
import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table("TABLE")

def load(key):
    return table.get_item(Key={"id": key}).get("Item")

def listing(key):
    return table.query(KeyConditionExpression=Key("id").eq(key))["Items"]
'''

HANDLER = '''
from store import listing, load

def handler(event, context):
    tenant = TENANT
    return CALL
'''

CLAIMS = 'event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]'


@pytest.mark.parametrize("table, tenant, call, expected", [
    ("invoices", CLAIMS, 'load(event["pathParameters"]["id"])', {("store.py", 8, "DYN202")}),
    ("invoices", CLAIMS, 'listing(event["queryStringParameters"]["id"])', {("store.py", 11, "DYN202")}),
    ("invoices", "context.tenant_id", 'load(event["body"])', {("store.py", 8, "DYN202")}),
    ("invoices", CLAIMS, 'load("settings")', set()),  # a constant key: one item for everyone
    ("invoices", '"none"', 'load(event["pathParameters"]["id"])', set()),  # no tenant read: not tenant-aware
    ("tenants", CLAIMS, 'load(event["pathParameters"]["id"])', set()),  # a table of tenants
    ("invoices", CLAIMS, 'load(tenant)', {("store.py", 8, "DYN201")}),  # passed the tenant: scoped by it
])
def test_helpers_reaching_an_item_the_request_names(tmp_path: Path, table: str, tenant: str, call: str,
                                                    expected: set[tuple[str, int, str]]) -> None:
    (tmp_path / "store.py").write_text(textwrap.dedent(STORE).replace("TABLE", table))
    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER).replace("TENANT", tenant).replace("CALL", call))
    assert triples(findings_in(tmp_path)) == expected


def test_a_django_views_url_parameters_are_the_requests(tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(textwrap.dedent(STORE).replace("TABLE", "notes"))
    (tmp_path / "views.py").write_text(textwrap.dedent('''
        from django.http import JsonResponse
        from store import load

        def note(request, note_id):
            tenant = request.headers["X-Tenant-Id"]
            return JsonResponse(load(note_id))
    '''))
    assert ("store.py", 8, "DYN202") in triples(findings_in(tmp_path))
