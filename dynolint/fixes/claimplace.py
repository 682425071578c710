"""Where the claim helper module goes (DYN104 fixes import it rather than paste it).

Once per project: where ``claim-module`` in the configuration says (a path from the project
root), else a ``dynolint_claim.py`` the project has already (a second run reuses it), else
beside the first fixed file. Each fixed module imports it: ``import dynolint_claim`` beside
it (``from . import dynolint_claim`` in a package), else by its module name from the root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dynolint.fixes import claim
from dynolint.fixes.imports import import_for

SKIPPED = {".git", ".venv", "venv", "node_modules", ".aws-sam", "cdk.out", "build", "dist", "site-packages",
           ".dynolint_cache", "__pycache__", ".tox", ".mypy_cache"}


@dataclass(frozen=True)
class Placement:
    path: Path  # the helper module's file
    exists: bool  # it is there already (then it is reused as it is)
    root: Path  # the project root

    def import_into(self, fixed: Path) -> tuple[str, str, Path, Path]:
        """(the import statement, the name it binds, the project root, the helper's file) for
        the module ``fixed``."""
        statement, name = import_for(fixed, self.path, self.root)
        return statement, name, self.root, self.path


def place(root: Path, configured: str | None, claimed: list[Path]) -> Placement:
    """Where the helper is (or goes) for a run that fixes claims in the files ``claimed``."""
    if configured is not None:
        path = root / configured
        return Placement(path, path.is_file(), root)
    name = f"{claim.HELPER}.py"
    found = _existing(root, name)
    if found is not None:
        return Placement(found, True, root)
    first = sorted(claimed, key=lambda p: p.as_posix())[0]
    return Placement(first.parent / name, False, root)


def _existing(root: Path, name: str) -> Path | None:
    """The project's own ``name`` file (the first in path order), outside skipped folders."""
    found = []
    pending = [root]
    budget = 50_000  # entries looked at: a project tree, not a home folder
    while pending and budget > 0:
        folder = pending.pop()
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        budget -= len(entries)
        for entry in entries:
            if entry.name in SKIPPED or entry.is_symlink():
                continue
            if entry.is_dir():
                pending.append(entry)
            elif entry.name == name and entry.is_file():
                found.append(entry)
    return sorted(found, key=lambda p: p.as_posix())[0] if found else None


def helper_bytes() -> bytes:
    return claim.helper_text().encode("utf-8")
