"""Which files a run looks at: Python sources under the given paths, honouring excludes,
``.gitignore`` and the test-file convention, plus the infrastructure files next to them."""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from dynolint.safefs import TooLarge, read_file
from dynolint.config import Config

INFRA_NAMES = ("template.yaml", "template.yml", "template.json", "serverless.yml", "serverless.yaml",
               "samconfig.yaml")
INFRA_SUFFIXES = (".tf", ".tf.json")
TEST_DIRS = ("tests", "test")
# An ignore file larger than this is not used (and said so): a thousand times a large real
# one, and parsing 50,000 patterns takes seconds.
IGNORE_FILE_LIMIT = 1024 * 1024


@dataclass
class Discovered:
    python: list[Path] = field(default_factory=list)
    infra: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)  # unreadable entries


def read_regular(path: Path | str) -> bytes | None:
    """The bytes of ``path`` if it is a regular file, else None (also when it cannot be read).
    Opened without blocking and checked after opening, so a FIFO or socket put where a file
    was expected is never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def absolute(path: Path) -> Path:
    """An absolute form of a path given on the command line, for display and matching: its
    directory resolved, its last component kept as given (a symlinked file keeps its own
    name). Never raises, not even for a symlink loop."""
    text = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(text)
    return Path(os.path.join(os.path.realpath(directory), name)) if name else Path(text)


def _wanted_name(name: str) -> bool:
    """Could a walked file with this name be taken at all (before looking at it on disk)?"""
    return name.endswith(".py") or name in INFRA_NAMES or name.endswith(INFRA_SUFFIXES)


def maybe_template(name: str, folder: str) -> bool:
    """Could a walked YAML or JSON file be a CloudFormation/SAM template under another name
    than ``template.yaml`` (``tenant-template.yaml``, ``nested_templates/functions.yaml``,
    ``solution.template`` as AWS Solutions name theirs)? Its text decides (:func:`is_template_text`)."""
    lower = name.lower()
    return lower.endswith((".yaml", ".yml", ".json", ".template")) and ("template" in lower or "template" in folder.lower())


# a nested stack a template names by a path in the project (``AWS::Serverless::Application``'s
# ``Location: stacks/workers.yaml``, ``AWS::CloudFormation::Stack``'s ``TemplateURL: ./db.yaml``
# before ``sam package`` or ``cloudformation package`` uploads it)
_NESTED = re.compile(rb"""^[ \t]*(?:Location|TemplateURL)[ \t]*:[ \t]*["']?([\w.][\w./-]*\.(?:ya?ml|json|template))["']?[ \t]*$""",
                     re.MULTILINE)


def nested_locations(rel: str, data: bytes) -> list[str]:
    """The project-relative paths of the nested stacks the template at ``rel`` names (none that
    would leave the project)."""
    base = posixpath.dirname(rel)
    found: list[str] = []
    for match in _NESTED.finditer(data):
        target = posixpath.normpath(posixpath.join(base, match.group(1).decode("ascii", "replace")))
        if target != ".." and not target.startswith(("../", "/")):
            found.append(target)
    return found


def is_template_text(data: bytes) -> bool:
    """Does a file's text declare a CloudFormation or SAM template?"""
    return b"AWSTemplateFormatVersion" in data or b"AWS::Serverless-2016-10-31" in data


