"""Web application objects and the state they keep (library rows ``APP_STATE``).

An application object (``Flask(__name__)``, ``FastAPI(lifespan=...)``) lives as long as the
process: it is made at import (or by a factory called at import), and every request the
process serves is handled by it. Projects keep what they made at start-up on it, in the
attributes the framework gives them for that (``app.extensions["broker"] = Broker()``,
``app.config[...]``, ``app.state.table = ...`` in a lifespan), and read it back through the
application, or through what stands for it in a request (``current_app``, ``request.app``).

The model keeps those attributes as heap cells of the application: each application made is
a handle (an instance of its class, where it was made) in the cell ``(APPS, class)``, and a
kept attribute is a cell of that handle (a "mapping": the dict it holds; a "namespace": an
object whose attributes are the handle's cells, as ``SimpleNamespace``'s are). A proxy stands
for every application of its classes the project made (one, in a function's code; a project
that makes several of one class sees them merged). What a request stores there outlives the
request, as a module global does (the handle is module state: model/module_state.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.library_web import APP_PROXIES, APP_STARTUP_EVENTS, APP_STARTUP_HOOKS, APP_STATE, NAMESPACE_CLASSES
from dynolint.model.values import UNKNOWN, CallV, ClassV, DictV, ExtV, FuncV, InstanceV, Loc, Val, alts, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

APPS = "<apps>"  # the heap cell (APPS, class) holds the handles of the applications of that class


def app_classes(value: Val) -> list[str]:
    """The application classes ``value`` may be an object of: an application the code made, or
    a proxy that stands for one (``flask.current_app``)."""
    found: list[str] = []
    for alt in alts(value):
        if type(alt) is CallV and alt.recv is None and alt.fn in APP_STATE:
            found.append(alt.fn)
        elif type(alt) is ExtV and alt.path in APP_PROXIES:
            found.extend(APP_PROXIES[alt.path])
    return found


def made(machine: Machine, cls: str, app: Val, kwargs: dict[str, Val], node: ir.Call, loc: Loc, state: State,
         frame: Frame) -> None:
    """An application of ``cls`` made at ``loc``: its handle kept, and its lifespan run with
    it (``FastAPI(lifespan=start)``: what ``start`` sets on ``app.state`` before it yields is
    there for every request)."""
    module, _, name = cls.rpartition(".")
    machine.summaries.write((APPS, cls), InstanceV(ClassV(module, name), loc), merged=True)
    machine.module_instances.add(loc)
    lifespan = kwargs.get("lifespan")
    if lifespan is not None and any(machine.runnable(alt) for alt in alts(lifespan)):
        machine.apply(lifespan, [app], {}, (), node, loc, state, frame)


def startup_hook(machine: Machine, decorator: ir.Expr, function: Val, site: int, state: State, frame: Frame) -> None:
    """``@app.before_serving`` (``@app.on_event("startup")``) on a function: the application runs
    it once at start-up; run it where it is registered, after the application was made."""
    target = decorator.func if isinstance(decorator, ir.Call) else decorator
    if not isinstance(target, ir.Attr):
        return
    if isinstance(decorator, ir.Call):
        if target.attr not in APP_STARTUP_EVENTS or not decorator.args or \
                not (isinstance(decorator.args[0], ir.Const) and decorator.args[0].value == "startup"):
            return
    elif target.attr not in APP_STARTUP_HOOKS:
        return
    if app_classes(machine.eval(target.value, state, frame)) and type(function) is FuncV:
        machine.invoke(function, None, [], {}, (frame.path, site), state, frame)


def handles(machine: Machine, classes: list[str]) -> list[InstanceV]:
    """The applications of these classes the project made."""
    return [alt for cls in classes for alt in alts(machine.summaries.heap_get((APPS, cls)) or UNKNOWN)
            if type(alt) is InstanceV]


def attribute(machine: Machine, value: Val, name: str) -> Val | None:
    """``app.name`` for an attribute an application keeps (``APP_STATE``): what the code put
    there; None when ``value`` is no application, ``name`` no such attribute, or the project
    made no application of its class."""
    found: list[Val] = []
    for cls in app_classes(value):
        kind = APP_STATE[cls].get(name)
        for handle in handles(machine, [cls]) if kind is not None else ():
            if kind == "namespace":
                module, _, klass = NAMESPACE_CLASSES[cls].rpartition(".")
                found.append(InstanceV(ClassV(module, klass), handle.alloc))
            else:
                found.append(machine.summaries.heap_get((handle.alloc, name)) or DictV(()))
    return one_of(found) if found else None


def store(machine: Machine, value: Val, name: str, stored: Val) -> None:
    """``app.name = stored`` for a mapping an application keeps (``app.extensions`` given a
    changed dict by ``app.extensions[k] = v``: model/assign.py)."""
    for cls in app_classes(value):
        if APP_STATE[cls].get(name) == "mapping":
            for handle in handles(machine, [cls]):
                machine.summaries.write((handle.alloc, name), stored, merged=True)


def object_name(value: InstanceV) -> str | None:
    """How messages name an object an application keeps (``app.state``), or None."""
    return "app.state" if f"{value.cls.path}.{value.cls.qualname}" in NAMESPACE_CLASSES.values() else None


def request_app(machine: Machine) -> Val | None:
    """``request.app`` of a request a Starlette application serves: a proxy for the
    applications of those classes the project made; None when it made none."""
    for proxy, classes in APP_PROXIES.items():
        if proxy.endswith(".Request.app") and handles(machine, list(classes)):
            return ExtV(proxy)
    return None
