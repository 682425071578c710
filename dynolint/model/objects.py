"""Values kept in project objects: properties read as attributes, default arguments
evaluated where the function is defined, fields of dataclasses set by their generated
``__init__``, and module-level containers filled by functions (a cache of clients by name).
The decorators and library calls involved are rows of :mod:`dynolint.model.library`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.library import PROPERTIES
from dynolint.model.summaries import GLOBAL_ENTRIES
from dynolint.model.values import (
    UNKNOWN, BoundV, ClassV, ClientV, DictV, ExtV, FuncV, InstanceV, Loc, ResourceV, SessionV, TableV,
    Val, alts, const_str, one_of,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

# what a default argument or a container may hold that the model keeps (objects, not data)
KEPT = (InstanceV, TableV, ClientV, ResourceV, SessionV, BoundV, FuncV)
DATACLASS_DECORATORS = frozenset({
    "dataclasses.dataclass", "dataclass", "attr.s", "attr.attrs", "attr.define", "attr.frozen",
    "attrs.define", "attrs.frozen", "pydantic.dataclasses.dataclass",
})
FIELD_CALLS = frozenset({"dataclasses.field", "field", "attr.ib", "attr.field", "attrs.field"})


class ObjectsMixin(Mixin):
    # -- decorators, resolved once per function or class -----------------------------------
    def decorator_paths(self: Machine, path: str, decorators: tuple[ir.Expr, ...]) -> list[str]:
        """The dotted paths of library decorators (``functools.cached_property``)."""
        from dynolint.model.state import State as StateCls

        frame = self.module_frame(path)
        found: list[str] = []
        for decorator in decorators:
            target = decorator.func if isinstance(decorator, ir.Call) else decorator
            for alt in alts(self.peek(target, StateCls({}), frame)):
                if isinstance(alt, ExtV):
                    found.append(alt.path)
        return found

    def property_kind(self: Machine, func: FuncV) -> str | None:
        key = (func.path, func.qualname)
        if key not in self.property_kinds:
            function = self.project.functions.get(key)
            kind = None
            if function is not None and function.class_qualname is not None and function.decorators:
                for found in self.decorator_paths(func.path, function.decorators):
                    kind = PROPERTIES.get(found, kind)
            self.property_kinds[key] = kind
        return self.property_kinds[key]

    def read_property(self: Machine, value: Val, name: str, loc: Loc, state: State, frame: Frame) -> Val:
        """``obj.name`` where ``name`` is a ``@property`` (the getter runs, on the caller's
        path) or a ``cached_property`` (it runs once and its result is kept on the object)."""
        out: list[Val] = []
        for alt in alts(value):
            kind = self.property_kind(alt.func) if isinstance(alt, BoundV) else None
            if kind is None or not isinstance(alt, BoundV):
                out.append(alt)
                continue
            result = self.invoke(alt.func, alt.self_val, [], {}, loc, state, frame)
            if kind == "cached" and isinstance(alt.self_val, InstanceV):
                self.summaries.write((alt.self_val.alloc, name), result, merged=False)
            out.append(result)
        return one_of(out)

    # -- default arguments --------------------------------------------------------------
    def define_defaults(self: Machine, function: ir.Function, state: State, frame: Frame) -> None:
        """Evaluate a function's default arguments once, where it is defined (as Python
        does): an instance made there is shared by every call that omits the argument."""
        key = (frame.path, function.qualname)
        if key in self.defaults:
            return
        values: dict[str, Val] = {}
        for param in function.params:
            if isinstance(param.default, ir.Call):
                value = self.eval(param.default, state, frame)
                if any(isinstance(a, KEPT) for a in alts(value)):
                    values[param.name] = value
        self.defaults[key] = values

    def default_of(self: Machine, path: str, function: ir.Function, name: str) -> Val | None:
        found = self.defaults.get((path, function.qualname))
        return found.get(name) if found else None

    # -- dataclasses --------------------------------------------------------------------
    def dataclass_init(self: Machine, cls: ClassV, instance: InstanceV, args: list[Val], kwargs: dict[str, Val],
                       state: State, frame: Frame) -> bool:
        """The ``__init__`` a dataclass (or attrs class) decorator generates: each field from
        its argument, else its default or ``default_factory()``. False: not such a class."""
        fields = self.dataclass_fields(cls)
        if fields is None:
            return False
        rest = list(args)
        for name, default in fields:
            if rest:
                value = rest.pop(0)
            elif name in kwargs:
                value = kwargs[name]
            elif default is not None:
                value = self.field_default(default, state, frame, cls)
            else:
                continue
            self.summaries.write((instance.alloc, name), value, merged=False)
        return True

    def dataclass_fields(self: Machine, cls: ClassV, depth: int = 0) -> list[tuple[str, ir.Expr | None]] | None:
        klass = self.project.classes.get((cls.path, cls.qualname))
        if klass is None or depth > 6:
            return None
        inherited: list[tuple[str, ir.Expr | None]] = []
        for base in self.class_bases(cls):
            if isinstance(base, ClassV):
                inherited.extend(self.dataclass_fields(base, depth + 1) or [])
        named_tuple = klass.record or any(isinstance(b, ExtV) and b.path.rsplit(".", 1)[-1] == "NamedTuple"
                                          for base in self.class_bases(cls) for b in alts(base))
        if not named_tuple and not any(p in DATACLASS_DECORATORS
                                       for p in self.decorator_paths(cls.path, klass.decorators)):
            return inherited if inherited and depth else None
        defaults = {stmt.targets[0].id: stmt.value for stmt in klass.body
                    if isinstance(stmt, ir.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ir.Name)}
        names = [n for n, _ in inherited]
        out = [f for f in inherited]
        for name in klass.fields:
            entry = (name, defaults.get(name))
            if name in names:
                out[names.index(name)] = entry
            else:
                out.append(entry)
        return out

    def field_default(self: Machine, default: ir.Expr, state: State, frame: Frame, cls: ClassV) -> Val:
        """A field's default: ``field(default_factory=f)`` calls ``f``; ``field(default=x)``
        and a plain ``= x`` are ``x`` (evaluated in the class body)."""
        if isinstance(default, ir.Call):
            called = self.peek(default.func, state.copy(), self.module_frame(cls.path))
            if any(isinstance(a, ExtV) and a.path in FIELD_CALLS for a in alts(called)):
                for keyword, expr in default.kwargs:
                    if keyword in ("default_factory", "factory"):
                        factory = self.eval(expr, state, self.module_frame(cls.path))
                        node = ir.Call(expr, (), (), default.site)
                        return self.apply(factory, [], {}, False, node, (cls.path, default.site), state, frame)
                    if keyword == "default":
                        return self.eval(expr, state, self.module_frame(cls.path))
                return UNKNOWN
        env = self.class_env(cls)
        return env.get(default.id, UNKNOWN) if isinstance(default, ir.Name) else UNKNOWN

    # -- module-level containers ----------------------------------------------------------
    def stored_container(self: Machine, path: str, name: str) -> Val | None:
        """What functions stored into a module-level dict, as a dict of those entries (a
        cache of clients or tables by name)."""
        entries = self.global_entries.get((path, name))
        self.summaries.touch(GLOBAL_ENTRIES, (path, name), tuple(entries or ()))
        if not entries:
            return None
        return DictV(tuple(entries), (UNKNOWN,))

    def container_entry(self: Machine, base: DictV, index: Val) -> Val | None:
        """An entry of a container filled by functions, by a key the model cannot match:
        one of the objects it holds (a cache by name holds one kind of thing)."""
        if not base.spreads or base.spreads[0] is not UNKNOWN:
            return None
        if const_str(index) is not None and all(const_str(k) is not None for k, _ in base.items):
            return None
        held = [v for _, v in base.items if any(isinstance(a, KEPT) for a in alts(v))]
        return one_of(held) if held else None
