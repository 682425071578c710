"""dynolint's exceptions: a small tree, each naming what went wrong and where."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class DynolintError(Exception):
    """Base class of errors that stop a run with exit status 2."""


class ConfigError(DynolintError):
    """A configuration file is malformed or holds an unknown or invalid setting."""

    def __init__(self, path: Path | str, key: str | None, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {problem}")


class UsageError(DynolintError):
    """The command line asks for something that cannot be done."""


def origin(exc: BaseException) -> str:
    """Where in dynolint the exception was raised (``model/keys.py:120``), for the bug report
    an internal error asks for."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/dynolint/', 1)[-1]}:{last.lineno}"
