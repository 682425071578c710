"""Phase 1 over many files: decide which files can matter (reading bytes, before LibCST is
imported: :mod:`dynolint.engine.selection`), take their summaries from the cache, and parse
the rest, in parallel when it pays.

LibCST is imported only when a file has to be parsed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from dynolint.config import Config
from dynolint.engine.importscan import _imports, module_of  # noqa: F401 (re-exported)
from dynolint.engine.selection import ITEM_OPS, Selection, Selector, select_files  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

    from dynolint.findings import Finding, Fix
    from dynolint.phase1 import ir
from dynolint.phase1.pyversions import Version, finder_for, running, spelled
from dynolint.engine.workers import DEFAULT_TIMEOUT, Failed, WorkerPool

SERIAL_BELOW = 24  # files to parse: under this, a process pool costs more than it saves


def workers_for(tasks: int, jobs: int) -> int:
    """Worker processes for ``tasks`` files: ``jobs`` (0: the CPUs), or one for few files."""
    return (jobs or os.cpu_count() or 1) if tasks >= SERIAL_BELOW else 1




def _summarize_one(item: tuple[str, bytes, int, Version | None]) -> ir.FileSummary:
    from dynolint.phase1.summarize import summarize

    path, data, budget, target = item
    return summarize(path, data, (lambda module, wanted, count: _keep(path, data, module, wanted, count, budget))
                     if budget else None, target)


def variant(target: Version | None) -> str:
    """What a file's summary depends on besides its bytes: the Python it is written for and
    the CPython that judged its syntax (:mod:`dynolint.phase1.syntax`)."""
    return f"{spelled(running())}>{spelled(target) if target else 'newest'}"


# In a worker process: the modules it parsed in phase 1, kept so that their positions can be
# computed while the parent interprets, and their fixes rendered without a second parse. A
# kept module grows its worker's RSS by about 60 times its source's size (measured on
# bench/gen_connected.py: 1.8 MB of source kept by two workers cost 110 MB), and the workers
# live until the fixes are rendered, when the parent's phase 2 is at its largest: the sum
# is the run's peak. So the workers keep only the modules of files that may get a fix (a
# fix rewrites a DynamoDB item operation, a PynamoDB write or a Lambda invoke:
# :func:`may_get_fixes`), and only up to KEEP_BYTES of source between them (256 KB: about
# 16 MB of modules), each its share; the other files get their positions in phase 1, and a
# file with a fix that was not kept, a second parse of the definitions that hold findings.
# (Keeping every file up to 8 MB made the doubled connected corpus 381 MB at its peak;
# keeping every file that may get a fix, a sixth of them there, 308 MB.)
KEEP_BYTES = 256 << 10
_FIXABLE = re.compile(rb"\.(?:save|update|delete|invoke)\(")


def may_get_fixes(data: bytes) -> bool:
    """Can a finding of this file carry a fix? Only a guess, from the bytes: a wrong one
    costs time or memory, never a different fix."""
    return ITEM_OPS.search(data) is not None or _FIXABLE.search(data) is not None


@dataclass
class Kept:
    data: bytes
    module: cst.Module
    wanted: dict[int, int]  # id of node -> site
    count: int  # number of sites
    ranges: dict[cst.CSTNode, CodeRange] | None = None  # the nodes fixes look at -> CodeRange, once computed


_kept: dict[str, Kept] = {}
_kept_bytes = [0]


def _keep(path: str, data: bytes, module: cst.Module, wanted: dict[int, int], count: int, budget: int) -> bool:
    if _kept_bytes[0] + len(data) > budget:
        return False
    _kept[path] = Kept(data, module, wanted, count)
    _kept_bytes[0] += len(data)
    return True


def kept(path: str, data: bytes) -> Kept | None:
    """What this worker kept of the module it parsed from ``data`` in phase 1, if anything."""
    found = _kept.get(path)
    return found if found is not None and found.data == data else None


def describe_file(item: tuple[str, bytes, list[Finding]]) -> list[tuple[Fix | None, str]]:
    """In a worker: the fixes of a file's findings (:func:`dynolint.fixes.edits.describe_all`),
    from the module this worker kept of it if it did. (Here, beside :func:`kept`, so that a
    worker forked before the parent imported the API need not import it for this.)"""
    from dynolint.fixes.edits import describe_all

    path, data, findings = item
    found = kept(path, data)
    if found is None:
        return describe_all(data, findings)
    return describe_all(data, findings, found.module, found.ranges)


def _positions(job: tuple[bool, list[tuple[str, bytes, Version | None]]]) -> dict[str, tuple[ir.Span, ...]]:
    """The spans of files whose positions phase 1 deferred: from the modules this worker
    kept, or (a worker that replaced a dead one) from a new parse. With ``for_fixes``, the
    same pass also records the positions the fixes will look at (a second pass over every
    fixed file cost more than doing it here for all)."""
    from dynolint.phase1.summarize import site_spans, summarize

    for_fixes, batch = job
    out: dict[str, tuple[ir.Span, ...]] = {}
    for path, data, target in batch:
        found = kept(path, data)
        if found is None:
            out[path] = summarize(path, data, target=target).spans
        elif for_fixes:
            from dynolint.fixes.engine import POSITIONED
            from dynolint.phase1.positions import positions_and_sites

            found.ranges, out[path] = positions_and_sites(found.module, POSITIONED, found.wanted, found.count)
        else:
            out[path] = site_spans(found.module, found.wanted, found.count)
    return out


@dataclass
class Parsed:
    """Phase 1's result: the summaries in path order, the selection, which worker of the
    pool parsed (and may have kept) each file, and the fresh summaries still to cache."""

    summaries: list[ir.FileSummary]
    selection: Selection
    placed: dict[str, int]
    fresh: list[tuple[str, bytes]]
    cache: object | None
    targets: dict[str, Version | None] = field(default_factory=dict)  # the Python each file is written for


def summarize_all(sources: dict[str, bytes], config: Config, options: object,
                  progress: Callable[[int, int], None] | None = None, pool: WorkerPool | None = None,
                  keep: bool = False) -> Parsed:
    """Summaries of the files worth parsing (cached ones from the cache), in path order.
    Parsing runs in the supervised worker processes of ``pool`` (:mod:`dynolint.engine.workers`;
    a pool of its own when None): a file that overruns the time budget or crashes the
    parser gets a summary with ``problem`` set. With ``keep``, the workers keep the parsed
    modules and leave their positions out: :func:`complete_positions` computes them (and
    caches the summaries).

    The files are chosen (:class:`dynolint.engine.selection.Selector`) while the workers
    parse: a file its own text scan chooses goes to a worker at once, largest first, and the
    files chosen for what others hold (their importers, their imports) once all are scanned."""
    from dynolint.engine.cache import SummaryCache
    from dynolint.memory import budget as memory_budget

    use_cache = getattr(options, "use_cache", True)
    selector = Selector(sources, config, use_cache)
    timeout = getattr(options, "timeout", DEFAULT_TIMEOUT)
    cache = SummaryCache.for_root(config.root) if use_cache else None
    summaries: dict[str, ir.FileSummary] = {}
    todo: list[tuple[str, bytes, int, Version | None]] = []
    own = pool is None
    pool = pool or WorkerPool(timeout or None, memory_budget(options))
    finder = finder_for(config)
    targets: dict[str, Version | None] = {}
    jobs = getattr(options, "jobs", 0)
    budget = 0
    if keep and not own and pool.forked:  # each worker's share of what the run keeps
        budget = KEEP_BYTES // max(workers_for(len(sources), jobs), len(pool.workers), 1)
    chosen: list[Selection] = []
    cached_count = [0]

    def task(path: str) -> tuple[str, bytes, int, Version | None] | None:
        """The file's task for a worker; None when its summary is in the cache."""
        target, data = finder.target(path), sources[path]
        targets[path] = target
        found = cache.get(path, data, variant(target)) if cache is not None else None
        if found is not None:
            summaries[path] = found
            cached_count[0] += 1
            return None
        return path, data, budget if budget and may_get_fixes(data) else 0, target

    def feed() -> Iterator[tuple[str, bytes, int, Version | None] | None]:
        for path in selector.scans():
            yield None if path is None else task(path)
        chosen.append(selector.finish())
        for path in sorted(chosen[0].parse - targets.keys(), key=lambda name: (-len(sources[name]), name)):
            yield task(path)

    fresh: list[tuple[str, bytes]] = []
    placed: dict[str, int] = {}
    reported = 0
    try:
        for index, outcome, slot in pool.map(_summarize_one, todo, lambda known: workers_for(known, jobs),
                                             meanwhile=_warm_up, feed=feed()):
            path, data, kept, target = todo[index]
            if isinstance(outcome, Failed):
                summaries[path] = _failed(path, data, outcome.reason, target)
            else:
                summaries[path] = outcome
                fresh.append((path, data))
                if kept:
                    placed[path] = slot
            if progress is not None and chosen:
                reported = _progress(progress, reported, cached_count[0], len(summaries), len(chosen[0].parse))
    finally:
        if own:
            pool.close()
    if progress is not None:
        _progress(progress, reported, cached_count[0], len(summaries), len(chosen[0].parse))
    parsed = Parsed([summaries[path] for path in sorted(summaries)], chosen[0], placed, fresh, cache, targets)
    if not any(s.deferred for s in parsed.summaries):
        _store(parsed, max(len(sources), getattr(options, "project_files", 0)))
    return parsed


