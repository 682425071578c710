"""Sub-projects of a run: the folders below the project root that hold a ``pyproject.toml``,
``setup.py``, ``setup.cfg`` or ``dynolint.toml`` (a monorepo's services and libraries).

Each is an import root of its own (:mod:`dynolint.model.layout`), and one with settings of
its own (a ``dynolint.toml``, or ``[tool.dynolint]`` in its ``pyproject.toml``) governs its
files as ruff's nearest configuration does: the rules it selects or ignores, its
per-file-ignores, excludes and tenancy settings. ``--config FILE`` governs every file.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dynolint import settings
from dynolint.config import Config, SubProject, parse
from dynolint.discovery import _excluded

if TYPE_CHECKING:
    from dynolint.api import Options
    from dynolint.findings import Finding

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "dynolint.toml")


def with_subprojects(config: Config, root: Path, rels: list[str], known_codes: set[str]) -> Config:
    """``config`` with the sub-projects that hold any of the project-relative files
    ``rels`` (innermost first). Each folder is looked at once: a few ``stat`` calls per
    folder, none per file."""
    seen: dict[str, SubProject | None] = {}
    base = str(root)
    for rel in rels:
        folder = rel.rpartition("/")[0]
        while folder and folder not in seen:
            seen[folder] = _subproject(base, folder, config, known_codes)
            folder = folder.rpartition("/")[0]
    found = [sub for sub in seen.values() if sub is not None]
    found.sort(key=lambda sub: (-sub.folder.count("/"), sub.folder))
    return replace(config, subprojects=tuple(found)) if found or config.subprojects else config


def _subproject(base: str, folder: str, config: Config, known_codes: set[str]) -> SubProject | None:
    full = os.path.join(base, folder)
    if not any(os.path.isfile(os.path.join(full, marker)) for marker in MARKERS):
        return None
    if not config.nested:
        return SubProject(folder)
    found = settings.find_here(full)
    if found is None:
        return SubProject(folder)
    path, table = found
    return SubProject(folder, parse(Path(path), table, known_codes))


def excluded(config: Config, rel: str) -> bool:
    """Whether a sub-project's own ``exclude``/``extend-exclude`` (relative to its folder)
    leaves out the project-relative file ``rel``."""
    folder = config.folder_of(rel)
    if not folder:
        return False
    own = config.for_path(rel)
    inner = rel[len(folder) + 1:]
    patterns = own.exclude + own.extend_exclude
    parts = inner.split("/")
    return any(_excluded("/".join(parts[:n]), parts[n - 1], patterns) for n in range(1, len(parts) + 1))


def per_file_settings(findings: list[Finding], config: Config,
                      options: Options) -> tuple[list[Finding], list[Finding]]:
    """The findings each file's own settings keep (the rules they select, less those they
    ignore), and those the per-file-ignores of a sub-project's settings suppress (its
    patterns are relative to its folder). Paths are project-relative here."""
    import fnmatch

    from dynolint.suppression import code_matches

    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        own = config.for_path(finding.path)
        select = options.select if options.select is not None else own.select
        if not code_matches(finding.code, select) or code_matches(finding.code, own.ignore + options.ignore):
            continue
        folder = config.folder_of(finding.path)
        inner = finding.path[len(folder) + 1:] if folder else finding.path
        if folder and any(fnmatch.fnmatch(inner, pattern) and code_matches(finding.code, codes)
                          for pattern, codes in own.per_file_ignores):
            suppressed.append(finding)
        else:
            kept.append(finding)
    return kept, suppressed


__all__ = ["MARKERS", "excluded", "per_file_settings", "with_subprojects"]
