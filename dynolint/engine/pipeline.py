"""Phase 1 over many files: decide which files can matter (reading bytes, before LibCST is
imported), take their summaries from the cache, and parse the rest, in parallel when it pays.

LibCST is imported only when a file has to be parsed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from dynolint.config import Config
from dynolint.engine.importscan import _imports, module_of  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

    from dynolint.phase1 import ir
from dynolint.phase1.prefilter import has_entry, makes_dynamodb, makes_lambda_client, touches_tenancy
from dynolint.phase1.pyversions import Version, finder_for, running, spelled
from dynolint.phase1.reach import helper_chains
from dynolint.engine.workers import DEFAULT_TIMEOUT, Failed, WorkerPool

SERIAL_BELOW = 24  # files to parse: under this, a process pool costs more than it saves
# ... or item operations, which are half a race when the handle comes from elsewhere.
_ITEM_OPS = re.compile(rb"\.(?:get_item|put_item|update_item|delete_item|batch_writer|batch_write_item|"
                       rb"transact_write_items|execute_statement|query|scan)\(")

_SUBCLASS = re.compile(rb"^[ \t]*class[ \t]+\w+[ \t]*\(([^)]*)\)", re.M)
_CLASS_NAME = re.compile(rb"^[ \t]*class[ \t]+(\w+)", re.M)


def workers_for(tasks: int, jobs: int) -> int:
    """Worker processes for ``tasks`` files: ``jobs`` (0: the CPUs), or one for few files."""
    return (jobs or os.cpu_count() or 1) if tasks >= SERIAL_BELOW else 1




@dataclass(frozen=True, slots=True)
class Selection:
    """Which files to parse, and whose functions start an analysis (the others are only
    reached through calls); ``roots`` None means all of them."""

    parse: frozenset[str]
    roots: frozenset[str] | None


def select_files(sources: dict[str, bytes], config: Config, known: dict[bytes, tuple[bool, bool]] | None = None,
                 ) -> Selection:
    """The files worth parsing.

    - files that make or type a DynamoDB handle, or hold tenant ids, /tmp paths, CDK code
      or Lambda invokes;
    - files with item operations that import one of those (the handle is passed in);
    - the modules importing either kind of DynamoDB file, two levels up (a race can run
      from a read in one helper to a write in another, through their caller);
    - the modules all of these import directly (key builders, HTTP helpers, models).
    Files that only mention boto3 for other services, and everything else, are read but
    not parsed. A file that mentions tenants but has no invocation of its own (no handler,
    route or CDK code, nor a DynamoDB handle within two imports) is parsed, and so are its
    imports, but its functions run only where a root's calls reach them: they read no tenant
    id that a caller does not pass in. ``known``: what the two text scans said of files by
    their digest (kept by the cache between runs), filled in for the others."""
    # where the settings declare the code multi-tenant, every handler may keep tenant state:
    # all of those files (that sub-project's, not the whole tree's) are parsed and are roots
    shared = {path for path in sources if _multi_tenant(config.for_path(path))}
    if len(shared) == len(sources):
        return Selection(frozenset(sources), None)
    return _select(sources, config, shared, {} if known is None else known)


def _scan(data: bytes, known: dict[bytes, tuple[bool, bool]]) -> tuple[bool, bool]:
    """Does the file make a DynamoDB handle, does it touch tenancy (by its digest in ``known``)?"""
    import hashlib

    digest = hashlib.blake2b(data, digest_size=16).digest()
    flags = known.get(digest)
    if flags is None:  # both questions of a file together: they share its tokenization
        flags = known[digest] = (makes_dynamodb(data), touches_tenancy(data))
    return flags


def _multi_tenant(config: Config) -> bool:
    return bool(config.multi_tenant or config.tenant_isolation)


def _select(sources: dict[str, bytes], config: Config, shared: set[str],
            known: dict[bytes, tuple[bool, bool]]) -> Selection:
    dynamo: set[str] = set()
    tenancy: set[str] = set()
    for path, data in sources.items():
        makes, touches = _scan(data, known)
        if makes:
            dynamo.add(path)
        if touches:
            tenancy.add(path)
    if not dynamo and not tenancy and not shared:
        return Selection(frozenset(), frozenset())
    index: dict[str, list[str]] = {}
    for path in sources:
        index.setdefault(module_of(path).rsplit(".", 1)[-1], []).append(path)
    edges: dict[str, set[str]] = {}

    def imports_of(path: str) -> set[str]:
        if path not in edges:
            edges[path] = _imports(path, sources[path], index)
        return edges[path]

    def importers_of(targets: set[str]) -> set[str]:
        names = {module_of(p).rsplit(".", 1)[-1].encode("utf-8", "surrogateescape")
                 for p in targets} - {b"__init__", b""}
        found = set()
        for path, data in sources.items():
            if path not in targets and any(name in data for name in names) and imports_of(path) & targets:
                found.add(path)
        return found

    users = {p for p in importers_of(dynamo) if _ITEM_OPS.search(sources[p]) or b"save(" in sources[p]}
    near = dynamo | users
    level = near
    for _ in range(2):
        level = importers_of(level) - near
        near |= level
        if not level:
            break
    # the callers of a Lambda client's helpers, two levels up: the code that invokes a
    # PER_TENANT function through them need not mention tenants (DYN205)
    level = {path for path in tenancy if makes_lambda_client(sources[path])}
    for _ in range(2):
        level = importers_of(level) - near
        near |= level
        if not level:
            break
    chosen = near | tenancy | shared
    roots = chosen - {path for path in tenancy - near - shared if not has_entry(sources[path])}
    for path in chosen - roots:
        chosen |= imports_of(path)
    defined: dict[str, set[bytes]] = {}  # path -> the names of the classes it defines
    for path in list(roots):
        imported = imports_of(path)
        chosen |= imported
        # a module that defines a base class this one subclasses is a root too: its methods
        # run the subclass's overrides
        bases = {name.rsplit(b".", 1)[-1] for match in _SUBCLASS.finditer(sources[path])
                 for name in re.findall(rb"[\w.]+", match.group(1))}
        if not bases:
            continue
        for target in imported:
            if target not in defined:
                defined[target] = set(_CLASS_NAME.findall(sources[target]))
            if bases & defined[target]:
                roots.add(target)
    # helper chains that take the handle as an argument, to any depth (dynolint/phase1/reach.py)
    chosen |= helper_chains(roots, imports_of, lambda path: _ITEM_OPS.search(sources[path]) is not None)
    return Selection(frozenset(chosen), frozenset(roots))


def _selection(sources: dict[str, bytes], config: Config, use_cache: bool) -> Selection:
    """:func:`select_files`, with the text scans of unchanged files from the cache."""
    from dynolint.engine.cache import PartCache, ResultCache

    store = PartCache.for_root(config.root) if use_cache else None
    key = ResultCache.key([b"prefilter"], {}, {})
    entry = store.get_key(key) if store is not None else None
    known: dict[bytes, tuple[bool, bool]] = entry if isinstance(entry, dict) else {}
    size = len(known)
    selection = select_files(sources, config, known)
    if store is not None and len(known) != size:
        if len(known) > 2 * len(sources) + 1024:  # mostly files long gone
            import hashlib

            current = {hashlib.blake2b(data, digest_size=16).digest() for data in sources.values()}
            known = {digest: flags for digest, flags in known.items() if digest in current}
        store.put_key(key, known)
    return selection


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
    return _ITEM_OPS.search(data) is not None or _FIXABLE.search(data) is not None


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
    caches the summaries)."""
    from dynolint.engine.cache import SummaryCache
    from dynolint.memory import budget as memory_budget

    selection = _selection(sources, config, getattr(options, "use_cache", True))
    wanted = selection.parse
    timeout = getattr(options, "timeout", DEFAULT_TIMEOUT)
    cache = SummaryCache.for_root(config.root) if getattr(options, "use_cache", True) else None
    summaries: dict[str, ir.FileSummary] = {}
    todo: list[tuple[str, bytes, int, Version | None]] = []
    own = pool is None
    pool = pool or WorkerPool(timeout or None, memory_budget(options))
    targets = finder_for(config).targets(sorted(wanted))
    for path in sorted(wanted):
        cached = cache.get(path, sources[path], variant(targets[path])) if cache is not None else None
        if cached is not None:
            summaries[path] = cached
        else:
            todo.append((path, sources[path], 0, targets[path]))
    done = len(summaries)
    total = len(wanted)
    if progress is not None and done:
        progress(done, total)
    workers = workers_for(len(todo), getattr(options, "jobs", 0))
    if keep and not own and pool.forked:  # each worker's share of what the run keeps
        budget = KEEP_BYTES // max(workers, len(pool.workers), 1)
        todo = [(path, data, budget if may_get_fixes(data) else 0, target) for path, data, _, target in todo]
    todo.sort(key=lambda item: -len(item[1]))  # largest first: the workers finish together
    fresh: list[tuple[str, bytes]] = []
    placed: dict[str, int] = {}
    try:
        for index, outcome, slot in pool.map(_summarize_one, todo, workers, meanwhile=_warm_up):
            path, data, kept, target = todo[index]
            if isinstance(outcome, Failed):
                summaries[path] = _failed(path, data, outcome.reason, target)
            else:
                summaries[path] = outcome
                fresh.append((path, data))
                if kept:
                    placed[path] = slot
            done += 1
            if progress is not None:
                progress(done, total)
    finally:
        if own:
            pool.close()
    parsed = Parsed([summaries[path] for path in sorted(summaries)], selection, placed, fresh, cache, targets)
    if not any(s.deferred for s in parsed.summaries):
        _store(parsed, max(len(sources), getattr(options, "project_files", 0)))
    return parsed


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
