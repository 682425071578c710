"""Path state and call frames of the abstract interpreter."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar, cast

from dynolint.phase1 import ir
from dynolint.model.events import Chain, Decision, ReadEvent, WriteEvent, scan_ids
from dynolint.model.values import Val, one_of

if TYPE_CHECKING:
    from dynolint.model.control import Steer

T = TypeVar("T")


# The path facts a call being summarised consults (model/summaries.py): each State property
# below sets its bit when read or assigned; the code that only carries the facts along
# (copies, merges, a callee's entry) uses the slots. A summary's key holds only the facts its
# call consulted; the others it leaves as they are.
READS_ANY = 1  # whether the path made any read (not which)
READS = 2
CLAIMS = 4
ABSENT = 8
FACTS = 16
DECISIONS = 32
SCANS = 64  # which of the path's reads list items (not the others)
# the caller's aliases of module state, which a nested function it calls inherits (not a fact
# the call changes: a call leaves its caller's aliases as they were)
ALIASES = 128

Entry = tuple[str, str, tuple[Val, ...]]  # module state: (module path, name, keys inside it)
Aliases = Mapping[str, Entry]
# the aliases of a path that has none (most): never changed in place, as no path's are (a
# new alias, or one dropped, makes a new mapping)
NO_ALIASES: Aliases = MappingProxyType({})


class Consulted(threading.local):
    """The bits of the path facts consulted since the innermost summarised call started (one
    per thread: the language server may interpret on two at once)."""

    def __init__(self) -> None:
        self.mask = 0


CONSULTED = Consulted()


class State:
    """What is known on one path at one point: the values of local variables (alternatives
    merged), the reads made so far (may), the guarded writes made on every path (must),
    the reads whose absence the path branched on (may), the authorization facts the path
    established (must; see dynolint.model.authz), the comparisons on read values that
    every path made (must; see dynolint.model.decisions), and the reads whose item's
    contents (not only its presence) a test on some path looked at (may), and the reads whose
    item a test showed is there, on every path (must: a miss branch does not reach here).
    ``absent`` says that a path checked whether the read found its item, whichever way it went.
    ``aliases`` are the local names that are other names of module state on this path
    (``seen = _SEEN``: model/module_state.py), by name; like ``env`` they belong to the frame
    (a callee's path starts with its own, ``flow_from`` does not carry them), and like the
    variables a merge joins them: a name that is an alias on one path is one after the join.

    The five path facts are read and assigned through properties that note it in
    ``CONSULTED`` (a summary depends on the facts its call consulted)."""

    __slots__ = ("env", "_reads", "_claims", "_absent", "dead", "_facts", "_decisions", "examined", "present",
                 "aliases")

    def __init__(self, env: dict[str, Val], reads: tuple[ReadEvent, ...] = (),
                 claims: frozenset[WriteEvent] = frozenset(), absent: frozenset[int] = frozenset(),
                 dead: bool = False, facts: frozenset[str] = frozenset(),
                 decisions: tuple[Decision, ...] = (), examined: frozenset[int] = frozenset(),
                 present: frozenset[int] = frozenset(), aliases: Aliases = NO_ALIASES) -> None:
        self.env = env
        self._reads = reads
        self._claims = claims
        self._absent = absent
        self.dead = dead
        self._facts = facts
        self._decisions = decisions
        self.examined = examined
        self.present = present
        self.aliases = aliases

    @property
    def has_reads(self) -> bool:
        CONSULTED.mask |= READS_ANY
        return bool(self._reads)

    @property
    def scan_ids(self) -> frozenset[int]:
        """The ids of the path's reads that list items (scans and queries)."""
        CONSULTED.mask |= SCANS
        return scan_ids(self._reads)

    @property
    def reads(self) -> tuple[ReadEvent, ...]:
        CONSULTED.mask |= READS
        return self._reads

    @reads.setter
    def reads(self, value: tuple[ReadEvent, ...]) -> None:
        CONSULTED.mask |= READS
        self._reads = value

    @property
    def claims(self) -> frozenset[WriteEvent]:
        CONSULTED.mask |= CLAIMS
        return self._claims

    @claims.setter
    def claims(self, value: frozenset[WriteEvent]) -> None:
        CONSULTED.mask |= CLAIMS
        self._claims = value

    @property
    def absent(self) -> frozenset[int]:
        CONSULTED.mask |= ABSENT
        return self._absent

    @absent.setter
    def absent(self, value: frozenset[int]) -> None:
        CONSULTED.mask |= ABSENT
        self._absent = value

    @property
    def facts(self) -> frozenset[str]:
        CONSULTED.mask |= FACTS
        return self._facts

    @facts.setter
    def facts(self, value: frozenset[str]) -> None:
        CONSULTED.mask |= FACTS
        self._facts = value

    @property
    def decisions(self) -> tuple[Decision, ...]:
        CONSULTED.mask |= DECISIONS
        return self._decisions

    @decisions.setter
    def decisions(self, value: tuple[Decision, ...]) -> None:
        CONSULTED.mask |= DECISIONS
        self._decisions = value

    def path(self) -> tuple[object, ...]:
        """The five path facts (reads, claims, absent, facts, decisions), not consulted, and
        the aliases (which a summary depends on when a nested function inherited them)."""
        return (self._reads, self._claims, self._absent, self._facts, self._decisions, self.aliases)

    def set_path(self, facts: tuple[object, ...], mask: int) -> None:
        """Put the path facts of ``facts`` (a ``path()``) whose bits are in ``mask`` on this state
        (not the aliases: a call leaves its caller's as they were)."""
        if mask & READS:
            self._reads = facts[0]  # type: ignore[assignment]
        if mask & CLAIMS:
            self._claims = facts[1]  # type: ignore[assignment]
        if mask & ABSENT:
            self._absent = facts[2]  # type: ignore[assignment]
        if mask & FACTS:
            self._facts = facts[3]  # type: ignore[assignment]
        if mask & DECISIONS:
            self._decisions = facts[4]  # type: ignore[assignment]

    def add_claims(self, won: frozenset[WriteEvent]) -> None:
        """The path won the claims ``won`` too (its claims consulted only when there are some)."""
        if won:
            self.claims = self._claims | won

    def take_claims(self, other: State) -> None:
        """Take the claims of ``other`` (consulted only when they are not already these)."""
        if self._claims is not other._claims:
            self.claims = other._claims

    def read_mark(self) -> tuple[ReadEvent, ...]:
        """The path's reads now, not consulted: to tell later which reads a call made."""
        return self._reads

    def reads_since(self, mark: tuple[ReadEvent, ...]) -> frozenset[int]:
        """The ids of the reads this path made since ``mark`` (:meth:`read_mark`), not
        consulted: what a call's own code read does not depend on its caller's path."""
        reads, count = self._reads, len(mark)
        if reads is mark:
            return frozenset()
        if len(reads) >= count and (not count or reads[count - 1] is mark[-1]):
            return frozenset(read.id for read in reads[count:])  # (appended since: the common case)
        before = {read.id for read in mark}
        return frozenset(read.id for read in reads if read.id not in before)

    def same_claims_decisions(self, other: State) -> bool:
        """Whether the two states hold equal claims and decisions. Not consulted: states
        whose facts no code consulted or changed hold the same objects (the answer is True
        whatever they are), and facts that differ were consulted where they changed."""
        return self._claims == other._claims and self._decisions == other._decisions

    def with_env(self, env: dict[str, Val], aliases: Aliases = NO_ALIASES) -> State:
        """A state on the same path (the facts carried, not consulted) with variables ``env``
        and aliases ``aliases`` (another frame's: a callee's on entry)."""
        return State(env, self._reads, self._claims, self._absent, False, self._facts, self._decisions,
                     self.examined, self.present, aliases)

    def copy(self) -> State:
        return State(dict(self.env), self._reads, self._claims, self._absent, self.dead, self._facts, self._decisions,
                     self.examined, self.present, self.aliases)

    def alias(self, name: str, entry: Entry) -> None:
        """``name`` is another name of the module state ``entry`` on this path from here on."""
        self.aliases = {**self.aliases, name: entry}

    def unalias(self, name: str) -> None:
        """``name`` is bound again on this path: no longer an alias (when it was one)."""
        if name in self.aliases:
            self.aliases = {key: entry for key, entry in self.aliases.items() if key != name} or NO_ALIASES

    def flow_from(self, other: State) -> None:
        """Take the path facts (not the variables, nor the aliases) of ``other``."""
        (self._reads, self._claims, self._absent, self.dead, self._facts, self._decisions, self.examined,
         self.present) = (other._reads, other._claims, other._absent, other.dead, other._facts, other._decisions,
                          other.examined, other.present)

    def killed(self) -> State:
        return State(self.env, self._reads, self._claims, self._absent, True, self._facts, self._decisions,
                     self.examined, self.present, self.aliases)


_MISSING = object()
EMPTY: frozenset[Any] = frozenset()  # the one empty set the path facts share


# The path facts are sets joined at every merge and test; ``a | b`` and ``a & b`` make a new
# set object even when the result is empty or one of the two (216 bytes each, kept by every
# event and summary that records the facts): these return an operand, or EMPTY, instead.
def join(a: frozenset[T], b: frozenset[T] | set[T]) -> frozenset[T]:
    if not b or a is b:
        return a
    if not a and type(b) is frozenset:
        return b
    return a | b


def meet(a: frozenset[T], b: frozenset[T]) -> frozenset[T]:
    if a is b:
        return a
    if not a or not b:
        return EMPTY
    return (a & b) or EMPTY


def minus(a: frozenset[T], b: frozenset[T]) -> frozenset[T]:
    if not a or not b:
        return a
    return (a - b) or EMPTY


def merge(states: list[State]) -> State:
    """Join states at a control-flow merge point; dead paths contribute nothing."""
    live = [s for s in states if not s.dead]
    if not live:
        base = states[0] if states else State({})
        return State(dict(base.env), base._reads, base._claims, base._absent, True, base._facts, base._decisions,
                     base.examined, base.present, base.aliases)
    if len(live) == 1:
        return live[0].copy()
    env = dict(live[0].env)
    merged: dict[str, list[Val]] = {}  # names whose values differ between the paths
    for state in live[1:]:
        for name, value in state.env.items():
            current = env.get(name, _MISSING)
            if current is value:  # the common case: a variable no branch assigned
                continue
            if current is _MISSING:
                env[name] = value
            elif name in merged:
                merged[name].append(value)
            elif current != value:
                merged[name] = [cast(Val, current), value]  # not _MISSING: a value of env
    for name, values in merged.items():
        env[name] = one_of(values)
    longest = max(live, key=lambda s: len(s._reads))._reads
    if all(state._reads is longest or longest[:len(state._reads)] == state._reads for state in live):
        ordered = longest  # each path's reads are a prefix of the longest (an if without new reads)
    else:
        reads: dict[int, ReadEvent] = {}
        for state in live:
            for read in state._reads:
                reads.setdefault(read.id, read)
        ordered = tuple(sorted(reads.values(), key=lambda r: r.seq))
    claims = live[0]._claims
    absent = live[0]._absent
    facts = live[0]._facts
    decisions = live[0]._decisions
    examined = live[0].examined
    present = live[0].present
    for index, state in enumerate(live[1:], 1):
        claims = meet(claims, state._claims)
        absent = join(absent, state._absent)
        examined = join(examined, state.examined)
        if present != state.present:  # (the reads of the paths met so far, and of this one)
            present = _meet_present(present, state.present, {read.id for merged in live[:index] for read in merged._reads},
                                    {read.id for read in state._reads})
        facts = meet(facts, state._facts)
        if state._decisions is not decisions:
            decisions = tuple(d for d in decisions if d in state._decisions)
    return State(env, ordered, claims, absent, False, facts, decisions, examined, present, joined_aliases(live))


def _meet_present(left: frozenset[int], right: frozenset[int], left_reads: set[int],
                  right_reads: set[int]) -> frozenset[int]:
    """The items shown there on both sides of a merge; one side's item is there on the other
    side too when that side never read it (``self.repo.require(id)`` with a receiver that is
    the project's repository or something unknown: only the first path made the read, and on it
    the item is there)."""
    return (left & right) | (left - right - right_reads) | (right - left - left_reads)


def joined_aliases(live: list[State]) -> Aliases:
    """The aliases after a merge of the paths ``live``: each name that is an alias on some path
    (of the module state the first such path names). A store through it after the join is a
    store into module state on that path, as one into a global under an ``if`` is."""
    aliases = live[0].aliases
    for state in live[1:]:
        other = state.aliases
        if other is aliases or not other:
            continue
        if not aliases:
            aliases = other
            continue
        added = {name: entry for name, entry in other.items() if name not in aliases}
        if added:
            aliases = {**aliases, **added}
    return aliases


@dataclass(slots=True)
class LoopCtx:
    breaks: list[State] = field(default_factory=list)
    continues: list[State] = field(default_factory=list)


@dataclass(slots=True)
class Frame:
    """One function invocation (or a module or class body) being interpreted."""

    path: str
    qualname: str
    function: ir.Function | None
    locals: frozenset[str]
    declared_global: frozenset[str]
    closure: dict[str, Val] | None
    chain: Chain
    depth: int
    info: int  # index of the FrameInfo
    root: int
    self_val: Val | None = None
    cls: ir.Class | None = None
    is_module: bool = False
    returns: list[Val] = field(default_factory=list)
    return_states: list[State] = field(default_factory=list)
    return_sites: list[int] = field(default_factory=list)
    # a ``return`` of a test, by its index in ``returns``: its (True, False) options (model/verdicts.py)
    return_tests: dict[int, tuple[tuple[Val, Any], tuple[Val, Any]]] = field(default_factory=dict)
    yields: list[Val] = field(default_factory=list)  # what a generator yielded
    # a generator run as a context manager: what its ``yield`` does (runs the with body)
    on_yield: Callable[[Val, State], None] | None = None
    loops: list[LoopCtx] = field(default_factory=list)
    removed_paths: list[Val] = field(default_factory=list)
    # the tests on scan or query results that steer the statement running (model/control.py)
    steers: frozenset[Steer] = frozenset()
    # the names it declares ``nonlocal``: the enclosing function's variables (not the module's)
    nonlocals: frozenset[str] = frozenset()
    closure_id: int = -1  # the index of the closure it runs in (``FuncV.closure``)
    # local names whose dict the body stored entries into (``item["id"] = v``), never rebound:
    # a parameter among them is the caller's dict, changed in place (model/calls.py)
    stored_into: set[str] = field(default_factory=set)
    rebound: set[str] = field(default_factory=set)  # local names assigned (``asset = dict(asset)``)
    # local names holding the outcome of an authorization test: its facts when true, when false (model/authz.py)
    flag_facts: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    # local names that are other names of module state on entry (passed, inherited, a shared
    # default: model/module_state.py); the body's path carries them on (State.aliases)
    entry_aliases: dict[str, Entry] = field(default_factory=dict)
    # the arguments the caller passed: what it computed arithmetic on in them (``version + 1``
    # in an item given beside ``version``) was not None, or Python would have raised
    passed_values: tuple[Val, ...] = ()


def advances(value: Val, previous: Val, on_path: Val | None) -> bool:
    """Whether storing ``value`` into a global advances the state it carried in from earlier
    invocations (``COUNT += 1``, ``SEEN = SEEN + [x]``): computed from ``previous``, and not
    from a constant this invocation set first (``COUNT = 0`` then ``COUNT += 1``)."""
    from dynolint.model.values import ArithV, ConstV, alts

    base = on_path
    for _ in range(64):
        if not isinstance(base, ArithV):
            break
        base = base.left
    if isinstance(base, ConstV):
        return False
    return any(isinstance(alt, ArithV) and previous in (alt.left, alt.right) for alt in alts(value))


def nonlocal_names(function: ir.Function | None) -> frozenset[str]:
    """The names ``function`` declares ``nonlocal``. Phase 1 keeps them with the ``global`` ones
    in ``declared_global`` (neither is a local); they name the enclosing function's variables."""
    if function is None or not function.declared_global:
        return frozenset()
    found: set[str] = set()
    blocks: list[tuple[ir.Stmt, ...]] = [function.body]
    while blocks:
        for stmt in blocks.pop():
            if type(stmt) is ir.Declare:
                if stmt.kind == "nonlocal":
                    found.update(stmt.names)
            elif type(stmt) is ir.If or type(stmt) is ir.Loop:
                blocks.extend((stmt.body, stmt.orelse))
            elif type(stmt) is ir.Try:
                blocks.extend((stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)))
            elif type(stmt) is ir.With:
                blocks.append(stmt.body)
    return frozenset(found)
