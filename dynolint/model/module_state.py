"""Which module-level state an expression denotes, seen from function code.

What a module holds outlives the invocation, whatever name reaches it:

* the global's own name (``CACHE[k] = v``);
* a local alias of it (``cache = CACHE`` then ``cache[k] = v``: one dict, two names), on the
  paths that bound it so (``State.aliases``: ``if dry: cache = {}`` leaves it on the other);
* an attribute of the module object, from another module (``state.CACHE[k] = v``,
  ``config.CURRENT = v``: ``import state`` binds the module, whose globals are its attributes);
* an attribute of a module-level function (``handler.last = v``: the function object lives
  as long as its module);
* a parameter's mutable default (``def f(x, _memo={})``: Python evaluates the default once,
  when the ``def`` runs at import, and every call that leaves the argument out shares it).

Each is named by the module it lives in and a name there, so that stores through any of
them meet (the same ``global_values``, the same clean-up in a ``finally``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.mixin import Mixin
from dynolint.model.state import ALIASES, CONSULTED, Entry
from dynolint.model.summaries import GLOBAL_ENTRIES, GLOBAL_VALUES
from dynolint.model.values import UNKNOWN, ConstV, DictV, ExtV, FuncV, InstanceV, ModuleV, OpaqueV, SeqV, Val, alts, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

# an augmented assignment that changes a list (``+=``), a dict or a set (``|=``) in place, as this method does
IN_PLACE = {"+": "extend", "|": "update"}
# calls that make a new mutable container (a default made by one is shared, as ``{}`` is)
MUTABLE_MAKERS = frozenset({"dict", "list", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque"})

Held = tuple[str, str]  # (the module's path, the name there)
# Entry (model/state.py): and the keys of a container inside it (``CACHE["all"]``)


class ModuleStateMixin(Mixin):
    def module_entry(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> Entry | None:
        """The module state ``expr`` denotes in function code: a global name or a local
        alias of one (a mutable default included), an attribute of a module or of a
        module-level function, or a container inside one of those, by its keys
        (``CACHE["all"]``, ``CACHE.setdefault("all", [])``); None otherwise."""
        if type(expr) is ir.Name:
            if self.is_global_name(expr.id, frame):
                return frame.path, expr.id, ()
            return state.aliases.get(expr.id)
        if frame.function is None:
            return None
        if type(expr) is ir.Attr:
            held = self.attribute_state(self.peek(expr.value, state, frame), expr.attr)
            return None if held is None else (*held, ())
        inner: Entry | None = None
        if type(expr) is ir.Sub and not expr.is_slice:
            inner, key = self.module_entry(expr.value, state, frame), expr.index
        elif type(expr) is ir.Call and type(expr.func) is ir.Attr and expr.func.attr == "setdefault" and expr.args:
            inner, key = self.module_entry(expr.func.value, state, frame), expr.args[0]
        return None if inner is None else (inner[0], inner[1], inner[2] + (self.peek(key, state, frame),))

    def resolve_import(self: Machine, importer: str, expr: ir.ImportE) -> Val:
        if expr.name is None:
            path = self.project.resolve_module(importer, expr.module, expr.level)
            return ModuleV(path) if path else ExtV(expr.module)
        path = self.project.resolve_from(importer, expr.module, expr.name, expr.level)
        if path is not None:
            return self.module_attr(path, expr.name)
        package = self.project.resolve_module(importer, f"{expr.module}.{expr.name}" if expr.module
                                              else expr.name, expr.level)
        if package is not None:
            return ModuleV(package)
        return ExtV(f"{expr.module}.{expr.name}" if expr.module else expr.name)

    def module_attr(self: Machine, path: str, name: str, run_since: bool = False) -> Val:
        """``name`` of the module ``path``; ``run_since``: from function code, with what
        functions stored into it since the module ran (``routes.ACTIONS[op]``), as ``lookup``."""
        env = self.run_module(path)
        if name in env:
            return self.global_since(path, name, env[name]) if run_since else env[name]
        package = self.project.resolve_module(path, name, 1)
        return ModuleV(package) if package else UNKNOWN

    def global_since(self: Machine, path: str, name: str, value: Val) -> Val:
        """The module-level ``name`` of ``path`` (``value`` when the module ran) as function
        code sees it: with what functions stored into it since (its entries, when they were
        stored by key), by this name or, for a name imported from another module, by that one."""
        stored: list[Val] = []
        containers: list[Val] = []
        for key in ((path, name), *self.import_origin(path, name)):
            values = self.global_values.get(key)
            self.summaries.touch(GLOBAL_VALUES, key, tuple(values or ()))
            if values:
                stored.extend(values)
                container = self.stored_container(*key)
                if container is not None:
                    containers.append(container)
        return one_of([value, OpaqueV((path, -3), tuple(stored)), *containers]) if stored else value

    def attribute_state(self: Machine, base: Val, attr: str) -> Held | None:
        """``base.attr`` as module state: a global of a project module (``state.CACHE``), or
        an attribute of a module-level project function (``handler.calls``)."""
        for alt in alts(base):
            if type(alt) is ModuleV and alt.name in self.project.files:
                return alt.name, attr
            if type(alt) is FuncV and "<locals>" not in alt.qualname:
                function = self.project.functions.get((alt.path, alt.qualname))
                if function is not None and function.parent is None and function.class_qualname is None:
                    return alt.path, f"{alt.qualname}.{attr}"
        return None

    def held_attribute(self: Machine, expr: ir.Expr, value: Val, attr: str, state: State,
                       frame: Frame) -> Held | None:
        """``expr.attr`` (``expr`` evaluated to ``value``) as module state seen from a function:
        what ``held_state`` names (an attribute of a module object, an HTTP session's state),
        in this module, or a global of another module or an attribute of a module-level
        function (``attribute_state``)."""
        held = self.held_state(expr, value, attr, state, frame)
        if held is not None:
            return frame.path, held
        if frame.function is None:
            return None
        return self.attribute_state(value, attr) or self.class_container(value, attr)

    def class_container(self: Machine, value: Val, attr: str) -> Held | None:
        """``self.attr`` where the instance keeps no ``attr`` of its own and its class body made
        a container there (``_baselines: ClassVar[dict] = {}``): the class's, shared by every
        instance and every invocation of the process, as a module global is."""
        for alt in alts(value):
            if type(alt) is InstanceV and self.summaries.heap_get((alt.alloc, attr)) is None:
                found = self.class_attr(alt.cls, attr)
                if found is not None and any(type(a) is DictV or type(a) is SeqV and a.kind in ("list", "set")
                                             for a in alts(found)):
                    return alt.cls.path, f"{alt.cls.qualname}.{attr}"
        return None

    def cleared_state(self: Machine, name: str, state: State, frame: Frame) -> list[Held]:
        """The module state a ``finally`` names when it clears ``name`` (``CACHE``, an alias
        ``cache``, ``REQUEST.tenant`` of a module object, ``state.CURRENT`` of a module)."""
        first, _, rest = name.partition(".")
        found = [(frame.path, name)] if self.is_global_name(first, frame) else []
        if not rest:
            entry = state.aliases.get(first)
            return found + [entry[:2]] if entry is not None and not entry[2] else found
        if "." not in rest:  # ``state.CURRENT``, ``st.CURRENT`` (``st = state``)
            module = self.attribute_state(self.lookup(first, state, frame), rest)
            if module is not None:
                found.append(module)
        return found

    def note_alias(self: Machine, target: ir.Expr, value: ir.Expr, state: State, frame: Frame) -> None:
        """``target = value`` in function code: each name of ``target`` is another name of
        the module state its part of ``value`` denotes, if it denotes one (``cache = CACHE``,
        ``seen, last = SEEN, LAST``, ``bucket = CACHE.setdefault("all", {})``), until the name is
        bound again on the path (``assign``)."""
        if frame.function is None:
            return
        if type(target) is ir.SeqE and type(value) is ir.SeqE and len(target.elts) == len(value.elts):
            for part, given in zip(target.elts, value.elts):
                self.note_alias(part, given, state, frame)
            return
        if type(target) is ir.Name and target.id not in frame.declared_global and type(value) is not ir.Starred:
            entry = self.module_entry(value, state, frame)
            if entry is not None:
                state.alias(target.id, entry)

    def inherit_aliases(self: Machine, function: ir.Function, func: FuncV, state: State, caller: Frame,
                        callee: Frame) -> None:
        """A nested function called by the function that defined it sees that function's
        variables as they are now on the caller's path ``state`` (``inline``): the aliases among
        them name the same state. What the call does depends on them (``CONSULTED``: a summary
        made where the caller had none is not reused where it has some)."""
        if function.parent == caller.qualname and func.path == caller.path:
            CONSULTED.mask |= ALIASES
            if state.aliases:
                callee.entry_aliases = {name: entry for name, entry in state.aliases.items()
                                        if name not in function.locals}

    def returned_aliases(self: Machine, callee: Frame, exit_state: State, state: State) -> None:
        """A nested function that rebinds its encloser's names (``nonlocal seen; seen = {}``)
        leaves them on the caller's path as they are at its exit: aliases or not."""
        for name in callee.nonlocals & exit_state.env.keys():
            entry = exit_state.aliases.get(name)
            if entry is not None:
                state.alias(name, entry)
            else:
                state.unalias(name)

    def aliased_in_place(self: Machine, target: ir.Name, op: str, current: Val, value: Val, site: int, state: State,
                         frame: Frame) -> bool:
        """``seen += [x]``, ``seen |= {k: v}`` where ``seen`` is an alias of module state on this
        path holding a list (a dict, a set): Python changes the object in place and ``seen``
        names it still, so it is the store ``extend`` (``update``) makes (True); False for any
        other (``count += 1`` of a number binds a new value)."""
        method = IN_PLACE.get(op)
        options = alts(current)
        if method is None or any(type(alt) is ConstV or type(alt) is SeqV and alt.kind in ("tuple", "str")
                                 for alt in options):
            return False
        if method == "extend" and not any(type(alt) is SeqV and alt.kind == "list" for alt in options) or \
                method == "update" and not any(type(alt) is DictV or type(alt) is SeqV and alt.kind == "set"
                                               for alt in options):
            return False
        call = ir.Call(ir.Attr(target, method, site), (), (), site)
        self.call_method(current, method, [value], {}, (), call, (frame.path, site), state, frame)
        return True

    def passed_state(self: Machine, function: ir.Function, bound: bool, site: ir.Call, state: State,
                     frame: Frame) -> dict[str, Entry]:
        """Module state a function gives a project function as an argument
        (``remember(CACHE, k, v)``, ``record(state.SEEN, x)``, ``fill(into=_ROWS)``): in the
        callee the parameter is another name of it, for that call."""
        if frame.function is None or not site.args and not site.kwargs:
            return {}
        given: dict[str, Entry] = {}
        for param, expr in arguments(function, bound, site).items():
            if type(expr) is ir.Name or type(expr) is ir.Attr or type(expr) is ir.Sub:
                entry = self.module_entry(expr, state, frame)
                if entry is not None:
                    given[param] = entry
        return given

    def rebound_at_import(self: Machine, path: str, name: str) -> None:
        """The module body binds ``name`` again (``HANDLERS = {}`` below the registering
        decorators): what functions stored into the object it held is not in the new one."""
        for table, kind in ((self.global_values, GLOBAL_VALUES), (self.global_entries, GLOBAL_ENTRIES)):
            if table.pop((path, name), None) is not None:
                self.summaries.footprint.wrote((kind, (path, name)))

    def import_origin(self: Machine, path: str, name: str, depth: int = 0) -> tuple[Held, ...]:
        """Where a module-level ``from module import name`` of ``path`` takes ``name`` from,
        through re-exports (``from .routes import ACTIONS`` in a package's ``__init__``)."""
        known = self.import_origins.get((path, name))
        if known is not None:
            return known
        found: tuple[Held, ...] = ()
        summary = self.project.files.get(path)
        for stmt in summary.body if summary is not None and depth < 4 else ():
            if type(stmt) is not ir.Assign or ir.Name(name) not in stmt.targets:
                continue
            found = ()  # the last binding counts: a dict bound after the import is another object
            value = stmt.value
            if type(value) is ir.ImportE and value.name is not None and len(stmt.targets) == 1:
                origin = self.project.resolve_from(path, value.module, value.name, value.level)
                if origin is not None and origin != path:
                    found = ((origin, value.name), *self.import_origin(origin, value.name, depth + 1))
        self.import_origins[(path, name)] = found
        return found

    def default_alias(self: Machine, function: ir.Function, param: ir.Param, path: str, frame: Frame) -> None:
        """A call leaves out ``param``, whose default is a mutable container made once, when a
        module-level ``def`` ran (or a method's, in a module-level class): the parameter names
        that container, shared by every such call."""
        default = param.default
        if type(default) is ir.Name and default.id in self.run_module(path):  # ``memo=_CACHE``: the module's own
            frame.entry_aliases[param.name] = (path, default.id, ())
        elif function.parent is None and "<locals>" not in function.qualname and mutable_display(default):
            frame.entry_aliases[param.name] = (path, f"{param.name} (the default of {function.qualname})", ())


def arguments(function: ir.Function, bound: bool, site: ir.Call) -> dict[str, ir.Expr]:
    """The expressions a call gives ``function``'s parameters by position and by name
    (``bound``: the receiver fills the first, as in ``bind``)."""
    params = [p for p in function.params if p.kind == "pos"]
    if bound and params:
        del params[0]
    named = {p.name for p in function.params if p.kind in ("pos", "kwonly")}
    before_star = min(site.star_at, default=len(site.args)) if site.star_args else len(site.args)
    given = {param.name: expr for param, expr in zip(params, site.args[:before_star])}
    given.update((name, expr) for name, expr in site.kwargs if name in named)
    return given


def mutable_display(expr: ir.Expr | None) -> bool:
    """``{}``, ``[]``, ``{1}``, ``dict()``, ``collections.defaultdict(list)``: a new mutable container."""
    if type(expr) is ir.DictE or type(expr) is ir.SeqE and expr.kind != "tuple":
        return True
    if type(expr) is not ir.Call:
        return False
    func = expr.func
    name = func.id if type(func) is ir.Name else func.attr if type(func) is ir.Attr else None
    return name in MUTABLE_MAKERS


def within(keys: tuple[Val, ...], key: Val | None) -> Val | None:
    """The key of a store into a container inside module state: the keys that reach the
    container, then the store's own (keyed by the tenant if any of them is)."""
    if not keys:
        return key
    return SeqV("tuple", keys + ((key,) if key is not None else ()))


__all__ = ["Entry", "ModuleStateMixin", "MUTABLE_MAKERS", "arguments", "mutable_display", "within"]
