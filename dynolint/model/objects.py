"""Values kept in project objects: default arguments evaluated where the function is defined, and module-level containers filled by functions (a cache of clients by name).
The decorators and library calls involved are rows of :mod:`dynolint.model.library`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.authz import TENANT_SLOT
from dynolint.model.events import GlobalStore
from dynolint.model.library import CLEARING_DECORATORS, LOGGER_REMOVES, OBJECT_STATE, SESSION_STATE
from dynolint.model.library_web import APP_PROXIES, MIDDLEWARE_HOOKS, REQUEST_SCOPES, INJECTORS, REQUEST_STATE, RESOLVER_CONTEXT

from dynolint.model.state import advances
from dynolint.model.handler_context import context_hooks
from dynolint.model.request_hooks import registered_hooks, registered_on, serves
from dynolint.phase1.prefilter import ROUTE_METHODS
from dynolint.model.summaries import GLOBAL_ENTRIES, GLOBAL_VALUES
from dynolint.model.module_state import arguments
from dynolint.model.values import (
    UNKNOWN, BoundV, CallV, ClassV, ClientV, CostlyV, DictV, EventV, ExtV, FuncV, InstanceV, Loc, OpaqueV, ParamV,
    ResourceV, SeqV, SessionV, TableV, Val, alts, const_str, one_of,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

def made_attribute(expr: ir.Expr | None) -> bool:
    """An attribute of what a call made (``table=get_settings().campaigns``): evaluated where the
    function is defined, as a call default is."""
    while isinstance(expr, ir.Attr):
        expr = expr.value
    return isinstance(expr, ir.Call)


# what a default argument or a container may hold that the model keeps (objects, not data)
KEPT = (InstanceV, TableV, ClientV, ResourceV, SessionV, BoundV, FuncV)


# the key under which ``global_entries`` files an element function code added to a
# module-level list (``HOOKS.append(fn)``): a container of elements, not of entries
ELEMENT = OpaqueV(("", -4), ())


class ObjectsMixin(Mixin):
    # -- default arguments --------------------------------------------------------------
    def define_defaults(self: Machine, function: ir.Function, state: State, frame: Frame, closure: int = -1) -> None:
        """Evaluate a function's default arguments once, where it is defined (as Python
        does): an instance made there is shared by every call that omits the argument. A
        nested function's are evaluated at each ``def`` and kept with that closure (a
        factory's ``def _provide(tenant=Depends(tenant_dependency))`` per dependency given)."""
        key = (frame.path, function.qualname)
        if key in self.defaults and closure < 0:
            return
        values: dict[str, Val] = {}
        for param in function.params:
            if param.default is not None and (isinstance(param.default, ir.Call) or made_attribute(param.default)):
                value = self.eval(param.default, state, frame)
                if any(isinstance(a, KEPT) or isinstance(a, CallV) and a.recv is None  # (``Depends(made(...))``)
                       and a.fn.rsplit(".", 1)[-1] in INJECTORS for a in alts(value)):
                    values[param.name] = value
        if closure >= 0:
            self.closure_defaults[closure] = values
        self.defaults.setdefault(key, values)

    def default_of(self: Machine, path: str, function: ir.Function, name: str, closure: int = -1) -> Val | None:
        found = self.closure_defaults.get(closure) if closure >= 0 else None
        found = found if found is not None else self.defaults.get((path, function.qualname))
        return found.get(name) if found else None

    # -- module-level containers ----------------------------------------------------------
    def global_store(self: Machine, frame: Frame, site: int, name: str, kind: str, key: Val | None,
                     value: Val, state: State, module: str | None = None, own_key: bool = False) -> None:
        """Function code stores ``value`` into the module state ``name`` of ``module`` (the
        frame's own module unless given: model/module_state.py). ``own_key``: ``key`` is the
        entry's own key even when a tuple (``ROUTES[(method, path)] = fn``); a tuple is
        otherwise the path to a nested container or the keys of an ``update``."""
        module = module or frame.path
        accumulates = kind == "assign" and module == frame.path \
            and advances(value, self.lookup(name, state, frame), state.env.get(name))
        held_tenants, held_creds = self.held(value) \
            if not frame.is_module and any(isinstance(alt, InstanceV) for alt in alts(value)) else (frozenset(), frozenset())
        self.global_stores.append(GlobalStore((frame.path, site), module, name, kind, key, value,
                                              frame.info, frame.root, accumulates, TENANT_SLOT in state.facts,
                                              holds_tenant=bool(held_tenants), holds_creds=held_creds,
                                              holds_reads=frozenset(self.held_reads(value)) if not frame.is_module
                                              else frozenset()))
        stored = self.global_values.setdefault((module, name), [])
        self.summaries.footprint.wrote((GLOBAL_VALUES, (module, name)))
        if len(stored) < 8 and value not in stored:
            stored.append(value)
        if kind == "element":  # (filed under a key of its own: stored_container)
            key = ELEMENT
        if key is not None and kind in ("item", "method", "element") and (own_key or not isinstance(key, SeqV)):
            entries = self.global_entries.setdefault((module, name), [])
            self.summaries.footprint.wrote((GLOBAL_ENTRIES, (module, name)))
            if kind != "element" and len(self.cached_entries) < 10_000:
                self.cached_entries.update(alts(value))
            if len(entries) < 8 and (key, value) not in entries:
                entries.append((key, value))

    def stored_container(self: Machine, path: str, name: str) -> Val | None:
        """What functions stored into a module-level dict, as a dict of those entries (a
        cache of clients or tables by name), or added to a module-level list, as a list of
        those elements (a registry of hooks a decorator fills at import)."""
        entries = self.global_entries.get((path, name))
        self.summaries.touch(GLOBAL_ENTRIES, (path, name), tuple(entries or ()))
        if not entries:
            return None
        keyed = tuple(entry for entry in entries if entry[0] != ELEMENT)
        elements = tuple(value for key, value in entries if key == ELEMENT)
        return one_of(([DictV(keyed, (UNKNOWN,))] if keyed else []) + ([SeqV("list", elements)] if elements else []))

    def container_entry(self: Machine, base: DictV, index: Val) -> Val | None:
        """An entry of a container filled by functions, by a key the model cannot match:
        one of the objects it holds (a cache by name holds one kind of thing)."""
        if not base.spreads or base.spreads[0] is not UNKNOWN:
            return None
        if const_str(index) is not None and all(const_str(k) is not None for k, _ in base.items):
            return None
        held = [v for _, v in base.items if any(isinstance(a, KEPT) for a in alts(v))]
        return one_of(held) if held else None


    def mark_cleared(self: Machine, start: int, finalbody: tuple[ir.Stmt, ...], state: State, frame: Frame) -> None:
        """Stores into module variables that a ``finally`` clears again (``CURRENT = None``,
        ``SEEN = []``, ``SEEN.clear()``, or a call of a project function of any module that does
        so to its module's variables: ``reset_request_state()``): the value lives for the request
        only. Those the ``try`` made, or its function (or a helper it called) before it, as for
        files (``mark_cleaned``)."""
        names = {held for stmt in finalbody for name in cleared_names(stmt) + restored(stmt, frame)
                 for held in self.cleared_state(name, state, frame)}
        for stmt in finalbody:
            if isinstance(stmt, ir.ExprStmt) and isinstance(stmt.value, ir.Call) and not stmt.value.args:
                for alt in alts(self.peek(stmt.value.func, state, frame)):
                    if not isinstance(alt, FuncV):
                        continue
                    function = self.project.functions.get((alt.path, alt.qualname))
                    if function is not None and function.parent is None and function.class_qualname is None:
                        names |= {(alt.path, name) for inner in function.body for name in cleared_names(inner)
                                  if name in function.declared_global or name.split(".", 1)[0] not in
                                  function.locals and (isinstance(inner, ir.ExprStmt) or "." in name)}
        # entries removed again by their key (``IN_FLIGHT.pop(context.aws_request_id, None)``,
        # ``del IN_FLIGHT[rid]``): the store under that key lives for the request
        keyed = [(*held, self.peek(key, state, frame)) for stmt in finalbody
                 for name, key in popped_entries(stmt) for held in self.cleared_state(name, state, frame)]
        for stmt in finalbody:  # or handed to a helper that does (``forget(_REQUEST)``, ``unregister(_LIVE, rid)``)
            if isinstance(stmt, ir.ExprStmt) and isinstance(stmt.value, ir.Call) \
                    and (stmt.value.args or stmt.value.kwargs):  # (``forget(memo=MEMO)``)
                self.cleared_by_helper(stmt.value, names, keyed, state, frame)
        if not names and not keyed:
            return
        for index in range(len(self.global_stores) - 1, -1, -1):
            store = self.global_stores[index]
            if index < start and store.frame < frame.info:
                break  # stored before this function started (frames made since are its callees')
            if (store.module, store.name) in names or store.key is not None and any(
                    (store.module, store.name) == (module, name) and store.key == key for module, name, key in keyed):
                self.cleared_stores.add(store)

    def cleared_by_helper(self: Machine, call: ir.Call, names: set[tuple[str, str]],
                          keyed: list[tuple[str, str, Val]], state: State, frame: Frame) -> None:
        """Module state a ``finally`` hands to a project function that empties it
        (``def forget(memo): memo.clear()``) or removes the entry of a key it is also given
        (``def unregister(live, rid): live.pop(rid, None)``): into ``names`` and ``keyed``."""
        for alt in alts(self.peek(call.func, state, frame)):
            func = alt.func if type(alt) is BoundV else alt
            if type(func) is not FuncV or (function := self.project.functions.get((func.path, func.qualname))) is None:
                continue
            given = {param: entry[:2] for param, entry in self.passed_state(function, type(alt) is BoundV, call,
                                                                            state, frame).items() if not entry[2]}
            passed = arguments(function, type(alt) is BoundV, call)
            nested = [f for (path, _), f in self.project.functions.items()  # (``async def``s it runs)
                      if path == func.path and f.parent == function.qualname]
            for inner in [*function.body, *(s for f in nested for s in f.body if not f.locals & given.keys())]:
                names.update(given[name] for name in cleared_names(inner) if name in given)
                keyed.extend((*given[name], self.peek(passed[key.id], state, frame))
                             for name, key in popped_entries(inner)
                             if name in given and isinstance(key, ir.Name) and key.id in passed)

    # -- a web framework's per-request namespace (library rows REQUEST_SCOPES) -------------
    def request_scope_store(self: Machine, scope: str, name: str, value: Val, frame: Frame) -> None:
        """``g.tenant_id = ...``: kept for the rest of this root's request."""
        key = (frame.root, scope, name)
        known = self.request_scoped.get(key)
        self.request_scoped[key] = value if known is None else one_of((known, value))

    def request_scope_get(self: Machine, scope: str, name: str, loc: Loc, state: State, frame: Frame) -> Val:
        """``g.tenant_id`` read in a request: what the request stored, the functions registered
        to run before each request run first (once a root) when it has stored nothing yet."""
        key = (frame.root, scope, name)
        if key not in self.request_scoped and (frame.root, scope) not in self.request_hooked:
            self.request_hooked.add((frame.root, scope))
            hooks = context_hooks(self) if scope == RESOLVER_CONTEXT else self.before_request_hooks()
            self.run_hooks(hooks, frame.path, frame.qualname, loc, state, frame)
        found = self.request_scoped.get(key)
        if found is not None:
            self.note_obtained(found, frame, loc)  # (the function reading the request's tenant has it)
            return found
        if scope == REQUEST_STATE:  # what the application put there at start-up (a lifespan's state)
            return self.get_attr(ParamV("request", "state"), name, loc, state, frame, quiet=True)
        return ExtV(f"{scope}.{name}")

    def run_request_hooks(self: Machine, path: str, route: ir.Function, state: State, frame: Frame) -> None:
        """A route analysed as a root: the functions registered on its application (or on the
        application that registers its blueprint) to run before each request run first, as
        the framework runs them whether the route reads what they store or not (a route that
        reads nothing of ``g`` still serves a request whose tenant the hook took: tenant-aware
        code). (model/request_hooks.py)"""
        app = registered_on(self, path, route, ROUTE_METHODS)
        if app is None:
            return
        none: tuple[Val, ...] = ()
        hooks = [(hook.path, hook.function, none) for hook in registered_hooks(self) if serves(self, hook.app, app)]
        if not hooks:
            return
        for scope in REQUEST_SCOPES:
            self.request_hooked.add((frame.root, scope))
        self.run_hooks(hooks, path, route.qualname, (path, route.site), state, frame)
        for (root, _, _), value in list(self.request_scoped.items()):
            if root == frame.root:  # the request's tenant the hooks took is the route's (it serves that request)
                self.note_obtained(value, frame, (path, route.site))

    def run_hooks(self: Machine, hooks: list[tuple[str, ir.Function, tuple[Val, ...]]], path: str, qualname: str,
                  loc: Loc, state: State, frame: Frame) -> None:
        """Run each hook (not the function ``qualname`` of ``path`` itself) on the caller's path."""
        for hook_path, function, given in hooks:
            if function.qualname != qualname or hook_path != path:
                self.invoke(FuncV(hook_path, function.qualname), None, list(given), {}, loc, state, frame)

    def before_request_hooks(self: Machine) -> list[tuple[str, ir.Function, tuple[Val, ...]]]:
        """The project's functions registered to run before each request, with what they are
        given: ``@app.before_request`` (or ``app.before_request(f)``) nothing,
        ``@app.middleware("http")`` the request, a Starlette ``BaseHTTPMiddleware``'s
        ``dispatch`` its instance and the request."""
        none: tuple[Val, ...] = ()
        hooks = [(hook.path, hook.function, none) for hook in registered_hooks(self)]
        for (path, _), function in sorted(self.project.functions.items()):
            klass = self.project.classes.get((path, function.class_qualname)) if function.class_qualname else None
            if klass is not None and function.parent is None and function.name == "dispatch" \
                    and self.derives(ClassV(path, klass.qualname), "middleware"):  # its one instance, the request
                hooks.append((path, function, (self.root_instance(path, klass), EventV(()), UNKNOWN)))
            if function.parent is not None or function.class_qualname is not None:
                continue
            for decorator in function.decorators:
                if isinstance(decorator, ir.Call) and isinstance(decorator.func, ir.Attr) \
                        and decorator.func.attr in MIDDLEWARE_HOOKS:
                    hooks.append((path, function, (EventV(()), UNKNOWN)))
        return hooks

    def clear_per_invocation(self: Machine, function: ir.Function, start: int) -> None:
        """A library decorator that clears what each invocation added to an object of its own
        (``@logger.inject_lambda_context(clear_state=True)``, ``CLEARING_DECORATORS``): the
        stores into that name the root made since ``start`` live for one request."""
        names = {d.func.value.id for d in function.decorators
                 if isinstance(d, ir.Call) and isinstance(d.func, ir.Attr) and isinstance(d.func.value, ir.Name)
                 and (flag := CLEARING_DECORATORS.get(d.func.attr)) is not None
                 and any(k == flag and isinstance(v, ir.Const) and v.value is True for k, v in d.kwargs)}
        if names:
            self.cleared_stores.update(s for s in self.global_stores[start:] if s.name in names)


