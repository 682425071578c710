"""What web frameworks do, as data the interpreter consults (the web rows of model/library.py):
the state an application object keeps, the proxies that stand for it, a request's own namespace,
the hooks that run before a view, dependency injection, and GraphQL schemas."""

from __future__ import annotations

# Web application objects keep state for the process's life in attributes the framework gives
# projects for it (model/apps.py), by class: a "mapping" (``app.extensions["x"] = ...``) or a
# "namespace" (``app.state.table = ...``; a class keeps at most one, whose objects are of the
# class ``NAMESPACE_CLASSES`` names). The proxies that stand, in a request, for the application
# handling it (the one the project made), with the classes it may be of.
APP_STATE: dict[str, dict[str, str]] = {
    **dict.fromkeys(("flask.Flask", "quart.Quart"), {"extensions": "mapping", "config": "mapping"}),
    **dict.fromkeys(("fastapi.FastAPI", "starlette.applications.Starlette"), {"state": "namespace"}),
}
NAMESPACE_CLASSES = dict.fromkeys(("fastapi.FastAPI", "starlette.applications.Starlette"),
                                  "starlette.datastructures.State")
# the functions an application runs once at start-up, before it serves (``@app.before_serving``,
# ``@app.on_event("startup")``): what they keep on it is there for every request, as a lifespan's is
APP_STARTUP_HOOKS = frozenset({"before_serving", "before_first_request", "on_startup"})
APP_STARTUP_EVENTS = frozenset({"on_event"})  # given the event's name first: "startup"
APP_PROXIES: dict[str, tuple[str, ...]] = {
    "flask.current_app": ("flask.Flask",), "quart.current_app": ("quart.Quart",),
    "starlette.requests.Request.app": ("fastapi.FastAPI", "starlette.applications.Starlette"),
}

# A web framework's per-request namespace (Flask's and Quart's ``g``): what a request stores on it
# is there for the rest of that request only (not process state), and the functions registered to
# run before each request (``@app.before_request``, a blueprint's ``before_app_request``) are what
# stores into it before a view runs.
# Starlette's (FastAPI's) ``request.state`` is the same, set by the functions an application
# registers as HTTP middleware (``@app.middleware("http")``), which are given the request.
REQUEST_STATE = "starlette.requests.Request.state"
# Powertools' event handler resolvers keep a per-request ``context`` dict (model/handler_context.py)
RESOLVER_CONTEXT = "aws_lambda_powertools.event_handler.context"
REQUEST_SCOPES = frozenset({"flask.g", "quart.g", REQUEST_STATE})
BEFORE_REQUEST_HOOKS = frozenset({"before_request", "before_app_request"})
MIDDLEWARE_HOOKS = frozenset({"middleware"})  # ``@app.middleware("http")``: called with the request

# GraphQL schemas made of the project's classes (model/graphql.py): the keywords that give the
# classes whose methods resolve fields; the methods that execute a query, with the keyword of the
# context they give every resolver (``info.context``); the decorators that make a method a resolver
# (graphene's are named ``resolve_<field>``); the class of the ``info`` object (a namespace)
_GRAPHQL_TYPES = ("query", "mutation", "subscription")
GRAPHQL_SCHEMAS: dict[str, tuple[str, ...]] = dict.fromkeys(
    ("strawberry.Schema", "strawberry.federation.Schema", "graphene.Schema"), _GRAPHQL_TYPES)
GRAPHQL_CONTEXTS: dict[str, str] = {"execute_sync": "context_value", "execute": "context_value"}
GRAPHQL_RESOLVERS = frozenset({"strawberry.field", "strawberry.mutation", "strawberry.subscription"})
# Ariadne: resolvers bound by decorator (``@query.field("product")``) to objects of these classes, which
# ``make_executable_schema`` is given; a function executes a schema with a context; graphene's
# mutations are classes whose ``mutate`` resolves the field the type declares (``X.Field()``)
GRAPHQL_BINDABLES = frozenset({"ariadne.QueryType", "ariadne.MutationType", "ariadne.ObjectType",
                               "ariadne.SubscriptionType", "ariadne.InterfaceType", "ariadne.UnionType"})
GRAPHQL_BINDS = frozenset({"field", "set_field"})
GRAPHQL_MAKERS = frozenset({"ariadne.make_executable_schema"})
GRAPHQL_RUNNERS: dict[str, str] = {"ariadne.graphql_sync": "context_value", "ariadne.graphql": "context_value"}
GRAPHQL_MUTATE = "mutate"
# The servers that execute a schema for each request a web application routes to them: where the
# schema is given (a position, a keyword), and the keyword of what makes each request's context
# (a function given the request, or the context itself; else the context is the request)
GRAPHQL_SERVERS: dict[str, tuple[int, str, str | None]] = {
    "strawberry.fastapi.GraphQLRouter": (0, "schema", "context_getter"),
    "strawberry.asgi.GraphQL": (0, "schema", None),
    "strawberry.flask.views.GraphQLView.as_view": (1, "schema", None),
    "strawberry.chalice.views.GraphQLView": (0, "schema", None),
    "ariadne.asgi.GraphQL": (0, "schema", "context_value"),
    "ariadne.wsgi.GraphQL": (0, "schema", "context_value"),
    "flask_graphql.GraphQLView.as_view": (1, "schema", "get_context"),
    "graphql_server.flask.GraphQLView.as_view": (1, "schema", "get_context"),
}
GRAPHQL_INFO = "strawberry.types.Info"
GRAPHQL_INFO_TYPES = frozenset({"Info", "GraphQLResolveInfo", "ResolveInfo"})  # annotations naming it

# dependency injection markers of web frameworks (by last name: fastapi.Depends, fastapi.params.Depends)
INJECTORS = frozenset({"Depends", "Security"})

# Django's settings: ``django.conf.settings.NAME`` is the module-level NAME of the project's settings
# module (``<project>/settings.py``, or a module of a ``settings`` package: base, production, ...)
DJANGO_SETTINGS = "django.conf.settings"
