"""A regular expression matched against request text (``re.match(p, event["rawPath"])``,
a compiled ``ROUTE.match(...)``, ``re.fullmatch`` on the Host header) answers parts of that
text: a group named like a tenant id (``m.group("tenant_id")``, ``m["tenant"]``,
``m.groupdict()["tenant"]``) is a client-controlled tenant id. The request path (``path``,
``rawPath``, ``requestContext.http.path``) is client input like the path parameters."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import re

import boto3

table = boto3.resource("dynamodb").Table("notes")
ROUTE = re.compile(r"^/t/(?P<tenant_id>[^/]+)/notes$")


def handler(event, context):
    tenant = TENANT
    return table.get_item(Key={"pk": f"T#{tenant}"}).get("Item")
'''


@pytest.mark.parametrize("tenant", [
    'ROUTE.match(event["rawPath"]).group("tenant_id")',
    're.match(r"^/t/(?P<tenant_id>[^/]+)/", event["path"])["tenant_id"]',
    're.search(r"/t/(?P<tenant_id>\\w+)", event["requestContext"]["http"]["path"]).groupdict()["tenant_id"]',
    're.fullmatch(r"(?P<tenant>\\w+)\\.example\\.com", event["headers"]["host"].lower()).group("tenant")',
    're.match(pattern=r"(?P<tenant_id>\\w+)", string=event["rawPath"].removeprefix("/t/")).group("tenant_id")',
])
def test_a_tenant_group_of_request_text_is_client_controlled(tmp_path: Path, tenant: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == {("app.py", 11, "DYN204"), ("app.py", 12, "DYN201")}


@pytest.mark.parametrize("tenant", [
    'ROUTE.match(table.get_item(Key={"pk": "route"})["Item"]["path"]).group("tenant_id")',
    're.match(r"(?P<tenant_id>\\w+)", "t-1").group("tenant_id")',
])
def test_a_match_of_other_text_is_no_tenant_source(tmp_path: Path, tenant: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == set()

