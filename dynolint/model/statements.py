"""Statements: the interpreter's control flow. Branches run on copies of the state and
merge, ``return``/``raise``/``break``/``continue`` end a path, a loop's body runs once on a
copy and merges with the state that skipped it, ``try`` handlers start from the states before
and after the body; each statement costs the root one unit of its statement budget, and the
root's CPU deadline is checked every 256 statements."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model import narrowing
from dynolint.model.objects import made_attribute
from dynolint.model.authz import DEPLOY_SWITCH, TENANT_SLOT, VERIFIED, is_verify_call
from dynolint.model.decisions import Polarity, branch_decisions, membership_test, present_when
from dynolint.model.presence import catches_everything, catches_missing
from dynolint.model.containers import counts, element_binding, iterated_name, stored_elements, with_elements
from dynolint.model.events import WriteEvent
from dynolint.model.state import Frame, LoopCtx, State, join, merge
from dynolint.model.verdicts import branch_verdicts, is_test
from dynolint.model.values import (
    NONE, ClassV, FuncV, OpaqueV, SeqV, Val, alts, const_str,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine


class RootTimeout(Exception):
    """An analysis root overran its time budget."""


class StatementsMixin(Mixin):
    # -- statements ---------------------------------------------------------------------
    def exec_block(self: Machine, body: tuple[ir.Stmt, ...], state: State, frame: Frame) -> State:
        for stmt in body:
            if state.dead:
                break
            if frame.is_module:  # what a function called from the module body sees (run_module)
                self.partial_envs[frame.path] = state.env
            self.budget -= 1
            if self.deadline and not self.budget & 1023 and time.thread_time() > self.deadline:
                raise RootTimeout
            state = self.exec_stmt(stmt, state, frame)
        return state

    def assign_from(self: Machine, targets: tuple[ir.Expr, ...], value_expr: ir.Expr, site: int, state: State,
                    frame: Frame) -> Val:
        """``targets = value_expr`` (an assignment statement, or the name a ``:=`` binds): the
        value bound, what the names hold of a test (``ok = item["s"] == "NEW"``) and the module
        state they name (``cache = CACHE``)."""
        if len(targets) == 1 and type(targets[0]) is ir.Name and is_test(value_expr) and state.has_reads:
            value = self.flag_test(value_expr, site, state, frame)
        else:
            value = self.eval(value_expr, state, frame)
        for target in targets:
            self.assign(target, value, state, frame, site)
        if len(targets) == 1:
            self.note_flag(targets[0], value_expr, state, frame)
            self.note_alias(targets[0], value_expr, state, frame)
        if is_verify_call(value_expr):
            state.facts = state.facts | {VERIFIED}
        return value

    def exec_stmt(self: Machine, stmt: ir.Stmt, state: State, frame: Frame) -> State:
        self.path_facts = state.facts  # type: ignore[misc]  # declared in Machine: mypy looks in the part
        if type(stmt) is ir.Assign:
            self.assign_from(stmt.targets, stmt.value, stmt.site, state, frame)
            return state
        if type(stmt) is ir.ExprStmt:
            self.eval(stmt.value, state, frame)
            if is_verify_call(stmt.value):
                state.facts = state.facts | {VERIFIED}
            return state
        if type(stmt) is ir.AugAssign:
            current = self.eval(stmt.target, state, frame)
            value = self.eval(stmt.value, state, frame)
            if state.aliases and type(stmt.target) is ir.Name and stmt.target.id in state.aliases \
                    and self.aliased_in_place(stmt.target, stmt.op, current, value, stmt.site, state, frame):
                return state
            # ``tally[c] += 1``, ``self.tally[c] += 1`` of a Counter: arithmetic on the counts, as its update
            # is (a local's or an attribute's; a module global's is module state, left as it is)
            counted = stmt.target.value if type(stmt.target) is ir.Sub else None
            if (type(counted) is ir.Attr or type(counted) is ir.Name and counted.id in frame.locals) \
                    and counts(held := self.peek(counted, state, frame)):
                self.assign(counted, self.binop(stmt.op, held, value, (frame.path, stmt.site)), state, frame,
                            stmt.site)
                return state
            self.assign(stmt.target, self.binop(stmt.op, current, value, (frame.path, stmt.site)), state, frame,
                        stmt.site)
            return state
        if type(stmt) is ir.If:
            return self.exec_if(stmt, state, frame)
        if type(stmt) is ir.Loop:
            return self.exec_loop(stmt, state, frame)
        if type(stmt) is ir.Try:
            return self.exec_try(stmt, state, frame)
        if type(stmt) is ir.With:
            return self.exec_with(stmt, stmt.items, state, frame)
        if type(stmt) is ir.Return:
            if stmt.value is not None and frame.function is not None and is_test(stmt.value) and state.has_reads:
                value = self.returned_test(stmt.value, stmt.site, state, frame)
            else:
                value = self.eval(stmt.value, state, frame) if stmt.value is not None else NONE
            if frame.function is not None and stmt.value is not None:
                # a function whose name says it gives the tenant (``_portal_tenant``): what it returns
                value = self.named_part(frame.function.name, value, (frame.path, stmt.site), frame)
            value = self.steered(value, frame)
            frame.returns.append(value)
            frame.return_states.append(state)
            frame.return_sites.append(stmt.site)
            return state.killed()
        if type(stmt) is ir.Raise:
            if stmt.exc is not None:
                self.eval(stmt.exc, state, frame)
            return state.killed()
        if type(stmt) is ir.Jump:
            if frame.loops:
                ctx = frame.loops[-1]
                (ctx.breaks if stmt.kind == "break" else ctx.continues).append(state)
            return state.killed()
        if type(stmt) is ir.Delete:
            self.delete(stmt, state, frame)
            return state
        if type(stmt) is ir.StarImport:
            path = self.project.resolve_module(frame.path, stmt.module, stmt.level)
            if path is not None and path != frame.path:
                env = self.run_module(path)
                listed = [const_str(name) for seq in alts(env.get("__all__", NONE)) if isinstance(seq, SeqV)
                          for name in seq.elts]
                names = [n for n in listed if n] or [n for n in env if not n.startswith("_")]
                state.env.update({name: env[name] for name in names if name in env})
            return state
        if type(stmt) is ir.DefStmt:
            if stmt.is_class:
                state.env[stmt.name] = ClassV(frame.path, stmt.qualname)
                klass = self.project.classes.get((frame.path, stmt.qualname))
                if klass is not None and klass.decorators and (frame.is_module or frame.function is not None):
                    state.env[stmt.name] = self.decorate_class(ClassV(frame.path, stmt.qualname), klass, state, frame)
            elif frame.function is not None:
                state.env[stmt.name] = FuncV(frame.path, stmt.qualname, self.capture(state, frame))
            else:
                state.env[stmt.name] = FuncV(frame.path, stmt.qualname)
            function = self.project.functions.get((frame.path, stmt.qualname)) if not stmt.is_class else None
            if function is not None and any(isinstance(p.default, ir.Call) or made_attribute(p.default)
                                            for p in function.params):
                made = state.env[stmt.name]
                self.define_defaults(function, state, frame, made.closure if type(made) is FuncV else -1)
            if function is not None and function.decorators and (frame.is_module or frame.function is not None):
                state.env[stmt.name] = self.decorate(state.env[stmt.name], function, state, frame)
            return state
        return state

    def exec_if(self: Machine, stmt: ir.If, state: State, frame: Frame) -> State:
        captured: dict[int, object] = {}
        polarity: Polarity = {}
        tested = self.eval_test(stmt.test, state, frame, captured, polarity)
        there_if_true: frozenset[int] = frozenset()
        there_if_false: frozenset[int] = frozenset()
        if tested:
            state.absent = join(state.absent, tested)
            for read in tested:
                self.absence_sites.setdefault(read, (frame.path, stmt.site))
            there_if_true, there_if_false = present_when(stmt.test, True, polarity), present_when(stmt.test, False, polarity)
        when_true, when_false = self.test_facts(stmt.test, state, frame, captured)
        self.owner_checks(stmt.test, captured, (frame.path, stmt.site), frame)
        if self.tenant_slot(stmt.test, captured, frame):
            when_true, when_false = when_true | {TENANT_SLOT}, when_false | {TENANT_SLOT}
        if self.deploy_switch(stmt.test, state, frame):
            when_true, when_false = when_true | {DEPLOY_SWITCH}, when_false | {DEPLOY_SWITCH}
        decided_true, decided_false = branch_decisions(stmt.test, captured, (frame.path, stmt.site),
                                                       lambda value: self.taint(value).read_ids())
        won_true: frozenset[WriteEvent] = frozenset()
        won_false: frozenset[WriteEvent] = frozenset()
        dropped_true: frozenset[int] = frozenset()
        dropped_false: frozenset[int] = frozenset()
        if self.verdicts:  # what a helper's answer or a flag carries back (model/verdicts.py)
            by_true, by_false = branch_verdicts(stmt.test, captured, self.verdict_options, self.always_truthy)
            decided_true += tuple(d for d in by_true.decisions if d not in decided_true)
            decided_false += tuple(d for d in by_false.decisions if d not in decided_false)
            won_true, won_false = by_true.claims, by_false.claims
            dropped_true, dropped_false = by_true.excluded, by_false.excluded
        examined = self.examined_by(decided_true, decided_false, state)
        if examined:  # looked at on this path whichever way the test goes
            state.examined = join(state.examined, examined)
        known = narrowing.truthiness(self, stmt.test, state, frame)
        if known is not None:
            narrowing.apply(state.env, narrowing.narrowings(stmt.test, known))
        if known is True:  # the condition can only hold: the else branch never runs
            _drop_reads(state, dropped_true)
            if decided_true and state.has_reads:
                self.filter_reads(decided_true, state, frame)
            state.facts = state.facts | when_true
            state.present = join(state.present, there_if_true)
            state.add_claims(won_true)
            if decided_true:
                state.decisions = state.decisions + decided_true
            return self.exec_block(stmt.body, state, frame)
        if known is False:
            _drop_reads(state, dropped_false)
            state.facts = state.facts | when_false
            state.present = join(state.present, there_if_false)
            state.add_claims(won_false)
            if decided_false:
                state.decisions = state.decisions + decided_false
            return self.exec_block(stmt.orelse, state, frame)
        # a listing searched by key (``if row["sk"] == day:``) read that item where the test holds;
        # where it fails, the path saw it missing when the test looked at every row at once
        # (``day in {r["sk"] for r in rows}``), or when it looked at each row of a loop and the
        # side where one matched leaves the function (``for r in rows: if ...: return``): only
        # paths where no row matched go on (creating it then is check-then-create)
        whole = membership_test(stmt.test)
        if decided_true and state.has_reads and whole:
            there_if_true = there_if_true | self.searched(self.filter_reads(decided_true, state, frame), state,
                                                           stmt, frame)
        body_in = state.copy()
        _drop_reads(body_in, dropped_true)
        if decided_true and state.has_reads and not whole:
            self.filter_reads(decided_true, body_in, frame)
        loop = frame.loops[-1] if frame.loops else None
        jumps = (len(loop.breaks), len(loop.continues)) if loop is not None else (0, 0)
        narrowing.apply(body_in.env, narrowing.narrowings(stmt.test, True))
        body_in.facts = body_in.facts | when_true
        body_in.present = join(body_in.present, there_if_true)
        body_in.add_claims(won_true)
        if decided_true:
            body_in.decisions = body_in.decisions + decided_true
        outer = frame.steers
        steers = self.steering(captured.values(), (frame.path, stmt.site), state, tested)  # (none without scans)
        if steers:
            frame.steers = outer | steers
        try:
            body = self.exec_block(stmt.body, body_in, frame)
            state.facts = state.facts | when_false
            orelse_in = state.copy()
            _drop_reads(orelse_in, dropped_false)
            if decided_true and state.has_reads and not whole and loop is not None and body.dead \
                    and (len(loop.breaks), len(loop.continues)) == jumps:  # a match returns or raises
                self.searched(self.filter_reads(decided_true, orelse_in, frame), orelse_in, stmt, frame)
            narrowing.apply(orelse_in.env, narrowing.narrowings(stmt.test, False))
            orelse_in.present = join(orelse_in.present, there_if_false)
            orelse_in.add_claims(won_false)
            if decided_false:
                orelse_in.decisions = orelse_in.decisions + decided_false
            orelse = self.exec_block(stmt.orelse, orelse_in, frame) if stmt.orelse else orelse_in
        finally:
            frame.steers = outer
        return self.correlated([body, orelse], merge([body, orelse]))

    def exec_loop(self: Machine, stmt: ir.Loop, state: State, frame: Frame) -> State:
        iterable = self.eval(stmt.iter, state, frame) if stmt.is_while \
            else self.eval_iterable(stmt.iter, stmt.site, state, frame)
        if stmt.is_while:
            self.examine((iterable,), state, (frame.path, stmt.site))
        body_state = state.copy()
        iterated = None if stmt.is_while else iterated_name(stmt.iter)
        if iterated is not None and iterated in state.env:
            # the body runs only where the iterable has elements (``for k in sorted(groups): groups[k]``)
            filled = with_elements(state.env[iterated])
            if filled is not None:
                body_state.env[iterated] = filled
        binding = None if stmt.is_while else element_binding(stmt.iter, stmt.target)
        if stmt.target is not None:
            element = self.element(iterable)
            self.walk_carried(element, body_state)  # a list built under a test: its path's decisions
            self.assign(stmt.target, element, body_state, frame, stmt.site)
        bound = body_state.env.get(binding[1]) if binding is not None else None
        frame.loops.append(LoopCtx())
        outer = frame.steers
        steers = self.steering((iterable,), (frame.path, stmt.site), state)  # how often the body runs depends
        if steers:  # on the iterable (or the while test)
            frame.steers = outer | steers
        try:
            out = self.exec_block(stmt.body, body_state, frame)
        finally:
            frame.steers = outer
            ctx = frame.loops.pop()
        endless = stmt.is_while and isinstance(stmt.iter, ir.Const) and bool(stmt.iter.value)
        after = merge(([] if endless else [state]) + [out] + ctx.continues)
        if binding is not None and bound is not None and not out.dead and binding[0] in after.env:
            stored = stored_elements(bound, out.env.get(binding[1]))  # ``for row in rows: row["id"] = n``
            if stored is not None:
                after.env[binding[0]] = stored
        if endless:
            after = after.killed()
        if stmt.orelse and not after.dead:
            after = self.exec_block(stmt.orelse, after, frame)
        return merge([after] + ctx.breaks)

    def exec_try(self: Machine, stmt: ir.Try, state: State, frame: Frame) -> State:
        before = state.copy()
        tmp_mark, store_mark = len(self.tmp_writes), len(self.global_stores)
        read_mark, removing, subscript_mark = len(self.reads), len(frame.removed_paths), len(self.subscripted)
        tail = ir.quiet_tail(stmt.body)  # what no exception leaves (``won = True`` after the claim)
        settled = self.exec_block(stmt.body[:tail], state, frame)
        body_out = self.exec_block(stmt.body[tail:], settled.copy(), frame) if tail < len(stmt.body) else settled
        body_end = len(frame.removed_paths)
        outs: list[State] = []
        removed_by: list[list[Val]] = []  # the paths each handler removes
        if stmt.handlers:
            # An exception can leave the body at any point: the handlers may see every read
            # the body made, but only the guarded writes made before the body started.
            handler_in = merge([before, settled])
            handler_in.dead = False
            known = {r.id for r in before.reads} if len(self.reads) > read_mark else set()
            body_reads = [r for r in self.reads[read_mark:] if r.id not in known]
            if body_reads:  # (the path's reads are consulted only where the body made reads)
                present = {r.id for r in handler_in.reads}
                handler_in.reads = handler_in.reads + tuple(r for r in body_reads if r.id not in present)
            handler_in.take_claims(before)
            # a KeyError there is a read that failed, or a response subscripted ``["Item"]`` without one
            failed_reads = frozenset([r.id for r in body_reads] + self.subscripted[subscript_mark:])
            for handler in stmt.handlers:
                entry = handler_in.copy()
                if failed_reads and catches_missing(handler.type):
                    entry.absent = join(entry.absent, failed_reads)
                if handler.type is not None:
                    self.eval(handler.type, entry, frame)
                if handler.name:
                    entry.env[handler.name] = OpaqueV((frame.path, stmt.site), ())
                handler_mark = len(frame.removed_paths)
                outs.append(self.exec_block(handler.body, entry, frame))
                removed_by.append(frame.removed_paths[handler_mark:])
        else_mark = len(frame.removed_paths)
        else_out = self.exec_block(stmt.orelse, body_out, frame) if stmt.orelse else body_out
        if removed_by and any(catches_everything(h.type) for h in stmt.handlers):
            # removed where the body succeeds and in every handler (one catches everything): as a
            # ``finally`` does (``except Exception: os.remove(out); raise`` ``else: os.remove(out)``)
            succeeded = frame.removed_paths[removing:body_end] + frame.removed_paths[else_mark:]
            self.mark_cleaned(tmp_mark, [r for r in succeeded if all(
                any(self.vals_equal(r, other) for other in removed) for removed in removed_by)], frame.info)
        result = self.correlated([else_out] + outs, merge([else_out] + outs))
        if stmt.finalbody:
            removed_mark = len(frame.removed_paths)
            if result.dead:
                scratch = merge([before, body_out])
                scratch.dead = False
                self.exec_block(stmt.finalbody, scratch, frame)
            else:
                result = self.exec_block(stmt.finalbody, result, frame)
            self.mark_cleaned(tmp_mark, frame.removed_paths[removed_mark:], frame.info)
            self.mark_cleared(store_mark, stmt.finalbody, result, frame)
        return result

__all__ = ["RootTimeout", "StatementsMixin"]


def _drop_reads(state: State, excluded: frozenset[int]) -> None:
    """Take off ``state``'s path the reads made only by answers of a helper that this side of
    a test on the answer cannot have come from (model/verdicts.py)."""
    if excluded and any(read.id in excluded for read in state.reads):
        state.reads = tuple(read for read in state.reads if read.id not in excluded)
