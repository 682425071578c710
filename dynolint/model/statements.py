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
from dynolint.model.authz import DEPLOY_SWITCH, TENANT_SLOT, VERIFIED, is_verify_call
from dynolint.model.decisions import Polarity, branch_decisions, membership_test, present_when
from dynolint.model.raising import settle
from dynolint.model.presence import catches_everything, catches_missing
from dynolint.model.containers import element_binding, iterated_name, stored_elements, with_elements
from dynolint.model.events import WriteEvent
from dynolint.model.state import Frame, LoopCtx, State, join, merge
from dynolint.model.verdicts import branch_verdicts, is_test
from dynolint.model.values import (
    NONE, ClassV, ExtV, FuncV, OpaqueV, SeqV, Val, alts, const_str,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine

# decorators that make a generator function a context manager (by their last name)
CONTEXT_MANAGER_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})


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
            if self.deadline and not self.budget & 255 and time.thread_time() > self.deadline:
                raise RootTimeout
            state = self.exec_stmt(stmt, state, frame)
        return state

    def exec_stmt(self: Machine, stmt: ir.Stmt, state: State, frame: Frame) -> State:
        self.path_facts = state.facts  # type: ignore[misc]  # declared in Machine: mypy looks in the part
        if type(stmt) is ir.Assign:
            if len(stmt.targets) == 1 and type(stmt.targets[0]) is ir.Name and is_test(stmt.value) and state.has_reads:
                value = self.flag_test(stmt.value, stmt.site, state, frame)  # ``ok = item["s"] == "NEW"``
            else:
                value = self.eval(stmt.value, state, frame)
            for target in stmt.targets:
                self.assign(target, value, state, frame, stmt.site)
            if len(stmt.targets) == 1:  # ``ok = a == claims[...]``, ``cache = CACHE``
                self.note_flag(stmt.targets[0], stmt.value, state, frame)
                self.note_alias(stmt.targets[0], stmt.value, state, frame)
            if is_verify_call(stmt.value):
                state.facts = state.facts | {VERIFIED}
            return state
        if type(stmt) is ir.ExprStmt:
            self.eval(stmt.value, state, frame)
            if is_verify_call(stmt.value):
                state.facts = state.facts | {VERIFIED}
            return state
        if type(stmt) is ir.AugAssign:
            current = self.eval(stmt.target, state, frame)
            value = self.eval(stmt.value, state, frame)
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
            elif frame.function is not None:
                index = len(self.closures)
                self.closures.append(dict(state.env))
                state.env[stmt.name] = FuncV(frame.path, stmt.qualname, index)
            else:
                state.env[stmt.name] = FuncV(frame.path, stmt.qualname)
            function = self.project.functions.get((frame.path, stmt.qualname)) if not stmt.is_class else None
            if function is not None and any(isinstance(p.default, ir.Call) for p in function.params):
                self.define_defaults(function, state, frame)
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
        if self.tenant_slot(stmt.test, captured, frame):
            when_true, when_false = when_true | {TENANT_SLOT}, when_false | {TENANT_SLOT}
        if self.deploy_switch(stmt.test, state, frame):
            when_true, when_false = when_true | {DEPLOY_SWITCH}, when_false | {DEPLOY_SWITCH}
        decided_true, decided_false = branch_decisions(stmt.test, captured, (frame.path, stmt.site),
                                                       lambda value: self.taint(value).read_ids())
        won_true: frozenset[WriteEvent] = frozenset()
        won_false: frozenset[WriteEvent] = frozenset()
        if self.verdicts:  # what a helper's answer or a flag carries back (model/verdicts.py)
            by_true, by_false = branch_verdicts(stmt.test, captured, self.verdict_options)
            decided_true += tuple(d for d in by_true.decisions if d not in decided_true)
            decided_false += tuple(d for d in by_false.decisions if d not in decided_false)
            won_true, won_false = by_true.claims, by_false.claims
        examined = self.examined_by(decided_true, decided_false, state)
        if examined:  # looked at on this path whichever way the test goes
            state.examined = join(state.examined, examined)
        known = self.truthiness(stmt.test, state, frame)
        if known is not None:
            narrowing.apply(state.env, narrowing.narrowings(stmt.test, known))
        if known is True:  # the condition can only hold: the else branch never runs
            if decided_true and state.has_reads:
                self.filter_reads(decided_true, state, frame)
            state.facts = state.facts | when_true
            state.present = join(state.present, there_if_true)
            state.add_claims(won_true)
            if decided_true:
                state.decisions = state.decisions + decided_true
            return self.exec_block(stmt.body, state, frame)
        if known is False:
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

    # -- with statements -------------------------------------------------------------------
    def exec_with(self: Machine, stmt: ir.With, items: tuple[tuple[ir.Expr, ir.Target | None], ...],
                  state: State, frame: Frame) -> State:
        """``with`` as Python runs it: the context managers entered in order (a project class's
        ``__enter__`` / ``__aenter__``, whose result is bound), the body, then each one left in
        reverse order (``__exit__`` / ``__aexit__``), also where the body returns. A generator
        function made a context manager (``contextlib.contextmanager``) runs around the rest
        of the statement: up to its ``yield``, whose value is bound, the body, then what
        follows the ``yield``. An exit stack runs the callbacks pushed on it at the end."""
        if not items:
            return self.exec_block(stmt.body, state, frame)
        (ctx_expr, as_target), rest = items[0], items[1:]
        generator = self.context_generator(ctx_expr, state, frame)
        if generator is not None and isinstance(ctx_expr, ir.Call):
            return self.with_generator(generator, ctx_expr, as_target, stmt, rest, state, frame)
        manager = self.eval(ctx_expr, state, frame)
        loc = (frame.path, stmt.site)
        enter, leave = ("__aenter__", "__aexit__") if stmt.is_async else ("__enter__", "__exit__")
        entered = self.dunder(manager, enter, [], loc, state, frame)
        value = entered if entered is not None else self.enter(manager, ctx_expr, frame)
        pushed = self.open_exit_stack(manager) if entered is None else None
        if as_target is not None:
            self.assign(as_target, value, state, frame, stmt.site)
        returned, tmp_mark = len(frame.return_states), len(self.tmp_writes)
        out = self.exec_with(stmt, rest, state, frame)
        ends = [out] + frame.return_states[returned:]  # the body's end and each return in it
        removed_mark = len(frame.removed_paths)
        if entered is not None:
            for left in ends:
                if not left.dead:
                    self.dunder(manager, leave, [NONE, NONE, NONE], loc, left, frame)
        if pushed is not None:
            self.close_exit_stack(pushed, ends, frame)
        # what the manager's exit removes (``stack.callback(os.remove, path)``) is removed as a finally's is
        self.mark_cleaned(tmp_mark, frame.removed_paths[removed_mark:], frame.info)
        for left in ends:  # a library lock the block held is released where it ends
            self.release_lock(manager, left)
        return out

    def context_generator(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> FuncV | None:
        """The project generator function a ``with`` calls, when a ``contextmanager``
        decorator (contextlib's, sync or async) made it a context manager."""
        if not isinstance(expr, ir.Call) or not isinstance(expr.func, (ir.Name, ir.Attr)) or expr.star_args:
            return None
        if isinstance(expr.func, ir.Attr) and not isinstance(expr.func.value, ir.Name):
            return None
        for alt in alts(self.peek(expr.func, state, frame)):
            if not isinstance(alt, FuncV):
                continue
            function = self.project.functions.get((alt.path, alt.qualname))
            if function is None or not function.is_generator:
                continue
            home = self.module_frame(alt.path)
            for decorator in function.decorators:
                made = self.peek(decorator, State({}), home)
                if any(isinstance(d, ExtV) and d.path.rsplit(".", 1)[-1] in CONTEXT_MANAGER_DECORATORS
                       for d in alts(made)):
                    return alt
        return None

    def with_generator(self: Machine, func: FuncV, call: ir.Call, as_target: ir.Target | None, stmt: ir.With,
                       rest: tuple[tuple[ir.Expr, ir.Target | None], ...], state: State, frame: Frame) -> State:
        args = [self.eval(a, state, frame) for a in call.args]
        kwargs = {name: self.eval(v, state, frame) for name, v in call.kwargs if name is not None}
        outs: list[State] = []
        caller_env = state.env

        def at_yield(value: Val, inner: State) -> None:
            body = State(dict(caller_env))
            body.flow_from(inner)  # the path so far, through the generator's body to its yield
            if as_target is not None:
                self.assign(as_target, value, body, frame, stmt.site)
            out = self.exec_with(stmt, rest, body, frame)
            outs.append(out)
            inner.flow_from(out)
            inner.dead = False  # the generator resumes after its yield, also when the body returned

        function = self.project.functions[(func.path, func.qualname)]
        self.inline(function, func, None, args, kwargs, (frame.path, call.site), state, frame, on_yield=at_yield)
        settle(self, function, func.path, None, state)
        if not outs:
            return state.killed()  # it never yielded: contextlib raises RuntimeError
        after = merge(outs)
        state.env = after.env
        return state.killed() if after.dead else state


__all__ = ["RootTimeout", "StatementsMixin"]
