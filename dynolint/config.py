"""``[tool.dynolint]`` in pyproject.toml, or dynolint.toml: found, parsed, validated.

Every problem is a :class:`ConfigError` that names the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynolint.errors import ConfigError

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
    include_tests: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def table(self, name: str) -> TableFacts | None:
        for table_name, facts in self.tables:
            if table_name == name:
                return facts
        return None


_KEYS = {
    "select", "ignore", "exclude", "extend-exclude", "per-file-ignores", "tables",
    "multi-tenant", "tenant-isolation", "include-tests", "extend-select",
}
_TABLE_KEYS = {"partition-key", "sort-key", "version-attribute"}


def _strings(source: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(source, key, "expected a list of strings")
    return tuple(value)


def _check_codes(source: Path, key: str, codes: tuple[str, ...], known: set[str]) -> None:
    for code in codes:
        upper = code.upper()
        if upper == "ALL":
            continue
        if not any(k.startswith(upper) for k in known):
            raise ConfigError(source, key, f"unknown rule code or prefix {code!r}")


def parse(source: Path, table: dict[str, Any], known_codes: set[str]) -> Config:
    """Validate a ``[tool.dynolint]`` table."""
    prefix = "tool.dynolint." if source.name == "pyproject.toml" else ""
    for key in table:
        if key not in _KEYS:
            raise ConfigError(source, prefix + key, "unknown setting")
    kwargs: dict[str, Any] = {"source": source, "root": source.parent}
    if "select" in table:
        kwargs["select"] = _strings(source, prefix + "select", table["select"])
        _check_codes(source, prefix + "select", kwargs["select"], known_codes)
    if "extend-select" in table:
        extra = _strings(source, prefix + "extend-select", table["extend-select"])
        _check_codes(source, prefix + "extend-select", extra, known_codes)
        kwargs["select"] = kwargs.get("select", ("DYN",)) + extra
    if "ignore" in table:
        kwargs["ignore"] = _strings(source, prefix + "ignore", table["ignore"])
        _check_codes(source, prefix + "ignore", kwargs["ignore"], known_codes)
    if "exclude" in table:
        kwargs["exclude"] = _strings(source, prefix + "exclude", table["exclude"])
    if "extend-exclude" in table:
        kwargs["extend_exclude"] = _strings(source, prefix + "extend-exclude", table["extend-exclude"])
    if "per-file-ignores" in table:
        value = table["per-file-ignores"]
        if not isinstance(value, dict):
            raise ConfigError(source, prefix + "per-file-ignores", "expected a table of glob = [codes]")
        pairs = []
        for pattern, codes in value.items():
            key = f"{prefix}per-file-ignores.{pattern}"
            checked = _strings(source, key, codes)
            _check_codes(source, key, checked, known_codes)
            pairs.append((pattern, checked))
        kwargs["per_file_ignores"] = tuple(pairs)
    if "tables" in table:
        value = table["tables"]
        if not isinstance(value, dict):
            raise ConfigError(source, prefix + "tables", "expected a table of table names")
        facts = []
        for name, spec in value.items():
            key = f"{prefix}tables.{name}"
            if not isinstance(spec, dict):
                raise ConfigError(source, key, "expected a table with partition-key, sort-key, version-attribute")
            for sub, sub_value in spec.items():
                if sub not in _TABLE_KEYS:
                    raise ConfigError(source, f"{key}.{sub}", "unknown setting")
                if not isinstance(sub_value, str) or not sub_value:
                    raise ConfigError(source, f"{key}.{sub}", "expected a non-empty string")
            facts.append((name, TableFacts(spec.get("partition-key"), spec.get("sort-key"),
                                           spec.get("version-attribute"))))
        kwargs["tables"] = tuple(facts)
    for flag, attr in (("multi-tenant", "multi_tenant"), ("include-tests", "include_tests")):
        if flag in table:
            if not isinstance(table[flag], bool):
                raise ConfigError(source, prefix + flag, "expected true or false")
            kwargs[attr] = table[flag]
    if "tenant-isolation" in table:
        value = table["tenant-isolation"]
        if not isinstance(value, dict):
            raise ConfigError(source, prefix + "tenant-isolation",
                              'expected a table of glob = "per-tenant" | "shared"')
        pairs2 = []
        for pattern, mode in value.items():
            if mode not in ("per-tenant", "shared"):
                raise ConfigError(source, f"{prefix}tenant-isolation.{pattern}",
                                  'expected "per-tenant" or "shared"')
            pairs2.append((pattern, mode))
        kwargs["tenant_isolation"] = tuple(pairs2)
    return Config(**kwargs)


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, None, f"malformed TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read: {exc.strerror or exc}") from None


def load_file(path: Path, known_codes: set[str]) -> Config:
    """Load settings from a given pyproject.toml or dynolint.toml."""
    data = _load_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("dynolint", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(path, "tool.dynolint", "expected a table")
    else:
        table = data
    return parse(path, table, known_codes)


def discover(start: Path, known_codes: set[str]) -> Config:
    """The closest dynolint.toml, or pyproject.toml with a [tool.dynolint] table, at or
    above ``start``. Without one, defaults rooted at ``start``."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        dedicated = candidate_dir / "dynolint.toml"
        if dedicated.is_file():
            return load_file(dedicated, known_codes)
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file():
            data = _load_toml(pyproject)
            tool = data.get("tool")
            if isinstance(tool, dict) and "dynolint" in tool:
                return load_file(pyproject, known_codes)
    return Config(root=directory)
