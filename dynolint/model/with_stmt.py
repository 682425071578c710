"""``with`` statements as Python runs them: context managers entered and left around the
body (a project class's dunders, ``contextlib.contextmanager`` generators, exit stacks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.raising import settle
from dynolint.model.state import State, merge
from dynolint.model.values import NONE, BoundV, ExtV, FuncV, Val, alts
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame

# decorators that make a generator function a context manager (by their last name)
CONTEXT_MANAGER_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})


class WithMixin(Mixin):
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
            return self.with_generator(*generator, ctx_expr, as_target, stmt, rest, state, frame)
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

    def context_generator(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> tuple[FuncV, Val | None] | None:
        """The project generator function a ``with`` calls, when a ``contextmanager``
        decorator (contextlib's, sync or async) made it a context manager, with the instance
        a method of one is called on (``with vault.scoped(tenant) as session``)."""
        if not isinstance(expr, ir.Call) or not isinstance(expr.func, (ir.Name, ir.Attr)) or expr.star_args:
            return None
        receiver = expr.func.value if isinstance(expr.func, ir.Attr) else None
        while isinstance(receiver, ir.Attr):  # (``with self.vault.scoped(tenant)``: names and attributes only)
            receiver = receiver.value
        if receiver is not None and not isinstance(receiver, ir.Name):
            return None
        for alt in alts(self.peek(expr.func, state, frame)):
            on = alt.self_val if isinstance(alt, BoundV) else None
            alt = alt.func if isinstance(alt, BoundV) else alt
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
                    return alt, on
        return None

    def with_generator(self: Machine, func: FuncV, on: Val | None, call: ir.Call, as_target: ir.Target | None, stmt: ir.With,
                       rest: tuple[tuple[ir.Expr, ir.Target | None], ...], state: State, frame: Frame) -> State:
        args = [self.eval(a, state, frame) for a in call.args]
        kwargs = {name: self.eval(v, state, frame) for name, v in call.kwargs if name is not None}
        outs: list[State] = []
        caller_env, caller_aliases = state.env, state.aliases

        def at_yield(value: Val, inner: State) -> None:
            body = State(dict(caller_env), aliases=caller_aliases)  # the caller's frame: its variables, aliases
            body.flow_from(inner)  # the path so far, through the generator's body to its yield
            if as_target is not None:
                self.assign(as_target, value, body, frame, stmt.site)
            out = self.exec_with(stmt, rest, body, frame)
            outs.append(out)
            inner.flow_from(out)
            inner.dead = False  # the generator resumes after its yield, also when the body returned

        function = self.project.functions[(func.path, func.qualname)]
        self.inline(function, func, on, args, kwargs, (frame.path, call.site), state, frame, on_yield=at_yield)
        settle(self, function, func.path, None, state)
        if not outs:
            return state.killed()  # it never yielded: contextlib raises RuntimeError
        after = merge(outs)
        state.env, state.aliases = after.env, after.aliases
        return state.killed() if after.dead else state



__all__ = ["CONTEXT_MANAGER_DECORATORS", "WithMixin"]
