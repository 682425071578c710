"""Per-function summaries: what a call into project code did, for one calling context,
reused wherever the same function is called in the same context again.

Phase 2 inlines every callee into every caller, so that a read in one helper and a write in
another meet on the caller's path. Inlining alone makes the cost grow with the number of
paths through the code, not with the code: each analysis root runs its callees again, and
every caller of a shared helper runs the helper's callees again. A summary ends that for the
calls that need no inlining to be seen from outside:

* the **calling context** is the function and its arguments (``self`` included), abstract
  values that compare by structure, and the facts of the caller's path (reads, claims,
  absences, authorization facts, decisions) *that the call consulted*: ``State`` notes each
  path fact read or assigned through it (``state.CONSULTED``), and code that only carries the
  facts along (a copy, a merge, a callee's entry) does not consult them. A summary holds the
  facts its call consulted as they were at its entry, and is reused where the caller's path
  agrees on those; the facts it did not consult it left as they were, and leaves them so;
* a call is **summarised** when it records no event (no read, write, data call, paid call,
  global store, /tmp write, tenant id source, ...: nothing the rules look at happens inside,
  so no frame or call chain of it is ever reported) and nothing cut it short (the depth
  limit, recursion, the statement budget): its effect on the caller is then its result, the
  path facts it leaves, and the writes it made to the heap (attributes stored on objects),
  which are replayed;
* a summary **depends** on the shared facts its execution looked at: the heap cells, the
  values functions stored in module globals, the values known to be true. Each is recorded
  as it was when the call first touched it; a summary is reused only while every one still
  holds, so that reusing it gives exactly what running the call again would give.

A call with events is inlined as before (its events need its caller's chain and path), but
its callees are summarised, so a root pays for the code it calls once, and a helper called
from a thousand roots is interpreted once per distinct context.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from dynolint.model.footprint import Recorder
from dynolint.model.memo import first_touches
from dynolint.model.events import scan_ids
from dynolint.model.state import (
    ABSENT, ALIASES, CLAIMS, CONSULTED, DECISIONS, FACTS, READS, READS_ANY, SCANS, join, minus,
)
from dynolint.model.values import Loc, OpaqueV, Val

if TYPE_CHECKING:
    from dynolint.model.interp import Interpreter
    from dynolint.model.state import State
    from dynolint.model.verdicts import Options

# kinds of shared facts a summary can depend on
HEAP = 0  # self.heap[(alloc, name)]: an attribute stored on an object (or a ContextVar's value)
GLOBAL_VALUES = 1  # what functions stored into a module global
GLOBAL_ENTRIES = 2  # the entries functions stored into a module-level dict
TRUTHY = 3  # whether a value is known to be true in a test

# summaries kept for one function and arguments, each for other path facts (the newest first)
MAX_VARIANTS = 8

# summaries kept: the least recently used go first (a summary keeps the values of its context,
# result and writes alive; reuse mostly comes from recent ones)
MAX_ENTRIES = 16_384

_ABSENT = object()


class Context:
    """The key of a call's summaries: a tuple of the function and its arguments, with its
    hash computed once (a call looks its key up once and may store it once; the tuple would
    hash all its arguments each time). Equal exactly when the tuples are. Which of the key's
    summaries holds depends on the caller's path facts and the depth (``Summary``)."""

    __slots__ = ("parts", "_hash")

    def __init__(self, parts: tuple[object, ...]) -> None:
        self.parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (type(other) is Context and self._hash == other._hash and self.parts == other.parts)


@dataclass(slots=True)
class Log:
    """What one call being summarised touched and wrote, and the interpreter's marks
    (event counts) when it started."""

    marks: tuple[int, int, int]  # Summaries.marks()
    entry: tuple[object, ...]  # the caller's path facts at the call (State.path())
    saved: int  # the caller's consulted path facts (CONSULTED.mask) when the call started
    cuts: int
    stack: int  # the callee's position on the interpreter's call stack
    examined: frozenset[int]  # the caller's examined and present reads at the call (the summary
    present: frozenset[int]  # keeps what the call adds to them)
    reach: int = 1 << 30  # the lowest stack position a recursive call below it returned to
    depth_cut: bool = False  # a call below it was cut by the depth limit
    deps: dict[tuple[int, object], object] = field(default_factory=dict)  # first touch -> value then
    writes: list[tuple[tuple[object, str], Val, bool]] = field(default_factory=list)  # (heap key, value, merged)
    paths: set[str] = field(default_factory=set)  # the files whose code the call ran (model/footprint.py)


