"""A web framework's dependency injection passes what the dependency returns or yields:
FastAPI's ``table=Depends(get_table)`` and ``Annotated[Table, Depends(get_table)]``."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''from typing import Annotated

import boto3
from fastapi import Depends, FastAPI

app = FastAPI()


def get_table():
    return boto3.resource("dynamodb").Table("votes")


def table_session():
    table = boto3.resource("dynamodb").Table("votes")
    try:
        yield table
    finally:
        pass


'''

ROUTE = '''@app.post("/polls/{poll_id}/vote")
def vote(poll_id: str, PARAM):
    poll = table.get_item(Key={"poll_id": poll_id})["Item"]
    poll["votes"] = poll["votes"] + 1
    table.put_item(Item=poll)
'''


@pytest.mark.parametrize("param", [
    "table=Depends(get_table)",
    "table: Annotated[object, Depends(get_table)]",
    "table: Annotated[object, Depends(table_session)]",
])
def test_an_injected_table_is_the_dependency_s_value(param: str) -> None:
    model = model_of({"app.py": HEAD + ROUTE.replace("PARAM", param)})
    assert list(race_kinds(model).values()) == ["counter"]


def test_a_route_parameter_without_injection_is_a_path_parameter() -> None:
    """The control: a plain parameter of a route is a path parameter, no table."""
    model = model_of({"app.py": HEAD + ROUTE.replace("PARAM", "table")})
    assert race_kinds(model) == {}


def test_a_dependency_that_is_no_table_gives_no_table() -> None:
    source = HEAD + "def settings():\n    return {'limit': 3}\n\n\n" + ROUTE.replace("PARAM", "table=Depends(settings)")
    assert race_kinds(model_of({"app.py": source})) == {}


def test_a_request_object_is_the_request_not_a_path_parameter() -> None:
    """A tenant id read from the request's headers is client-controlled input (DYN204)."""
    source = '''from fastapi import FastAPI, Request
import boto3

app = FastAPI()
table = boto3.resource("dynamodb").Table("notes")


@app.get("/notes/{note_id}")
def read_note(note_id: str, request: Request):
    tenant = request.headers["x-tenant-id"]
    return table.get_item(Key={"tenant_id": tenant, "note_id": note_id})["Item"]
'''
    model = model_of({"app.py": source})
    sources = [s for root in model.interp.roots for s in root.tenant_sources]
    assert sources and all(s.trust == "untrusted" and "header" in s.how for s in sources)


def test_a_table_the_app_made_at_start_up_is_reached_through_request_app_state() -> None:
    source = '''from fastapi import FastAPI, Request

app = FastAPI()


@app.put("/profiles/{user_id}")
async def update_profile(user_id: str, request: Request):
    table = request.app.state.dynamodb.Table("profiles")
    profile = table.get_item(Key={"user_id": user_id})["Item"]
    profile["visits"] = profile["visits"] + 1
    table.put_item(Item=profile)
'''
    assert list(race_kinds(model_of({"app.py": source})).values()) == ["counter"]
