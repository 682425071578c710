"""GraphQL schemas made of the project's code (library rows ``GRAPHQL_*`` in library_web.py).

``strawberry.Schema(query=Query, mutation=Mutation)`` (graphene's likewise) is given the
project's classes whose methods resolve the fields; Ariadne's ``make_executable_schema`` is given
objects to which functions were bound by decorator (``@query.field("product")``). Executing the
schema (``schema.execute_sync(query, context_value=ctx)``, ``graphql_sync(schema, data,
context_value=ctx)``) runs them. Which ones a query asks for is the client's choice, so each
resolver runs there, on the caller's path: given ``info``, whose ``context`` is what the
execution was given (the tenant the route took from its verified claims), and the field's
arguments, which are the client's input (as an AppSync resolver's ``arguments`` are). So the
data calls a resolver makes are the route's, tenant-aware when the route is, and a tenant id
taken from the arguments is client-chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.request_hooks import peek_at_module
from dynolint.model.library_web import (
    GRAPHQL_BINDABLES, GRAPHQL_BINDS, GRAPHQL_CONTEXTS, GRAPHQL_INFO, GRAPHQL_INFO_TYPES, GRAPHQL_MAKERS,
    GRAPHQL_MUTATE, GRAPHQL_RESOLVERS, GRAPHQL_RUNNERS, GRAPHQL_SCHEMAS, GRAPHQL_SERVERS,
)
from dynolint.model.values import NONE, UNKNOWN, CallV, ClassV, ConstV, DictV, EventV, FuncV, InstanceV, Loc, Val, alts

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

MAX_RESOLVERS = 64  # the resolvers one execution runs, at most


def execute(machine: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
            state: State, frame: Frame) -> Val | None:
    """``schema.execute_sync(query, context_value=ctx)`` on a schema of the project's classes:
    each of their resolvers run with that context; None when ``recv`` is no such schema."""
    keyword = GRAPHQL_CONTEXTS.get(name)
    if keyword is None:
        return None
    return _run_all(machine, recv, kwargs.get(keyword, UNKNOWN), loc, state, frame)


def execute_function(machine: Machine, path: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                     state: State, frame: Frame) -> Val | None:
    """``graphql_sync(schema, data, context_value=ctx)``: as ``execute``."""
    keyword = GRAPHQL_RUNNERS.get(path)
    if keyword is None or not args:
        return None
    return _run_all(machine, args[0], kwargs.get(keyword, UNKNOWN), loc, state, frame)


def serve(machine: Machine, path: str, args: list[Val], kwargs: dict[str, Val], node: ir.Call, loc: Loc,
          state: State, frame: Frame) -> None:
    """A server that executes a schema for each request routed to it (``GraphQLRouter(schema,
    context_getter=get_context)``): its resolvers run where it is made, with the context that
    the getter makes of a request (or the one given; else the request itself)."""
    position, keyword, context_keyword = GRAPHQL_SERVERS[path]
    schema = args[position] if len(args) > position else kwargs.get(keyword)
    if schema is None:
        return
    request = EventV(())
    given = kwargs.get(context_keyword) if context_keyword is not None else None
    if given is None:  # (the servers' own context: the request under "request")
        context: Val = DictV(((ConstV("request"), request),))
    elif any(machine.runnable(alt) for alt in alts(given)):
        context = machine.apply(given, [request], {}, (), node, loc, state, frame)
    else:
        context = given
    _run_all(machine, schema, context, loc, state, frame)


def _run_all(machine: Machine, schema: Val, context: Val, loc: Loc, state: State, frame: Frame) -> Val | None:
    found = [(cls, resolver) for alt in alts(schema) if type(alt) is CallV and alt.recv is None
             for cls, resolver in _resolvers_of(machine, alt)]
    if not found:
        return None
    module, _, klass = GRAPHQL_INFO.rpartition(".")
    info = InstanceV(ClassV(module, klass), loc)  # (a namespace: its context is a heap cell)
    machine.summaries.write((loc, "context"), context, merged=True)
    results = [run(machine, cls, resolver, info, loc, state, frame) for cls, resolver in found[:MAX_RESOLVERS]]
    return CallV("graphql result", None, tuple(results))


def _resolvers_of(machine: Machine, schema: CallV) -> list[tuple[ClassV | None, FuncV]]:
    if schema.fn in GRAPHQL_SCHEMAS:
        given = dict(schema.kwargs)
        roots = [alt for keyword in GRAPHQL_SCHEMAS[schema.fn] for alt in alts(given.get(keyword, NONE))
                 if type(alt) is ClassV]
        return [(cls, resolver) for cls in reachable(machine, roots) for resolver in resolvers(machine, cls)]
    if schema.fn in GRAPHQL_MAKERS:
        bindables = [alt for arg in schema.args for alt in alts(arg)
                     if type(alt) is CallV and alt.recv is None and alt.fn in GRAPHQL_BINDABLES]
        return [(None, resolver) for resolver in bound(machine, bindables)]
    return []


def reachable(machine: Machine, roots: list[ClassV], limit: int = 64) -> list[ClassV]:
    """The schema's root types and the project's types their fields return, to any depth
    (graphene's ``deal = graphene.Field(Deal)``, ``graphene.List(Contact)``): a query can ask
    for the nested fields too."""
    found: list[ClassV] = []
    pending = list(roots)
    while pending and len(found) < limit:
        cls = pending.pop(0)
        klass = machine.project.classes.get((cls.path, cls.qualname))
        if cls in found or klass is None:
            continue
        found.append(cls)
        for stmt in klass.body:
            if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Call):
                for arg in stmt.value.args:
                    inner = arg.args[0] if isinstance(arg, ir.Call) and arg.args else arg  # (``List(NonNull(X))``)
                    pending.extend(alt for alt in alts(peek_at_module(machine, cls.path, inner)) if type(alt) is ClassV)
    return found


def resolvers(machine: Machine, cls: ClassV) -> list[FuncV]:
    """The methods of ``cls`` that resolve a field: decorated as such (strawberry's
    ``@strawberry.field``), named so (graphene's ``resolve_<field>``), or the ``mutate`` of a
    mutation class a field of it declares (graphene's ``create = CreateThing.Field()``)."""
    klass = machine.project.classes.get((cls.path, cls.qualname))
    found: list[FuncV] = []
    for method, qualname in klass.methods if klass is not None else ():
        function = machine.project.functions.get((cls.path, qualname))
        if function is None:
            continue
        if method.startswith("resolve_") or \
                any(path in GRAPHQL_RESOLVERS for path in machine.decorator_paths(cls.path, function.decorators)):
            found.append(FuncV(cls.path, qualname))
    for stmt in klass.body if klass is not None else ():
        if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Call) and isinstance(stmt.value.func, ir.Attr) \
                and stmt.value.func.attr == "Field":
            for alt in alts(peek_at_module(machine, cls.path, stmt.value.func.value)):
                mutate = machine.find_method(alt, GRAPHQL_MUTATE) if type(alt) is ClassV else None
                if mutate is not None:
                    found.append(mutate)
    return found


def bound(machine: Machine, bindables: list[CallV]) -> list[FuncV]:
    """The project's functions bound by decorator to one of ``bindables`` (Ariadne's
    ``@query.field("product")``)."""
    found: list[FuncV] = []
    for (path, _), function in sorted(machine.project.functions.items()):
        for decorator in function.decorators:
            if isinstance(decorator, ir.Call) and isinstance(decorator.func, ir.Attr) \
                    and decorator.func.attr in GRAPHQL_BINDS \
                    and any(alt in bindables for alt in alts(peek_at_module(machine, path, decorator.func.value))):
                found.append(FuncV(path, function.qualname))
                break
    return found


def run(machine: Machine, cls: ClassV | None, resolver: FuncV, info: InstanceV, loc: Loc, state: State,
        frame: Frame) -> Val:
    """One resolver, given its parent object (an instance of its type, when it is a method),
    ``info``, and each other parameter the field's argument of that name."""
    function = machine.project.functions[(resolver.path, resolver.qualname)]
    params = [p for p in function.params if p.kind in ("pos", "kwonly")][1:]  # (after self, root or obj)
    kwargs: dict[str, Val] = {}
    arguments = EventV(("arguments",))
    for param in params:
        annotation = param.annotation.value if isinstance(param.annotation, ir.Sub) else param.annotation
        typed_info = annotation is not None and ir.last_name(annotation) in GRAPHQL_INFO_TYPES
        # (an argument named as a tenant id is one the client chose, taken where the resolver is defined)
        kwargs[param.name] = info if param.name == "info" or typed_info else \
            machine.event_child(arguments, param.name, (resolver.path, function.site), frame, False)
    if function.class_qualname is None:  # (a function: its first parameter is the parent object)
        return machine.invoke(resolver, None, [UNKNOWN], kwargs, loc, state, frame)
    parent = InstanceV(cls or ClassV(resolver.path, function.class_qualname), (resolver.path, function.site))
    return machine.invoke(resolver, parent, [], kwargs, loc, state, frame)
