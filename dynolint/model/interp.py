"""The abstract interpreter: runs the IR of each analysis root over abstract values,
following calls into project functions, and records what it observes.

Control flow is handled structurally: branches run on copies of the state and merge,
``return``/``raise``/``break``/``continue`` end a path, ``try`` handlers start from the
states before and after the body. Calls into project code are inlined (bounded depth, no
recursion), so a read in one helper and a write in another meet on the caller's path.
"""

from __future__ import annotations

import time
from typing import Callable

from dynolint import ir
from dynolint.model.assign import AssignMixin
from dynolint.model.authz import DEPLOY_SWITCH, VERIFIED, AuthzMixin, is_verify_call
from dynolint.model.aws import AwsMixin
from dynolint.model.calls import CallsMixin
from dynolint.model.cdk import CdkFunction, CdkMixin
from dynolint.model.classes import ClassesMixin
from dynolint.model.decorators import DecoratorsMixin
from dynolint.model.external import ExternalMixin
from dynolint.model.files import FilesMixin
from dynolint.model.library_calls import LibraryMixin
from dynolint.model.objects import ObjectsMixin
from dynolint.model.roots import RootsMixin
from dynolint.model.dynamo import DynamoMixin
from dynolint.model.evaluate import EvalMixin
from dynolint.model.events import (
    DataCall, FrameInfo, GlobalStore, Invoke, ReadEvent, RootInfo, ScopedCredsMint, ScopingUse, TmpWrite,
    WriteRecord,
)
from dynolint.model.decisions import branch_decisions
from dynolint.model.pynamodb import PynamoMixin, PynInfo
from dynolint.model.keys import Taint, TaintIndex
from dynolint.model.project import Project, TableDecl
from dynolint.model.state import Frame, LoopCtx, State, merge
from dynolint.model.summaries import Summaries
from dynolint.model.unseen import forget_stamps
from dynolint.model.values import (
    NONE, UNKNOWN, ClassV, ConstV, ElemV, FuncV, OpaqueV, PynInstanceV,
    CallV, ReadItemV, ReadV, SeqV, SubV, Loc, PynModelV, Val, alts, one_of,
)

MAX_DEPTH = 8
ROOT_BUDGET = 60_000


class RootTimeout(Exception):
    """An analysis root overran its time budget."""