@dataclass(slots=True, frozen=True)
class Summary:
    result: Val  # an OpaqueV at the call's own site (a stub's unknown result) is made again at each site
    at_site: bool
    stamped: bool  # it holds call results stamped with where and when they ran (model/unseen.py)
    exit_facts: tuple[object, ...]  # (reads, claims, absent, facts, decisions) the call leaves
    mask: int  # which of them the call consulted (state.READS...): the others it left as they were
    entry: tuple[object, ...]  # the path facts at its entry (it holds where those it consulted agree)
    depth: int  # -1, or the depth it was made at when the depth limit cut a call below it
    deps: tuple[tuple[tuple[int, object], object], ...]
    writes: tuple[tuple[tuple[object, str], Val, bool], ...]
    examined: frozenset[int] = frozenset()  # the reads whose contents the call examined (State.examined)
    present: frozenset[int] = frozenset()  # the reads whose item it showed is there (State.present)
    verdict: Options | None = None  # what each of its returns decided (model/verdicts.py)
    paths: frozenset[str] = frozenset()  # the files whose code the call ran (model/footprint.py)
    raised: bool = False  # its body raised on every path: the caller's path ends (unless: model/raising.py)


class Summaries:
    """The summaries of one interpreter run, and the logs of the calls being summarised."""

    def __init__(self, interp: Interpreter) -> None:
        self.interp = interp
        # least recently used first: an OrderedDict moves a reused entry to the end and drops
        # the first in O(1) (a dict's ``next(iter(...))`` rescans the holes its deletions leave)
        self.table: OrderedDict[Context, list[Summary]] = OrderedDict()
        self.logs: list[Log] = []
        self.cuts = 0  # calls cut short (depth, recursion, budget): their callers are not summarised
        self.bodies = 0  # class bodies being evaluated (their names are not yet all bound)
        self.effects = 0  # events the interpreter keeps outside its lists (a tenant id source's facts)
        self.hits = 0
        self.misses = 0
        self.footprint = Recorder()  # what each root depends on (model/footprint.py)
        self.path_sets: dict[frozenset[str], frozenset[str]] = {}  # (path_set)
        self.alloc_writes: dict[object, int] = {}  # allocation site -> writes to its cells so far

    # -- the calling context -------------------------------------------------------------
    def context(self, path: str, qualname: str, self_val: Val | None, args: list[Val],
                kwargs: dict[str, Val], state: State) -> Context | None:
        """The key of a call's summaries (the path facts they hold for are checked by ``reuse``),
        or None when the call cannot be summarised (inside a class body that is still binding
        its names; a module's partial names cut the calls that see them)."""
        if self.bodies:
            return None
        return Context((path, qualname, self_val, tuple(args), tuple(sorted(kwargs.items(), key=_first))))

    # -- reuse ---------------------------------------------------------------------------
    def reuse(self, key: Context, depth: int, loc: Loc, state: State, root: int) -> Val | None:
        """The result of the call of ``key`` at ``loc``, from its summary, if every fact the
        summary depends on still holds; its writes are replayed and the path facts it leaves
        are put on ``state``."""
        table = self.table
        variants = table.get(key)
        if variants is None:
            return None
        path = state.path()
        for summary in variants:
            if (summary.depth < 0 or summary.depth == depth) and _agrees(summary, path) \
                    and all(self.current(dep) == value for dep, value in summary.deps):
                break
        else:
            return None
        self.hits += 1
        table.move_to_end(key)  # now the most recently used
        log = self.logs[-1] if self.logs else None
        if log is not None:
            for dep, value in summary.deps:
                log.deps.setdefault(dep, value)
            log.paths |= summary.paths
        footprint = self.footprint
        footprint.ran(summary.paths)
        for dep, _ in summary.deps:
            footprint.read(dep)
        for heap_key, value, merged in summary.writes:
            self.write(heap_key, value, merged)
        state.set_path(summary.exit_facts, summary.mask)  # the facts it did not consult it left as they were
        state.dead = summary.raised
        CONSULTED.mask |= summary.mask  # (as running it would have)
        # what the call examined (may) is added to the caller's, as are the items it showed
        # are there on all its paths (must)
        state.examined = join(state.examined, summary.examined)
        state.present = join(state.present, summary.present)
        result = summary.result
        if summary.at_site and isinstance(result, OpaqueV):  # at_site: an OpaqueV (see finish)
            result = replace(result, loc=loc)
        if summary.stamped:  # the work it stands for runs again: in this root, now
            from dynolint.model.unseen import restamp

            result = restamp(result, root, self.interp.next_seq())
        if summary.verdict is not None:
            result = self.interp.note_verdict(result, summary.verdict)
        return result

    # -- recording -----------------------------------------------------------------------
    def start(self, stack: int, state: State) -> Log:
        log = Log(self.marks(), state.path(), CONSULTED.mask, self.cuts, stack, state.examined, state.present)
        CONSULTED.mask = 0  # what the call consults
        self.logs.append(log)
        return log

    def finish(self, log: Log, key: Context, depth: int, result: Val, loc: Loc, state: State) -> None:
        """The call of ``log``, made at ``depth``, returned ``result`` leaving ``state``: keep
        its summary when it recorded no event and nothing outside it cut it short; its parent
        depends on what it touched."""
        popped = self.logs.pop()
        assert popped is log
        mask = CONSULTED.mask
        CONSULTED.mask = log.saved | mask  # what it consulted, its caller consulted
        self.misses += 1
        if self.logs:
            parent = self.logs[-1]
            parent.deps = first_touches(parent.deps, log.deps)
            parent.writes.extend(log.writes)
            parent.paths |= log.paths
            parent.reach = min(parent.reach, log.reach)
            parent.depth_cut = parent.depth_cut or log.depth_cut
        if self.cuts != log.cuts or log.reach < log.stack or self.marks() != log.marks:
            return
        from dynolint.model.unseen import stamped

        at_site = isinstance(result, OpaqueV) and result.loc == loc
        # what the depth limit cut depends on how deep the call was
        made = Summary(result, at_site, stamped(result), state.path(), mask, log.entry, depth if log.depth_cut else -1,
                       tuple(log.deps.items()), tuple(log.writes), minus(state.examined, log.examined),
                       minus(state.present, log.present), self.interp.verdict_options(result),
                       self.path_set(log.paths), state.dead)
        variants = self.table.get(key)
        if variants is None:
            if len(self.table) >= MAX_ENTRIES:
                self.table.popitem(last=False)
            self.table[key] = [made]
            return
        self.table.move_to_end(key)
        # the newest first; one it replaces holds where this one does (the same facts, depth)
        kept = [v for v in variants if not (v.mask == made.mask and v.depth == made.depth and _agrees(v, made.entry))]
        self.table[key] = [made] + kept[:MAX_VARIANTS - 1]

    def path_set(self, paths: set[str]) -> frozenset[str]:
        """``frozenset(paths)``, one object for equal sets: a few hundred distinct sets among
        the table's thousands of summaries."""
        made = frozenset(paths)
        return self.path_sets.setdefault(made, made)

    def abandon(self, log: Log) -> None:
        """The call of ``log`` ended by an exception (a timeout): nothing is kept."""
        while self.logs:
            popped = self.logs.pop()
            CONSULTED.mask |= popped.saved
            if popped is log:
                break

    def reset(self) -> None:
        """Between analysis roots (a root that failed may leave logs open)."""
        self.logs.clear()
        self.bodies = 0
        CONSULTED.mask = 0

    def release(self) -> None:
        """After the last root: the rules replay no call, so the table (and the memo of which
        values hold stamps) would only keep their values alive while the rules run (on the
        doubled connected corpus about 20 MB of the main process's peak)."""
        from dynolint.model.unseen import forget_stamps

        self.table.clear()
        forget_stamps()

    def cut(self) -> None:
        """A call was cut short by the statement budget, or saw a module still binding its
        names: no caller of it is summarised."""
        self.cuts += 1

    def cut_depth(self) -> None:
        """A call was cut by the depth limit: its callers' summaries hold at their depth."""
        if self.logs:
            self.logs[-1].depth_cut = True

    def cut_recursion(self, position: int) -> None:
        """A recursive call to the function at ``position`` on the call stack was cut: the
        summaries of the calls above that position hold (the recursion is inside them)."""
        if self.logs:
            log = self.logs[-1]
            log.reach = min(log.reach, position)

    def effect(self) -> None:
        self.effects += 1

    # -- the shared facts ------------------------------------------------------------------
    def ran(self, path: str) -> None:
        """Code of ``path`` runs (a frame opens in it)."""
        if self.logs:
            self.logs[-1].paths.add(path)
        if self.footprint.current is not None:
            self.footprint.paths.add(path)

    def touch(self, kind: int, key: object, value: object) -> None:
        """The running call looked at a shared fact (``value`` as it is now)."""
        self.footprint.read((kind, key))
        if self.logs:
            self.logs[-1].deps.setdefault((kind, key), value)

    def heap_get(self, key: tuple[object, str], default: Val | None = None) -> Val | None:
        value = self.interp.heap.get(key)
        self.footprint.read((HEAP, key))
        if self.logs:
            self.logs[-1].deps.setdefault((HEAP, key), value)
        return default if value is None else value

    def write(self, key: tuple[object, str], value: Val, merged: bool) -> None:
        """Store ``value`` on the heap (joined with what is there when ``merged``)."""
        from dynolint.model.values import one_of

        heap = self.interp.heap
        previous = heap.get(key)
        self.alloc_writes[key[0]] = self.alloc_writes.get(key[0], 0) + 1
        if merged:
            self.footprint.read((HEAP, key))
        if self.logs:
            log = self.logs[-1]
            log.deps.setdefault((HEAP, key), previous)
            log.writes.append((key, value, merged))
        # joined newest first: when the alternatives are capped, those an earlier root left on a
        # cell of the same allocation site go, not what this path just stored (a unit of work's
        # list of dirty items, appended to and committed in this root)
        new = value if previous is None or not merged else one_of((value, previous))
        if new is not previous and new != previous:  # (a write that changes nothing leaves the cell's writer)
            self.footprint.wrote((HEAP, key))
        heap[key] = new
        if previous is None:
            self.interp.heap_names.setdefault(key[0], set()).add(key[1])

    def current(self, dep: tuple[int, object]) -> object:
        kind, key = dep
        interp = self.interp
        if kind == HEAP:
            return interp.heap.get(key)  # type: ignore[call-overload]
        if kind == GLOBAL_VALUES:
            return tuple(interp.global_values.get(key, ()))  # type: ignore[call-overload]
        if kind == GLOBAL_ENTRIES:
            return tuple(interp.global_entries.get(key, ()))  # type: ignore[call-overload]
        return key in interp.truthy_values

    def marks(self) -> tuple[int, int, int]:
        """Counts of everything the rules look at: a call that changes none recorded no event.
        (Not the sequence numbers: a reused result's stamped work is stamped again.) The lists,
        sets and tables counted only grow, so their total is equal at two times exactly when
        each count is; the current root's own counts follow (the same root while ``roots``,
        counted in the total, has not grown)."""
        i = self.interp
        root = i.roots[-1] if i.roots else None
        return (len(i.reads) + len(i.writes) + len(i.data_calls) + len(i.mints) + len(i.global_stores)
                + len(i.tmp_writes) + len(i.invokes) + len(i.scoping_uses) + len(i.cleaned) + len(i.absence_sites)
                + len(i.source_facts) + len(i.problems) + len(i.cdk_functions) + len(i.cdk_tables)
                + len(i.cdk_invokers) + len(i.roots) + self.effects,
                len(root.tenant_sources) if root else 0, len(root.roles) if root else 0)


def _agrees(summary: Summary, path: tuple[object, ...]) -> bool:
    """Whether the path facts ``path`` (a ``State.path()``) agree with those ``summary`` was
    made at, on the ones its call consulted."""
    mask = summary.mask
    if not mask:
        return True
    entry = summary.entry
    if mask & READS:
        if path[0] is not entry[0] and path[0] != entry[0]:
            return False
    else:
        if mask & READS_ANY and bool(path[0]) != bool(entry[0]):
            return False
        if mask & SCANS and scan_ids(path[0]) != scan_ids(entry[0]):  # type: ignore[arg-type]
            return False
    for bit, index in _FACT_BITS:
        if mask & bit and path[index] is not entry[index] and path[index] != entry[index]:
            return False
    return True


_FACT_BITS = ((CLAIMS, 1), (ABSENT, 2), (FACTS, 3), (DECISIONS, 4), (ALIASES, 5))


def _first(item: tuple[str, Val]) -> str:
    return item[0]


__all__ = ["Context", "Summaries", "Summary", "HEAP", "GLOBAL_VALUES", "GLOBAL_ENTRIES", "TRUTHY"]
