"""Phase 1 over many files: summarise each (the only place LibCST parses)."""

from __future__ import annotations

from dynolint import ir
from dynolint.config import Config


def summarize_all(sources: dict[str, bytes], config: Config, options: object) -> list[ir.FileSummary]:
    from dynolint.summarize import summarize

    return [summarize(path, data) for path, data in sorted(sources.items())]
