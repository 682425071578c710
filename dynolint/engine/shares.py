"""Phase 2 on several CPUs: the import components (:func:`dynolint.engine.incremental.components`)
are analysed apart, so a project of several of them is split into shares of about equal
size, and each share's model is built and its rules run in a process of its own.

A run's findings are the union of its components' (each analysed alone: the warm run's
part cache rests on the same fact, and tests/test_incremental.py checks it on the fixtures),
so the shares give what one model of everything gives; the infrastructure, the settings and
the choice of analysis roots are the whole run's. One share is this process's: it is built
while phase 1's workers complete the positions (:func:`dynolint.engine.pipeline.complete_positions`,
which the rules need and the interpretation does not). The others are built in processes
forked once phase 1 is done (so they hold its summaries without copying them), which are then
sent the positions of their files and return their findings. A share whose process dies is
analysed here afterwards: slower, never different."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from dynolint.engine.worker_process import Worker
    from dynolint.findings import Finding
    from dynolint.model.footprint import Footprint, RootKey
    from dynolint.phase1 import ir

# a share smaller than this part of the code is not worth a process (forking, and returning the
# findings, cost about what interpreting a few files does)
SMALLEST_SHARE = 0.15


def share_out(summaries: list[ir.FileSummary], sources: dict[str, bytes], count: int) -> list[list[ir.FileSummary]]:
    """``summaries`` split into at most ``count`` shares of whole import components, the
    larger first, each in path order; one share when the code does not split into ``count``
    shares of at least :data:`SMALLEST_SHARE` of it (by bytes)."""
    from dynolint.engine.incremental import components

    if count < 2 or len(summaries) < 2:
        return [summaries]
    by_path = {summary.path: summary for summary in summaries}
    groups = components({path: sources.get(path, b"") for path in by_path})
    weight = {tuple(group): sum(len(sources.get(path, b"")) + 1 for path in group) for group in groups}
    sized = sorted(weight, key=lambda group: (-weight[group], group))
    bins: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for group in sized:  # the largest component first, into the lightest share so far
        lightest = min(range(count), key=lambda index: (loads[index], index))
        bins[lightest].extend(group)
        loads[lightest] += weight[group]
    total = sum(loads)
    kept = [(load, paths) for load, paths in zip(loads, bins) if paths]
    if len(kept) < 2 or min(load for load, _ in kept) < SMALLEST_SHARE * total:
        return [summaries]
    kept.sort(key=lambda pair: -pair[0])
    return [[by_path[path] for path in sorted(paths)] for _, paths in kept]


@dataclass
class Outcome:
    """What a share's phase 2 gives back."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    footprints: dict[RootKey, Footprint] | None = None  # model.footprint's map, when recorded


Build = Callable[[list["ir.FileSummary"], Outcome], object]  # a share -> its model (None: failed)
Rules = Callable[[object, Outcome], None]  # a model -> its findings, into the outcome


class Share:
    """A share analysed in a forked process: built as soon as it is started, its rules run
    once :meth:`send_positions` gives it the positions of its files."""

    def __init__(self, summaries: list[ir.FileSummary], build: Build, rules: Rules) -> None:
        from dynolint.engine.worker_process import Worker

        self.summaries = summaries
        state: dict[str, object] = {}

        def serve(message: tuple[str, object]) -> Outcome | None:
            kind, payload = message
            if kind == "build":
                _keep_off_parent_cpu()
                state["outcome"] = outcome = Outcome()
                state["model"] = build(summaries, outcome)
                return None
            outcome = state["outcome"]  # type: ignore[assignment]
            assert isinstance(outcome, Outcome) and isinstance(payload, dict)
            for summary in summaries:
                summary.spans, summary.deferred = payload.get(summary.path, summary.spans), False
            if state["model"] is not None:
                rules(state["model"], outcome)
            return outcome

        self.worker: Worker | None = Worker(serve)
        self._send(("build", None))

    def _send(self, message: tuple[str, object]) -> None:
        assert self.worker is not None
        self.worker.send(self.worker.bound, 0, message)  # type: ignore[arg-type]  # (the function it was forked with)

    def _answer(self) -> tuple[bool, object]:
        """The worker's answer to its task; (False, why) when it died."""
        assert self.worker is not None
        try:
            ok, value = pickle.loads(self.worker.conn.recv_bytes())
        except (EOFError, OSError):
            return False, "died"
        return ok, value

    def send_positions(self, spans: dict[str, tuple[ir.Span, ...]]) -> None:
        """Once its model is built, have the share run its rules, given the positions of its files."""
        if self.worker is not None:
            ok, _ = self._answer()
            if ok:
                self._send(("rules", spans))
            else:
                self.close()

    def outcome(self) -> Outcome | None:
        """The share's findings and problems; None when its process failed (the caller then
        analyses the share itself)."""
        if self.worker is None:
            return None
        try:
            ok, value = self._answer()
            return value if ok and isinstance(value, Outcome) else None
        finally:
            self.close()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop(kill=True)
            self.worker = None


def _keep_off_parent_cpu() -> None:
    """In a share's process: the CPUs but the one the parent takes while it interprets
    (:func:`dynolint.engine.cpus.apart` gives it the lowest), where there are two or more."""
    try:
        allowed = os.sched_getaffinity(0)
        if len(allowed) >= 2:
            os.sched_setaffinity(0, allowed - {min(allowed)})
    except (AttributeError, OSError):
        pass
