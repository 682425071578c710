"""Web frameworks' dependency injection, as a root's parameters receive it: a parameter whose
default or annotation marks a dependency (FastAPI's ``Depends(f)``, ``Annotated[T, Depends(f)]``)
gets what the dependency returns or yields, called for the request with what it asks for in
turn; one a request marker fills (``Header()``, ``Query()``) gets that part of the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.phase1.prefilter import EVENT_PARAMS
from dynolint.model.event_fields import request_marker
from dynolint.model.library_web import INJECTORS
from dynolint.model.mixin import Mixin
from dynolint.model.event_fields import framework_object
from dynolint.model.roots import typing_args
from dynolint.model.values import (
    CallV, ClassV, EventV, ExtV, FuncV, Loc, OpaqueV, SeqV, SubV, Val, alts, const_str, one_of,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State


class InjectionMixin(Mixin):
    def injected(self: Machine, path: str, param: ir.Param, frame: Frame, entry: State | None = None,
                 function: ir.Function | None = None, closure: int = -1) -> Val | None:
        """What a web framework's dependency injection passes: ``table=Depends(get_table)``
        or ``Annotated[Table, Depends(get_table)]`` (FastAPI) is what the dependency returns
        (or yields), called for the request. A dependency made by a call (``Depends(repository(
        Repo, get_public_tenant))``) or named by a closure's variable (``Depends(tenant_dependency)``
        in the function a factory returned) is what the default was when the ``def`` ran."""
        from dynolint.model.state import State

        home = self.module_frame(path)
        found: list[tuple[Val, ir.Call, Loc]] = []
        for call in _marker_calls(param):
            # ``Depends(f)``; ``ctx: Ctx = Depends()``: the annotation's class, made for the request
            named = call.args[0] if call.args else param.annotation
            if call is param.default and call.args and function is not None \
                    and (made := self._made_dependency(path, function, param, closure)) is not None:
                found.append((made, call, (path, call.site)))
                continue
            if not call.args and isinstance(named, ir.Sub) and isinstance(named.index, ir.Opaque):
                # ``Annotated[Ctx, Depends()]`` (however ``Annotated`` is imported): its first parameter
                named = next(iter(typing_args(self.peek(named.value, State({}), home), named.index.deps)), None)
            if named is None:
                continue
            marker = self.peek(call.func, State({}), home)
            if any(isinstance(m, ExtV) and m.path.rsplit(".", 1)[-1] in INJECTORS for m in alts(marker)):
                found.append((self.peek(named, State({}), home), call, (path, call.site)))
        if not found and isinstance(param.annotation, (ir.Name, ir.Attr)):  # ``repo: Repo``, an alias of an
            found = _aliased_dependencies(self.peek(param.annotation, State({}), home))  # ``Annotated[...]``
        for dependency, call, loc in found:
            if any(isinstance(d, (FuncV, ClassV)) for d in alts(dependency)):
                # the framework resolves the dependency's own parameters for the request
                given = self.request_params(dependency, frame, entry)
                made = self.apply(dependency, [], given, (), call, loc,
                                  State({}) if entry is None else entry, frame)
                return self.element(made) if any(isinstance(a, SeqV) for a in alts(made)) else made
        return None

    def _made_dependency(self: Machine, path: str, function: ir.Function, param: ir.Param,
                         closure: int = -1) -> Val | None:
        """The project callable a ``Depends(...)`` default was given when its ``def`` ran, where
        the argument is not a module-level name (a factory's call, a closure's variable)."""
        argument = param.default.args[0] if isinstance(param.default, ir.Call) and param.default.args else None
        if argument is None or isinstance(argument, ir.Name) and function.parent is None:
            return None
        if function.parent is None and function.class_qualname is None:
            self.run_module(path)
        default = self.default_of(path, function, param.name, closure)
        if default is None:
            return None
        made = [arg for alt in alts(default) if isinstance(alt, CallV) and alt.recv is None
                and alt.fn.rsplit(".", 1)[-1] in INJECTORS and alt.args for arg in alts(alt.args[0])
                if isinstance(arg, (FuncV, ClassV))]
        return one_of(made) if made else None

    def request_params(self: Machine, dependency: Val, frame: Frame, entry: State | None) -> dict[str, Val]:
        """What a web framework passes a dependency function: the request object, the parts of
        the request its markers name, and what its own dependencies return."""
        func = next((d for d in alts(dependency) if isinstance(d, FuncV)), None)
        cls = next((d for d in alts(dependency) if isinstance(d, ClassV)), None) if func is None else None
        if cls is not None:  # a class: what its ``__init__`` asks for
            func = self.find_method(cls, "__init__")
        function = self.project.functions.get((func.path, func.qualname)) if func is not None else None
        given: dict[str, Val] = {}
        if func is None or function is None or frame.depth > 4:
            return given
        for param in function.params[1:] if cls is not None else function.params:
            value = self.injected(func.path, param, frame, entry, function, func.closure) \
                or self.marked(func.path, param, frame)
            if value is None and (framework_object(param) or param.name.lower() in EVENT_PARAMS):
                value = EventV(())
            if value is not None:
                given[param.name] = value
        return given

    def marked(self: Machine, path: str, param: ir.Param, frame: Frame) -> Val | None:
        """A parameter a framework marker fills from the request (``x_tenant_id: str = Header()``,
        ``Annotated[str, Query(alias="tenant")]``): that field of the event."""
        from dynolint.model.state import State

        home = self.module_frame(path)
        for call in _marker_calls(param):
            section = next((request_marker(m.path) for m in alts(self.peek(call.func, State({}), home))
                            if isinstance(m, ExtV) and request_marker(m.path)), None)
            if section is None:
                continue
            alias = next((const_str(self.peek(value, State({}), home)) for name, value in call.kwargs
                          if name == "alias"), None)
            return self.event_child(EventV((section,)), alias or param.name, (path, call.site), frame, False)
        return None


def _marker_calls(param: ir.Param) -> list[ir.Call]:
    """The calls that may mark a parameter: its default (``= Depends(f)``, ``= Header()``) and
    the metadata of an ``Annotated[...]`` annotation."""
    candidates: list[ir.Expr] = [param.default] if isinstance(param.default, ir.Call) else []
    if isinstance(param.annotation, ir.Sub):
        index = param.annotation.index
        parts = index.elts if isinstance(index, ir.SeqE) else index.deps if isinstance(index, ir.Opaque) else (index,)
        candidates += list(parts)
    return [c for c in candidates if isinstance(c, ir.Call)]


def _aliased_dependencies(alias: Val) -> list[tuple[Val, ir.Call, Loc]]:
    """The dependencies an ``Annotated[T, Depends(f)]`` kept in a module-level name declares,
    each with a call standing for its ``Depends`` (where the alias's metadata was written)."""
    found: list[tuple[Val, ir.Call, Loc]] = []
    for alt in alts(alias):
        if type(alt) is not SubV or type(alt.base) is not ExtV or not alt.base.path.endswith("Annotated") \
                or type(alt.index) is not OpaqueV:
            continue
        for part in alt.index.deps[1:]:
            if type(part) is CallV and part.recv is None and part.args and part.fn.rsplit(".", 1)[-1] in INJECTORS:
                loc = alt.index.loc
                found.append((part.args[0], ir.Call(ir.Name(part.fn), (), (), loc[1]), loc))
    return found
