"""Keyword arguments spread from a value the model cannot enumerate (``f(**item)``).

Python binds each parameter the callee takes by name to that entry of the value
(``item["p"]``) when the entry is there, and a callee that collects keywords (``def
store(**fields)``) gets the rest as a dict: the model binds the named parameters to those
entries and gives the collecting parameter a dict spread from the value (its entries are the
item's), also through ``functools.partial(store, **item)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.model.literals import SPREAD_KWARGS
from dynolint.model.mixin import Mixin
from dynolint.model.values import BoundV, ClassV, ConstV, ExtV, FuncV, Loc, Val, alts, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State


class KeywordsMixin(Mixin):
    def spread_names(self: Machine, func: Val, given: int) -> list[str]:
        """The parameters a call of ``func`` with ``given`` positional arguments can take by
        name (``f(**value)``): a project function's, a class's ``__init__``'s or fields."""
        names: list[str] = []
        for alt in alts(func):
            if isinstance(alt, ClassV):
                init = self.find_method(alt, "__init__")
                if init is None:
                    names.extend(name for name, _ in (self.dataclass_fields(alt) or [])[given:])
                    continue
                alt, given = init, given + 1
            if isinstance(alt, BoundV):
                alt, given = alt.func, given + 1
            if isinstance(alt, FuncV):
                function = self.project.functions.get((alt.path, alt.qualname))
                if function is not None:
                    names.extend(p.name for p in [p for p in function.params if p.kind == "pos"][given:])
                    names.extend(p.name for p in function.params if p.kind == "kwonly")
        return names

    def spread_into(self: Machine, func: Val, args: list[Val], kwargs: dict[str, Val], spreads: list[Val],
                    loc: Loc, state: State, frame: Frame) -> None:
        """Bind the parameters of ``func`` not given otherwise to the entries of the values
        spread with ``**`` that the model cannot enumerate."""
        for name in self.spread_names(func, len(args)):
            if name not in kwargs:
                kwargs[name] = one_of(self.get_item(s, ConstV(name), loc, state, frame, quiet=True) for s in spreads)
        if self.collects_keywords(func, args):  # the rest reaches its ``**kwargs`` (or the partial's function's)
            kwargs[SPREAD_KWARGS] = one_of(spreads)

    def collects_keywords(self: Machine, func: Val, args: list[Val]) -> bool:
        """Does ``func`` (called with ``args``) take the keywords it does not name (``**kwargs``),
        or keep them for a function that does (``functools.partial(save, **item)``)?"""
        for alt in alts(func):
            if isinstance(alt, BoundV):
                alt = alt.func
            if isinstance(alt, ExtV) and alt.path == "functools.partial" and args \
                    and self.collects_keywords(args[0], []):
                return True
            function = self.project.functions.get((alt.path, alt.qualname)) if isinstance(alt, FuncV) else None
            if function is not None and any(p.kind == "kwarg" for p in function.params):
                return True
        return False


__all__ = ["KeywordsMixin"]