def restored(stmt: ir.Stmt, frame: Frame) -> list[str]:
    """The module names a ``finally`` statement sets back to what the function saved of them
    before (``previous = boto3.DEFAULT_SESSION`` ... ``boto3.DEFAULT_SESSION = previous``)."""
    if not isinstance(stmt, ir.Assign) or not isinstance(stmt.value, ir.Name) or frame.function is None:
        return []
    saved = {_target_name(s.value) for s in frame.function.body if isinstance(s, ir.Assign)
             and len(s.targets) == 1 and isinstance(s.targets[0], ir.Name) and s.targets[0].id == stmt.value.id}
    return [name for name in map(_target_name, stmt.targets) if name is not None and name in saved]


def cleared_names(stmt: ir.Stmt) -> list[str]:
    """The names a statement gives a value that holds nothing (a constant, an empty container)
    or empties in place (``NAME.clear()``); an attribute of a module object as ``NAME.attr``
    (``REQUEST.tenant = None``, ``del REQUEST.tenant``: a ``threading.local`` emptied again)."""
    if isinstance(stmt, ir.Assign) and _holds_nothing(stmt.value):  # (``LINES[:] = []`` empties it in place)
        return [name for target in stmt.targets if (name := _target_name(target) or _whole_slice(target)) is not None]
    if isinstance(stmt, ir.Delete) and isinstance(stmt.target, ir.Attr) and isinstance(stmt.target.value, ir.Name):
        return [f"{stmt.target.value.id}.{stmt.target.attr}"]
    if isinstance(stmt, ir.Delete) and (held := _whole_slice(stmt.target)) is not None:
        return [held]  # ``del LINES[:]``
    if isinstance(stmt, ir.ExprStmt) and isinstance(call := stmt.value, ir.Call) and not call.args \
            and isinstance(call.func, ir.Attr) and call.func.attr == "clear" \
            and (held := _target_name(call.func.value)) is not None:
        return [held]  # ``LINES.clear()``, ``log.extra.clear()``
    if isinstance(stmt, ir.ExprStmt) and isinstance(call := stmt.value, ir.Call) and isinstance(call.func, ir.Attr) \
            and call.func.attr in LOGGER_REMOVES and isinstance(call.func.value, ir.Name):
        return [call.func.value.id]  # ``logger.remove_keys(["tenant_id"])``: what the request added
    return []


