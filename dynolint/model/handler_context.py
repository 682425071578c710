"""Powertools' resolver context: what a request's code shares with the routes that serve it.

An event handler resolver (``APIGatewayRestResolver()``, ``AppSyncResolver()``, a ``Router``)
keeps a ``context`` dict: ``app.append_context(tenant_id=...)``, called by the Lambda handler
before ``app.resolve(event, context)`` or by a middleware before ``next_middleware(app)``, puts
entries there that a route reads as ``app.context["tenant_id"]`` (or ``router.context``), and
``resolve`` clears it when the request ends. So it is a per-request namespace, as Flask's ``g``
is (model/objects.py, ``request_scope_get``): a route that reads an entry nothing in its own
path stored runs the project's functions that append to the context first, the handler given
the event and the middleware the request's resolver, once a root."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from dynolint.phase1 import ir
from dynolint.phase1.prefilter import CONTEXT_PARAMS, EVENT_PARAMS
from dynolint.model.library_web import RESOLVER_CONTEXT
from dynolint.model.event_fields import framework_object
from dynolint.model.values import (
    NONE, UNKNOWN, AttrV, CallV, ContextV, ContextVarV, EventV, ExtV, FuncV, Loc, ModuleV, Val, alts, const_str,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

RESOLVER_PACKAGE = "aws_lambda_powertools.event_handler."  # the resolvers and routers it defines
APPEND = "append_context"


def context_attr(base: Val, name: str) -> Val | None:
    """``app.context`` of a resolver or router the module made: the request's context; a
    method of the context (``app.context.get``), called as a method (:func:`context_method`)."""
    if type(base) is ExtV and base.path == RESOLVER_CONTEXT:
        return AttrV(base, name)
    if name == "context" and any(type(alt) is CallV and alt.recv is None and alt.fn.startswith(RESOLVER_PACKAGE)
                                 for alt in alts(base)):
        return ExtV(RESOLVER_CONTEXT)
    return None


def context_method(machine: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                   state: State, frame: Frame) -> Val | None:
    """``app.append_context(k=v)`` (any receiver: a middleware is given the resolver) stores;
    ``app.context.get(k)`` reads; None for other calls."""
    if name == APPEND and kwargs and not args:
        for key, value in kwargs.items():
            machine.request_scope_store(RESOLVER_CONTEXT, key, value, frame)
        return NONE
    if name == "get" and args and type(recv) is ExtV and recv.path == RESOLVER_CONTEXT \
            and (entry := const_str(args[0])) is not None:
        return machine.request_scope_get(RESOLVER_CONTEXT, entry, loc, state, frame)
    return None


def context_hooks(machine: Machine) -> list[tuple[str, ir.Function, tuple[Val, ...]]]:
    """The project's functions that append to a resolver's context, with what they are given:
    a Lambda handler the event and context, another function (a middleware, given the
    resolver and the next middleware) unknown arguments."""
    outermost: dict[tuple[str, str], ir.Function] = {}  # (a call in a nested function: the function holding it)
    for path, function in _calling(machine, lambda _, node: type(node.func) is ir.Attr and node.func.attr == APPEND):
        function = _outer(machine, path, function)
        if function.class_qualname is None:
            outermost.setdefault((path, function.qualname), function)
    return [(path, function, given_to(machine, function)) for (path, _), function in sorted(outermost.items())]


def _calling(machine: Machine, test: Callable[[str, ir.Call], bool]) -> list[tuple[str, ir.Function]]:
    """The project's functions (with their files) that make a call ``test`` accepts."""
    return [(path, function) for (path, _), function in sorted(machine.project.functions.items())
            if any(type(node) is ir.Call and test(path, node) for node in ir.walk(function.body))]


def _outer(machine: Machine, path: str, function: ir.Function) -> ir.Function:
    """The outermost function ``function`` is nested in (itself when it is not)."""
    functions = machine.project.functions
    while function.parent is not None and (path, function.parent) in functions:
        function = functions[(path, function.parent)]
    return function


def _called_by_parent(machine: Machine, path: str, function: ir.Function) -> bool:
    """Is the nested ``function`` called by the function it is defined in (a body it runs:
    ``return asyncio.run(_body())``, ``_inner()``), not returned by it (a wrapper)?"""
    parent = machine.project.functions.get((path, function.parent)) if function.parent is not None else None
    if parent is None:
        return False
    nodes = list(ir.walk(parent.body))
    returned = any(type(node) is ir.Return and type(node.value) is ir.Name and node.value.id == function.name
                   for node in nodes)
    called = any(type(node) is ir.Call and type(node.func) is ir.Name and node.func.id == function.name
                 for node in nodes)
    return called and not returned


