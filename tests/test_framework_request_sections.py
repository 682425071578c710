"""Web frameworks name the request's sections their own way; each is the event section it is:
Flask's module-level ``request`` (``headers``, ``args``, ``view_args``, ``get_json()``,
``json``, ``form``) and Starlette's ``path_params`` / ``query_params`` are client input, so a
tenant id read from them is DYN204; the API Gateway event kept in the WSGI environ keeps its
authorizer claims trusted."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

FLASK = '''
import boto3
from flask import Flask, request

app = Flask(__name__)
table = boto3.resource("dynamodb").Table("notes")


@app.get("/notes")
def notes():
    tenant = TENANT
    return table.get_item(Key={"pk": f"T#{tenant}"}).get("Item")
'''

STARLETTE = '''
import boto3
from fastapi import FastAPI, Request

app = FastAPI()
table = boto3.resource("dynamodb").Table("notes")


@app.get("/notes")
def notes(request: Request):
    tenant = TENANT
    return table.get_item(Key={"pk": f"T#{tenant}"}).get("Item")
'''


@pytest.mark.parametrize("source, tenant", [
    (FLASK, 'request.headers["X-Tenant-Id"]'),
    (FLASK, 'request.args.get("tenant")'),
    (FLASK, 'request.view_args["tenant_id"]'),
    (FLASK, 'request.get_json()["tenantId"]'),
    (FLASK, 'request.json["tenant_id"]'),
    (FLASK, 'request.form["tenant"]'),
    (STARLETTE, 'request.path_params["tenant_id"]'),
    (STARLETTE, 'request.query_params["tenant"]'),
])
def test_request_sections_are_client_input(tmp_path: Path, source: str, tenant: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(source).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == {("app.py", 11, "DYN204"), ("app.py", 12, "DYN201")}


def test_authorizer_claims_in_the_wsgi_environ_are_trusted(tmp_path: Path) -> None:
    tenant = 'request.environ["awsgi.event"]["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]'
    (tmp_path / "app.py").write_text(textwrap.dedent(FLASK).replace("TENANT", tenant))
    assert triples(findings_in(tmp_path)) == {("app.py", 12, "DYN201")}


# Django and Django REST framework: a view takes the request first, named ``request`` and often
# unannotated; the module imports the framework
DJANGO = '''
import boto3
from django.http import JsonResponse

table = boto3.resource("dynamodb").Table("notes")


def notes(PARAMS):
    tenant = TENANT
    return JsonResponse(table.get_item(Key={"pk": f"T#{tenant}"}).get("Item"))
'''

DRF = '''
import boto3
from rest_framework.views import APIView

table = boto3.resource("dynamodb").Table("notes")


class Notes(APIView):
    def get(self, request, pk):
        tenant = TENANT
        return table.get_item(Key={"pk": f"T#{tenant}"}).get("Item")
'''


@pytest.mark.parametrize("params, tenant", [
    ("request", 'request.META["HTTP_X_TENANT_ID"]'),
    ("request, note_id", 'request.META.get("HTTP_X_TENANT_ID")'),
    ("request", 'request.headers["X-Tenant-Id"]'),
    ("request: HttpRequest", 'request.headers.get("X-Tenant-Id")'),
])
def test_a_django_views_request_is_client_input(tmp_path: Path, params: str, tenant: str) -> None:
    source = textwrap.dedent(DJANGO).replace("PARAMS", params).replace("TENANT", tenant)
    (tmp_path / "views.py").write_text(source)
    assert triples(findings_in(tmp_path)) == {("views.py", 9, "DYN204"), ("views.py", 10, "DYN201")}


def test_a_rest_framework_views_request_is_client_input(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text(textwrap.dedent(DRF).replace("TENANT", 'request.META["HTTP_X_TENANT_ID"]'))
    assert triples(findings_in(tmp_path)) == {("api.py", 10, "DYN204"), ("api.py", 11, "DYN201")}


@pytest.mark.parametrize("imports", ["import json", "from requests import Request"])
def test_a_request_parameter_without_a_view_framework_is_a_parameter(tmp_path: Path, imports: str) -> None:
    source = textwrap.dedent(DJANGO).replace("from django.http import JsonResponse", imports + "\nJsonResponse = dict")
    (tmp_path / "views.py").write_text(source.replace("PARAMS", "request").replace("TENANT", 'request["tenant_id"]'))
    assert triples(findings_in(tmp_path)) == set()


# class-based views: the framework's dispatch stores the request and the URL's arguments on the
# view before the handler method runs (``self.request``, ``self.kwargs``)
VIEW = '''
import boto3
from BASE_MODULE import BASE

table = boto3.resource("dynamodb").Table("notes")


class Notes(BASE):
    def get(self, *args, **kwargs):
        tenant = TENANT
        return table.get_item(Key={"pk": KEY}).get("Item")
'''


@pytest.mark.parametrize("module, base", [
    ("django.views", "View"), ("django.views.generic", "DetailView"), ("rest_framework.views", "APIView"),
    ("rest_framework.generics", "RetrieveAPIView"), ("rest_framework.viewsets", "ViewSet"),
])
def test_a_class_based_views_request_is_on_the_view(tmp_path: Path, module: str, base: str) -> None:
    source = textwrap.dedent(VIEW).replace("BASE_MODULE", module).replace("BASE", base)
    (tmp_path / "views.py").write_text(
        source.replace("TENANT", 'self.request.headers["X-Tenant-Id"]').replace("KEY", 'f"T#{tenant}"'))
    assert triples(findings_in(tmp_path)) == {("views.py", 10, "DYN204"), ("views.py", 11, "DYN201")}


def test_a_class_based_views_url_arguments_are_the_requests(tmp_path: Path) -> None:
    source = textwrap.dedent(VIEW).replace("BASE_MODULE", "django.views").replace("BASE", "View")
    (tmp_path / "views.py").write_text(
        source.replace("TENANT", 'self.request.user.tenant_id').replace("KEY", 'self.kwargs["note_id"]'))
    assert triples(findings_in(tmp_path)) == {("views.py", 11, "DYN202")}


def test_a_request_attribute_of_a_class_that_is_no_view_is_unknown(tmp_path: Path) -> None:
    source = textwrap.dedent(VIEW).replace("from BASE_MODULE import BASE", "BASE = object")
    (tmp_path / "views.py").write_text(
        source.replace("TENANT", 'self.request.headers["X-Tenant-Id"]').replace("KEY", 'f"T#{tenant}"'))
    assert triples(findings_in(tmp_path)) == set()


# django-tenants: the middleware resolves the tenant from the request's domain and sets it on the
# database connection, where views and helpers read it
TENANTS = '''
import boto3
from django.db import connection
from django.http import JsonResponse

table = boto3.resource("dynamodb").Table("notes")


def note(request, note_id):
    return JsonResponse(table.get_item(Key={"pk": KEY}).get("Item"))
'''


@pytest.mark.parametrize("key, code", [
    ("note_id", "DYN202"), ('f"{connection.schema_name}#{note_id}"', "DYN201"),
    ('f"{connection.tenant.pk}#{note_id}"', "DYN201"),
])
def test_the_connections_tenant_is_the_requests(tmp_path: Path, key: str, code: str) -> None:
    source = textwrap.dedent(TENANTS).replace("KEY", key)
    if key == "note_id":  # the view reads the tenant, and keys the item by the URL's id alone
        source = source.replace("    return", "    tenant = connection.tenant\n    return")
    (tmp_path / "views.py").write_text(source)
    line = 11 if key == "note_id" else 10
    assert triples(findings_in(tmp_path)) == {("views.py", line, code)}


def test_a_connection_without_a_tenant_read_is_not_tenant_aware(tmp_path: Path) -> None:
    source = textwrap.dedent(TENANTS).replace("KEY", "note_id").replace(
        "    return", "    vendor = connection.vendor\n    return")
    (tmp_path / "views.py").write_text(source)
    assert triples(findings_in(tmp_path)) == set()
