"""What a helper's answer says about the item: return-value correlation.

A helper that looks at an item and answers (``def verdict(item): if item["status"] ==
"WAITING": return "ready"; return "skip"``, ``def can_start(item): return item["status"]
== "WAITING"``) makes its decision on paths the interpreter merges when the call returns:
the decisions common to every return survive (none, here), and the caller's ``if
verdict(item) == "ready":`` tests a constant that carries no read. The decision is lost, so
a write's condition is not held against it (class 8) and a fix cannot pin it.

Here each return of an inlined call is kept as an *option*: the value returned (a constant
when it is one) with the decisions of the path that returned it, and a ``return`` of a test
(``return item["status"] == "WAITING"``) as two options, ``True`` with the test's decisions
on its true side and ``False`` with those of its false side. When the caller branches on the
answer (``==``, ``!=``, ``is``, ``in`` a constant, or its truth), each side of the branch
takes the decisions common to the options that side can have come from (an option whose
value the model does not know can be either). Only decisions are carried: they are
recorded facts about reads of the caller's path, which is the path the helper ran on.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING, Callable, ContextManager, NamedTuple

from dynolint.phase1 import ir
from dynolint.model.decisions import branch_decisions
from dynolint.model.events import Decision, ReadEvent, WriteEvent
from dynolint.model.presence import combined, comparison_with_none, none_test
from dynolint.model.values import UNKNOWN, AttrV, ConstV, OpaqueV, ReadItemV, SeqV, Val, alts, one_of
from dynolint.model.values_aws import SDK_OBJECTS

if TYPE_CHECKING:
    from dynolint.model.state import Frame, State



class Facts(NamedTuple):
    """What a path that gave an answer knew: its decisions, and the claims it won; an option
    of a call's answer also the reads the call made on that path (``reads``), and the side
    of a branch the reads that only answers it cannot have come from made (``excluded``: a
    helper that returns None before it reads and the item after, tested ``if item:``)."""

    decisions: tuple[Decision, ...]
    claims: frozenset[WriteEvent]
    reads: frozenset[int] = frozenset()
    excluded: frozenset[int] = frozenset()
    present: frozenset[int] = frozenset()  # the reads whose item the path showed is there
    truthy: bool = False  # the answer is true in a test (``a`` of ``a or b``: the value only when true)


NOTHING = Facts((), frozenset())
Option = tuple[Val, Facts]  # a value the call may return (a flag may hold), the facts of its path
Options = tuple[Option, ...]


def facts_of(state: State, mark: tuple[ReadEvent, ...] | None = None) -> Facts:
    """The facts of ``state``'s path (with the reads it made since ``mark``, when given)."""
    if mark is None:
        return Facts(state.decisions, frozenset(state.claims))
    return Facts(state.decisions, frozenset(state.claims), state.reads_since(mark), present=state.present)
TRUE, FALSE = ConstV(True), ConstV(False)
TESTS = (ir.Compare, ir.BoolOp)


def is_test(expr: ir.Expr) -> bool:
    """Is ``expr`` a test whose truth a ``return`` hands back (a comparison, ``and``/``or``/
    ``not`` of comparisons)?"""
    if isinstance(expr, ir.UnaryOp) and expr.op == "not":
        return is_test(expr.operand)
    if isinstance(expr, ir.BoolOp):
        return is_test(expr.left) and is_test(expr.right)
    return isinstance(expr, ir.Compare) and len(expr.ops) == 1


def eval_returned_test(evaluate: Callable[[ir.Expr], Val], expr: ir.Expr, path: str,
                       captured: dict[int, object],
                       assuming: Callable[[ir.Expr, bool], ContextManager[None]] = lambda test, truth: nullcontext()
                       ) -> Val:
    """The value of a test made of comparisons, evaluated as the interpreter's ``eval`` does
    (the same values; the right operand of ``and``/``or`` where ``assuming`` narrows the names
    the left one tested), with each comparison's operands put in ``captured``."""
    if isinstance(expr, ir.UnaryOp):
        return OpaqueV((path, -1), (eval_returned_test(evaluate, expr.operand, path, captured, assuming),))
    if isinstance(expr, ir.BoolOp):
        left = eval_returned_test(evaluate, expr.left, path, captured, assuming)
        with assuming(expr.left, expr.op == "and"):
            right = eval_returned_test(evaluate, expr.right, path, captured, assuming)
        return combined(expr.op, left, right) or one_of((left, right))
    assert isinstance(expr, ir.Compare)
    left, right = evaluate(expr.left), evaluate(expr.comparators[0])
    captured[id(expr)] = (left, right)
    if (op := none_test(expr)) is not None:
        return comparison_with_none(op, left)  # a presence test (model/presence.py)
    return OpaqueV((path, -2), (left, right))


