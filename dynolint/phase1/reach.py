"""Which helper modules a root reaches through imports, for phase 1's file selection.

A DynamoDB handle made in one module (``handler.py``) can be handed down a chain of helpers
(``mid.load(table, key)`` -> ``low.load(table, key)`` -> ``table.get_item``) whose modules
make no handle and import no module that does: only the chain's imports connect them. The
interpreter inlines such a chain to any depth, so the modules on the import paths from an
analysis root to a module with item operations have to be parsed, not only the root's direct
imports. Decided on bytes (the import regular expression of :mod:`dynolint.engine.pipeline`), before
anything is parsed; the roots stay the roots (the helpers are reached through calls).

Only the *shortest* import paths are kept (each module's importers one level nearer the
roots): a chain that passes a handle down is a straight line of imports, while in a densely
connected package (a registry module importing every service) nearly every module lies on
some longer path, and parsing them all would cost the time of the whole package for no chain.
"""

from __future__ import annotations

from typing import Callable, Iterable


def helper_chains(roots: Iterable[str], imports_of: Callable[[str], set[str]],
                  has_item_ops: Callable[[str], bool]) -> set[str]:
    """The modules on a shortest import path from one of ``roots`` to a module with item
    operations (that module included), the roots themselves excluded."""
    level = {path: 0 for path in roots}
    frontier = list(level)
    parents: dict[str, set[str]] = {}  # module -> its importers one level nearer the roots
    while frontier:
        following: list[str] = []
        for path in frontier:
            for target in imports_of(path):
                if target not in level:
                    level[target] = level[path] + 1
                    following.append(target)
                if level[target] == level[path] + 1:
                    parents.setdefault(target, set()).add(path)
        frontier = following
    wanted = {path for path, depth in level.items() if depth and has_item_ops(path)}
    found = set(wanted)
    back = list(wanted)
    while back:
        for parent in parents.get(back.pop(), ()):
            if level[parent] and parent not in found:
                found.add(parent)
                back.append(parent)
    return found


__all__ = ["helper_chains"]
