"""Classes: class bodies and bases, method lookup along the bases, binding, ``super()``,
and class-hierarchy dispatch (a call on an instance whose exact class is not known reaches
every override of the method in the project's subclasses)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from dynolint.phase1 import ir
from dynolint.model.class_cells import class_cell
from dynolint.model.summaries import TRUTHY
from dynolint.model.values import (
    UNKNOWN, AttrV, BoundV, CallV, ClassV, ClientV, ConstV, DictV, EventV, ExtV, FuncV, InstanceV, LambdaV, Loc, PartialV,
    ResourceV, SessionV, SuperV, TableV, Val, alts, const_str, one_of,
)
from dynolint.model.library import ENUM_BY_NAME, LIBRARY_BASE_PACKAGES, LIBRARY_BASES, VIEW_ATTRIBUTES
from dynolint.model import mappings
from dynolint.model.settings_models import env_prefix, setting
from dynolint.model.mro import resolve_super
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State


class ClassesMixin(Mixin):
    # -- classes -------------------------------------------------------------------------
    def class_env(self: Machine, cls: ClassV) -> dict[str, Val]:
        key = (cls.path, cls.qualname)
        if key in self.class_envs:
            return self.class_envs[key]
        self.class_envs[key] = {}
        klass = self.project.classes.get(key)
        if klass is None:
            return {}
        from dynolint.model.state import Frame, State

        frame = Frame(cls.path, cls.qualname, None, frozenset(), frozenset(), None, (), 1,
                      self.new_frame_info(cls.qualname, cls.path, -1), self.current_root())
        state = State({})
        module_env = self.run_module(cls.path)
        frame.closure = module_env
        self.summaries.bodies += 1
        self.summaries.footprint.filling += 1
        try:
            state = self.exec_block(klass.body, state, frame)
        finally:
            self.summaries.bodies -= 1
            self.summaries.footprint.filling -= 1
        self.class_envs[key] = dict(state.env)
        return self.class_envs[key]

    def class_bases(self: Machine, cls: ClassV) -> list[Val]:
        klass = self.project.classes.get((cls.path, cls.qualname))
        if klass is None:
            return []
        from dynolint.model.state import Frame, State

        frame = Frame(cls.path, "<bases>", None, frozenset(), frozenset(), None, (), 1, 0,
                      self.current_root())
        state = State({})
        return [self.peek(named, state, frame) if isinstance(named := ir.unparameterized(base), (ir.Name, ir.Attr))
                else UNKNOWN for base in klass.bases]

    def enum_class(self: Machine, cls: ClassV) -> bool:
        """Does ``cls`` derive from ``enum.Enum`` (or another base of ``ENUM_BASES``)?"""
        return self.derives(cls, "enum")

    def enum_member_named(self: Machine, cls: ClassV, name: Val) -> Val:
        """``Status[name]``: the member of that name, kept as what identifies it. A name in the
        code gives the member as the model keeps members (its value, like ``Status.NEW``); a
        name from data is that name when every member is named as its value (``NEW = "NEW"``),
        else the member the table of names gives it (``ENUM_BY_NAME``: a comparison with
        ``Status.NEW`` decides that the name is "NEW", model/decisions.py)."""
        text = const_str(name)
        member = self.class_attr(cls, text) if text is not None else None
        if member is not None:
            return member
        members = {key: value for key, value in self.class_env(cls).items()
                   if not key.startswith("_") and not isinstance(value, (FuncV, ClassV))}
        if members and all(const_str(value) == key for key, value in members.items()):
            return name
        return CallV(ENUM_BY_NAME, None, (name, DictV(tuple((ConstV(key), value) for key, value in members.items()))))

    def derives(self: Machine, cls: ClassV, kind: str, depth: int = 0) -> bool:
        """Does ``cls`` derive from a library class of ``kind`` (``LIBRARY_BASES``: "enum",
        "typeddict"; ``LIBRARY_BASE_PACKAGES``: "view"), through any of the project's classes?"""
        key = (cls.path, cls.qualname, kind)
        known = self.derived_classes.get(key)
        if known is None:
            self.derived_classes[key] = False  # a cycle of bases derives from nothing
            known = depth < 8 and any(
                isinstance(alt, ExtV) and (alt.path in LIBRARY_BASES.get(kind, ())
                                           or alt.path.startswith(LIBRARY_BASE_PACKAGES.get(kind, ())))
                or isinstance(alt, ClassV) and self.derives(alt, kind, depth + 1)
                for base in self.class_bases(cls) for alt in alts(base))
            self.derived_classes[key] = known
        return known

    def own_method(self: Machine, cls: ClassV, name: str) -> FuncV | None:
        """The method ``name`` defined in ``cls`` itself (not inherited)."""
        klass = self.project.classes.get((cls.path, cls.qualname))
        return next((FuncV(cls.path, qualname) for method_name, qualname in (klass.methods if klass else ())
                     if method_name == name), None)

    def find_method(self: Machine, cls: ClassV, name: str, depth: int = 0) -> FuncV | None:
        klass = self.project.classes.get((cls.path, cls.qualname))
        if klass is None or depth > 6:
            return None
        for method_name, qualname in klass.methods:
            if method_name == name:
                return FuncV(cls.path, qualname)
        for base in self.class_bases(cls):
            if isinstance(base, ClassV):
                found = self.find_method(base, name, depth + 1)
                if found is not None:
                    return found
        return None

    def method_kind(self: Machine, method: FuncV) -> str:
        """'static', 'class' or 'instance', from the method's decorators."""
        function = self.project.functions.get((method.path, method.qualname))
        if function is None:
            return "instance"
        for decorator in function.decorators:
            if isinstance(decorator, ir.Name) and decorator.id in ("staticmethod", "classmethod"):
                return "static" if decorator.id == "staticmethod" else "class"
        return "instance"

    def dunder(self: Machine, value: Val, name: str, args: list[Val], loc: Loc, state: State,
               frame: Frame) -> Val | None:
        """Call the project method ``name`` of an instance (None: no alternative has one)."""
        results = []
        for alt in alts(value):
            if isinstance(alt, InstanceV):
                method = self.find_method(alt.cls, name)
                if method is not None:
                    results.append(self.invoke(method, alt, args, {}, loc, state, frame))
        return one_of(results) if results else None

    def item_dunder(self: Machine, value: Val, name: str, args: list[Val], loc: Loc, state: State,
                    frame: Frame) -> Val | None:
        """``obj[k]``, ``obj[k] = v``, ``del obj[k]`` on an instance of a project class that
        defines ``__getitem__``/``__setitem__``/``__delitem__`` (a repository kept like a dict):
        the method's result (None: ``value`` is no such instance). Asked only in projects
        whose classes define one."""
        return self.dunder(value, name, args, loc, state, frame) if name in self.project.item_methods else None

    def bound_method(self: Machine, instance: Val, cls: ClassV, method: FuncV) -> Val:
        """``instance.method`` as Python binds it: nothing for a static method, the class for
        a class method, the instance otherwise."""
        kind_of = self.method_kind(method)
        wrapped = self.method_wrapper(method)
        target = wrapped if wrapped is not None else method
        if kind_of == "static":
            return target
        if kind_of == "class":
            owner = getattr(instance, "cls", None)
            return BoundV(owner if isinstance(owner, ClassV) else cls, target)  # type: ignore[arg-type]
        return BoundV(instance, target)  # type: ignore[arg-type]

    def class_attr(self: Machine, cls: ClassV, name: str, depth: int = 0) -> Val | None:
        env = self.class_env(cls)
        stored = self.summaries.heap_get(class_cell(cls, name))  # assigned on the class by code
        if name in env and not isinstance(env[name], FuncV):
            return env[name] if stored is None else one_of((env[name], stored))
        if stored is not None:
            return stored
        if depth < 6:
            for base in self.class_bases(cls):
                if isinstance(base, ClassV):
                    found = self.class_attr(base, name, depth + 1)
                    if found is not None:
                        return found
        return None

    # -- instances, super() and class-hierarchy dispatch ---------------------------------
    def instance_attr(self: Machine, base: InstanceV, name: str) -> Val:
        """``instance.name``: what was stored on it, else the method along its class's bases
        and, when the instance may be of a subclass, every override below its class."""
        stored = self.summaries.heap_get((base.alloc, name))
        if stored is not None:
            return stored
        found: list[Val] = []
        method = self.find_method(base.cls, name)
        overrides = self.overrides(base.cls, name) if not base.exact else []
        if method is not None and not (overrides and self.abstract(method)):
            # (an abstract method runs on no instance: its class cannot be made while it is abstract)
            found.append(self.bound_method(base, base.cls, method))
        for sub, override in overrides:
            found.append(self.bound_method(self.sub_instance(sub, base), sub, override))
        if found:
            return one_of(found, limit=MAX_OVERRIDES + 1)
        in_class = self.class_attr(base.cls, name)
        if not base.exact and (prefix := env_prefix(self, base.cls)) is not None:
            # (a settings model given to the code, made where the model cannot see: its field is read
            # from the environment, else takes its default)
            fields = dict(self.dataclass_fields(base.cls) or ())
            if name in fields:
                return setting(prefix, name, fields[name], in_class)
        if in_class is not None:
            return in_class
        if not base.exact:
            # a base or mixin whose methods use what only its subclasses set (``self.client``
            # assigned in a subclass's __init__): what the subclasses' instances hold
            held = [value for sub in self.below(base.cls) if type(instance := self.sub_instance(sub, base)) is InstanceV
                    and (value := self.summaries.heap_get((instance.alloc, name))) is not None]
            if held:
                return one_of(held, limit=MAX_HELD + 1)
        if (name in mappings.MAPPING_METHODS and name not in mappings.STORING_METHODS
                or name == "data" and self.derives(base.cls, "userdict")) \
                and (contents := mappings.contents_of(self, base)) is not None:
            # a dict method the dict subclass inherits: asked of its entries; a UserDict's ``data``: they
            return contents if name == "data" else AttrV(contents, name)
        if name in VIEW_ATTRIBUTES and self.derives(base.cls, "view"):
            return EventV(VIEW_ATTRIBUTES[name])  # a class-based view's request and URL arguments
        return AttrV(base, name)

    def sub_instance(self: Machine, sub: ClassV, base: Val) -> Val:
        """An instance of the subclass ``sub`` as its own __init__ makes it (``base`` when the
        class is not the project's)."""
        klass = self.project.classes.get((sub.path, sub.qualname))
        return self.root_instance(sub.path, klass) if klass is not None else base

    def subclasses(self: Machine, cls: ClassV) -> list[ClassV]:
        """The project's classes whose bases name ``cls`` (direct subclasses)."""
        key = (cls.path, cls.qualname)
        known = self.subclass_index.get(key)
        if known is not None:
            return known
        self.subclass_index[key] = []
        found: list[ClassV] = []
        short = cls.qualname.rsplit(".", 1)[-1]
        for path, qualname in self.project.named_as_base.get(short, ()):
            candidate = ClassV(path, qualname)
            if candidate != cls and any(b == cls for b in self.class_bases(candidate)):
                found.append(candidate)
        found.sort(key=lambda c: (c.path, c.qualname))
        self.subclass_index[key] = found
        return found

    def overrides(self: Machine, cls: ClassV, name: str) -> list[tuple[ClassV, FuncV]]:
        """The methods ``name`` that subclasses of ``cls`` (at any depth) define themselves,
        nearest first, at most MAX_OVERRIDES."""
        out: list[tuple[ClassV, FuncV]] = []
        for sub in self.below(cls):
            klass = self.project.classes.get((sub.path, sub.qualname))
            for method_name, qualname in klass.methods if klass is not None else ():
                if method_name == name:
                    out.append((sub, FuncV(sub.path, qualname)))
                    break
            if len(out) >= MAX_OVERRIDES:
                break
        return out

    def below(self: Machine, cls: ClassV) -> Iterator[ClassV]:
        """The project's subclasses of ``cls`` at any depth, nearest first (at most 63)."""
        seen = {cls}
        pending = list(self.subclasses(cls))
        while pending and len(seen) < 64:
            sub = pending.pop(0)
            if sub in seen:
                continue
            seen.add(sub)
            yield sub
            pending.extend(self.subclasses(sub))

    def make_super(self: Machine, args: list[Val], self_val: Val | None, cls: ir.Class | None, path: str) -> Val:
        """``super()`` in a method (its class and receiver) or ``super(Cls, obj)``."""
        if len(args) >= 2 and isinstance(args[0], ClassV):
            return SuperV(args[1], args[0])
        if self_val is not None and cls is not None:
            return SuperV(self_val, ClassV(path, cls.qualname))
        return UNKNOWN

    def super_attr(self: Machine, base: SuperV, name: str) -> Val:
        """``super().name``: the method of the class after this one in the instance's MRO, else
        of the first base (in order) that has it; a method the project does not define is the
        library's (a PynamoDB ``Model.save``), called on the same instance (model/mro.py)."""
        return resolve_super(self, base, name)

    def abstract(self: Machine, method: FuncV) -> bool:
        """Is ``method`` declared abstract (``@abstractmethod``, ``abc.abstractproperty``)?"""
        from dynolint.model.raising import ABSTRACT_DECORATORS

        function = self.project.functions.get((method.path, method.qualname))
        return function is not None and any(ir.last_name(d) in ABSTRACT_DECORATORS for d in function.decorators)

    # -- truthiness ---------------------------------------------------------------------
    def always_truthy(self: Machine, value: Val) -> bool:
        """Is every alternative of ``value`` true in a test? A function, a class, an SDK
        session, client, resource or table, or an instance of a project class that defines
        neither ``__bool__`` nor ``__len__``; a value ``a or b`` made with such a ``b``."""
        known = value in self.truthy_values
        self.summaries.touch(TRUTHY, value, known)
        if known:
            return True
        options = list(alts(value))
        for alt in options:
            if isinstance(alt, (FuncV, BoundV, ClassV, LambdaV, PartialV, SessionV, ClientV, ResourceV, TableV)):
                continue  # (an SDK session, client, resource or table: objects with no length)
            if isinstance(alt, InstanceV) and self.find_method(alt.cls, "__bool__") is None \
                    and self.find_method(alt.cls, "__len__") is None:
                continue
            return False
        return bool(options)

    # -- instances a root starts from ------------------------------------------------
    def root_instance(self: Machine, path: str, cls: ir.Class, exact: bool = False) -> Val:
        """The instance a method analysed as a root runs on: of ``cls`` or a subclass (of
        ``cls`` alone when ``exact``), its ``__init__`` run once with unknown arguments."""
        key = (path, cls.qualname, exact)
        if key not in self.root_instances:
            self.summaries.footprint.filling += 1  # (model/footprint.py)
            try:
                self.make_root_instance(key, path, cls, exact)
            finally:
                self.summaries.footprint.filling -= 1
        return self.root_instances[key]

    def make_root_instance(self: Machine, key: tuple[str, str, bool], path: str, cls: ir.Class, exact: bool) -> None:
        class_val = ClassV(path, cls.qualname)
        instance: Val | None = self.pyn_model_instance(class_val, (path, cls.site))
        if instance is None:
            fresh = InstanceV(class_val, (path, cls.site), exact)
            self.root_instances[key] = fresh
            init = self.find_method(class_val, "__init__")
            if init is None:
                from dynolint.model.state import State

                self.dataclass_init(class_val, fresh, [], {}, State({}), self.module_frame(path))
            # an object used as a context manager is used once entered: its __init__ and
            # then its __enter__/__aenter__ have set it up
            for setup in (init, self.find_method(class_val, "__enter__"),
                          self.find_method(class_val, "__aenter__")):
                function = self.project.functions.get((setup.path, setup.qualname)) if setup else None
                if setup is not None and function is not None:
                    self.run_init_unknown(fresh, setup, function)
            instance = fresh
        self.root_instances[key] = instance

    def run_init_unknown(self: Machine, instance: Val, init: FuncV, function: ir.Function) -> None:
        from dynolint.model.state import NO_ALIASES, Frame, State

        frame = Frame(init.path, function.qualname, function, function.locals,
                      function.declared_global, None, (), 1,
                      self.new_frame_info(function.qualname, init.path, -1), self.current_root(),
                      self_val=instance)
        env = self.root_params(init.path, function, False, instance, frame)
        self.exec_block(function.body, State(env, aliases=dict(frame.entry_aliases) or NO_ALIASES), frame)


MAX_OVERRIDES = 16  # overrides a call on an instance that may be of a subclass reaches
MAX_HELD = 8  # values the subclasses' instances hold under one attribute
