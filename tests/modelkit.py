"""Build the program model from in-memory sources, for unit tests of the model."""

from __future__ import annotations

from dynolint.config import Config
from dynolint.model.analysis import Model, build
from dynolint.model.infra import load_infra
from dynolint.phase1.summarize import summarize


def model_of(files: dict[str, str], config: Config | None = None, infra: dict[str, str] | None = None) -> Model:
    summaries = [summarize(path, text.encode()) for path, text in files.items()]
    loaded = load_infra({k: v.encode() for k, v in (infra or {}).items()}, summaries)
    return build(summaries, config or Config(), loaded)


def lines(model: Model, locs) -> list[int]:
    return sorted(model.span(loc).line for loc in locs)


def race_kinds(model: Model) -> dict[int, str]:
    return {model.span(r.write.loc).line: r.kind for r in model.races()}