def popped_entries(stmt: ir.Stmt) -> list[tuple[str, ir.Expr]]:
    """The module containers a statement removes one entry from, or gives back a value that
    holds nothing, with the key's expression (``del NAME[key]``, ``NAME.pop(key, ...)``,
    ``NAME[key] = "-"``: a logging adapter's extra reset after the request)."""
    if isinstance(stmt, ir.Delete) and isinstance(stmt.target, ir.Sub) \
            and (held := _target_name(stmt.target.value)) is not None:
        return [(held, stmt.target.index)]
    if isinstance(stmt, ir.Assign) and _holds_nothing(stmt.value):
        return [(held, target.index) for target in stmt.targets
                if isinstance(target, ir.Sub) and (held := _target_name(target.value)) is not None]
    if isinstance(stmt, ir.ExprStmt) and isinstance(call := stmt.value, ir.Call) and call.args \
            and isinstance(call.func, ir.Attr) and call.func.attr == "pop" \
            and (held := _target_name(call.func.value)) is not None:
        return [(held, call.args[0])]  # ``IN_FLIGHT.pop(rid, None)``, ``log.extra.pop("tenant", None)``
    return []


def _target_name(target: ir.Expr) -> str | None:
    if isinstance(target, ir.Name):
        return target.id
    if isinstance(target, ir.Attr) and isinstance(target.value, ir.Name):
        return f"{target.value.id}.{target.attr}"
    return None


