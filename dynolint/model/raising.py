"""Calls into project code that raise on every path: where the caller's path ends.

A function annotated ``-> NoReturn`` (or ``Never``) ends its caller's path. A helper that
exists to raise (``def conflict(msg): raise ConflictError(msg)``) is called for its effect,
as a statement of its own (``conflict("busy")``): the path after it is not reached, and a
race or a stampede there is none. A placeholder is not: a body that raises
``NotImplementedError`` ("configure me"), an abstract method, a method of a Protocol stands
for code the deployment, a subclass or an implementation supplies, which returns, so the
call returns an unknown value and the caller goes on (model/unseen.py: work the model cannot
see into). A call whose value is used (``rate = client.latest(pair)``) is taken as one that
returns as well, whatever its body raises: the value is what its caller expects to get; but not
a function nested in its caller (``return asyncio.run(_body())``): code written right there,
whose raising its definer sees.

The interpreter runs the body on the caller's path and leaves the path dead when the body
raised on every path (model/calls.py, a summary of the call says so too: model/summaries.py);
:func:`settle` then decides whether the caller goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.values import ClassV

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import State

# what a placeholder raises (``NotImplemented``, not an exception, is a common slip for it)
PLACEHOLDER_ERRORS = frozenset({"NotImplementedError", "NotImplemented"})
# decorators that make a method abstract (``abc``'s, by their last name)
ABSTRACT_DECORATORS = frozenset({"abstractmethod", "abstractproperty", "abstractclassmethod",
                                 "abstractstaticmethod"})


def settle(machine: Machine, function: ir.Function, path: str, site: ir.Call | None, state: State,
           local: bool = False) -> None:
    """After a call to ``function`` (of the file ``path``) made at ``site``: when its body raised
    on every path (``state`` is dead), the caller's path ends there only if the function says
    it never returns, or is called for its effect or defined by its caller (``local``: a nested
    function the caller wrote, ``return asyncio.run(_body())``, whose raising it sees) and is no
    placeholder (nor a generator: calling one runs none of its body); otherwise the call's value
    is unknown and the caller goes on."""
    if state.dead and not function.no_return and not (
            site is not None and (site.discarded or local) and not function.is_generator
            and not placeholder(machine, function, path)):
        state.dead = False


def placeholder(machine: Machine, function: ir.Function, path: str) -> bool:
    """A body that stands in for code supplied elsewhere: an abstract method, a method of a
    Protocol, one that raises ``NotImplementedError`` (on any of its paths), or one that only
    raises whatever it is given (:func:`stub_raise`). (A stub, a body of only a docstring,
    ``...`` or ``pass``, returns: it never gets here.)"""
    if any(ir.last_name(decorator) in ABSTRACT_DECORATORS for decorator in function.decorators):
        return True
    if any(type(node) is ir.Raise and node.exc is not None and ir.last_name(node.exc) in PLACEHOLDER_ERRORS
           for node in ir.walk(function.body)):
        return True
    if stub_raise(function):
        return True
    return function.class_qualname is not None and machine.derives(ClassV(path, function.class_qualname), "protocol")


def stub_raise(function: ir.Function) -> bool:
    """A body that is one ``raise`` using none of the function's parameters, of which it has
    some (``def publish(self, subject): raise RuntimeError("configure me")``): it stands for
    what the function will do, not for a refusal of what it was given, as a helper that exists
    to raise builds its error from its arguments (``def conflict(msg): raise Conflict(msg)``)."""
    body = [stmt for stmt in function.body if not (type(stmt) is ir.ExprStmt and type(stmt.value) is ir.Const)]
    if len(body) != 1 or type(body[0]) is not ir.Raise:
        return False
    params = function.params
    if function.class_qualname is not None and not any(
            ir.last_name(decorator) == "staticmethod" for decorator in function.decorators):
        params = params[1:]  # self, cls
    used = {node.id for node in ir.walk(body[0]) if type(node) is ir.Name}
    return bool(params) and not any(param.name in used for param in params)
