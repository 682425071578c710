"""Request text stays request text: a header, body or parameter trimmed, cased or cut by
str methods (``removeprefix``, ``strip``, ``split(".")[1]``, ``lower``), joined to padding,
and parsed by ``urllib.parse.parse_qs``, ``http.cookies.SimpleCookie`` or base64 then JSON,
is still what the client sent: a tenant id read from it is client-controlled (DYN204), and
code that reads one is tenant-aware (DYN201 on an execution-role call keyed by it)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import base64
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

import boto3

table = boto3.resource("dynamodb").Table("notes")


def handler(event, context):
    tenant = TENANT
    return table.get_item(Key={"pk": f"T#{tenant}", "sk": "settings"}).get("Item")
'''

PAYLOAD = 'event["headers"]["authorization"].removeprefix("Bearer ").strip().split(".")[1]'


@pytest.mark.parametrize("tenant", [
    'parse_qs(event["body"])["tenant_id"][0]',
    'parse_qs(event["body"].strip())["tenant_id"][0].lower()',
    'SimpleCookie(event["headers"]["cookie"])["tenant"].value',
    f'json.loads(base64.urlsafe_b64decode({PAYLOAD} + "=="))["tenant_id"]',
    f'json.loads(base64.b64decode({PAYLOAD}))["tenant_id"]',
    'json.loads(event["body"].strip())["tenant_id"]',
])
def test_tenant_from_parsed_request_text_is_client_controlled(tmp_path: Path, tenant: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == {("app.py", 13, "DYN204"), ("app.py", 14, "DYN201")}


@pytest.mark.parametrize("tenant", [
    'json.loads(base64.urlsafe_b64decode(table.get_item(Key={"pk": "token"})["Item"]["jwt"].split(".")[1]))["tenant_id"]',
    'parse_qs(table.get_item(Key={"pk": "form"})["Item"]["body"])["tenant_id"][0]',
])
def test_the_same_parsers_over_stored_data_read_no_tenant(tmp_path: Path, tenant: str) -> None:
    """Stored data parsed the same way names no tenant of the invocation (a scheduled job)."""
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == set()
