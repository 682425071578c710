"""What a Lambda event's fields say: which hold a tenant id and how far that id can be
trusted (authorizer claims, an EventBridge event, a header, the body), and which say who
invokes the function."""

from __future__ import annotations

import functools
import re

from dynolint.phase1 import ir

# a field that holds a tenant id (tenantId, tenant_id, custom:tenantId, x-tenant-id, tenant),
# not one that merely mentions tenants (TenantDetailsTableName, tenantRegistrationData,
# tenantName, tenant_registration_id): matched on the normalised name
TENANT_KEY = re.compile(r"tenant(id|key|uuid|guid|slug|code)?$")


@functools.lru_cache(maxsize=None)
def tenant_key(names: tuple[str, ...]) -> re.Pattern[str]:
    """TENANT_KEY for a project that also names its tenants by ``names`` (the ``tenant-names``
    setting, normalised: ``lessee`` makes ``custom:lessee_id`` and ``x-lessee-id`` tenant ids)."""
    if not names:
        return TENANT_KEY
    return re.compile(r"(tenant|" + "|".join(map(re.escape, names)) + r")(id|key|uuid|guid|slug|code)?$")


def tenant_words(names: tuple[str, ...]) -> tuple[str, ...]:
    """The words that name a tenant (normalised), "tenant" and the project's own."""
    return ("tenant", *names)
# top-level event fields that say who invokes the function
INVOKER_FIELDS = {
    "methodarn": "authorizer", "authorizationtoken": "authorizer", "routearn": "authorizer",
    "resourceproperties": "custom-resource", "requesttype": "custom-resource",
    "logicalresourceid": "custom-resource", "detailtype": "event", "detail": "event",
}
# top-level event fields of an HTTP request (API Gateway, a function URL, an ALB): a handler that
# reads one serves requests, whatever else it reads (``event.get("detail") or json.loads(event["body"])``
# serves EventBridge events and API requests alike: its request path is a tenant's request)
REQUEST = "request"  # the role of a handler that reads them
REQUEST_FIELDS = frozenset({
    "headers", "multivalueheaders", "querystringparameters", "multivaluequerystringparameters",
    "pathparameters", "rawpath", "rawquerystring", "cookies", "httpmethod", "body",
    "arguments",  # a GraphQL field's arguments (an AppSync resolver's event): what the client sent
})

# a web framework's parameter markers (FastAPI's ``x_tenant_id: str = Header()`` or
# ``Annotated[str, Query()]``, Powertools' event handler params of the same names): the part of the
# request the parameter is read from, for the packages that define them
REQUEST_MARKERS = {
    "Header": "headers", "Query": "querystringparameters", "Path": "pathparameters", "Cookie": "cookies",
    "Body": "body", "Form": "body", "File": "body",
}
REQUEST_MARKER_PACKAGES = ("fastapi", "aws_lambda_powertools.event_handler")


def request_marker(path: str) -> str | None:
    """The event section a marker (by its import path, ``fastapi.Header``) reads, if it is one."""
    package, _, name = path.rpartition(".")
    if name in REQUEST_MARKERS and (package + ".").startswith(tuple(p + "." for p in REQUEST_MARKER_PACKAGES)):
        return REQUEST_MARKERS[name]
    return None


# request sections as web frameworks name them (Flask's args, view_args, get_json(), form;
# Starlette's path_params, query_params; Chalice's query_params, uri_params), normalised
SECTION_NAMES = {
    "jsonbody": "body", "rawbody": "body", "decodedbody": "body", "getjson": "body", "json": "body",
    "form": "body", "args": "querystringparameters", "queryparams": "querystringparameters",
    "viewargs": "pathparameters", "pathparams": "pathparameters", "uriparams": "pathparameters",
    "meta": "headers",  # Django's request.META: the headers as HTTP_X_TENANT_ID (and the server's variables)
}
# module-level objects of web frameworks that are the request being served (``from flask import request``)
REQUEST_GLOBALS = frozenset({"flask.request", "quart.request", "bottle.request"})
# module-level objects' attributes that hold the tenant of the request being served: django-tenants'
# middleware sets the request's tenant on the database connection (``connection.set_tenant``)
TENANT_GLOBALS = {
    "django.db.connection.tenant": "the database connection's tenant (django-tenants)",
    "django.db.connection.schema_name": "the database connection's tenant schema (django-tenants)",
}


def norm_key(name: str) -> str:
    """Event path segment, normalised across API Gateway JSON and Powertools names."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return SECTION_NAMES.get(key, key)


# the item images of a DynamoDB stream record (``event["Records"][i]["dynamodb"]["NewImage"]``):
# stored data a table change carries, as an item read is, not what an invoker sent
STREAM_IMAGES = frozenset({"newimage", "oldimage", "keys"})


def stored_image(path: tuple[str, ...]) -> bool:
    """Is ``path`` (an event field's) inside a DynamoDB stream record's item image?"""
    return path[:1] == ("records",) and "dynamodb" in path and any(segment in STREAM_IMAGES for segment in path)


def tenant_trust(path: tuple[str, ...]) -> tuple[str, str]:
    """(trust, description) of a tenant id found at ``path`` in the event."""
    if "authorizer" in path:
        return "trusted", "authorizer claims"
    if path[:2] in (("identity", "claims"), ("identity", "resolvercontext")):  # AppSync's verified caller
        return "trusted", "the AppSync caller's identity"
    if path[:1] == ("arguments",):
        return "untrusted", "the GraphQL arguments"
    if path[:1] == ("detail",):
        return "invoker", "an EventBridge event"
    if path[:1] == ("records",):  # SQS, SNS, Kinesis, DynamoDB stream records: what a producer sent
        return "invoker", "an event record"
    if path[:1] == ("path",) or path[:3] == ("requestcontext", "http", "path"):  # API Gateway's request path
        return "untrusted", "the request path"
    for segment, what in (("headers", "a request header"), ("multivalueheaders", "a request header"),
                          ("querystringparameters", "the query string"),
                          ("multivaluequerystringparameters", "the query string"),
                          ("pathparameters", "a path parameter"), ("rawpath", "the request path"),
                          ("rawquerystring", "the query string"), ("cookies", "a cookie"),
                          ("body", "the request body")):
        if segment in path:
            return "untrusted", what
    return "invoker", "the invocation payload"


# a web framework's request object, which a route receives rather than a path parameter (by the
# annotation's last name: fastapi.Request, starlette.requests.Request, ...)
FRAMEWORK_OBJECTS = frozenset({"Request", "WebSocket", "HTTPConnection", "HttpRequest", "WSGIRequest", "ASGIRequest"})


def annotation_name(param: ir.Param) -> str | None:
    """The last name of a parameter's annotation (``Request`` of ``fastapi.Request``)."""
    annotation = param.annotation
    return annotation.id if isinstance(annotation, ir.Name) else annotation.attr if isinstance(annotation, ir.Attr) \
        else None


def framework_object(param: ir.Param) -> bool:
    """Is the parameter a web framework's request object (by its annotation)?"""
    return annotation_name(param) in FRAMEWORK_OBJECTS
