"""Tenancy shapes from a hunt over fresh SaaS code (control plane, FastAPI, /tmp clean-up,
objects that carry the tenant id):

- an administrator check against a role held in a named constant (a module constant,
  imported or not, a class attribute, a ``str`` enum member or its ``.value``) is the same
  check as one against the role written out;
- removing a folder in ``finally`` (``shutil.rmtree(work)``) removes what was written inside it
  (``os.path.join(work, name)``, ``Path(work) / name``, ``f"{work}/{name}"``), and a clean-up
  helper called from ``finally`` removes what it is given, as does a folder a helper made;
- a FastAPI dependency's own parameters are what the framework passes it: the request (and the
  Lambda event Mangum keeps in ``request.scope["aws.event"]``), the part of the request a
  ``Header()``/``Query()``/``Path()``/``Cookie()`` marker names (``alias=`` too), and what its own
  dependencies return; what a dependency authorized holds in the route;
- an object made for the request that holds the tenant id (a dataclass, pydantic model or
  namedtuple request context, a repository given the tenant) brings it wherever it goes: a
  function that gets it back from a helper has obtained the tenant id, and a function or method
  given it (as ``self`` too) is tenant-aware; an object made at import is module state, not
  the request's tenant.
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


TMP_HEAD = """import os, shutil, tempfile, uuid
from pathlib import Path

def discard(*folders):
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)

def workdir():
    return tempfile.mkdtemp()

def handler(event, context):
    tenant = context.tenant_id
"""

CLEANED = {
    "join in a removed folder": """    work = tempfile.mkdtemp()
    try:
        open(os.path.join(work, tenant + ".csv"), "w").write("x")
    finally:
        shutil.rmtree(work)
""",
    "pathlib child of a removed folder": """    work = Path(tempfile.mkdtemp())
    try:
        (work / "out.json").write_text(tenant)
    finally:
        shutil.rmtree(work, ignore_errors=True)
""",
    "f-string folder named per request": """    work = f"/tmp/{context.aws_request_id}"
    os.makedirs(work)
    try:
        open(f"{work}/{tenant}.txt", "w").write("x")
    finally:
        shutil.rmtree(work)
""",
    "a clean-up helper in finally": """    path = f"/tmp/{uuid.uuid4().hex}.txt"
    try:
        open(path, "w").write(tenant)
    finally:
        discard(path)
""",
    "a folder a helper made": """    work = workdir()
    try:
        open(os.path.join(work, "a.txt"), "w").write(tenant)
    finally:
        discard(work)
""",
}


@pytest.mark.parametrize("shape", sorted(CLEANED))
def test_a_removed_folder_removes_what_is_inside(tmp_path: Path, shape: str) -> None:
    assert codes(tmp_path, {"app.py": TMP_HEAD + CLEANED[shape]}) == []


LEFT_BEHIND = {
    "a file beside the removed folder": """    work = tempfile.mkdtemp()
    try:
        open(f"{work}.csv", "w").write(tenant)  # KEPT
    finally:
        shutil.rmtree(work)
""",
    "a folder whose name extends the removed one": """    try:
        open("/tmp/exports2/a.csv", "w").write(tenant)  # KEPT
    finally:
        shutil.rmtree("/tmp/exports")
""",
    "another folder": """    work = f"/tmp/{context.aws_request_id}"
    try:
        open("/tmp/cache/a.csv", "w").write(tenant)  # KEPT
    finally:
        discard(work)
""",
}


@pytest.mark.parametrize("shape", sorted(LEFT_BEHIND))
def test_what_lies_outside_the_removed_folder_outlives_the_invocation(tmp_path: Path, shape: str) -> None:
    source = TMP_HEAD + LEFT_BEHIND[shape]
    assert ("app.py", line_of(source, "# KEPT"), "DYN301") in codes(tmp_path, {"app.py": source})


FASTAPI_HEAD = """import boto3
from typing import Annotated
from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Query, Request
app = FastAPI()
table = boto3.resource("dynamodb").Table("notes")