def _whole_slice(target: ir.Expr) -> str | None:
    """``NAME`` of ``NAME[:]``."""
    if isinstance(target, ir.Sub) and target.is_slice and isinstance(target.index, ir.Opaque) \
            and not target.index.deps:
        return _target_name(target.value)
    return None


def _holds_nothing(expr: ir.Expr) -> bool:
    if isinstance(expr, ir.Const):
        return True
    if isinstance(expr, ir.DictE):
        return not expr.items
    if isinstance(expr, ir.SeqE):
        return not expr.elts
    return isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name) and expr.func.id in EMPTY_MAKERS \
        and not expr.args and not expr.kwargs


EMPTY_MAKERS = frozenset({"dict", "list", "set", "tuple", "frozenset"})


def session_maker(value: Val) -> str | None:
    """The call that made ``value`` (``requests.Session``), when it is an HTTP session (library
    rows ``SESSION_STATE``); None otherwise."""
    for alt in alts(value):
        if type(alt) is CostlyV and alt.what.startswith("HTTP request (") and alt.what[14:-1] in SESSION_STATE:
            return alt.what[14:-1]
    return None


def session_state(value: Val) -> frozenset[str]:
    """The attributes in which ``value`` keeps state for its later requests, when it is an HTTP
    session; empty otherwise."""
    maker = session_maker(value)
    if maker is not None:
        return SESSION_STATE[maker]
    return frozenset().union(*(OBJECT_STATE[alt.fn] for alt in alts(value)
                               if type(alt) is CallV and alt.recv is None and alt.fn in OBJECT_STATE),
                             *(OBJECT_STATE.get(cls, frozenset()) for alt in alts(value)
                               if type(alt) is ExtV and alt.path in APP_PROXIES for cls in APP_PROXIES[alt.path]))