def given_to(machine: Machine, function: ir.Function) -> tuple[Val, ...]:
    """What a hook run on its own is given: a Lambda handler the event and context; a
    middleware the request where its parameter is a framework's request object
    (``async def bind(request: Request, call_next)``, FastAPI's ``@app.middleware("http")``),
    else unknown arguments."""
    if machine.handler_shaped(function):
        return (EventV(()), ContextV())
    params = function.params[1:] if function.class_qualname is not None else function.params  # (not ``self``)
    names = [p.name.lower() for p in params]
    if len(names) >= 3 and names[-2] in EVENT_PARAMS and names[-1] in CONTEXT_PARAMS:
        # a handler's middleware (Powertools' ``@lambda_handler_decorator`` ``def mw(handler,
        # event, context)``): given the event and context Lambda gives the handler
        return (*(UNKNOWN for _ in names[:-2]), EventV(()), ContextV())
    if "call_next" in names and names.index("call_next") > 0:
        # an ASGI middleware's ``(request, call_next)``, written with or without the annotation
        request = names.index("call_next") - 1
        return tuple(EventV(()) if index == request or framework_object(param) else UNKNOWN
                     for index, param in enumerate(params))
    return tuple(EventV(()) if framework_object(param) else UNKNOWN for param in params)


def run_var_setters(machine: Machine, var: Loc, loc: Loc, state: State, frame: Frame) -> None:
    """Run, on the reading root's path, the project's functions that set the ContextVar made at
    ``var`` (:func:`var_setters`), so that what they bind is what the reader gets. A decorated
    handler runs as its name is bound (the decorators' wrapper with what the decoration gave it),
    the function it wraps left unknown: what the wrapper binds is wanted, not the whole request
    run again inside another root; and only a handler whose module imports the reader's code."""
    root_path = machine.roots[frame.root].path
    for path, function, given, bound_name in var_setters(machine, var):
        if function.qualname == frame.qualname and path == frame.path or bound_name is not None \
                and not machine.project.imports_reach(path, root_path):
            continue  # (a handler whose module does not import this code serves other requests)
        on = None  # (a middleware's method runs on an instance of its class)
        if function.class_qualname is not None:
            klass = machine.project.classes.get((path, function.class_qualname))
            if klass is None:
                continue
            on = machine.root_instance(path, klass)
        callee = FuncV(path, function.qualname)
        if bound_name is not None:
            bound = machine.run_module(path).get(bound_name)
            if function.parent is not None and (type(bound) is not FuncV or bound.qualname != function.qualname):
                continue  # (a name assigned the decorator's application, bound to something else: the decorator)
            callee = _wrapped_left_out(machine, bound) if type(bound) is FuncV else callee
        machine.invoke(callee, on, list(given), {}, loc, state, frame)


def _wrapped_left_out(machine: Machine, wrapper: FuncV) -> FuncV:
    """The decorators' wrapper ``wrapper`` with the function it wraps left unknown: the names of
    its closure that it calls outside the ``set(...)`` of the variable (``inner(event, context)``,
    not ``resolve(event)``)."""
    function = machine.project.functions.get((wrapper.path, wrapper.qualname))
    if function is None or wrapper.closure < 0:
        return wrapper
    inside: set[str] = set()  # the names the value set is computed from, through the wrapper's assignments
    called: set[str] = set()
    made_of: dict[str, set[str]] = {}  # a local -> the names its assignments read
    for node in ir.walk(function.body):
        if type(node) is ir.Call and type(node.func) is ir.Attr and node.func.attr == "set":
            inside.update(n.id for arg in node.args for n in ir.walk(arg) if type(n) is ir.Name)
        elif type(node) is ir.Call and type(node.func) is ir.Name:
            called.add(node.func.id)
        if type(node) is ir.Assign:
            read = {n.id for n in ir.walk(node.value) if type(n) is ir.Name}
            for target in node.targets:
                for name in (n.id for n in ir.walk(target) if type(n) is ir.Name):
                    made_of.setdefault(name, set()).update(read)
    pending = list(inside)  # (``tenant = resolve(event)`` before ``var.set(tenant)``: resolve is not the wrapped)
    while pending:
        for name in made_of.get(pending.pop(), ()):
            if name not in inside:
                inside.add(name)
                pending.append(name)
    closure = machine.closures[wrapper.closure]
    left_out = {name for name in called - inside - function.locals if name in closure}
    if not left_out:
        return wrapper
    machine.closures.append({name: UNKNOWN if name in left_out else value for name, value in closure.items()})
    return FuncV(wrapper.path, wrapper.qualname, len(machine.closures) - 1)


