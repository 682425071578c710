"""PartiQL reaches tenant data as get_item and query do (issue 14, DYN2): ``execute_statement``
with the execution role in tenant-aware code is DYN201 when its WHERE (or the statement text
the code builds) names the tenant, DYN202 when it does not or has no WHERE; and an f-string's
literal text is the text it stands for (escapes decoded, doubled braces single)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from dynolint.phase1.lower_expr import _fstring_text
from tests.conftest import findings_in, write_project

HEAD = '''import boto3
ddb = boto3.client("dynamodb")

def handler(event, context):
    tenant = context.tenant_id
    number = event["pathParameters"]["number"]
'''


def codes(tmp_path: Path, call: str) -> list[str]:
    write_project(tmp_path, {"app.py": HEAD + f"    return {call}\n"})
    return [f.code for f in findings_in(tmp_path).findings]


@pytest.mark.parametrize("call, code", [
    ('ddb.execute_statement(Statement=\'SELECT * FROM "orders" WHERE pk = ?\', Parameters=[{"S": tenant}])', "DYN201"),
    ('ddb.execute_statement(Statement=\'SELECT * FROM "orders" WHERE sku = ?\', Parameters=[{"S": number}])', "DYN202"),
    ('ddb.execute_statement(Statement=\'SELECT * FROM "orders"\')', "DYN202"),
    ("ddb.execute_statement(Statement=f\"DELETE FROM \\\"orders\\\" WHERE pk = '{tenant}'\")", "DYN201"),
    ("ddb.execute_statement(Statement=f\"DELETE FROM \\\"orders\\\" WHERE pk = '{number}'\")", "DYN202"),
    ("ddb.execute_statement(Statement=\"INSERT INTO \\\"audit\\\" VALUE {'pk': ?}\", Parameters=[{\"S\": tenant}])",
     "DYN201"),
])
def test_a_partiql_statement_is_a_data_call(tmp_path: Path, call: str, code: str) -> None:
    assert codes(tmp_path, call) == [code]


def test_a_statement_outside_tenant_aware_code_is_not_reported(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": '''import boto3
ddb = boto3.client("dynamodb")

def handler(event, context):
    return ddb.execute_statement(Statement='SELECT * FROM "orders" WHERE sku = ?', Parameters=[{"S": event["sku"]}])
'''})
    assert findings_in(tmp_path).findings == []


@pytest.mark.parametrize("source, texts", [
    ('f"FROM \\"orders\\" WHERE pk = \'{t}\'"', ['FROM "orders" WHERE pk = \'', "'"]),
    ("f'it\\'s {t}'", ["it's "]),
    ('f"{{\'pk\': {t}}}"', ["{'pk': ", "}"]),
    ('rf"a\\d{{x}}{t}"', ["a\\d{x}"]),
    ('f"""a\\n{t}"""', ["a\n"]),
])
def test_an_fstrings_literal_text_is_what_it_stands_for(source: str, texts: list[str]) -> None:
    node = cst.ensure_type(cst.parse_expression(source), cst.FormattedString)
    assert [_fstring_text(p.value, node) for p in node.parts if isinstance(p, cst.FormattedStringText)] == texts
