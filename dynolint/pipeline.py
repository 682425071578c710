"""Phase 1 over many files: summarise each (the only place LibCST parses)."""

from __future__ import annotations

from typing import Callable

from dynolint import ir
from dynolint.config import Config


def summarize_all(sources: dict[str, bytes], config: Config, options: object,
                  progress: Callable[[int, int], None] | None = None) -> list[ir.FileSummary]:
    from dynolint.summarize import summarize

    if progress is None:
        return [summarize(path, data) for path, data in sorted(sources.items())]
    summaries = []
    for path, data in sorted(sources.items()):
        summaries.append(summarize(path, data))
        progress(len(summaries), len(sources))
    return summaries
