"""Binding a call's arguments to a project function's parameters (``inline``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from dynolint.phase1 import ir
from dynolint.model.literals import SPREAD_KWARGS
from dynolint.model.objects import made_attribute
from dynolint.model.state import Frame, State
from dynolint.model.values import UNKNOWN, ClassV, ConstV, DictV, SeqV, Val

if TYPE_CHECKING:
    from dynolint.model.interp import Machine


def bind(machine: Machine, function: ir.Function, self_val: Val | None, args: list[Val],
         kwargs: dict[str, Val], frame: Frame, spread: bool = False, closure: int = -1) -> dict[str, Val]:
    """The callee's variables on entry: ``self``, then the parameters (``bind_params``). A
    call that spreads a sequence of a length the model does not know (``f(*args)``, ``spread``)
    may give any parameter, so its mutable defaults are not taken as shared (``default_alias``)."""
    env: dict[str, Val] = {}
    params = list(function.params)
    if self_val is not None and params and params[0].kind == "pos":
        env[params.pop(0).name] = self_val

    def default(param: ir.Param, expr: ir.Expr) -> Val:
        made = isinstance(expr, ir.Call) or made_attribute(expr)  # (evaluated where the ``def`` ran)
        if made and function.class_qualname is not None:
            machine.class_env(ClassV(frame.path, function.class_qualname))  # (a method's: its class body ran)
        value = machine.peek(expr, State({}), frame) if not made \
            else machine.default_of(frame.path, function, param.name, closure) or UNKNOWN
        if not spread:
            machine.default_alias(function, param, frame.path, frame)  # ``_memo={}``: made once, shared
        return value

    return env | bind_params(params, args, kwargs, default)


def bind_params(params: Sequence[ir.Param], args: list[Val], kwargs: dict[str, Val],
                default: Callable[[ir.Param, ir.Expr], Val]) -> dict[str, Val]:
    """The parameters of a function or a lambda bound as Python binds them: the positional
    and keyword arguments, what ``*args`` and ``**kwargs`` collect, and ``default(param, expr)``
    for a parameter whose default ``expr`` the call leaves out."""
    env: dict[str, Val] = {}
    positional = [p for p in params if p.kind == "pos"]
    rest = list(args)
    for param in positional:
        if rest:
            env[param.name] = rest.pop(0)
    extra_kwargs: dict[str, Val] = {}
    for name, value in kwargs.items():
        if any(p.name == name and p.kind in ("pos", "kwonly") for p in params):
            env[name] = value
        else:
            extra_kwargs[name] = value
    for param in params:
        if param.name in env:
            continue
        if param.kind == "vararg":
            env[param.name] = SeqV("tuple", tuple(rest))
        elif param.kind == "kwarg":
            collected = extra_kwargs.pop(SPREAD_KWARGS, None)
            named = tuple((ConstV(k), v) for k, v in extra_kwargs.items())
            if type(collected) is DictV:  # ``**{**item, "n": n + 1}``: its entries, then what it spreads
                env[param.name] = DictV(collected.items + named, collected.spreads)
            else:
                env[param.name] = DictV(named, (collected,) if collected is not None else ())
        elif param.default is not None:
            env[param.name] = default(param, param.default)
        else:
            env[param.name] = UNKNOWN
    return env


def spreads(machine: Machine, site: ir.Call | None, state: State, frame: Frame) -> bool:
    """The call passes ``*seq`` of a length the model does not know (a tuple or list it built
    is given element by element: ``eval_call``), so which parameters it gives is not known. (A
    ``**mapping`` it cannot enumerate gives each parameter its entry: ``spread_into``.)"""
    if site is None:
        return False
    for star in site.star_args:
        value = machine.peek(star, state, frame)
        if type(value) is not SeqV or value.kind not in ("tuple", "list"):
            return True
    return False


__all__ = ["bind", "bind_params", "spreads"]