def var_setters(machine: Machine, var: Loc) -> list[tuple[str, ir.Function, tuple[Val, ...], str | None]]:
    """The project's functions that set the ContextVar made at ``var`` (``_principal.set(...)``,
    ``tenancy._principal.set(...)``), as :func:`context_hooks` gives them: a middleware binding the
    request's tenant before the route runs (Powertools' ``app.use(middlewares=[...])``, a
    Starlette middleware function or class, a handler), which a route reading the variable
    depends on. A method is given its arguments without ``self``."""
    found = machine.var_setter_memo.get(var)
    if found is not None:
        return found
    outermost: dict[tuple[str, str], ir.Function] = {}
    bound: dict[tuple[str, str], str] = {}  # (path, qualname) -> the module-level name to call instead
    for path, function in _calling(machine, lambda path, node: type(node.func) is ir.Attr and node.func.attr == "set"
                                   and _names_var(machine, path, node.func.value, var)):
        if function.parent is not None and function.class_qualname is None and _called_by_parent(machine, path, function):
            function = _outer(machine, path, function)  # (a body its function runs: ``asyncio.run(_inner())``)
        elif function.parent is not None and function.class_qualname is None:
            # a decorator's wrapper (``token = _current.set(...)`` around ``view(*args)``): what
            # it decorates runs it with what the decoration gave it (``@with_org(org_from_claims)``,
            # ``handler = scoped(from_claims)(app_handler)``): the name bound to that is called;
            # with none in the project the wrapper runs itself, what it closes over unknown
            decorated = _decorated_by(machine, path, _outer(machine, path, function), function)
            for key, each, name in decorated:
                outermost.setdefault(key, each)
                bound[key] = name
            if not decorated:
                outermost.setdefault((path, function.qualname), function)
            continue
        # (a method too: a Starlette ``BaseHTTPMiddleware``'s ``dispatch(self, request, call_next)``,
        # run on an instance of its class)
        function = _outer(machine, path, function)
        outermost.setdefault((path, function.qualname), function)
    for (path, qualname), function in list(outermost.items()):
        if function.params and function.class_qualname is None and function.parent is None \
                and (path, qualname) not in bound:
            # a helper that sets what it is given (``def bind(caller): return _caller.set(caller)``):
            # the functions calling it bind the request's value (a middleware given the request)
            callers = _callers_of(machine, function.name, (path, qualname))
            if callers:
                del outermost[(path, qualname)]
                for key, caller in callers:
                    outermost.setdefault(key, caller)
    found = [(path, function, given_to(machine, function), bound.get((path, qualname)))
             for (path, qualname), function in sorted(outermost.items())]
    machine.var_setter_memo[var] = found
    return found


def _decorated_by(machine: Machine, home: str, decorator: ir.Function,
                  wrapper: ir.Function) -> list[tuple[tuple[str, str], ir.Function, str]]:
    """The module-level names the decorator ``decorator`` of the file ``home`` (the function that
    returns ``wrapper``, or makes the decorator that does) is applied to: functions decorated
    with it, with or without a call (``@with_org(org_from_claims)``, ``@tenancy.with_org(...)``,
    under another name it was imported as), and names assigned its application
    (``handler = tenant_scoped(resolve)(app_handler)``); each with the function that describes
    what it is given (the decorated one, or the wrapper) and the name to call."""
    def applies(path: str, expr: ir.Expr) -> bool:
        while type(expr) is ir.Call:
            expr = expr.func
        if ir.last_name(expr) == decorator.name:
            return True
        return type(expr) in (ir.Name, ir.Attr) and any(
            type(alt) is FuncV and alt.path == home and alt.qualname == decorator.qualname
            for alt in alts(machine.peek(expr, _empty(), machine.module_frame(path))))

    found: list[tuple[tuple[str, str], ir.Function, str]] = []
    for (path, qualname), function in sorted(machine.project.functions.items()):
        if function.parent is None and function.class_qualname is None and any(
                applies(path, each) for each in function.decorators):
            found.append(((path, qualname), function, function.name))
    for path, summary in sorted(machine.project.files.items()):
        for stmt in summary.body:
            if type(stmt) is ir.Assign and len(stmt.targets) == 1 and type(target := stmt.targets[0]) is ir.Name \
                    and type(stmt.value) is ir.Call and applies(path, stmt.value):
                found.append(((path, target.id), wrapper, target.id))
    return found


def _empty() -> State:
    from dynolint.model.state import State

    return State({})


def _callers_of(machine: Machine, name: str, own: tuple[str, str]) -> list[tuple[tuple[str, str], ir.Function]]:
    """The outermost project functions that call a function named ``name`` (none when more
    than four do: a name that common says nothing of who binds the variable)."""
    found: dict[tuple[str, str], ir.Function] = {}
    for path, function in _calling(machine, lambda _, node: ir.last_name(node.func) == name):
        if (path, function.qualname) != own:
            outer = _outer(machine, path, function)
            found.setdefault((path, outer.qualname), outer)
    return list(found.items()) if len(found) <= 4 else []


def _names_var(machine: Machine, path: str, expr: ir.Expr, var: Loc) -> bool:
    """Is ``expr`` (in module ``path``) the module-level ContextVar made at ``var``: its name,
    or an attribute of the module that holds it?"""
    if type(expr) is ir.Name:
        held = machine.run_module(path).get(expr.id)
    elif type(expr) is ir.Attr and type(expr.value) is ir.Name:
        module = machine.run_module(path).get(expr.value.id)
        held = machine.run_module(module.name).get(expr.attr) if type(module) is ModuleV else None
    else:
        return False
    return type(held) is ContextVarV and held.loc == var
