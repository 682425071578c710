"""``[tool.dynolint]`` in pyproject.toml, or dynolint.toml: found, parsed, validated.

Every problem is a :class:`ConfigError` that names the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynolint import settings
from dynolint.bounded import DEFAULT_MAX_FILE_SIZE

DEFAULT_EXCLUDE = (
    ".venv", "venv", "node_modules", ".aws-sam", "cdk.out", "build", "dist", "site-packages",
    ".git", "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".dynolint_cache",
)


@dataclass(frozen=True, slots=True)
class TableFacts:
    partition_key: str | None = None
    sort_key: str | None = None
    version_attribute: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    source: Path | None = None  # the file the settings came from
    root: Path = Path(".")
    select: tuple[str, ...] = ("DYN",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tables: tuple[tuple[str, TableFacts], ...] = ()
    multi_tenant: bool = False
    tenant_isolation: tuple[tuple[str, str], ...] = ()
    isolation: str = "credentials"  # "application": keys keep tenants apart by design (no DYN201)
    include_tests: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; a larger file is skipped, with a DYN000 saying so
    target_version: tuple[int, int] | None = None  # the Python the code is written for (None: see pyversions)
    # words besides "tenant" that name the tenant in this code (``lessee``, ``organization``),
    # normalised: a field named ``<word>``, ``<word>_id``, ``x-<word>-id`` holds a tenant id
    tenant_names: tuple[str, ...] = ()
    claim_module: str | None = None  # where `dynolint fix` places the claim helper (relative to root)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # the sub-projects below the root, innermost first (see dynolint.layout); their own
    # settings govern their files, as ruff's nearest configuration does
    subprojects: tuple[SubProject, ...] = ()
    nested: bool = True  # False when given with --config: one configuration for every file

    def table(self, name: str) -> TableFacts | None:
        for table_name, facts in self.tables:
            if table_name == name:
                return facts
        for sub in self.subprojects:
            found = sub.config.table(name) if sub.config is not None else None
            if found is not None:
                return found
        return None

    def folder_of(self, path: str) -> str:
        """The folder (relative to the root, "" for the root) whose settings govern the
        project-relative ``path``: its nearest sub-project with settings of its own."""
        for sub in self.subprojects:
            if sub.config is not None and path.startswith(sub.folder + "/"):
                return sub.folder
        return ""

    def for_path(self, path: str) -> Config:
        """The settings of the project-relative ``path``: the nearest ``dynolint.toml`` or
        ``pyproject.toml`` with ``[tool.dynolint]`` above it, as ruff finds them."""
        for sub in self.subprojects:
            if sub.config is not None and path.startswith(sub.folder + "/"):
                return sub.config
        return self

    def all(self) -> tuple[Config, ...]:
        """This configuration and those of its sub-projects."""
        return (self, *(sub.config for sub in self.subprojects if sub.config is not None))


@dataclass(frozen=True, slots=True)
class SubProject:
    """A folder below the project root with a ``pyproject.toml``, ``setup.py``,
    ``setup.cfg`` or ``dynolint.toml``: an import root of its own, and with ``config``
    (its ``[tool.dynolint]`` or ``dynolint.toml``) settings of its own."""

    folder: str  # posix, relative to the run's root
    config: Config | None = None


def parse(source: Path, table: dict[str, Any], known_codes: set[str]) -> Config:
    """Validate a ``[tool.dynolint]`` table (names the file and key of any problem)."""
    kwargs = settings.validated(str(source), table, known_codes)
    facts = tuple((name, TableFacts(*spec)) for name, spec in kwargs.pop("tables", ()))
    if facts:
        kwargs["tables"] = facts
    return Config(source=source, root=source.parent, **kwargs)


def load_file(path: Path, known_codes: set[str]) -> Config:
    """Load settings from a given pyproject.toml or dynolint.toml (``--config``: they
    govern every file, whatever settings sub-projects have)."""
    from dataclasses import replace

    return replace(parse(path, settings.table_of(str(path)), known_codes), nested=False)


def discover(start: Path, known_codes: set[str]) -> Config:
    """The closest dynolint.toml, or pyproject.toml with a [tool.dynolint] table, at or
    above ``start``. Without one, defaults rooted at ``start``."""
    found = settings.find(str(start.resolve()))
    if found is None:
        start = start.resolve()
        return Config(root=start if start.is_dir() else start.parent)
    path, table = found
    return parse(Path(path), table, known_codes)
