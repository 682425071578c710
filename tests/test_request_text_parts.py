"""An unnamed part of request text (a regular expression's group by position, ``m.group(1)``,
``m[1]``, ``.groups()`` unpacked; a piece of a split) bound to a name that says it is the
tenant id (``tenant_id = m.group(1)``) is that field of the request, as a named group
(``(?P<tenant_id>...)``) is: client input where the text is. Bound to another name, it is
a part of the text like any other."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import re
import boto3

table = boto3.resource("dynamodb").Table("notes")
ROUTE = re.compile(r"^/t/([^/]+)/notes$")

def handler(event, context):
    BIND
    return table.get_item(Key={"pk": f"T#{NAME}", "sk": "n"}).get("Item")
'''


@pytest.mark.parametrize("bind", [
    'tenant = ROUTE.match(event["rawPath"]).group(1)',
    'tenant = re.match(r"^/t/([^/]+)$", event["rawPath"])[1]',
    'tenant, = ROUTE.match(event["rawPath"]).groups()',
    '_, _, tenant = event["rawPath"].split("/")',
    'tenant = event["rawPath"].split("/")[2]',
])
def test_a_part_of_the_path_named_tenant_is_the_tenant_from_the_path(tmp_path: Path, bind: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("BIND", bind).replace("NAME", "tenant"))
    result = findings_in(tmp_path)
    assert triples(result) == {("app.py", 9, "DYN204"), ("app.py", 10, "DYN201")}
    assert "the request path" in next(f.message for f in result.findings if f.code == "DYN204")


def test_a_part_of_a_header_keeps_the_header_as_its_source(tmp_path: Path) -> None:
    bind = 'tenant = re.match(r"^([a-z]+)\\\\.example\\\\.com$", event["headers"]["host"]).group(1)'
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("BIND", bind).replace("NAME", "tenant"))
    found = findings_in(tmp_path).findings
    assert "a request header" in next(f.message for f in found if f.code == "DYN204")


@pytest.mark.parametrize("bind", [
    'section = ROUTE.match(event["rawPath"]).group(1)',
    '_, _, section = event["rawPath"].split("/")',
])
def test_a_part_bound_to_another_name_reads_no_tenant(tmp_path: Path, bind: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("BIND", bind).replace("NAME", "section"))
    assert triples(findings_in(tmp_path)) == set()


def test_a_group_by_name_is_still_that_field(tmp_path: Path) -> None:
    bind = 'slot = re.match(r"^/t/(?P<tenant_id>[^/]+)$", event["rawPath"]).group("tenant_id")'
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("BIND", bind).replace("NAME", "slot"))
    assert triples(findings_in(tmp_path)) == {("app.py", 9, "DYN204"), ("app.py", 10, "DYN201")}
