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


def imported_from(project: Project, start: str) -> frozenset[str]:
    """``start`` and every project file its imports reach."""
    seen = {start}
    pending = [start]
    while pending and len(seen) < LIMIT:
        path = pending.pop()
        summary = project.files.get(path)
        if summary is None:
            continue
        bodies = [summary.body, *(function.body for function in summary.functions)]
        for node in (n for body in bodies for n in ir.walk(body)):
            if not isinstance(node, ir.ImportE):
                continue
            targets = [project.resolve_module(path, node.module, node.level)]
            if node.name is not None:  # ``from pkg import mod``: a submodule, when it is one
                targets.append(project.resolve_module(
                    path, f"{node.module}.{node.name}" if node.module else node.name, node.level))
            for target in targets:
                if target is not None and target not in seen:
                    seen.add(target)
                    pending.append(target)
    return frozenset(seen)
