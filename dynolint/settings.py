"""Reading and checking dynolint's settings: where they are, and whether every key and
value is one dynolint knows. Plain functions over plain values (no dataclasses), so that
the pre-commit fast path can check a configuration without paying for the rest."""

from __future__ import annotations

import os
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport, the same module under its old name
    import tomli as tomllib

from dynolint.errors import ConfigError

_KEYS = {
    "select", "ignore", "exclude", "extend-exclude", "per-file-ignores", "tables",
    "multi-tenant", "tenant-isolation", "include-tests", "extend-select", "max-file-size", "isolation",
    "target-version", "claim-module", "tenant-names",
}
# how the project keeps tenants apart: "credentials" (tenant-scoped credentials: DYN201
# reports access through the shared execution role) or "application" (keys that include
# the tenant, by design: DYN201 is off, DYN202/DYN204 stay)
_ISOLATION_MODELS = ("credentials", "application")
_TABLE_KEYS = {"partition-key", "sort-key", "version-attribute"}


def _unknown(key: str, known: set[str]) -> str:
    """"unknown setting", with the closest known key when one is close (a typo)."""
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f"unknown setting; did you mean {close[0]!r}?" if close else "unknown setting"


def _strings(source: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(source, key, "expected a list of strings")
    return tuple(value)


def _check_codes(source: str, key: str, codes: tuple[str, ...], known: set[str]) -> None:
    for code in codes:
        upper = code.upper()
        if upper == "ALL":
            continue
        if not upper or not any(k.startswith(upper) for k in known):
            raise ConfigError(source, key, f"unknown rule code or prefix {code!r}")


def validated(source: str, table: dict[str, Any], known_codes: set[str]) -> dict[str, Any]:
    """The keyword arguments of a Config for a ``[tool.dynolint]`` table, or a ConfigError
    naming the file and the key."""
    prefix = "tool.dynolint." if os.path.basename(source) == "pyproject.toml" else ""
    for key in table:
        if key not in _KEYS:
            raise ConfigError(source, prefix + key, _unknown(key, _KEYS))
    kwargs: dict[str, Any] = {}
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
                    raise ConfigError(source, f"{key}.{sub}", _unknown(sub, _TABLE_KEYS))
                if not isinstance(sub_value, str) or not sub_value:
                    raise ConfigError(source, f"{key}.{sub}", "expected a non-empty string")
            facts.append((name, (spec.get("partition-key"), spec.get("sort-key"), spec.get("version-attribute"))))
        kwargs["tables"] = tuple(facts)
    for flag, attr in (("multi-tenant", "multi_tenant"), ("include-tests", "include_tests")):
        if flag in table:
            if not isinstance(table[flag], bool):
                raise ConfigError(source, prefix + flag, "expected true or false")
            kwargs[attr] = table[flag]
    if "max-file-size" in table:
        value = table["max-file-size"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(source, prefix + "max-file-size", "expected a positive number of bytes")
        kwargs["max_file_size"] = value
    if "claim-module" in table:
        value = table["claim-module"]
        if not isinstance(value, str) or not value.endswith(".py") or value.startswith(("/", "..")) \
                or "/../" in f"/{value}":
            raise ConfigError(source, prefix + "claim-module",
                              "expected a path to a .py file inside the project, such as \"src/app/claims.py\"")
        kwargs["claim_module"] = value
    if "isolation" in table:
        if table["isolation"] not in _ISOLATION_MODELS:
            raise ConfigError(source, prefix + "isolation", 'expected "credentials" or "application"')
        kwargs["isolation"] = table["isolation"]
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
    if "tenant-names" in table:
        kwargs["tenant_names"] = _tenant_names(source, prefix + "tenant-names", table["tenant-names"])
    if "target-version" in table:
        kwargs["target_version"] = _target_version(source, prefix + "target-version", table["target-version"])
    return kwargs


# a word a project uses for its tenants (``lessee``, ``organization``, ``workspace``): letters,
# digits, ``_`` and ``-``, starting with a letter
_WORD = r"[A-Za-z][A-Za-z0-9_-]*"


def _tenant_names(source: str, key: str, value: Any) -> tuple[str, ...]:
    """``tenant-names``: the words besides "tenant" that name a tenant in this code, normalised
    as field names are (lower case, letters and digits only: ``lessee_id`` and ``LesseeId`` are
    one field)."""
    import re

    names = _strings(source, key, value)
    for name in names:
        if not re.fullmatch(_WORD, name):
            raise ConfigError(source, key, f"expected words such as \"organization\", got {name!r}")
    return tuple(dict.fromkeys(re.sub(r"[^a-z0-9]", "", name.lower()) for name in names))


def _target_version(source: str, key: str, value: Any) -> tuple[int, int]:
    from dynolint.phase1.pyversions import OLDEST, newest, parse_target, spelled

    version = parse_target(value)
    if version is None:
        raise ConfigError(source, key, f'expected a Python version from "{spelled(OLDEST)}" to "{spelled(newest())}"')
    return version


CONFIG_LIMIT = 4 << 20  # bytes: a configuration file is never this large


def load_toml(path: str) -> dict[str, Any]:
    from dynolint.safefs import describe, read_file

    try:  # a regular file, not through a symbolic link, never waiting on a FIFO
        return tomllib.loads(read_file(path, follow=False, limit=CONFIG_LIMIT).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, None, f"malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8
        line = exc.object[:exc.start].count(b"\n") + 1 if isinstance(exc.object, bytes) else 0
        where = f" (at line {line})" if line else ""
        raise ConfigError(path, None, f"malformed TOML: not UTF-8: {exc.reason}{where}") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read: {describe(exc)}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(path, None, "malformed TOML: arrays or tables nested too deeply") from None


def table_of(path: str) -> dict[str, Any]:
    """The dynolint table of a pyproject.toml (``[tool.dynolint]``) or a dynolint.toml."""
    data = load_toml(path)
    if os.path.basename(path) != "pyproject.toml":
        return data
    tool = data.get("tool", {})
    table = tool.get("dynolint", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(path, "tool.dynolint", "expected a table")
    return table


def find_here(directory: str) -> tuple[str, dict[str, Any]] | None:
    """The dynolint.toml, or pyproject.toml with a [tool.dynolint] table, of exactly
    ``directory``, with its table."""
    dedicated = os.path.join(directory, "dynolint.toml")
    if os.path.isfile(dedicated):
        return dedicated, table_of(dedicated)
    pyproject = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(pyproject):
        data = load_toml(pyproject)
        tool = data.get("tool")
        if isinstance(tool, dict) and "dynolint" in tool:
            return pyproject, table_of(pyproject)
    return None


def find(start: str) -> tuple[str, dict[str, Any]] | None:
    """The closest dynolint.toml, or pyproject.toml with a [tool.dynolint] table, at or
    above ``start`` (an absolute path), with its table."""
    directory = start if os.path.isdir(start) else os.path.dirname(start)
    while True:
        found = find_here(directory)
        if found is not None:
            return found
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
