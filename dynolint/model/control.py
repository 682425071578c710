"""Control dependence on what a scan or query returned.

A value can depend on the items a scan returned without being computed from them: the first
free number (``i = 1`` / ``while str(i) in ids: i += 1``) is chosen by a loop whose test looks
at the items, and its value carries none of them. The interpreter notes such choices here:
a branch, loop or comprehension filter whose test derives from a scan or query (a read of
no single key) on the path *steers* what its body assigns and returns, and that value is
marked with the steering reads.

A mark is kept on the value object, not on the value: the body's value is replaced by a twin
(a copy, equal to it and hashing alike), so the mark follows this binding of it and not every
equal value elsewhere (``1`` or a request field assigned in some unrelated branch). Only the
questions that ask for control dependence (model/allocation.py) read the marks; taint
(model/keys.py) stays data dependence.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Iterable

from dynolint.phase1 import ir
from dynolint.model import narrowing, verdicts
from dynolint.model.decisions import Polarity, branch_decisions, expression_decisions, paging_test
from dynolint.model.events import SCAN_OPS, Decision, ReadEvent, lists_items  # (re-exported)
from dynolint.model.state import join
from dynolint.model.key_schema import keyish_names
from dynolint.model.mixin import Mixin
from dynolint.model.steering import MAX_MARKS, ControlMarks, Steer  # noqa: F401 (re-exported)
from dynolint.model.literals import typed_constant
from dynolint.model.presence import defaulted_reads, presence
from dynolint.model.values import (
    NONE, UNKNOWN, CallV, ConstV, DictV, InstanceV, Loc, OneOf, PynInstanceV, ReadItemV, ReadV, SeqV, SubV, Val, alts, const_str,
    one_of,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

class ControlMixin(Mixin):
    """The interpreter's side: which tests steer, and marking what steered bodies bind."""

    def steering(self: Machine, values: Iterable[object], site: Loc, state: State,
                 tested: Iterable[int] = ()) -> frozenset[Steer]:
        """The scans and queries on the path that a test's values (``Val`` or tuples of them)
        derive from, by data or by an earlier steered choice; ``tested``: reads whose
        presence the test checks."""
        scans = state.scan_ids
        if not scans:
            return frozenset()
        found: set[int] = set(tested) & scans
        inherited: set[Steer] = set()
        for value in values:
            for part in value if isinstance(value, tuple) else (value,):
                if isinstance(part, Val):
                    found |= self.taint(part).read_ids() & scans
                    inherited |= {s for s in self.control.within(part) if s.read in scans}
        return frozenset(Steer(read, site) for read in found) | frozenset(inherited)

    def examine(self: Machine, tests: Iterable[Val], state: State, site: Loc) -> None:
        """A test made in an expression (a comprehension's filter, a conditional expression, a
        while loop's test, at ``site``) looked at the items its values derive from: the path
        examined them (``State.examined``; ``if`` statements say so with their decisions), and
        what it chose (an element, a value, how often a body ran) depends on them. It is kept as
        a decision that names no comparison (``model/decisions.py``): a fix cannot drop it by
        making the write atomic, and a guard pins what it looked at."""
        for test in tests:
            if paging_test(test):
                continue
            found = self.taint(test).read_ids()
            if not found:
                continue
            if found - state.examined:
                state.examined = state.examined | found
            if site[1] >= 0:
                decided = tuple(d for d in expression_decisions(test, found, site) if d not in state.decisions)
                if decided:
                    state.decisions = state.decisions + decided

    def keyed_filters(self: Machine, decided: Iterable[Decision]) -> dict[int, dict[str, Val]]:
        """The scans and queries that equality tests in ``decided`` filter by their items' key
        (``if item["sku"] == sku:``): read id -> the key attributes and what each equals. The
        key is the attributes the test pins when they are the table's key (config or IaC),
        else one attribute (a table keyed by it alone), compared with a value the code has, or
        whose name says it is a key: a row's attribute compared with a constant is its state."""
        pinned: dict[int, dict[str, Val]] = {}
        for decision in decided:
            if decision.attribute is not None and decision.op == "==" and decision.other is not None \
                    and decision.read < len(self.reads):
                value = decision.other
                if decision.type_tag is not None:  # low-level: ``e["sku"]["S"] == w["sku"]["S"]``
                    inner = value.base if isinstance(value, SubV) and const_str(value.index) == decision.type_tag \
                        else None
                    value = inner if inner is not None else DictV(((ConstV(decision.type_tag), value),))
                pinned.setdefault(decision.read, {}).setdefault(decision.attribute, value)
        keyed: dict[int, dict[str, Val]] = {}
        for read_id, attributes in pinned.items():
            scan = self.reads[read_id]
            if not lists_items(scan):
                continue
            # every row of a query has the values its key condition sets equal (its partition):
            # a row compared by its sort key is searched by its whole key
            full = {**dict(scan.equal), **attributes}
            facts = self.project.table_facts(scan.table)
            if facts is not None and facts.partition_key:
                names = [n for n in (facts.partition_key, facts.sort_key) if n]
                if not all(n in full for n in names):
                    continue
            elif len(attributes) == 1 and (keyish_names(attributes) or not typed_constant(next(iter(attributes.values())))):
                # (``if row["state"] == "open":`` is no search by key)
                names = [*(n for n, _ in scan.equal if n not in attributes), *attributes]
            else:
                continue
            keyed[read_id] = {n: full[n] for n in names}
        return keyed

    def examined_by(self: Machine, decided_true: tuple[Decision, ...], decided_false: tuple[Decision, ...],
                    state: State) -> set[int]:
        """The reads whose items a branch test looked into, whichever way it goes: not one it
        only searched by key (``if p["id"] == wanted:`` finds the item, ``if found_id == "":``
        asks whether the search found it); they decide nothing on what the item holds."""
        keyed = self.keyed_filters(decided_true)
        examined: set[int] = set()
        for d in decided_true + decided_false:
            looked = (d.attribute,) if d.attribute is not None else () if d.whole else d.looked_at
            if not looked or not set(looked) <= self._key_names(d.read, keyed, state):
                examined.add(d.read)
        return examined

    def _key_names(self: Machine, read_id: int, keyed: dict[int, dict[str, Val]], state: State) -> set[str]:
        """The key attributes of ``read_id``'s items as the path knows them: the table's
        schema, a key it searched the listing by in this test or earlier on the path."""
        names = set(keyed.get(read_id, ()))
        if read_id < len(self.reads):
            facts = self.project.table_facts(self.reads[read_id].table)
            if facts is not None and facts.partition_key:
                names |= {n for n in (facts.partition_key, facts.sort_key) if n}
        for read in state.reads:
            if read.of == read_id and isinstance(read.key, DictV):
                names |= {n for n in (const_str(k) for k, _ in read.key.items) if n is not None}
        return names

    def filter_reads(self: Machine, decided: Iterable[Decision], state: State, frame: Frame) -> frozenset[int]:
        """A scan or query filtered by equality on its items' key (``if item["sku"] == sku:``,
        ``next(e for e in items if e["sku"] == wanted["sku"])``) read the item of that key, or
        its absence: on the side where the test holds, the path has read it. The read is the
        scan's, made then (see ``keyed_filters``). Returns the ids of the reads made."""
        made: set[int] = set()
        for read_id, attributes in self.keyed_filters(decided).items():
            scan = self.reads[read_id]
            key = DictV(tuple((ConstV(n), v) for n, v in attributes.items()))
            if any(r.key == key and r.seq == scan.seq for r in state.reads):
                continue  # the same filter again (a loop's second pass)
            read = ReadEvent(len(self.reads), scan.loc, f"{scan.op} filtered", scan.table, key, frame.chain,
                             scan.seq, frame.info, scan.consistent, scan.id)
            self.reads.append(read)
            state.reads = state.reads + (read,)
            made.add(read.id)
        return frozenset(made)

    def searched(self: Machine, reads: frozenset[int], state: State, stmt: ir.If, frame: Frame) -> frozenset[int]:
        """The rows of a listing searched for by key (``reads``): their presence was tested on
        ``state``'s path."""
        state.absent = join(state.absent, reads)
        for read in reads:
            self.absence_sites.setdefault(read, (frame.path, stmt.site))
        return reads

    def eval_filter(self: Machine, condition: ir.Expr, site: Loc, state: State, frame: Frame) -> Val:
        """A comprehension's filter, evaluated once as a branch test is: the scans it pins by
        equality are read (``filter_reads``); its value is what its leaves evaluated to."""
        captured: dict[int, object] = {}
        self.eval_test(condition, state, frame, captured)
        self.owner_checks(condition, captured, site, frame)  # (``[t for t in rows if t["org"] == org]``)
        if state.has_reads:
            decided, _ = branch_decisions(condition, captured, site,
                                          lambda value: self.taint(value).read_ids())
            if decided:
                self.filter_reads(decided, state, frame)
                self.keep_element_decisions(decided, state)
        leaves = [v for leaf in captured.values() for v in (leaf if isinstance(leaf, tuple) else (leaf,))]
        return one_of([v for v in leaves if isinstance(v, Val)]) if leaves else UNKNOWN

    def keep_element_decisions(self: Machine, decided: Iterable[Decision], state: State) -> None:
        """A filter's comparisons on the items of a scan or query (``[j for j in jobs if
        j["status"] == "NOT_STARTED"]``, ``next(j for j in jobs if ...)``) hold for every
        element it keeps: the path goes on with an item that passed them, as it does after
        ``for j in jobs: if j["status"] == ...:``, so they are decisions a write of that item
        must keep in its condition; so are its tests of an attribute's presence or truth
        (``"paid_at" not in t``), as an ``if`` keeps them. A filter over the parts of one item
        (``[t for t in item["tags"] if t["k"] == k]``) compares the parts, not the item's
        attributes: not kept."""
        kept = tuple(d for d in decided if (d.attribute is not None or d.looked_at and not d.whole)
                     and d.read < len(self.reads) and lists_items(self.reads[d.read]) and d not in state.decisions)
        if kept:
            state.decisions = state.decisions + kept

    def filtered(self: Machine, element: Val, tests: list[Val], site: Loc, state: State) -> Val:
        """A comprehension's element, marked when its filter (``tests``) steers which there are."""
        if tests:
            self.examine(tests, state, site)
        steers = self.steering(tests, site, state) if tests and state.has_reads else frozenset()
        return self.control.chosen(element, steers) if steers else element

    def steered(self: Machine, value: Val, frame: Frame) -> Val:
        """What a statement of ``frame`` binds or returns: marked when a test steers it (the
        twin keeps what the value carries: a helper's answer its options, an element of a list
        built under a test its path's decisions)."""
        if not frame.steers:
            return value
        twin = self.control.chosen(value, frame.steers)
        if twin is value:
            return twin
        options = self.verdict_options(value)
        if options is not None:
            self.verdicts[id(twin)] = (twin, options)
        before, after = list(alts(value)), list(alts(twin))
        if len(before) == len(after):
            for old, new in zip(before, after):
                found = self.carried.get(id(old))
                if found is not None and found[0] is old:
                    self.carried[id(new)] = (new, found[1])
        return twin


    def eval_test(self: Machine, test: ir.Expr, state: State, frame: Frame,
                  captured: dict[int, object] | None = None, polarity: Polarity | None = None) -> frozenset[int]:
        """Evaluate a branch condition (once, with its effects) and return the reads whose
        item's presence it checks: truthiness, ``is None``, ``"Item" in resp``, ``len()``.
        ``captured`` receives the value of each leaf (a comparison's two operands), and
        ``polarity`` each presence test's reads and whether the leaf holding means the item is
        there (see :func:`dynolint.model.decisions.present_when`)."""
        found: set[int] = set()
        captured = {} if captured is None else captured
        polarity = {} if polarity is None else polarity

        def item_reads(value: Val) -> set[int]:
            """The reads whose item ``value`` is, or is projected from."""
            reads: set[int] = set()
            for alt in alts(value):
                if isinstance(alt, (ReadItemV, ReadV)) or (isinstance(alt, PynInstanceV) and alt.read >= 0):
                    reads.add(alt.read)
                elif isinstance(alt, SubV) or isinstance(alt, CallV) and alt.fn == "get":
                    # a value projected from the item, tested for presence
                    reads.update(self.taint(alt).read_ids())
                elif type(alt) is SeqV and alt.kind == "items" and len(alt.elts) == 1 \
                        and type(alt.elts[0]) is ReadItemV and alt.elts[0].read >= 0 \
                        and self.reads[alt.elts[0].read].key is not None:
                    reads.add(alt.elts[0].read)  # a query of one item by its key: none where it is missing
                elif type(alt) is InstanceV:
                    # an object made from the item (``Verdict.from_item(item) if item else None``,
                    # a repository's domain object or None): what its attributes were read from
                    reads.update(self.held_reads(alt))
            return reads

        def mark(value: Val, leaf: ir.Expr, there: bool = True) -> None:
            """``there``: the leaf holding says the value, so the item, is there."""
            reads = item_reads(value)
            if not reads:  # a presence test kept as a value: a flag, a helper's answer
                tested, holds = presence(value, item_reads)
                if tested:
                    found.update(tested)
                    if holds is not None:
                        polarity[id(leaf)] = (tested, holds if there else not holds)
                return
            found.update(reads)
            polarity[id(leaf)] = (frozenset(reads), there)

        def walk(expr: ir.Expr) -> None:
            if isinstance(expr, ir.BoolOp):
                walk(expr.left)
                # the right operand runs only where the left one decided (``x and x["s"] == ...``)
                with narrowing.assuming(state.env, expr.left, expr.op == "and"):
                    walk(expr.right)
            elif isinstance(expr, ir.UnaryOp) and expr.op == "not":
                walk(expr.operand)
            elif isinstance(expr, ir.Compare) and len(expr.ops) == 1:
                op, right_expr = expr.ops[0], expr.comparators[0]
                left = self.eval(expr.left, state, frame)
                right = self.eval(right_expr, state, frame)
                captured[id(expr)] = (left, right)
                if op in ("is", "is not", "==", "!=") and isinstance(right_expr, ir.Const) and right_expr.value is None:
                    mark(left, expr, op in ("is not", "!="))
                elif op in ("in", "not in") and isinstance(expr.left, ir.Const):
                    mark(right, expr, op == "in")
                elif op in ("<", "<=", ">", ">="):
                    # ``item.get("ttl", 0) > now`` of ``item = resp.get("Item", {})``: a missing item
                    # takes the default, so the test also says whether it was there (which side: unknown)
                    for operand in (expr.left, right_expr):
                        if isinstance(operand, ir.Call) and isinstance(operand.func, ir.Attr) \
                                and operand.func.attr == "get" and len(operand.args) == 2:
                            found.update(defaulted_reads(self.eval(operand.func.value, state, frame)))
            elif isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name) and expr.func.id in ("len", "bool") \
                    and len(expr.args) == 1:
                mark(self.eval(expr.args[0], state, frame), expr)
            else:
                value = self.eval(expr, state, frame)
                captured[id(expr)] = value
                mark(value, expr)

        walk(test)
        return frozenset(found)

    # -- a helper's answer (model/verdicts.py) ----------------------------------------------
    def returned_test(self: Machine, expr: ir.Expr, site: int, state: State, frame: Frame) -> Val:
        """``return <test>`` on a path that read: the test's value, and the decisions each of
        its truths carries back to a caller that branches on the answer."""
        value, split = self._test_with_options(expr, site, state, frame)
        if split is not None:
            frame.return_tests[len(frame.returns)] = split
        return value

    def flag_test(self: Machine, expr: ir.Expr, site: int, state: State, frame: Frame) -> Val:
        """``ok = <test>`` on a path that read: the test's value, carrying the decisions each of
        its truths makes to a later ``if ok:`` (as a helper's returned test does)."""
        value, split = self._test_with_options(expr, site, state, frame)
        return self.note_verdict(value, split) if split is not None else value

    def _test_with_options(self: Machine, expr: ir.Expr, site: int, state: State,
                           frame: Frame) -> tuple[Val, tuple[verdicts.Option, verdicts.Option] | None]:
        captured: dict[int, object] = {}
        value = verdicts.eval_returned_test(lambda e: self.eval(e, state, frame), expr, frame.path, captured,
                                            lambda test, truth: narrowing.assuming(state.env, test, truth))
        return value, verdicts.test_options(expr, captured, (frame.path, site), state,
                                            lambda v: self.taint(v).read_ids())

    def note_verdict(self: Machine, result: Val, options: verdicts.Options | None) -> Val:
        """``result`` with the options of the call that returned it: kept on a twin of the value
        (equal, hashing alike), so that the options follow this answer and not every equal value."""
        if options is None or len(self.verdicts) >= MAX_MARKS:
            return result
        twin = copy.copy(result)
        self.verdicts[id(twin)] = (twin, options)
        return twin

    def correlated(self: Machine, states: list[State], merged: State) -> State:
        """``merged`` (of ``states``) with each variable the paths gave different constants
        marked with what each path knew (``won = True`` after a claim in a ``try``, ``won =
        False`` in its ``except``): a later ``if not won:`` takes the facts of its side."""
        live = [state for state in states if not state.dead]
        if len(live) < 2 or merged.dead or all(
                s.same_claims_decisions(live[0]) for s in live[1:]):
            return merged  # every path knew the same: no flag can tell them apart
        for name, value in list(merged.env.items()):
            if type(value) is OneOf:
                options = verdicts.merged_options(live, name)
                if options is not None:
                    merged.env[name] = self.note_verdict(value, options)
        return merged

    def carry_path(self: Machine, value: Val, state: State) -> Val:
        """``value`` as ``append``/``extend`` adds it to a list on a path that decided things
        about its reads (``if verdict(item) == "ready": ready.append(task_id)``): a twin that
        carries those decisions to the loops that later walk the list."""
        if not state.decisions or len(self.carried) >= MAX_MARKS:
            return value
        twins: list[Val] = []
        for alt in alts(value):  # each alternative (a merge of lists flattens them)
            if alt is UNKNOWN or alt is NONE:
                return value
            twin = copy.copy(alt)
            self.carried[id(twin)] = (twin, state.decisions)
            twins.append(twin)
        return twins[0] if len(twins) == 1 else one_of(twins)

    def walk_carried(self: Machine, element: Val, state: State) -> None:
        """A loop's body binds ``element``: where every value it may be was added to its list
        on a path that decided things (``carry_path``), the body's path holds the decisions
        common to them (it runs for an element only that path added)."""
        common: tuple[Decision, ...] | None = None
        for alt in alts(element):
            found = self.carried.get(id(alt))
            if found is None or found[0] is not alt:
                return
            common = found[1] if common is None else tuple(d for d in common if d in found[1])
        added = tuple(d for d in common or () if d not in state.decisions)
        if added:
            state.decisions = state.decisions + added

    def verdict_options(self: Machine, value: Val) -> verdicts.Options | None:
        found = self.verdicts.get(id(value))
        return found[1] if found is not None and found[0] is value else None


__all__ = ["ControlMarks", "ControlMixin", "SCAN_OPS", "Steer", "lists_items"]

