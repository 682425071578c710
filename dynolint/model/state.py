"""Path state and call frames of the abstract interpreter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TypeVar, cast

from dynolint.phase1 import ir
from dynolint.model.events import Chain, Decision, ReadEvent, WriteEvent
from dynolint.model.values import Val, one_of

if TYPE_CHECKING:
    from dynolint.model.control import Steer

T = TypeVar("T")


class State:
    """What is known on one path at one point: the values of local variables (alternatives
    merged), the reads made so far (may), the guarded writes made on every path (must),
    the reads whose absence the path branched on (may), the authorization facts the path
    established (must; see dynolint.model.authz), the comparisons on read values that
    every path made (must; see dynolint.model.decisions), and the reads whose item's
    contents (not only its presence) a test on some path looked at (may), and the reads whose
    item a test showed is there, on every path (must: a miss branch does not reach here).
    ``absent`` says that a path checked whether the read found its item, whichever way it went."""

    __slots__ = ("env", "reads", "claims", "absent", "dead", "facts", "decisions", "examined", "present")

    def __init__(self, env: dict[str, Val], reads: tuple[ReadEvent, ...] = (),
                 claims: frozenset[WriteEvent] = frozenset(), absent: frozenset[int] = frozenset(),
                 dead: bool = False, facts: frozenset[str] = frozenset(),
                 decisions: tuple[Decision, ...] = (), examined: frozenset[int] = frozenset(),
                 present: frozenset[int] = frozenset()) -> None:
        self.env = env
        self.reads = reads
        self.claims = claims
        self.absent = absent
        self.dead = dead
        self.facts = facts
        self.decisions = decisions
        self.examined = examined
        self.present = present

    def copy(self) -> State:
        return State(dict(self.env), self.reads, self.claims, self.absent, self.dead, self.facts, self.decisions,
                     self.examined, self.present)

    def flow_from(self, other: State) -> None:
        """Take the path facts (not the variables) of ``other``."""
        (self.reads, self.claims, self.absent, self.dead, self.facts, self.decisions, self.examined,
         self.present) = (other.reads, other.claims, other.absent, other.dead, other.facts, other.decisions,
                          other.examined, other.present)

    def killed(self) -> State:
        return State(self.env, self.reads, self.claims, self.absent, True, self.facts, self.decisions, self.examined,
                     self.present)


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
        return State(dict(base.env), base.reads, base.claims, base.absent, True, base.facts, base.decisions,
                     base.examined, base.present)
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
    longest = max(live, key=lambda s: len(s.reads)).reads
    if all(state.reads is longest or longest[:len(state.reads)] == state.reads for state in live):
        ordered = longest  # each path's reads are a prefix of the longest (an if without new reads)
    else:
        reads: dict[int, ReadEvent] = {}
        for state in live:
            for read in state.reads:
                reads.setdefault(read.id, read)
        ordered = tuple(sorted(reads.values(), key=lambda r: r.seq))
    claims = live[0].claims
    absent = live[0].absent
    facts = live[0].facts
    decisions = live[0].decisions
    examined = live[0].examined
    present = live[0].present
    for state in live[1:]:
        claims = meet(claims, state.claims)
        absent = join(absent, state.absent)
        examined = join(examined, state.examined)
        present = meet(present, state.present)
        facts = meet(facts, state.facts)
        if state.decisions is not decisions:
            decisions = tuple(d for d in decisions if d in state.decisions)
    return State(env, ordered, claims, absent, False, facts, decisions, examined, present)


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
    # local names whose dict the body stored entries into (``item["id"] = v``), never rebound:
    # a parameter among them is the caller's dict, changed in place (model/calls.py)
    stored_into: set[str] = field(default_factory=set)
    rebound: set[str] = field(default_factory=set)  # local names assigned (``asset = dict(asset)``)


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
