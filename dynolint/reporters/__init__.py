"""Reporters turn findings into text for people and machines.

Each reporter module is imported when its format is used (a run that prints text need not
import the SARIF writer, which loads every rule's documentation)."""

from __future__ import annotations

import importlib
from typing import Callable

from dynolint.findings import Finding

Reporter = Callable[[list[Finding]], str]

_MODULES = {
    "text": ("dynolint.reporters.text", "render_text"),
    "json": ("dynolint.reporters.json_reporter", "render_json"),
    "sarif": ("dynolint.reporters.sarif", "render_sarif"),
    "github": ("dynolint.reporters.github", "render_github"),
}


def reporter(name: str) -> Reporter:
    module, function = _MODULES[name]
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


class _Registry(dict[str, Reporter]):
    def __missing__(self, name: str) -> Reporter:
        found = reporter(name)
        self[name] = found
        return found

    def __contains__(self, name: object) -> bool:
        return name in _MODULES

    def keys(self):  # type: ignore[no-untyped-def]
        return _MODULES.keys()


REPORTERS: dict[str, Reporter] = _Registry()

__all__ = ["REPORTERS", "Reporter", "reporter"]
