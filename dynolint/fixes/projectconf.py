"""What the fixes read of a project's tool configuration: the line length its formatter
keeps to (ruff, black) and whether mypy checks the bodies of unannotated functions; read
from the configuration files nearest the fixed file, once per folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, TypeVar, cast

DEFAULT_LINE_LENGTH = 88
_MEMO: dict[tuple[str, str], object] = {}  # (setting, folder) -> its value
T = TypeVar("T")


def line_length(path: str | Path | None) -> int:
    """The line length the project of ``path`` formats to (its ruff or black configuration)."""

    def read(name: str, data: dict[str, Any]) -> int | None:
        tables = ((),) if name != "pyproject.toml" else (("tool", "ruff"), ("tool", "black"))
        for table in tables:
            section: Any = data
            for part in table:
                section = section.get(part, {}) if isinstance(section, dict) else {}
            value = section.get("line-length") if isinstance(section, dict) else None
            if isinstance(value, int) and value > 0:
                return value
        return None

    return _nearest("line-length", path, ("ruff.toml", ".ruff.toml", "pyproject.toml"), read, DEFAULT_LINE_LENGTH)


def mypy_checks_untyped(path: str | Path | None) -> bool:
    """Does the project of ``path`` run mypy over the bodies of unannotated functions too
    (``check_untyped_defs`` or ``strict`` in its mypy configuration)?"""

    def read(name: str, data: dict[str, Any]) -> bool | None:
        tool = data.get("tool")
        section = tool.get("mypy") if name == "pyproject.toml" and isinstance(tool, dict) else data.get("mypy")
        if not isinstance(section, dict):
            return None
        return any(section.get(option) is True or str(section.get(option, "")).strip().lower() in ("true", "1", "yes")
                   for option in ("check_untyped_defs", "strict"))

    return _nearest("mypy-untyped", path, ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"), read, False)


def _nearest(setting: str, path: str | Path | None, names: tuple[str, ...],
             read: Callable[[str, dict[str, Any]], T | None], default: T) -> T:
    """A tool's setting for the project of ``path``: the first of the configuration files
    ``names`` (TOML, or INI sections as tables) that sets it, from ``path``'s folder upwards,
    stopping at the project's root (a ``pyproject.toml`` with ``[project]``); memoised per folder."""
    if path is None:
        return default
    folder = Path(path).absolute().parent
    key = (setting, str(folder))
    if key in _MEMO:
        return cast(T, _MEMO[key])  # stored below for this setting, whose reader gives a T
    value = default
    for candidate in (folder, *folder.parents):
        found, root = None, False
        for name in names:
            data = _config(candidate / name)
            if data is None:
                continue
            found = read(name, data)
            root = root or (name == "pyproject.toml" and "project" in data)
            if found is not None:
                break
        if found is not None or root:
            value = default if found is None else found  # at the project's root its tools use their default
            break
    _MEMO[key] = value
    return value


def _config(config: Path) -> dict[str, Any] | None:
    """A configuration file as a dict (an INI file's sections as tables); None when absent or malformed."""
    import configparser

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        if not config.is_file():
            return None
        text = config.read_text(encoding="utf-8")
        if config.suffix == ".toml":
            return tomllib.loads(text)
        parser = configparser.ConfigParser()
        parser.read_string(text)
        return {section: dict(parser.items(section)) for section in parser.sections()}
    except (OSError, ValueError, configparser.Error):
        return None
