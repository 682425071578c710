"""Reporters turn findings into text for people and machines."""

from __future__ import annotations

from typing import Callable

from dynolint.findings import Finding
from dynolint.reporters.github import render_github
from dynolint.reporters.json_reporter import render_json
from dynolint.reporters.sarif import render_sarif
from dynolint.reporters.text import render_text

Reporter = Callable[[list[Finding]], str]

REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}

__all__ = ["REPORTERS", "Reporter", "render_github", "render_json", "render_sarif", "render_text"]
