"""Properties: a method read as an attribute (``@property`` runs the getter on every read,
``cached_property`` once per instance, keeping the result on it), set or deleted through its
setter and deleter, and the functions a ``property(fget, fset, fdel)`` call was given (a
``def`` or a lambda). The decorators are rows of :mod:`dynolint.model.library`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.library import PROPERTIES, PROPERTY_MAKERS
from dynolint.model.values import UNKNOWN, BoundV, CallV, ClassV, ConstV, ExtV, FuncV, InstanceV, LambdaV, Loc, Val, alts, one_of
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State


class PropertiesMixin(Mixin):
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

    def property_kind(self: Machine, func: FuncV) -> str | ClassV | None:
        """How a method is read as an attribute: a library decorator's kind ("property",
        "cached"), a project class whose instances are descriptors (it defines ``__get__``:
        ``@lazy def session(self)``), or None: a plain method."""
        key = (func.path, func.qualname)
        if key not in self.property_kinds:
            function = self.project.functions.get(key)
            kind: str | ClassV | None = None
            if function is not None and function.class_qualname is not None and function.decorators:
                for found in self.decorator_paths(func.path, function.decorators):
                    kind = PROPERTIES.get(found, kind)
                kind = kind or self.descriptor_class(func.path, function.decorators)
            self.property_kinds[key] = kind
        return self.property_kinds[key]

    def descriptor_class(self: Machine, path: str, decorators: tuple[ir.Expr, ...]) -> ClassV | None:
        """The project class a method is decorated with whose instances are descriptors (the
        class defines ``__get__``): reading the method as an attribute calls ``__get__`` of
        the class made with the function."""
        from dynolint.model.state import State as StateCls

        frame = self.module_frame(path)
        for decorator in decorators:
            if isinstance(decorator, ir.Call):
                continue
            for alt in alts(self.peek(decorator, StateCls({}), frame)):
                if type(alt) is ClassV and self.find_method(alt, "__get__") is not None:
                    return alt
        return None

    def read_property(self: Machine, value: Val, name: str, loc: Loc, state: State, frame: Frame) -> Val:
        """``obj.name`` where ``name`` is a ``@property`` (the getter runs, on the caller's
        path) or a ``cached_property`` (it runs once and its result is kept on the object)."""
        out: list[Val] = []
        for alt in alts(value):
            kind = self.property_kind(alt.func) if isinstance(alt, BoundV) else None
            if kind is None or not isinstance(alt, BoundV):
                out.append(alt)
                continue
            if isinstance(kind, ClassV):  # ``type(obj).name.__get__(obj, type(obj))`` of the class made with it
                getter = self.find_method(kind, "__get__")
                if getter is not None and (getter.path, getter.qualname, getter.closure) in self.call_stack:
                    # another attribute's descriptor read inside this one's ``__get__`` (``self.session``
                    # inside ``s3``): the interpreter runs no function inside itself, so what the
                    # method gives is what the descriptor gives, as a lazy attribute's does
                    out.append(self.invoke(alt.func, alt.self_val, [], {}, loc, state, frame))
                    continue
                descriptor = self.instantiate(kind, [alt.func], {}, loc, state, frame)
                owner = alt.self_val.cls if isinstance(alt.self_val, InstanceV) else UNKNOWN
                got = self.dunder(descriptor, "__get__", [alt.self_val, owner], loc, state, frame)
                out.append(got if got is not None else UNKNOWN)
                continue
            result = self.invoke(alt.func, alt.self_val, [], {}, loc, state, frame)
            if kind == "cached" and isinstance(alt.self_val, InstanceV):
                self.summaries.write((alt.self_val.alloc, name), result, merged=False)
            out.append(result)
        return one_of(out)

    def descriptor_get(self: Machine, owner: Val, value: Val, name: str, loc: Loc, state: State, frame: Frame) -> Val:
        """``owner.name`` where the class attribute ``name`` is an instance of a project class that
        defines ``__get__`` (``pk = KeyPart("ORG", "org_id")`` in the class body): what its
        ``__get__(obj, type(obj))`` gives, on the class ``__get__(None, cls)``. An instance's own
        attribute is what it holds, whatever its class."""
        if type(value) is not InstanceV:
            return value
        if type(owner) is InstanceV:
            if self.summaries.heap_get((owner.alloc, name)) is not None:
                return value
            args: list[Val] = [owner, owner.cls]
        elif type(owner) is ClassV:
            args = [ConstV(None), owner]
        else:
            return value
        if self.find_method(value.cls, "__get__") is None:
            return value
        got = self.dunder(value, "__get__", args, loc, state, frame)
        return got if got is not None else value

    def run_accessor(self: Machine, instance: InstanceV, accessor: str, args: list[Val], loc: Loc,
                     state: State, frame: Frame) -> bool:
        """Run a property's setter (``obj.name = value``, accessor ``name.setter``) or deleter
        (``del obj.name``, ``name.deleter``) on the caller's path, as a call of that method of
        the instance's class (or, when the class may be a subclass, of its overrides), or of
        the function a ``property(fget, fset, fdel)`` of the class was given; False when the
        class has no such accessor."""
        if accessor not in self.project.accessors:
            return False
        found = [alt for alt in alts(self.instance_attr(instance, accessor)) if isinstance(alt, BoundV)]
        for bound in found:
            self.invoke(bound.func, bound.self_val, args, {}, loc, state, frame)
        if found:
            return True
        name, _, kind = accessor.rpartition(".")
        made = made_property(self.class_attr(instance.cls, name))
        function = made.get("fset" if kind == "setter" else "fdel")
        if function is None:
            return False
        self.run_made(function, instance, args, loc, state, frame)
        return True

    def made_property_get(self: Machine, instance: Val, value: Val, loc: Loc, state: State, frame: Frame) -> Val:
        """``instance.name`` where the class's ``name`` is ``property(fget, ...)``: fget runs on
        the caller's path (``value``, what the attribute lookup found, otherwise)."""
        if type(instance) is not InstanceV or type(value) is not CallV or value.fn not in PROPERTY_MAKERS:
            return value
        getter = made_property(value).get("fget")
        return self.run_made(getter, instance, [], loc, state, frame) if getter is not None else value

    def run_made(self: Machine, function: FuncV | LambdaV, instance: InstanceV, args: list[Val], loc: Loc,
                 state: State, frame: Frame) -> Val:
        """A function ``property(...)`` was given, run on ``instance`` (a ``def`` or a lambda)."""
        if isinstance(function, LambdaV):
            return self.call_lambda(function, [instance, *args], {}, state, frame)
        return self.invoke(function, instance, args, {}, loc, state, frame)


def made_property(value: Val | None) -> dict[str, FuncV | LambdaV]:
    """The functions a ``property(fget, fset, fdel)`` call (among ``value``'s alternatives) was
    given, by role."""
    found: dict[str, FuncV | LambdaV] = {}
    for alt in alts(value) if value is not None else ():
        if type(alt) is CallV and alt.recv is None and alt.fn in PROPERTY_MAKERS:
            given = dict(zip(PROPERTY_MAKERS[alt.fn], alt.args)) | dict(alt.kwargs)
            for role, function in given.items():
                if type(function) is FuncV or type(function) is LambdaV:
                    found.setdefault(role, function)
    return found