class Interpreter(EvalMixin, AssignMixin, ClassesMixin, ObjectsMixin, RootsMixin, CallsMixin, ExternalMixin,
                  LibraryMixin, DecoratorsMixin, FilesMixin,
                  DynamoMixin, PynamoMixin, AwsMixin, CdkMixin, AuthzMixin):
    def __init__(self, project: Project) -> None:
        self.project = project
        self.roots: list[RootInfo] = []
        self.frames: list[FrameInfo] = []
        self.reads: list[ReadEvent] = []
        self.writes: list[WriteRecord] = []
        self.data_calls: list[DataCall] = []
        self.mints: list[ScopedCredsMint] = []
        self.global_stores: list[GlobalStore] = []
        self.tmp_writes: list[TmpWrite] = []
        self.cleaned: set[int] = set()  # indexes of tmp_writes removed in a finally
        self.invokes: list[Invoke] = []
        self.module_envs: dict[str, dict[str, Val]] = {}
        # modules whose body is running: a call made meanwhile sees none of their globals
        self.modules_in_progress: set[str] = set()
        self.class_envs: dict[tuple[str, str], dict[str, Val]] = {}
        self.subclass_index: dict[tuple[str, str], list[ClassV]] = {}
        self.lambdas: dict[tuple[str, int], ir.Lambda] = {}
        self.truthy_values: set[Val] = set()  # values ``a or b`` whose ``b`` is always true
        self.heap: dict[tuple[Loc, str], Val] = {}
        self.closures: list[dict[str, Val]] = []
        self.root_instances: dict[tuple[str, str], Val] = {}
        self.root_stack: list[int] = []
        self.call_stack: list[tuple[str, str]] = []
        self.pyn_models: dict[tuple[str, str], PynModelV | None] = {}
        self.pyn_infos: dict[tuple[str, str], PynInfo] = {}
        self.scoping_uses: list[ScopingUse] = []
        self.absence_sites: dict[int, Loc] = {}  # read id -> the if that branched on its absence
        self.global_values: dict[tuple[str, str], list[Val]] = {}
        self.global_entries: dict[tuple[str, str], list[tuple[Val, Val]]] = {}  # dict entries stored
        self.property_kinds: dict[tuple[str, str], str | None] = {}
        self.defaults: dict[tuple[str, str], dict[str, Val]] = {}  # default arguments, as defined
        self.cdk_functions: dict[tuple[str, str], CdkFunction] = {}
        self.cdk_tables: dict[tuple[str, str], TableDecl] = {}
        self.index = TaintIndex(self.reads)
        forget_stamps()  # the memo of the previous run (a language server runs many) holds its values
        self.budget = ROOT_BUDGET
        self.seq = 0
        self.timeout = 0.0  # seconds per root; 0: no limit
        self.deadline = 0.0
        self.problems: list[tuple[str, str]] = []  # (path, message)
        self.path_facts: frozenset[str] = frozenset()  # the authorization facts of the statement running
        self.source_facts: dict[Loc, frozenset[str]] = {}  # tenant id sources: the facts where they are read
        self.summaries = Summaries(self)

    def guarded(self, path: str, what: str, run: Callable[..., object], *args: object) -> None:
        """Run one analysis root; if it fails or overruns its time, record why (naming the
        file and function) and leave the interpreter ready for the next root."""
        # CPU time of this thread, not wall time: a loaded machine must not change the findings
        self.deadline = time.thread_time() + self.timeout if self.timeout else 0.0
        try:
            run(*args)
        except RootTimeout:
            self.problems.append((path, f"analysis of {what} timed out after {self.timeout:g} s (--timeout); "
                                        "findings in it may be missing"))
        except Exception as exc:  # noqa: BLE001 - one function must not abort the run
            from dynolint.rules.base import _origin

            self.problems.append((path, f"internal error while analysing {what}: {type(exc).__name__}: {exc} "
                                        f"[{_origin(exc)}]; findings in it may be missing"))
        finally:
            self.deadline = 0.0
            self.call_stack.clear()
            self.root_stack.clear()
            self.summaries.reset()

    def taint(self, value: Val) -> Taint:
        return self.index.taint(value)

    def vals_equal(self, left: Val, right: Val) -> bool:
        return self.index.equal(left, right)

    def new_root(self, info: RootInfo) -> int:
        self.roots.append(info)
        return len(self.roots) - 1

    def current_root(self) -> int:
        return len(self.roots) - 1

    def new_frame_info(self, func: str, path: str, parent: int) -> int:
        self.frames.append(FrameInfo(func, path, parent))
        return len(self.frames) - 1

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def costly_seq(self) -> int:
        """The sequence number of paid work (HTTP, another AWS service): an event, so the
        call doing it is inlined where it runs, never reused from a summary."""
        self.summaries.effect()
        return self.next_seq()

    # -- roots ---------------------------------------------------------------------------
    def run_module(self, path: str) -> dict[str, Val]:
        """Evaluate a module body once; its final environment gives the module globals."""
        if path in self.module_envs:
            return self.module_envs[path]
        if path in self.modules_in_progress:
            # the names bound so far: what a call sees now, not what it sees later, so no call
            # around this one is summarised (model/summaries.py)
            self.summaries.cut()
            return {}
        self.modules_in_progress.add(path)
        summary = self.project.files[path]
        root = self.new_root(RootInfo(path, "<module>", False, module_root=True))
        frame = Frame(path, "<module>", None, frozenset(), frozenset(), None, (), 0,
                      self.new_frame_info("<module>", path, -1), root, is_module=True)
        state = State({})
        saved_budget = self.budget
        self.budget = ROOT_BUDGET
        try:
            state = self.exec_block(summary.body, state, frame)
        finally:
            self.budget = saved_budget
            self.modules_in_progress.discard(path)
        env = dict(state.env)
        self.module_envs[path] = env
        return env

    def run_function_root(self, path: str, function: ir.Function, is_handler: bool) -> None:
        root = self.new_root(RootInfo(path, function.qualname, is_handler))
        self.budget = ROOT_BUDGET
        self.seq = 0
        self_val: Val | None = None
        cls = None
        if function.class_qualname is not None:
            cls = self.project.classes.get((path, function.class_qualname))
            if cls is not None:
                self_val = self.root_instance(path, cls)
        frame_info = self.new_frame_info(function.qualname, path, -1)
        frame = Frame(path, function.qualname, function, function.locals, function.declared_global,
                      None, (), 0, frame_info, root, self_val=self_val, cls=cls)
        env = self.root_params(path, function, is_handler, self_val, frame)
        wrapper = self.decorated(path, function)
        if wrapper is not None and self.run_decorated_root(wrapper, function, env, State({}), frame):
            return
        state = self.exec_block(function.body, State(env), frame)
        del state
        self.roots[root].returns = frame.returns[:8]

    # -- statements ---------------------------------------------------------------------
    def exec_block(self, body: tuple[ir.Stmt, ...], state: State, frame: Frame) -> State:
        for stmt in body:
            if state.dead:
                break
            self.budget -= 1
            if self.deadline and not self.budget & 255 and time.thread_time() > self.deadline:
                raise RootTimeout
            state = self.exec_stmt(stmt, state, frame)
        return state

    def exec_stmt(self, stmt: ir.Stmt, state: State, frame: Frame) -> State:
        kind = type(stmt)
        self.path_facts = state.facts
        if kind is ir.Assign:
            value = self.eval(stmt.value, state, frame)
            for target in stmt.targets:
                self.assign(target, value, state, frame, stmt.site)
            if is_verify_call(stmt.value):
                state.facts = state.facts | {VERIFIED}
            return state
        if kind is ir.ExprStmt:
            self.eval(stmt.value, state, frame)
            if is_verify_call(stmt.value):
                state.facts = state.facts | {VERIFIED}
            return state
        if kind is ir.AugAssign:
            current = self.eval(stmt.target, state, frame)
            value = self.eval(stmt.value, state, frame)
            self.assign(stmt.target, self.binop(stmt.op, current, value, (frame.path, stmt.site)), state, frame,
                        stmt.site)
            return state
        if kind is ir.If:
            return self.exec_if(stmt, state, frame)
        if kind is ir.Loop:
            return self.exec_loop(stmt, state, frame)
        if kind is ir.Try:
            return self.exec_try(stmt, state, frame)
        if kind is ir.With:
            for ctx_expr, target in stmt.items:
                value = self.enter(self.eval(ctx_expr, state, frame), ctx_expr, frame)
                if target is not None:
                    self.assign(target, value, state, frame, stmt.site)
            return self.exec_block(stmt.body, state, frame)
        if kind is ir.Return:
            value = self.eval(stmt.value, state, frame) if stmt.value is not None else NONE
            frame.returns.append(value)
            frame.return_states.append(state)
            frame.return_sites.append(stmt.site)
            return state.killed()
        if kind is ir.Raise:
            if stmt.exc is not None:
                self.eval(stmt.exc, state, frame)
            return state.killed()
        if kind is ir.Jump:
            if frame.loops:
                ctx = frame.loops[-1]
                (ctx.breaks if stmt.kind == "break" else ctx.continues).append(state)
            return state.killed()
        if kind is ir.DefStmt:
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

    def exec_if(self, stmt: ir.If, state: State, frame: Frame) -> State:
        captured: dict[int, object] = {}
        tested = self.eval_test(stmt.test, state, frame, captured)
        if tested:
            state.absent = state.absent | tested
            for read in tested:
                self.absence_sites.setdefault(read, (frame.path, stmt.site))
        when_true, when_false = self.test_facts(stmt.test, state, frame)
        if self.deploy_switch(stmt.test, state, frame):
            when_true, when_false = when_true | {DEPLOY_SWITCH}, when_false | {DEPLOY_SWITCH}
        decided_true, decided_false = branch_decisions(stmt.test, captured, (frame.path, stmt.site),
                                                       lambda value: self.taint(value).read_ids())
        known = self.truthiness(stmt.test, state, frame)
        if known is True:  # the condition can only hold: the else branch never runs
            state.facts = state.facts | when_true
            if decided_true:
                state.decisions = state.decisions + decided_true
            return self.exec_block(stmt.body, state, frame)
        if known is False:
            state.facts = state.facts | when_false
            if decided_false:
                state.decisions = state.decisions + decided_false
            return self.exec_block(stmt.orelse, state, frame)
        body_in = state.copy()
        body_in.facts = body_in.facts | when_true
        if decided_true:
            body_in.decisions = body_in.decisions + decided_true
        body = self.exec_block(stmt.body, body_in, frame)
        state.facts = state.facts | when_false
        orelse_in = state.copy()
        if decided_false:
            orelse_in.decisions = orelse_in.decisions + decided_false
        orelse = self.exec_block(stmt.orelse, orelse_in, frame) if stmt.orelse else orelse_in
        return merge([body, orelse])

    def exec_loop(self, stmt: ir.Loop, state: State, frame: Frame) -> State:
        iterable = self.eval(stmt.iter, state, frame)
        body_state = state.copy()
        if stmt.target is not None:
            self.assign(stmt.target, self.element(iterable), body_state, frame, stmt.site)
        frame.loops.append(LoopCtx())
        try:
            out = self.exec_block(stmt.body, body_state, frame)
        finally:
            ctx = frame.loops.pop()
        endless = stmt.is_while and isinstance(stmt.iter, ir.Const) and bool(stmt.iter.value)
        after = merge(([] if endless else [state]) + [out] + ctx.continues)
        if endless:
            after = after.killed()
        if stmt.orelse and not after.dead:
            after = self.exec_block(stmt.orelse, after, frame)
        return merge([after] + ctx.breaks)

    def exec_try(self, stmt: ir.Try, state: State, frame: Frame) -> State:
        before = state.copy()
        tmp_mark = len(self.tmp_writes)
        read_mark = len(self.reads)
        body_out = self.exec_block(stmt.body, state, frame)
        outs: list[State] = []
        if stmt.handlers:
            # An exception can leave the body at any point: the handlers may see every read
            # the body made, but only the guarded writes made before the body started.
            handler_in = merge([before, body_out])
            handler_in.dead = False
            known = {r.id for r in before.reads}
            body_reads = [r for r in self.reads[read_mark:] if r.id not in known]
            present = {r.id for r in handler_in.reads}
            handler_in.reads = handler_in.reads + tuple(r for r in body_reads if r.id not in present)
            handler_in.claims = before.claims
            failed_reads = frozenset(r.id for r in body_reads)
            for handler in stmt.handlers:
                entry = handler_in.copy()
                if failed_reads and self.catches_missing(handler.type):
                    entry.absent = entry.absent | failed_reads
                if handler.type is not None:
                    self.eval(handler.type, entry, frame)
                if handler.name:
                    entry.env[handler.name] = OpaqueV((frame.path, stmt.site), ())
                outs.append(self.exec_block(handler.body, entry, frame))
        else_out = self.exec_block(stmt.orelse, body_out, frame) if stmt.orelse else body_out
        result = merge([else_out] + outs)
        if stmt.finalbody:
            removed_mark = len(frame.removed_paths)
            if result.dead:
                scratch = merge([before, body_out])
                scratch.dead = False
                self.exec_block(stmt.finalbody, scratch, frame)
            else:
                result = self.exec_block(stmt.finalbody, result, frame)
            self.mark_cleaned(tmp_mark, frame.removed_paths[removed_mark:], frame.info)
        return result

    def catches_missing(self, exc_type: ir.Expr | None) -> bool:
        """Does an ``except`` clause catch what a read of a missing item raises
        (PynamoDB ``DoesNotExist``, ``KeyError`` on ``resp["Item"]``, or anything)?"""
        if exc_type is None:
            return True
        names: list[str] = []
        pending = [exc_type]
        while pending:
            current = pending.pop()
            if isinstance(current, ir.SeqE):
                pending.extend(current.elts)
            elif isinstance(current, ir.Attr):
                names.append(current.attr)
            elif isinstance(current, ir.Name):
                names.append(current.id)
        return any(n in ("DoesNotExist", "KeyError", "LookupError", "Exception", "BaseException")
                   for n in names)

    # -- helpers ---------------------------------------------------------------------
    def element(self, iterable: Val) -> Val:
        out = []
        for alt in alts(iterable):
            if isinstance(alt, SeqV) and alt.kind == "items" and len(alt.elts) == 1:
                out.append(alt.elts[0])
            elif isinstance(alt, SeqV) and alt.elts:
                out.append(one_of(alt.elts))
            else:
                out.append(ElemV(alt))
        return one_of(out)

    def eval_test(self, test: ir.Expr, state: State, frame: Frame,
                  captured: dict[int, object] | None = None) -> frozenset[int]:
        """Evaluate a branch condition (once, with its effects) and return the reads whose
        item's presence it checks: truthiness, ``is None``, ``"Item" in resp``, ``len()``.
        ``captured`` receives the value of each leaf (a comparison's two operands)."""
        found: set[int] = set()
        captured = {} if captured is None else captured

        def mark(value: Val) -> None:
            for alt in alts(value):
                if isinstance(alt, (ReadItemV, ReadV)) or (isinstance(alt, PynInstanceV) and alt.read >= 0):
                    found.add(alt.read)
                elif isinstance(alt, SubV) or isinstance(alt, CallV) and alt.fn == "get":
                    # a value projected from the item, tested for presence
                    found.update(self.taint(alt).read_ids())

        def walk(expr: ir.Expr) -> None:
            if isinstance(expr, ir.BoolOp):
                walk(expr.left)
                walk(expr.right)
            elif isinstance(expr, ir.UnaryOp) and expr.op == "not":
                walk(expr.operand)
            elif isinstance(expr, ir.Compare) and len(expr.ops) == 1:
                op, right_expr = expr.ops[0], expr.comparators[0]
                left = self.eval(expr.left, state, frame)
                right = self.eval(right_expr, state, frame)
                captured[id(expr)] = (left, right)
                if op in ("is", "is not", "==", "!=") and isinstance(right_expr, ir.Const) and right_expr.value is None:
                    mark(left)
                elif op in ("in", "not in") and isinstance(expr.left, ir.Const):
                    mark(right)
            elif isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name) and expr.func.id in ("len", "bool") \
                    and len(expr.args) == 1:
                mark(self.eval(expr.args[0], state, frame))
            else:
                value = self.eval(expr, state, frame)
                captured[id(expr)] = value
                mark(value)

        walk(test)
        return frozenset(found)

    def unknown_result(self, args: list[Val]) -> Val:
        return OpaqueV(("", -1), tuple(args)) if args else UNKNOWN

    def const_true(self, value: Val) -> bool:
        return isinstance(value, ConstV) and bool(value.value)


__all__ = ["Interpreter", "MAX_DEPTH", "ROOT_BUDGET", "FrameInfo"]
