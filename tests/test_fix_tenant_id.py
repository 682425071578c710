"""The DYN205 fix: a Lambda invoke of a PER_TENANT function gets ``TenantId=`` the variable
holding the tenant id its function read; no guessing when there is none. Before/after, the
result parses, a second run changes nothing, the finding is gone, it is a safe fix (`check
--fix` applies it), and the JSON edit reproduces the file fix."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import run_cli, write_project

TEMPLATE = """Resources:
  Renderer:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: renderer
      Handler: worker.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
"""
HEADER = 'import json\n\nimport boto3\n\nclient = boto3.client("lambda")\n\n\n'


def fix(tmp_path: Path, source: str, unsafe: bool = False) -> tuple[str, list]:
    write_project(tmp_path, {"app.py": source, "template.yaml": TEMPLATE})
    config = discover(tmp_path, set(KNOWN_CODES))
    report = fix_paths([tmp_path], config, Options(), unsafe=unsafe)
    return (tmp_path / "app.py").read_text(), [(f.code, reason) for f, reason in report.skipped]


def dyn205(tmp_path: Path) -> list[int]:
    found = check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings
    return [f.line for f in found if f.code == "DYN205"]


def test_the_tenant_variable_is_passed_and_the_finding_is_gone(tmp_path: Path) -> None:
    before = HEADER + '''def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["tenantId"]
    client.invoke(FunctionName="renderer", Payload=b"{}")
'''
    after, skipped = fix(tmp_path, before)  # a safe fix: no --unsafe-fixes
    assert after == before.replace('Payload=b"{}")', 'Payload=b"{}", TenantId=tenant)')
    assert skipped == []
    ast.parse(after)
    assert dyn205(tmp_path) == []
    again, _ = fix(tmp_path, after)
    assert again == after  # idempotent


def test_a_long_invoke_is_wrapped_and_a_trailing_comma_kept(tmp_path: Path) -> None:
    before = HEADER + '''def handler(event, context):
    tenant_id = str(event["pathParameters"]["tenant_id"])
    client.invoke(
        FunctionName="renderer",
        InvocationType="Event",
        Payload=b"{}",
    )
'''
    after, _ = fix(tmp_path, before)
    assert after == before.replace('        Payload=b"{}",\n', '        Payload=b"{}",\n        TenantId=tenant_id,\n')
    ast.parse(after)


@pytest.mark.parametrize("body,reason", [
    # the tenant id comes from the caller: which one is the caller's business
    ('def run(tenant_id):\n    client.invoke(FunctionName="renderer", Payload=b"{}")\n'
     'def handler(event, context):\n    run(event["tenantId"])\n', "reads no tenant id of its own"),
    # read but never kept in a variable
    ('def handler(event, context):\n    print(event["tenantId"])\n'
     '    client.invoke(FunctionName="renderer", Payload=b"{}")\n', "no variable"),
    # the variable is assigned twice: which value reaches the call is not plain
    ('def handler(event, context):\n    t = event["tenantId"]\n    t = t.lower()\n'
     '    client.invoke(FunctionName="renderer", Payload=b"{}")\n', "no variable"),
    # the tenant asked for and the caller's, both passed on: which one the work runs for is not plain
    ('def handler(event, context):\n    target = event["pathParameters"]["tenantId"]\n'
     '    caller = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]\n'
     '    client.invoke(FunctionName="renderer", Payload=json.dumps({"tenant": target, "by": caller}))\n',
     "several tenant ids"),
    # work sent on behalf of another tenant: the payload names it, not the tenant id read
    ('def handler(event, context):\n    body = json.loads(event["body"])\n    tenant_id = body["tenant_id"]\n'
     '    target = body.get("on_behalf_of", tenant_id)\n'
     '    client.invoke(FunctionName="renderer", Payload=json.dumps({"tenant": target, "item": body["item"]}))\n',
     "runs for the tenant in target"),
    ('def handler(event, context):\n    body = json.loads(event["body"])\n    tenant_id = body["tenant_id"]\n'
     '    payload = {"item": body["item"]}\n    payload["targetTenantId"] = body.get("for") or tenant_id\n'
     '    client.invoke(FunctionName="renderer", Payload=json.dumps(payload))\n',
     "runs for the tenant in"),
    ('def handler(event, context):\n    body = json.loads(event["body"])\n    tenant_id = body["tenant_id"]\n'
     '    payload = dict(tenant_id=body["delegate"], item=body["item"])\n'
     '    client.invoke(FunctionName="renderer", Payload=json.dumps(payload))\n',
     "runs for the tenant in"),
])
def test_no_fix_without_a_plain_variable_and_the_finding_says_why(tmp_path: Path, body: str, reason: str) -> None:
    before = HEADER + body
    after, skipped = fix(tmp_path, before, unsafe=True)
    assert after == before
    assert [code for code, _ in skipped] == ["DYN205"] and reason in skipped[0][1]


def test_of_several_tenant_ids_the_one_the_call_passes_on_is_given(tmp_path: Path) -> None:
    before = HEADER + """def handler(event, context):
    target = event["pathParameters"]["tenantId"]
    caller = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
    print(caller)
    client.invoke(FunctionName="renderer", Payload=json.dumps({"tenant": target}))