def from_authorizer(request: Request):
    return request.scope["aws.event"]["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
"""

FASTAPI_FOUND = {
    "Header() in a dependency": ("""
def tenant(x_tenant_id: str = Header()):  # TAKEN
    return x_tenant_id
""", "DYN204"),
    "Annotated Query() with an alias": ("""
def tenant(chosen: Annotated[str, Query(alias="tenantId")]):  # TAKEN
    return chosen
""", "DYN204"),
    "Cookie() behind a second dependency": ("""
def raw(tenant: Annotated[str, Cookie()]):  # TAKEN
    return tenant

def tenant(tenant_id: str = Depends(raw)):
    return tenant_id
""", "DYN204"),
    "the Lambda event Mangum keeps in the scope": ("""
def tenant(t: str = Depends(from_authorizer)):
    return t
""", None),
}

ROUTE = """
@app.get("/notes/{note_id}")
def read(note_id: str, tenant_id: str = Depends(tenant)):
    return table.get_item(Key={"pk": f"T#{tenant_id}", "sk": note_id})  # DATA
"""


@pytest.mark.parametrize("shape", sorted(FASTAPI_FOUND))
def test_a_fastapi_dependency_is_given_the_request(tmp_path: Path, shape: str) -> None:
    dependency, taken = FASTAPI_FOUND[shape]
    source = FASTAPI_HEAD + dependency + ROUTE
    want = [("app.py", line_of(source, "# DATA"), "DYN201")]
    if taken:
        want.append(("app.py", line_of(source, "# TAKEN"), taken))
    assert codes(tmp_path, {"app.py": source}) == sorted(want)


def test_a_dependency_that_compares_the_tenant_with_the_authorizers_authorizes_the_route(tmp_path: Path) -> None:
    source = FASTAPI_HEAD + """
def tenant(x_tenant_id: str = Header(), mine: str = Depends(from_authorizer)):
    if x_tenant_id != mine:
        raise HTTPException(status_code=403)
    return x_tenant_id
""" + ROUTE
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# DATA"), "DYN201")]


def test_a_pathlib_default_is_no_request_marker(tmp_path: Path) -> None:
    source = FASTAPI_HEAD.replace("from fastapi import", "from pathlib import Path\nfrom fastapi import") + """
def tenant(tenant_id: Path = Path("/srv")):
    return str(tenant_id)
""" + ROUTE
    assert codes(tmp_path, {"app.py": source}) == []


CONTEXT_CLASSES = {
    "dataclass": "from dataclasses import dataclass\n@dataclass\nclass Ctx:\n    tenant_id: str\n    user: str\n",
    "plain class": "class Ctx:\n    def __init__(self, tenant_id, user):\n        self.tenant_id = tenant_id\n"
                   "        self.user = user\n",
    "pydantic model": "from pydantic import BaseModel\nclass Ctx(BaseModel):\n    tenant_id: str\n    user: str\n",
    "NamedTuple": "from typing import NamedTuple\nclass Ctx(NamedTuple):\n    tenant_id: str\n    user: str\n",
}

CONTEXT_USE = """
def context_of(event):
    claims = event["requestContext"]["authorizer"]["claims"]
    return Ctx(tenant_id=claims["custom:tenant_id"], user=claims["sub"])

class Store:
    def __init__(self, ctx):
        self.ctx = ctx

    def note(self, note_id):
        return table.get_item(Key={"id": note_id})  # METHOD

def shared(ctx, note_id):
    return table.get_item(Key={"id": note_id})  # HELPER

def handler(event, context):
    ctx = context_of(event)
    shared(ctx, event["pathParameters"]["id"])
    return Store(ctx).note(event["pathParameters"]["id"])
"""


@pytest.mark.parametrize("shape", sorted(CONTEXT_CLASSES))
def test_an_object_holding_the_tenant_id_brings_it_along(tmp_path: Path, shape: str) -> None:
    source = TABLE + CONTEXT_CLASSES[shape] + CONTEXT_USE
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# METHOD"), "DYN202"),
                                                   ("app.py", line_of(source, "# HELPER"), "DYN202")]


def test_an_object_made_at_import_is_not_the_requests_tenant(tmp_path: Path) -> None:
    source = TABLE + CONTEXT_CLASSES["plain class"] + """
CURRENT = Ctx("none", "none")

def remember(event, context):
    CURRENT.tenant_id = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]  # STORE

def current():
    return CURRENT

def nightly(event, context):
    ctx = current()
    return table.get_item(Key={"id": event["key"]})
"""
    assert codes(tmp_path, {"app.py": source}) == [("app.py", line_of(source, "# STORE"), "DYN302")]