def test_options(expr: ir.Expr, captured: dict[int, object], site: tuple[str, int], state: State,
                 reads_of: Callable[[Val], object]) -> tuple[Option, Option] | None:
    """A returned test's two options, or None when it decides nothing about a read."""
    when_true, when_false = branch_decisions(expr, captured, site, reads_of)
    if not when_true and not when_false:
        return None
    claims = frozenset(state.claims)
    return (TRUE, Facts(state.decisions + when_true, claims)), (FALSE, Facts(state.decisions + when_false, claims))


def returned_options(frame: Frame, fell_off: State, mark: tuple[ReadEvent, ...] | None = None) -> Options | None:
    """The options of a call whose body ran in ``frame`` from a path whose reads were
    ``mark`` and ended (where it did not return) in ``fell_off``; None when every option
    decided and read the same (the merge keeps all of it)."""
    if not frame.return_tests:
        states = frame.return_states + ([] if fell_off.dead else [fell_off])
        made = [state.reads_since(mark) for state in states] if mark is not None else []
        if all(state.same_claims_decisions(states[0]) for state in states[1:]) and all(m == made[0] for m in made):
            return None  # every path knew the same (decided without consulting what: model/summaries.py)
    options: list[Option] = []
    for index, (value, state) in enumerate(zip(frame.returns, frame.return_states)):
        split = frame.return_tests.get(index)
        if split is not None:
            options.extend(split)
        else:
            options.append((value, facts_of(state, mark)))
    if not fell_off.dead:
        options.append((ConstV(None), facts_of(fell_off, mark)))
    return _distinct(options)


def or_options(left: Val, right: Options, state: State) -> Options:
    """The options of ``left or right()`` where the call's answer has options: ``left`` when
    it is true (the call does not run: none of its reads), else each answer of the call."""
    return ((left, Facts(state.decisions, frozenset(state.claims), truthy=True)),) + right


def merged_options(states: list[State], name: str) -> Options | None:
    """The options of a variable the paths ``states`` merge gave different constants
    (``won = True`` in a ``try``, ``won = False`` in its ``except``): each value with the facts
    of its path; None unless the paths knew different things."""
    values = [state.env.get(name) for state in states]
    if any(not isinstance(v, ConstV) for v in values):
        return None
    return _distinct([(v, facts_of(s)) for v, s in zip(values, states) if v is not None])


def element_options(options: Options, pick: Callable[[Val], Val | None]) -> Options | None:
    """The options of a part of an answer unpacked (``state, task_id, _ = verdict(item)``):
    the part ``pick`` takes of each value returned, with its path's facts (a value it takes
    nothing of: one the model does not know)."""
    return _distinct([(found if (found := pick(value)) is not None else UNKNOWN, facts) for value, facts in options])


def _distinct(options: list[Option]) -> Options | None:
    if len(options) < 2 or len({o[1] for o in options}) < 2 or len({o[0] for o in options}) < 2:
        return None  # every path knew the same, or answers the same
    return tuple(options)


def _known(value: Val) -> object:
    """The Python value of a constant, or ``_known`` itself when the model does not know it."""
    return value.value if isinstance(value, ConstV) else _known


def _truth(option: Option, always_true: Callable[[Val], bool] | None = None) -> bool | None:
    """Is the answer true in a test (None: not known)? A constant as Python says; an item its
    path showed is there is true (a found item holds at least its key attributes), and so is
    what ``always_true`` says is (an instance of a class with no ``__bool__`` or ``__len__``)."""
    value, facts = option
    if facts.truthy or isinstance(value, ReadItemV) and value.read in facts.present:
        return True
    known = _known(value)
    if known is _known:
        return True if always_true is not None and always_true(value) else None
    return bool(known)


