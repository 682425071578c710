"""Where a run's project starts and how its paths are named: the project root (module names
and project-relative paths start there) and the paths shown to the user."""

from __future__ import annotations

import os
from pathlib import Path

from dynolint.config import Config

# What marks the top of a project (the first directory at or above the checked paths that
# holds one): packaging and version control, or the infrastructure that deploys the code.
ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git", "template.yaml", "template.yml",
                "serverless.yml", "serverless.yaml", "cdk.json", "samconfig.toml")


def project_root(paths: list[Path], config: Config, follow_links: bool = True) -> Path:
    """The directory module names and project-relative paths start from: the configuration
    file's, else the first directory at or above the checked paths that holds a
    :data:`ROOT_MARKERS` entry or is skipped by name (``site-packages``, ``tests``: a root above
    it would skip what was asked for), else the first above them that is not a package. Never
    the argument itself just because it was named: ``dynolint check src/mypkg`` names
    ``src/mypkg/store.py`` ``mypkg.store`` (so ``from mypkg.store import ...`` resolves)
    as ``dynolint check .`` does, and finds the same cross-module findings in it."""
    if config.source is not None:
        return config.root.resolve()
    import fnmatch

    start = _common_directory(paths, follow_links)
    from dynolint.discovery import TEST_DIRS

    # an excluded folder (site-packages, .venv, build, tests...) is as far up as a root may be:
    # above it, every file checked in it would be skipped (and site-packages is an import root)
    names = [p.rstrip("/") for p in config.exclude + config.extend_exclude if "/" not in p.rstrip("/")]
    names += TEST_DIRS
    for directory in (start, *start.parents):
        if any(os.path.lexists(directory / marker) for marker in ROOT_MARKERS) or \
                any(fnmatch.fnmatch(directory.name, name) for name in names):
            return directory
    while (start / "__init__.py").is_file() and start.parent != start:
        start = start.parent
    return start


def _common_directory(paths: list[Path], follow_links: bool = True) -> Path:
    """The deepest directory holding every path (a directory itself, a file's parent);
    the working directory when there are none. Never raises (symlink loops included).
    Without ``follow_links``, a path given through a symbolic link counts where the link is,
    not where it leads."""
    directories = []
    for path in paths or [Path(".")]:
        absolute = os.path.realpath(path) if follow_links else os.path.abspath(path)
        directories.append(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    try:
        return Path(os.path.commonpath(directories))
    except ValueError:  # different drives (Windows)
        return Path.cwd().resolve()


def display_path(path: Path, cwd: str | None = None) -> str:
    """Relative to the working directory when the file is under it, else absolute."""
    cwd = cwd or str(Path.cwd().resolve())
    absolute = str(path) if path.is_absolute() else os.path.abspath(path)  # no resolve(): symlink loops
    prefix = cwd.rstrip("/") + "/"
    if absolute.startswith(prefix):
        return absolute[len(prefix):]
    if absolute == cwd:
        return "."
    return absolute


def rel_path(path: Path, root: Path) -> str:
    """The project-relative posix path of a file (no filesystem access for walked files)."""
    absolute = str(path) if path.is_absolute() else os.path.abspath(path)  # no resolve(): symlink loops
    prefix = str(root).rstrip("/") + "/"
    if absolute.startswith(prefix):
        return absolute[len(prefix):]
    return absolute.lstrip("/")


__all__ = ["ROOT_MARKERS", "display_path", "project_root", "rel_path"]
