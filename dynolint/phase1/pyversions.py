"""Which Python a file is written for, and who may judge its syntax.

dynolint parses every file with LibCST, whatever Python runs it; CPython's ``compile`` is
the syntax oracle (DYN000) only for code whose target version it knows. The target of a
file is ``target-version`` in the configuration (``"py312"``, as ruff spells it), else the
lower bound of ``requires-python`` in the nearest ``pyproject.toml`` that declares one,
else the newest version LibCST knows. When the running CPython is older than the target,
a plain "invalid syntax" from CPython's parser may be newer syntax it does not know (PEP
695, PEP 701, PEP 758): LibCST's parser decides instead (:func:`dynolint.phase1.summarize.summarize`),
and syntax newer than the target that a parser accepted is DYN000 (:mod:`dynolint.phase1.newer_syntax`).

Light on imports: the configuration check (:mod:`dynolint.settings`) uses this module
without paying for LibCST.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Iterable

Version = tuple[int, int]

OLDEST: Version = (3, 7)  # the oldest ``target-version`` accepted (ruff's oldest)
_FALLBACK_NEWEST: Version = (3, 14)  # when LibCST does not say which versions it knows
_TARGET = re.compile(r"py3(\d{1,2})")
_LOWER_BOUND = re.compile(r"(>=|~=|===?|>)\s*3\s*\.\s*(\d+)")


def running() -> Version:
    return sys.version_info[0], sys.version_info[1]


def newest() -> Version:
    """The newest Python version LibCST's parser knows."""
    try:
        from libcst._parser.types.config import KNOWN_PYTHON_VERSION_STRINGS
    except ImportError:  # a LibCST that moved it: the newest this module was written for
        return _FALLBACK_NEWEST
    known = [_version(text) for text in KNOWN_PYTHON_VERSION_STRINGS]
    return max((v for v in known if v is not None), default=_FALLBACK_NEWEST)


def _version(text: str) -> Version | None:
    parts = text.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def parse_target(value: object, newest_known: Version | None = None) -> Version | None:
    """The version of a ``target-version`` value (``"py37"`` .. the newest LibCST knows),
    None when it is not one."""
    if not isinstance(value, str):
        return None
    match = _TARGET.fullmatch(value)
    if match is None:
        return None
    version = (3, int(match.group(1)))
    return version if OLDEST <= version <= (newest_known or newest()) else None


def spelled(version: Version) -> str:
    return f"py{version[0]}{version[1]}"


def requires_python_minimum(spec: object) -> Version | None:
    """The oldest Python 3 minor version a ``requires-python`` specifier admits (``">=3.12"``,
    ``"~=3.12"``, ``">=3.9,<4"``, ``"==3.12.*"``), None when it names no lower bound."""
    if not isinstance(spec, str):
        return None
    bounds = [(3, int(minor)) for _, minor in _LOWER_BOUND.findall(spec)]
    return min(bounds) if bounds else None


class TargetFinder:
    """The target version of each file of a run: the configured one, else the nearest
    ``pyproject.toml`` with ``requires-python`` at or above the file's folder (each folder
    looked up once: one ``stat`` per folder, none per file), else None: the newest version
    LibCST knows (left unnamed here, so that a run whose summaries are all cached never
    imports LibCST). A source given as text is placed where its path says, as ruff places
    ``--stdin-filename``."""

    def __init__(self, root: Path, configured: Version | None = None,
                 nested: tuple[tuple[str, Version | None], ...] = ()) -> None:
        self.root = os.path.abspath(str(root))
        self.configured = configured
        self.nested = nested  # (folder, its own settings' target-version): the nearest settings win
        self._by_folder: dict[str, Version | None] = {}  # absolute folder -> target
        self._by_relative: dict[str, Version | None] = {}  # folder relative to the root -> target

    def target(self, path: str) -> Version | None:
        """The target of ``path`` (relative to the root, posix)."""
        configured = self.configured
        for folder, version in self.nested:
            if path.startswith(folder + "/"):
                configured = version
                break
        if configured is not None:
            return configured
        folder = path.rpartition("/")[0]
        if folder not in self._by_relative:
            full = os.path.normpath(os.path.join(self.root, folder)) if folder else self.root
            self._by_relative[folder] = self._declared(full)
        return self._by_relative[folder]

    def _declared(self, folder: str) -> Version | None:
        if folder in self._by_folder:
            return self._by_folder[folder]
        pyproject = os.path.join(folder, "pyproject.toml")
        found = _requires_python(pyproject) if os.path.isfile(pyproject) else None
        if found is None:
            parent = os.path.dirname(folder)
            found = None if parent == folder else self._declared(parent)
        self._by_folder[folder] = found
        return found

    def targets(self, paths: Iterable[str]) -> dict[str, Version | None]:
        return {path: self.target(path) for path in paths}


def _requires_python(pyproject: str) -> Version | None:
    """The lower bound of ``[project] requires-python`` in ``pyproject``; None when it has
    none or cannot be read (it is the analysed project's file, not dynolint's settings)."""
    from dynolint.errors import ConfigError
    from dynolint.settings import load_toml

    try:
        data = load_toml(pyproject)
    except ConfigError:
        return None
    project = data.get("project")
    return requires_python_minimum(project.get("requires-python")) if isinstance(project, dict) else None


def finder_for(config: object) -> TargetFinder:
    """The :class:`TargetFinder` of a run with ``config`` (a :class:`dynolint.config.Config`)."""
    nested = tuple((sub.folder, sub.config.target_version) for sub in getattr(config, "subprojects", ())
                   if sub.config is not None)
    return TargetFinder(Path(getattr(config, "root", ".")), getattr(config, "target_version", None), nested)
