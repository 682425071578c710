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
    claim_module: str | None = None  # where `dynolint fix` places the claim helper (relative to root)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def table(self, name: str) -> TableFacts | None:
        for table_name, facts in self.tables:
            if table_name == name:
                return facts
        return None


def parse(source: Path, table: dict[str, Any], known_codes: set[str]) -> Config:
    """Validate a ``[tool.dynolint]`` table (names the file and key of any problem)."""
    kwargs = settings.validated(str(source), table, known_codes)
    facts = tuple((name, TableFacts(*spec)) for name, spec in kwargs.pop("tables", ()))
    if facts:
        kwargs["tables"] = facts
    return Config(source=source, root=source.parent, **kwargs)


def load_file(path: Path, known_codes: set[str]) -> Config:
    """Load settings from a given pyproject.toml or dynolint.toml."""
    return parse(path, settings.table_of(str(path)), known_codes)


def discover(start: Path, known_codes: set[str]) -> Config:
    """The closest dynolint.toml, or pyproject.toml with a [tool.dynolint] table, at or
    above ``start``. Without one, defaults rooted at ``start``."""
    found = settings.find(str(start.resolve()))
    if found is None:
        start = start.resolve()
        return Config(root=start if start.is_dir() else start.parent)
    path, table = found
    return parse(Path(path), table, known_codes)
