"""Which helper modules a root reaches through imports, for phase 1's file selection.

A DynamoDB handle made in one module (``handler.py``) can be handed down a chain of helpers
(``mid.load(table, key)`` -> ``low.load(table, key)`` -> ``table.get_item``) whose modules
make no handle and import no module that does: only the chain's imports connect them. The
interpreter inlines such a chain to any depth, so every module on an import path from an
analysis root to a module with item operations has to be parsed, not only the root's direct
imports. Decided on bytes (the import regular expression of :mod:`dynolint.pipeline`), before
anything is parsed; the roots stay the roots (the helpers are reached through calls).
"""

from __future__ import annotations

from typing import Callable, Iterable


def helper_chains(roots: Iterable[str], imports_of: Callable[[str], set[str]],
                  has_item_ops: Callable[[str], bool]) -> set[str]:
    """The modules on some import path from one of ``roots`` to a module with item operations
    (that module included), the roots themselves excluded."""
    start = set(roots)
    seen = set(start)
    frontier = list(start)
    importers: dict[str, set[str]] = {}  # reached module -> the reached modules importing it
    while frontier:
        path = frontier.pop()
        for target in imports_of(path):
            importers.setdefault(target, set()).add(path)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    # walk back from each module with item operations to the roots
    wanted = {path for path in seen - start if has_item_ops(path)}
    on_path = set(wanted)
    back = list(wanted)
    while back:
        path = back.pop()
        for importer in importers.get(path, ()):
            if importer not in on_path and importer not in start:
                on_path.add(importer)
                back.append(importer)
    return on_path


__all__ = ["helper_chains"]
