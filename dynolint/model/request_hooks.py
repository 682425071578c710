"""The functions a web framework runs before each request, and the application object each is
registered on: ``@app.before_request`` (a decorator), ``app.before_request(bind)`` (a call in
the module's body), ``@bp.before_app_request``; and the blueprints an application registers
(``app.register_blueprint(bp)``), whose routes the application's hooks run before."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, NamedTuple

from dynolint.phase1 import ir
from dynolint.model.library_web import BEFORE_REQUEST_HOOKS
from dynolint.model.values import UNKNOWN, FuncV, Val, alts

if TYPE_CHECKING:
    from dynolint.model.interp import Machine

BLUEPRINT_REGISTRATIONS = frozenset({"register_blueprint"})  # Flask, Quart: the app runs the blueprint's routes


class Hook(NamedTuple):
    path: str
    function: ir.Function
    app: Val | None  # the object it is registered on (None: the model does not know it)


def registered_hooks(machine: Machine) -> list[Hook]:
    """Every function registered to run before each request, by decorator or by call."""
    found: list[Hook] = []
    for (path, _), function in sorted(machine.project.functions.items()):
        if function.parent is None and function.class_qualname is None:
            app = registered_on(machine, path, function, BEFORE_REQUEST_HOOKS)
            if app is not None or any(_hook_decorator(d) for d in function.decorators):
                found.append(Hook(path, function, app))
    for app, registered in machine.registered_at_run:  # (registered where code ran: an app factory)
        hooked = machine.project.functions.get((registered.path, registered.qualname))
        if hooked is not None and not any(h.path == registered.path and h.function is hooked for h in found):
            found.append(Hook(registered.path, hooked, _known(app)))
    for path, receiver, args in _module_calls(machine, BEFORE_REQUEST_HOOKS):
        if len(args) == 1:
            for alt in alts(peek_at_module(machine, path, args[0])):
                if isinstance(alt, FuncV) and (hooked := machine.project.functions.get((alt.path, alt.qualname))):
                    found.append(Hook(alt.path, hooked, _known(peek_at_module(machine, path, receiver))))
    return found


def serves(machine: Machine, hook_app: Val | None, route_app: Val) -> bool:
    """Does the application a hook is registered on run the route of ``route_app`` (the same
    object, or a blueprint it registers)?"""
    if hook_app is None:
        return False
    if hook_app == route_app:
        return True
    if any(app == hook_app and blueprint == route_app for app, blueprint in machine.blueprints_at_run):
        return True
    return any(args and peek_at_module(machine, path, receiver) == hook_app and peek_at_module(machine, path, args[0]) == route_app
               for path, receiver, args in _module_calls(machine, BLUEPRINT_REGISTRATIONS))


def registered_on(machine: Machine, path: str, function: ir.Function, names: Iterable[str]) -> Val | None:
    """The object a decorator of ``function`` named ``names`` is an attribute of (the app
    or blueprint of ``@app.get("/x")`` or ``@bp.before_request``), when the model knows it."""
    for decorator in function.decorators:
        target = decorator.func if isinstance(decorator, ir.Call) else decorator
        if isinstance(target, ir.Attr) and target.attr in names:
            return _known(peek_at_module(machine, path, target.value))
    return None


def _hook_decorator(decorator: ir.Expr) -> bool:
    return isinstance(decorator, ir.Attr) and decorator.attr in BEFORE_REQUEST_HOOKS


def _module_calls(machine: Machine, names: frozenset[str]) -> list[tuple[str, ir.Expr, tuple[ir.Expr, ...]]]:
    """The calls ``x.<name>(...)`` made as statements of a module's body: (file, x, arguments)."""
    found: list[tuple[str, ir.Expr, tuple[ir.Expr, ...]]] = []
    for path, summary in sorted(machine.project.files.items()):
        for statement in summary.body:
            call = statement.value if isinstance(statement, ir.ExprStmt) else None
            if isinstance(call, ir.Call) and isinstance(call.func, ir.Attr) and call.func.attr in names:
                found.append((path, call.func.value, call.args))
    return found


def peek_at_module(machine: Machine, path: str, expr: ir.Expr) -> Val:
    """What ``expr`` is in the module ``path``'s namespace, as its body left it."""
    from dynolint.model.state import State

    return machine.peek(expr, State({}), machine.module_frame(path))


def _known(value: Val) -> Val | None:
    return None if value is UNKNOWN else value
