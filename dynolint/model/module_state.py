"""Which module-level state an expression denotes, seen from function code.

What a module holds outlives the invocation, whatever name reaches it:

* the global's own name (``CACHE[k] = v``);
* a local alias of it (``cache = CACHE`` then ``cache[k] = v``: one dict, two names);
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
from dynolint.model.values import FuncV, ModuleV, Val, alts

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

# calls that make a new mutable container (a default made by one is shared, as ``{}`` is)
MUTABLE_MAKERS = frozenset({"dict", "list", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque"})

Held = tuple[str, str]  # (the module's path, the name there)


class ModuleStateMixin(Mixin):
    def module_state(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> Held | None:
        """The module state ``expr`` denotes in function code: a global name or a local
        alias of one (a mutable default included), or an attribute of a module or of a
        module-level function; None otherwise."""
        if type(expr) is ir.Name:
            if self.is_global_name(expr.id, frame):
                return frame.path, expr.id
            return frame.aliases.get(expr.id)
        if type(expr) is ir.Attr and frame.function is not None:
            return self.attribute_state(self.peek(expr.value, state, frame), expr.attr)
        return None

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

    def cleared_state(self: Machine, name: str, state: State, frame: Frame) -> list[Held]:
        """The module state a ``finally`` names when it clears ``name`` (``CACHE``, an alias
        ``cache``, ``REQUEST.tenant`` of a module object, ``state.CURRENT`` of a module)."""
        first, _, rest = name.partition(".")
        if not self.is_global_name(first, frame):
            held = frame.aliases.get(first)
            return [held] if held is not None and not rest else []
        if rest and "." not in rest:
            module = self.attribute_state(self.lookup(first, state, frame), rest)
            if module is not None:
                return [(frame.path, name), module]
        return [(frame.path, name)]

    def note_alias(self: Machine, name: str, value: ir.Expr, state: State, frame: Frame) -> None:
        """``name = value`` in function code: ``name`` is another name of the module state
        ``value`` denotes, if it denotes one (until ``name`` is bound again: ``assign``)."""
        if frame.function is not None and (type(value) is ir.Name or type(value) is ir.Attr):
            held = self.module_state(value, state, frame)
            if held is not None and name not in frame.declared_global:
                frame.aliases[name] = held

    def default_alias(self: Machine, function: ir.Function, param: ir.Param, path: str, frame: Frame) -> None:
        """A call leaves out ``param``, whose default is a mutable container made once, when a
        module-level ``def`` ran (or a method's, in a module-level class): the parameter names
        that container, shared by every such call."""
        if function.parent is not None or "<locals>" in function.qualname or not mutable_display(param.default):
            return
        frame.aliases[param.name] = (path, f"{param.name} (the default of {function.qualname})")


def mutable_display(expr: ir.Expr | None) -> bool:
    """``{}``, ``[]``, ``{1}``, ``dict()``, ``collections.defaultdict(list)``: a new mutable container."""
    if type(expr) is ir.DictE or type(expr) is ir.SeqE and expr.kind != "tuple":
        return True
    if type(expr) is not ir.Call:
        return False
    func = expr.func
    name = func.id if type(func) is ir.Name else func.attr if type(func) is ir.Attr else None
    return name in MUTABLE_MAKERS


__all__ = ["ModuleStateMixin", "MUTABLE_MAKERS", "mutable_display"]
