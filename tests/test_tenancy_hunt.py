"""Tenancy shapes from a hunt over fresh SaaS code (control plane, FastAPI, /tmp clean-up,
objects that carry the tenant id):

- an administrator check against a role held in a named constant (a module constant,
  imported or not, a class attribute, a ``str`` enum member or its ``.value``) is the same
  check as one against the role written out;
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, write_project

TABLE = 'import boto3\ntable = boto3.resource("dynamodb").Table("seats")\n'


def codes(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str]]:
    write_project(tmp_path, files)
    return sorted((Path(f.path).name, f.line, f.code) for f in findings_in(tmp_path).findings)


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


ADMIN_CONSTANTS = {
    "module constant": ('OPERATORS = "platform-operators"\n', "OPERATORS not in groups"),
    "class attribute": ('class Groups:\n    OPERATORS = "platform-operators"\n', "Groups.OPERATORS not in groups"),
    "str enum member": ('import enum\nclass Role(str, enum.Enum):\n    ROOT = "SystemAdmin"\n',
                        "Role.ROOT not in groups"),
    "enum value": ('import enum\nclass Role(enum.Enum):\n    ROOT = "SystemAdmin"\n', "Role.ROOT.value not in groups"),
}


def _admin_handler(test: str) -> str:
    return f'''
def suspend(event, context):
    groups = event["requestContext"]["authorizer"]["claims"]["cognito:groups"].split(",")
    if {test}:
        return {{"statusCode": 403}}
    tenant_id = event["pathParameters"]["tenantId"]
    table.update_item(Key={{"pk": f"T#{{tenant_id}}", "sk": "quota"}}, UpdateExpression="SET off = :t",
                      ExpressionAttributeValues={{":t": True}})
'''


@pytest.mark.parametrize("shape", sorted(ADMIN_CONSTANTS))
def test_an_operator_role_held_by_a_constant_authorizes(tmp_path: Path, shape: str) -> None:
    definition, test = ADMIN_CONSTANTS[shape]
    assert codes(tmp_path, {"app.py": TABLE + definition + _admin_handler(test)}) == []


def test_an_operator_role_constant_imported_from_another_module(tmp_path: Path) -> None:
    files = {"roles.py": 'SUPER_ADMIN = "super-admin"\n',
             "app.py": TABLE + "from roles import SUPER_ADMIN\n" + _admin_handler("SUPER_ADMIN not in groups")}
    assert codes(tmp_path, files) == []


def test_a_tenant_role_constant_authorizes_nothing(tmp_path: Path) -> None:
    source = TABLE + 'OWNER = "workspace-owner"\n' + _admin_handler("OWNER not in groups")
    taken, data = line_of(source, 'tenant_id = event["pathParameters"]'), line_of(source, "table.update_item")
    assert codes(tmp_path, {"app.py": source}) == [("app.py", taken, "DYN204"), ("app.py", data, "DYN201")]