"""
    after, _ = fix(tmp_path, before)
    assert "TenantId=target" in after and "TenantId=caller" not in after
    ast.parse(after)


def test_a_payload_naming_the_same_tenant_or_describing_it_is_fixed(tmp_path: Path) -> None:
    before = HEADER + """def handler(event, context):
    body = json.loads(event["body"])
    tenant_id = body["tenant_id"]
    payload = {"tenant_id": tenant_id, "tenant_name": body["name"], "by": body.get("on_behalf_of")}
    client.invoke(FunctionName="renderer", Payload=json.dumps(payload))
"""
    after, skipped = fix(tmp_path, before)
    assert "TenantId=tenant_id" in after and after.count("TenantId") == 1
    assert skipped == []
    ast.parse(after)
    again, _ = fix(tmp_path, after)
    assert again == after


def test_the_json_edit_reproduces_the_file_fix(tmp_path: Path) -> None:
    source = HEADER + '''def handler(event, context):
    tenant = event["headers"]["x-tenant-id"]
    client.invoke(FunctionName="renderer", Payload=b"{}")
'''
    write_project(tmp_path, {"app.py": source, "template.yaml": TEMPLATE})
    result = run_cli("check", "--output-format", "json", ".", cwd=tmp_path)
    [finding] = [f for f in json.loads(result.stdout) if f["code"] == "DYN205"]
    fix_ = finding["fix"]
    assert fix_["applicability"] == "safe"
    [edit] = fix_["edits"]
    lines = source.splitlines(keepends=True)
    offset = lambda line, column: sum(len(x) for x in lines[:line - 1]) + column - 1  # noqa: E731
    edited = (source[:offset(edit["line"], edit["column"])] + edit["content"]
              + source[offset(edit["end_line"], edit["end_column"]):])
    after, _ = fix(tmp_path / "again", source)
    assert edited == after


def test_a_tenant_id_returned_by_a_helper_is_passed(tmp_path: Path) -> None:
    before = HEADER + '''def tenant_of(event):
    return event["requestContext"]["authorizer"]["tenantId"]


def handler(event, context):
    tenant = tenant_of(event)
    client.invoke(FunctionName="renderer", Payload=b"{}")
'''
    after, skipped = fix(tmp_path, before)
    assert after == before.replace('Payload=b"{}")', 'Payload=b"{}", TenantId=tenant)')
    assert skipped == []
    ast.parse(after)
    assert dyn205(tmp_path) == []


def test_a_tenant_id_returned_by_a_helper_of_another_module_is_passed(tmp_path: Path) -> None:
    (tmp_path / "auth.py").write_text('def current_tenant(event):\n'
                                      '    return str(event["requestContext"]["authorizer"]["tenantId"])\n')
    before = HEADER.replace("import boto3\n", "import boto3\n\nfrom auth import current_tenant\n") + '''def handler(event, context):
    tenant_id = current_tenant(event)
    client.invoke(FunctionName="renderer", Payload=b"{}")
'''
    after, skipped = fix(tmp_path, before)
    assert after == before.replace('Payload=b"{}")', 'Payload=b"{}", TenantId=tenant_id)')
    assert skipped == []


def test_a_value_built_from_the_tenant_id_by_a_helper_is_not_passed(tmp_path: Path) -> None:
    before = HEADER + '''def prefix_of(event):
    return "t#" + event["requestContext"]["authorizer"]["tenantId"]


def handler(event, context):
    prefix = prefix_of(event)
    client.invoke(FunctionName="renderer", Payload=prefix.encode())
'''
    after, skipped = fix(tmp_path, before, unsafe=True)
    assert after == before
    assert [code for code, _ in skipped] == ["DYN205"]