def is_test_file(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    if any(p in TEST_DIRS for p in parts[:-1]):
        return True
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


_EXCLUDERS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    """Does an exclude pattern match the name, or the project-relative path (or a parent)?"""
    regex = _EXCLUDERS.get(patterns)
    if regex is None:
        parts = [fnmatch.translate(p.rstrip("/")) for p in patterns]
        parts += [fnmatch.translate(p.rstrip("/") + "/*") for p in patterns]
        regex = _EXCLUDERS[patterns] = re.compile("|".join(f"(?:{p})" for p in parts) or "(?!)")
    return bool(regex.match(name) or regex.match(rel))


def discover(paths: list[Path], config: Config, include_tests: bool) -> Discovered:
    """Walk ``paths``. Files named explicitly are always taken (if they are regular files);
    directories are walked without following symlinks. Paths found in a walk are absolute
    (built on the walked directory, resolved once); so are files named explicitly (their
    directory resolved, their own name kept). A file met in a walk both itself and through a
    symlink is reported under its own name. Entries that cannot be looked at (a symlink
    loop, an unreadable directory, a FIFO named explicitly) are ``problems``; FIFOs, sockets
    and devices met in a walk are skipped without being opened."""
    found = Discovered()
    seen: set[tuple[int, int]] = set()
    patterns = config.exclude + config.extend_exclude
    root = str(config.root.resolve())
    include_tests = include_tests or config.include_tests

    def rel_of(full: str) -> str:
        if full == root:
            return ""
        if full.startswith(root.rstrip("/") + "/"):
            return full[len(root.rstrip("/")) + 1:]
        return full

    reported: set[str] = set()
    linked: list[Path] = []

    def problem(path: Path, why: str) -> None:
        if str(path) not in reported:  # the same entry named twice, or named and walked
            reported.add(str(path))
            found.problems.append((path, why))

    def take(path: Path, explicit: bool) -> None:
        try:
            info = os.stat(path)
        except OSError as exc:
            problem(path, exc.strerror or str(exc))
            return
        if not stat.S_ISREG(info.st_mode):
            if explicit:
                problem(path, "not a regular file")
            return
        identity = (info.st_dev, info.st_ino)
        if identity in seen:
            return
        seen.add(identity)
        name = path.name
        if name.endswith(".py") or name.endswith(".pyi") and explicit:
            found.python.append(path)
        elif name in INFRA_NAMES or name.endswith(INFRA_SUFFIXES):
            found.infra.append(path)
        elif explicit and name.endswith((".yaml", ".yml", ".json")):
            found.infra.append(path)
        elif maybe_template(name, path.parent.name):
            found.infra.append(path)

    def read_ignore_file(path: str) -> bytes | None:
        """An ignore file's bytes; None when absent or unreadable (skipped, as git does), and
        a problem when it is too large to use (git's own limit is 100 MB)."""
        try:
            return read_file(path, limit=IGNORE_FILE_LIMIT)
        except TooLarge as exc:
            problem(Path(path), f"ignore file not used: {exc.strerror}")
        except OSError:
            pass
        return None

    def walk_error(exc: OSError) -> None:
        problem(Path(exc.filename) if exc.filename else Path("."), exc.strerror or str(exc))

    for given in paths:
        try:
            is_dir = given.is_dir()
        except OSError as exc:
            problem(absolute(given), exc.strerror or str(exc))
            continue
        if not is_dir:
            if not given.exists() and not given.is_symlink():
                problem(absolute(given), "no such file or directory")
                continue
            take(absolute(given), explicit=True)
            continue
        from dynolint import gitignore  # (pathspec and RE2 load here: a run on files alone, the hooks', needs neither)

        base = Path(os.path.realpath(given))
        # The ignore files that apply in each directory still to walk: a file is matched
        # against those of its own ancestors only (gitignore.py).
        pending: dict[str, list[gitignore.Level]] = {
            str(base): gitignore.levels_above(str(base), read_ignore_file)}
        for directory, dirnames, filenames in os.walk(base, onerror=walk_error, followlinks=False):
            levels = pending.pop(directory, None)
            if levels is None:  # pragma: no cover - os.walk only enters directories kept below
                continue
            if directory != str(base):
                if ".git" in dirnames or ".git" in filenames:  # a repository of its own: git
                    levels = gitignore.repository_levels(directory, read_ignore_file)  # starts afresh
                if ".gitignore" in filenames:
                    level = gitignore.gitignore_level(directory, read_ignore_file)
                    if level is not None:
                        levels = [*levels, level]
            kept = []
            for name in sorted(dirnames):
                child = f"{directory}/{name}"
                if _excluded(rel_of(child), name, patterns) or gitignore.ignored(levels, child, True):
                    continue
                if not include_tests and name in TEST_DIRS:
                    continue
                kept.append(name)
                pending[child] = levels
            dirnames[:] = kept
            for name in sorted(filenames):
                child = f"{directory}/{name}"
                rel = rel_of(child)
                if not (_wanted_name(name) or maybe_template(name, os.path.basename(directory))) \
                        or _excluded(rel, name, patterns):
                    continue
                if gitignore.ignored(levels, child, False):
                    continue
                if name.endswith(".py") and not include_tests and is_test_file(rel):
                    continue
                if os.path.islink(child):
                    linked.append(Path(child))  # taken after the walks: the file itself wins
                    continue
                take(Path(child), explicit=False)
    for path in linked:  # a symlink to a file the walks met is that file, already taken
        take(path, explicit=False)
    return found
