"""Reporters turn findings into text for people and machines."""

from __future__ import annotations

from typing import Callable

from dynolint.findings import Finding
from dynolint.reporters.json_reporter import render_json
from dynolint.reporters.text import render_text

Reporter = Callable[[list[Finding]], str]

REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
}

__all__ = ["REPORTERS", "Reporter", "render_json", "render_text"]