def _holds(option: Val, op: str, other: Val) -> bool | None:
    """Does ``option <op> other`` hold (None: not known)?"""
    mine = _known(option)
    if mine is _known:
        return None
    if op in ("in", "not in"):
        if not isinstance(other, SeqV):
            return None
        members = [_known(e) for e in other.elts]
        if _known in members:
            return None
        return (mine in members) == (op == "in")
    theirs = [_known(alt) for alt in alts(other)]
    if not theirs or _known in theirs or len(theirs) > 1:
        return None
    if op in ("==", "is"):
        return mine == theirs[0]
    if op in ("!=", "is not"):
        return mine != theirs[0]
    return None


def _common(chosen: list[Facts]) -> Facts:
    first, rest = chosen[0], [set(c.decisions) for c in chosen[1:]]
    return Facts(tuple(d for d in first.decisions if all(d in r for r in rest)),
                 frozenset.intersection(*[c.claims for c in chosen]))


class _Side:
    def __init__(self, captured: dict[int, object], options_of: Callable[[Val], Options | None],
                 always_true: Callable[[Val], bool] | None = None) -> None:
        self.captured = captured
        self.options_of = options_of
        self.always_true = always_true

    def leaf(self, expr: ir.Expr, truth: bool) -> Facts:
        value = self.captured.get(id(expr))
        if isinstance(expr, ir.Compare) and isinstance(value, tuple):
            left, right = value
            op = expr.ops[0]
            options, other = self.options_of(left), right
            if options is None:
                options, other = self.options_of(right), left
                if op in ("in", "not in"):
                    return NOTHING
            if options is None:
                return NOTHING
            chosen = [o[1] for o in options if _holds(o[0], op, other) in (truth, None)]
        elif isinstance(value, Val):
            options = self.options_of(value)
            if options is None:
                return NOTHING
            chosen = [o[1] for o in options if _truth(o, self.always_true) in (truth, None)]
        else:
            return NOTHING
        if not chosen:
            return NOTHING
        # the reads only the answers this side cannot have come from made
        excluded = frozenset().union(*(o[1].reads for o in options)) - frozenset().union(*(c.reads for c in chosen))
        return _common(chosen)._replace(excluded=excluded)

    def decide(self, expr: ir.Expr, truth: bool) -> Facts:
        if isinstance(expr, ir.UnaryOp) and expr.op == "not":
            return self.decide(expr.operand, not truth)
        if isinstance(expr, ir.BoolOp):
            left, right = self.decide(expr.left, truth), self.decide(expr.right, truth)
            if (expr.op == "and") == truth:  # both operands hold their truth on this side
                return Facts(left.decisions + tuple(d for d in right.decisions if d not in left.decisions),
                             left.claims | right.claims, excluded=left.excluded | right.excluded)
            return Facts(tuple(d for d in left.decisions if d in right.decisions), left.claims & right.claims,
                         excluded=left.excluded & right.excluded)
        return self.leaf(expr, truth)


def branch_verdicts(test: ir.Expr, captured: dict[int, object], options_of: Callable[[Val], Options | None],
                    always_true: Callable[[Val], bool] | None = None) -> tuple[Facts, Facts]:
    """The facts (decisions, claims won, reads it cannot have made) the answers tested by
    ``test`` carry to its true and false sides."""
    side = _Side(captured, options_of, always_true)
    return side.decide(test, True), side.decide(test, False)


def won_on_each(options: list[Val], outs: list[State], before: frozenset[WriteEvent]) -> frozenset[WriteEvent]:
    """The claims one conditional write won on every SDK object it may have been made on (the
    tenant's table or the role's, or a table given to a constructor, ``self._table or
    current_table()``): the path after the call has won it, whichever it was, and a later
    write on either finds the claim made on it. An object the model could not resolve (a
    session taken from a cache it cannot read) that made no write event does not take the
    claim away."""
    known = [out for alt, out in zip(options, outs)
             if not out.dead and (type(alt) is AttrV and type(alt.base) in SDK_OBJECTS
                                  or out.claims is not before and out.claims - before)]
    if not known or any(out.claims is before for out in known):
        return frozenset()
    new = [out.claims - before for out in known]
    common = set.intersection(*({claim.loc for claim in won} for won in new))
    return frozenset(claim for won in new for claim in won if claim.loc in common)
