"""Which project files a module brings into its process: the files its imports name, and theirs
in turn (any import in the file, at its top or inside a function). A Lambda function deployed
from a folder that holds more than its own code (a Terraform zip of the whole project beside a
Chalice app, one ``CodeUri`` for several handlers) runs only what its handler imports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir

if TYPE_CHECKING:
    from dynolint.model.project import Project

LIMIT = 5_000  # files followed from one module, at most


def imported_from(project: Project, start: str, imports: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """``start`` and every project file its imports reach (``imports``: each file's own
    imports, filled as files are read, shared by the calls for one project)."""
    seen = {start}
    pending = [start]
    while pending and len(seen) < LIMIT:
        path = pending.pop()
        targets = imports.get(path)
        if targets is None:
            targets = imports[path] = _imports_of(project, path)
        for target in targets:
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return frozenset(seen)


def _imports_of(project: Project, path: str) -> tuple[str, ...]:
    """The project files ``path``'s own imports name."""
    summary = project.files.get(path)
    if summary is None:
        return ()
    found: dict[str, None] = {}
    bodies = [summary.body, *(function.body for function in summary.functions)]
    for node in (n for body in bodies for n in ir.walk(body)):
        if not isinstance(node, ir.ImportE):
            continue
        targets = [project.resolve_module(path, node.module, node.level)]
        if node.name is not None:  # ``from pkg import mod``: a submodule, when it is one
            targets.append(project.resolve_module(
                path, f"{node.module}.{node.name}" if node.module else node.name, node.level))
        found.update((target, None) for target in targets if target is not None)
    return tuple(found)
