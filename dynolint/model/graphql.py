"""GraphQL schemas made of the project's classes (library rows ``GRAPHQL_SCHEMAS``).

``strawberry.Schema(query=Query, mutation=Mutation)`` (graphene's likewise) is given the
project's classes whose methods resolve the fields; executing the schema
(``schema.execute_sync(query, context_value=ctx)``) runs them. Which ones a query asks for
is the client's choice, so each resolver of those classes runs there, on the caller's path:
given ``info``, whose ``context`` is what the execution was given (the tenant the route took
from its verified claims), and the field's arguments, which are the client's input (as an
AppSync resolver's ``arguments`` are). So the data calls a resolver makes are the route's,
tenant-aware when the route is, and a tenant id taken from the arguments is client-chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.library_web import GRAPHQL_CONTEXTS, GRAPHQL_INFO, GRAPHQL_INFO_TYPES, GRAPHQL_RESOLVERS, GRAPHQL_SCHEMAS
from dynolint.model.values import NONE, UNKNOWN, CallV, ClassV, EventV, FuncV, InstanceV, Loc, Val, alts, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

MAX_RESOLVERS = 64  # the resolvers one execution runs, at most


def execute(machine: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
            state: State, frame: Frame) -> Val | None:
    """``schema.execute_sync(query, context_value=ctx)`` on a schema of the project's classes:
    each of their resolvers run with that context; None when ``recv`` is no such schema."""
    keyword = GRAPHQL_CONTEXTS.get(name)
    schemas = [alt for alt in alts(recv) if type(alt) is CallV and alt.recv is None and alt.fn in GRAPHQL_SCHEMAS]
    if keyword is None or not schemas:
        return None
    context = kwargs.get(keyword, UNKNOWN)
    module, _, klass = GRAPHQL_INFO.rpartition(".")
    info = InstanceV(ClassV(module, klass), loc)  # (a namespace: its context is a heap cell)
    machine.summaries.write((loc, "context"), context, merged=True)
    results: list[Val] = []
    for schema in schemas:
        given = dict(schema.kwargs)
        types = [alt for keyword in GRAPHQL_SCHEMAS[schema.fn] for alt in alts(given.get(keyword, NONE))
                 if type(alt) is ClassV]
        for cls in types:
            for resolver in resolvers(machine, cls)[:MAX_RESOLVERS]:
                results.append(run(machine, cls, resolver, info, loc, state, frame))
    return CallV("graphql result", None, tuple(results)) if results else None


def resolvers(machine: Machine, cls: ClassV) -> list[FuncV]:
    """The methods of ``cls`` that resolve a field: decorated as such (strawberry's
    ``@strawberry.field``), or named so (graphene's ``resolve_<field>``)."""
    klass = machine.project.classes.get((cls.path, cls.qualname))
    found: list[FuncV] = []
    for method, qualname in klass.methods if klass is not None else ():
        function = machine.project.functions.get((cls.path, qualname))
        if function is None:
            continue
        if method.startswith("resolve_") or \
                any(path in GRAPHQL_RESOLVERS for path in machine.decorator_paths(cls.path, function.decorators)):
            found.append(FuncV(cls.path, qualname))
    return found


def run(machine: Machine, cls: ClassV, resolver: FuncV, info: InstanceV, loc: Loc, state: State,
        frame: Frame) -> Val:
    """One resolver, given its parent object (an instance of its type), ``info``, and each
    other parameter the field's argument of that name."""
    function = machine.project.functions[(resolver.path, resolver.qualname)]
    params = [p for p in function.params if p.kind in ("pos", "kwonly")][1:]  # (after self or root)
    kwargs: dict[str, Val] = {}
    arguments = EventV(("arguments",))
    for param in params:
        annotation = param.annotation.value if isinstance(param.annotation, ir.Sub) else param.annotation
        typed_info = annotation is not None and ir.last_name(annotation) in GRAPHQL_INFO_TYPES
        # (an argument named as a tenant id is one the client chose, taken where the resolver is defined)
        kwargs[param.name] = info if param.name == "info" or typed_info else \
            machine.event_child(arguments, param.name, (resolver.path, function.site), frame, False)
    parent = InstanceV(cls, (resolver.path, function.site))
    return one_of([machine.invoke(resolver, parent, [], kwargs, loc, state, frame)])
