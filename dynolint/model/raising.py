"""Calls into project code that raise on every path: where the caller's path ends.

A function annotated ``-> NoReturn`` (or ``Never``) ends its caller's path. Any other body that
raises on every path is taken as a placeholder (a ``raise NotImplementedError`` to configure,
an abstract method, a method replaced at run time): the call returns an unknown value and the
caller goes on (model/unseen.py: work the model cannot see into).

The interpreter runs the body on the caller's path and leaves the path dead when the body
raised on every path (model/calls.py, a summary of the call says so too: model/summaries.py);
:func:`settle` then decides whether the caller goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import State


def settle(machine: Machine, function: ir.Function, path: str, site: ir.Call | None, state: State) -> None:
    """After a call to ``function`` (of the file ``path``) made at ``site``: when its body raised
    on every path (``state`` is dead), the caller's path ends there only if the function says
    it never returns; otherwise the call's value is unknown and the caller goes on."""
    if state.dead and not function.no_return:
        state.dead = False