def _progress(progress: Callable[[int, int], None], reported: int, cached: int, done: int, total: int) -> int:
    """Report the files summarised since ``reported`` (the cached ones at once, the others
    one by one) out of ``total``; the new count reported."""
    if reported == 0 and cached:
        progress(cached, total)
        reported = cached
    for count in range(reported + 1, done + 1):
        progress(count, total)
    return max(reported, done)


def complete_positions(parsed: Parsed, pool: WorkerPool, keep_in_cache: int,
                       meanwhile: Callable[[], object] | None = None, for_fixes: bool = False) -> None:
    """Fill in the positions phase 1 left out, each file's in the worker that kept its
    module, one batch per worker, while ``meanwhile`` (the interpretation, which needs no
    positions) runs here; then cache the fresh summaries. With ``for_fixes``, the workers
    also note the positions fix rendering needs."""
    by_path = {s.path: s for s in parsed.summaries}
    batches: dict[int, list[tuple[str, bytes, Version | None]]] = {}
    data_of = dict(parsed.fresh)
    for summary in parsed.summaries:
        if summary.deferred:
            target = parsed.targets.get(summary.path)
            batches.setdefault(parsed.placed.get(summary.path, 0), []).append(
                (summary.path, data_of[summary.path], target))
    slots = sorted(batches)
    items = [(for_fixes, batches[slot]) for slot in slots]
    if not items and meanwhile is not None:
        meanwhile()

    def apart() -> None:  # the interpretation on a CPU of its own while the workers share the others
        with pool.apart():
            meanwhile()  # type: ignore[misc]

    for index, outcome, _ in pool.map(_positions, items, len(items), prefer=list(slots),
                                      meanwhile=apart if meanwhile is not None else None):
        if isinstance(outcome, Failed):  # computed here, as phase 1 would have
            from dynolint.phase1.summarize import summarize

            outcome = {path: summarize(path, data, target=target).spans for path, data, target in items[index][1]}
        for path, spans in outcome.items():
            summary = by_path[path]
            summary.spans, summary.deferred = spans, False
    _store(parsed, keep_in_cache)


def _store(parsed: Parsed, keep: int) -> None:
    from dynolint.engine.cache import SummaryCache

    cache = parsed.cache
    if isinstance(cache, SummaryCache):
        by_path = {s.path: s for s in parsed.summaries}
        for path, data in parsed.fresh:
            cache.put(path, data, by_path[path], variant(parsed.targets.get(path)))
        cache.tidy(keep=keep)


def _warm_up() -> None:
    """Import what phase 2 needs while the workers parse."""
    import dynolint.model.analysis  # noqa: F401
    import dynolint.rules  # noqa: F401


def _failed(path: str, data: bytes, reason: str, target: Version | None = None) -> ir.FileSummary:
    """The summary of a file whose worker timed out or died: DYN000 if CPython cannot
    compile it either and its verdict holds for the file's ``target`` (CPython's parser
    fails cleanly where LibCST's overflows), else a per-file error."""
    from dynolint.phase1.summarize import _cpython_error, _problem

    return _cpython_error(path, data, target) or _problem(path, reason)
