"""Library calls that iterate or call back: the interpreter side of
:mod:`dynolint.model.library` (iteration helpers, paginators' page iterators, callables
handed to threads, executors, ``map``/``filter``/``sorted``, ``functools.partial``, and
callbacks pushed on an exit stack, run where its ``with`` block ends)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model import graphql
from dynolint.model.library import (
    ANY_RECEIVER_CALLBACKS, CALLBACKS, ENTERS, EXIT_CALLBACKS, EXIT_STACKS, HTTP_CLIENT_METHODS, ITERATION,
    GETTERS, GOT, JWT_CLASSES, LOOP_RUNS, MIDDLEWARE_FACTORIES, METHOD_CALLBACKS, OPERATOR_FUNCTIONS, PAGES,
    PASSING_METHODS, TASK_MAKERS, Callback,
)
from dynolint.model.library_web import GRAPHQL_CONTEXTS, GRAPHQL_RUNNERS, GRAPHQL_SERVERS

from dynolint.model.values import (
    NONE, SDK_OBJECTS, UNKNOWN, AttrV, CallV, ClaimsV, ConstV, CostlyV, DictV, ExtV, InstanceV, LambdaV, Loc,
    OpaqueV, PartialV, SeqV, Val, alts, const_str, one_of,
)
from dynolint.model.binding import bind_params
from dynolint.model.handler_context import context_method
from dynolint.model.decorators import PROJECT_CALLABLE as CALLABLE
from dynolint.model.external import verifies
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

MAX_FOLDED = 8  # elements of a list the code built that ``reduce`` folds one by one


def is_callable(value: Val) -> bool:
    """A callable the model can run: a project function or class, a partial, a lambda, or a
    method of an SDK object (``asyncio.to_thread(table.get_item, Key=...)``)."""
    return isinstance(value, CALLABLE) or type(value) is AttrV and type(value.base) in SDK_OBJECTS or \
        type(value) is ExtV and value.path in OPERATOR_FUNCTIONS
FUTURE = "concurrent.futures.Future"


@dataclass(frozen=True, slots=True)
class ExitCallback:
    """A callback pushed on an exit stack (``stack.callback(func, *args, **kwargs)``), to run
    where the stack's ``with`` block ends; ``node`` and ``loc`` are the push's call."""

    func: Val
    args: tuple[Val, ...]
    kwargs: tuple[tuple[str, Val], ...]
    node: ir.Call
    loc: Loc


class LibraryMixin(Mixin):
    def library_call(self: Machine, path: str, args: list[Val], kwargs: dict[str, Val], node: ir.Call, loc: Loc,
                     state: State, frame: Frame) -> Val | None:
        """A library function that calls back or iterates (None: not one of those)."""
        if path in GRAPHQL_RUNNERS and (executed := graphql.execute_function(self, path, args, kwargs, loc, state,
                                                                            frame)) is not None:
            return executed  # ``graphql_sync(schema, data, context_value=ctx)``: the resolvers run
        if path in GRAPHQL_SERVERS:  # ``GraphQLRouter(schema, context_getter=...)``: each request runs them
            graphql.serve(self, path, args, kwargs, node, loc, state, frame)
        if path == "functools.partial" and args:
            return PartialV(args[0], tuple(args[1:]), tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
        if path.endswith(GOT) and path[:-len(GOT)] in MIDDLEWARE_FACTORIES and args:
            # ``@mw`` (the middleware made by lambda_handler_decorator) of a handler: the handler given
            # first, the event and context after; ``@mw(**kw)``: the keywords kept for that call
            if len(args) == 1:
                return PartialV(ExtV(path), tuple(args[:1]), tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
            return PartialV(args[0], tuple(args[1:2]), tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
        if path in GETTERS and args and not kwargs:  # ``itemgetter("a", "b")``: a callable kept with its keys
            return PartialV(ExtV(path + GOT), tuple(args), ())
        if path.endswith(GOT) and path[:-len(GOT)] in GETTERS and len(args) >= 2:  # that callable called on one object
            *keys, obj = args
            got = [self.got(GETTERS[path[:-len(GOT)]], obj, key, loc, state, frame) for key in keys]
            return got[0] if len(got) == 1 else SeqV("tuple", tuple(got))
        called: Val | None = None
        callback = CALLBACKS.get(path)
        if callback is not None:
            called = self.run_callback(callback, args, kwargs, node, loc, state, frame)
        shape = ITERATION.get(path)
        if shape is not None and shape[0] == "least" and len(args) > 1:
            self.examine((one_of(args),), state, loc)  # ``max(0, item["n"] - k)`` compares with the item
            return one_of(args)
        if shape is not None:
            iterated = self.iterate_as(shape, args)
            if iterated is not None:
                return iterated
        return called

    def library_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], node: ir.Call,
                       loc: Loc, state: State, frame: Frame) -> Val | None:
        """A method that calls back (an executor's submit/map, a loop's run_in_executor), a
        future's result, or a page iterator's merged result; a callback pushed on an exit stack."""
        pushed = self.push_exit_callback(recv, name, args, kwargs, node, loc, state, frame)
        if pushed is not None:
            return pushed
        if name in GRAPHQL_CONTEXTS and (executed := graphql.execute(self, recv, name, args, kwargs, loc, state,
                                                                     frame)) is not None:
            return executed  # a GraphQL schema of the project's classes runs their resolvers
        if name in ("append_context", "get"):  # a Powertools resolver's context (model/handler_context.py)
            kept = context_method(self, recv, name, args, kwargs, loc, state, frame)
            if kept is not None:
                return kept
        locked = self.lock_method(recv, name, args, kwargs, loc, state, frame)  # model/locks.py
        if locked is not None:
            return locked
        if name == "decode" and any(type(a) is CallV and a.fn in JWT_CLASSES for a in alts(recv)):
            made = [dict(a.kwargs) for a in alts(recv) if type(a) is CallV]  # ``jwt.PyJWT(options=...).decode(t)``
            return ClaimsV(verifies(made + [kwargs]))
        for alt in alts(recv):
            if name == "start" and type(alt) is InstanceV and self.derives(alt.cls, "runnable") \
                    and (run := self.find_method(alt.cls, "run")) is not None:
                self.invoke(run, alt, [], {}, loc, state, frame)  # ``Saver(item).start()``: its ``run()``
                return NONE
            passed = self.passing_method(alt, name)
            if passed is not None:
                return args[passed] if len(args) > passed else UNKNOWN
            if isinstance(alt, CallV) and alt.recv is None:
                if alt.fn == FUTURE and name == "result":
                    return alt.args[0] if alt.args else UNKNOWN
                if f"{alt.fn}.{name}" in TASK_MAKERS and args:
                    return args[0]  # a task of the coroutine the model ran: awaited, its value
                if alt.fn.startswith("asyncio.") and name in LOOP_RUNS and args:
                    return args[0]
                callback = METHOD_CALLBACKS.get(f"{alt.fn}.{name}")
                if callback is not None:
                    return self.run_callback(callback, args, kwargs, node, loc, state, frame, future=True)
            if isinstance(alt, CostlyV) and alt.what.startswith("HTTP request (") and name in HTTP_CLIENT_METHODS:
                return CostlyV(loc, f"{alt.what[:-1]}.{name})", tuple(args) + tuple(kwargs.values()), self.costly_seq())
            if isinstance(alt, SeqV) and alt.kind == "pages" and name in PAGES:
                page = self.element(alt)
                if PAGES[name] == "element":
                    return page
                return SeqV("items", (self.element(self.get_item(page, ConstV("Items"), loc, state, frame)),))
        callback = ANY_RECEIVER_CALLBACKS.get(name)
        if callback is not None and any(self.runnable(a) for a in alts(self.callback_of(callback, args, kwargs))):
            return self.run_callback(callback, args, kwargs, node, loc, state, frame, future=True)
        return None

    def passing_method(self: Machine, recv: Val, name: str) -> int | None:
        """Where the data is that a library method gives back (``PASSING_METHODS``: a schema's
        ``load``/``dump``), on an instance of the library class or of a project class deriving
        from it; None: not such a method."""
        for path, methods in PASSING_METHODS.items():
            if name in methods and (isinstance(recv, CallV) and recv.recv is None and recv.fn == path
                                    or isinstance(recv, InstanceV) and self.derives(recv.cls, path)):
                return methods[name]
        return None

    # -- calling back ----------------------------------------------------------------------
    def runnable(self: Machine, value: Val) -> bool:
        """A callable the model can run (:func:`is_callable`), or an object of a project class
        that defines ``__call__``."""
        return is_callable(value) or type(value) is InstanceV and self.find_method(value.cls, "__call__") is not None

    def callback_of(self: Machine, callback: Callback, args: list[Val], kwargs: dict[str, Val]) -> Val:
        where = callback.func
        if isinstance(where, int):
            return args[where] if len(args) > where else UNKNOWN
        return kwargs.get(where, UNKNOWN)

    def run_callback(self: Machine, callback: Callback, args: list[Val], kwargs: dict[str, Val], node: ir.Call,
                     loc: Loc, state: State, frame: Frame, future: bool = False) -> Val | None:
        func = self.callback_of(callback, args, kwargs)
        if func is UNKNOWN and callback.default is not None:
            func = ExtV(callback.default)  # ``accumulate(numbers)`` adds
        if not any(self.runnable(a) for a in alts(func)):
            return None
        if callback.each is not None:
            each = callback.each
            source = (args[each] if len(args) > each else UNKNOWN) if isinstance(each, int) else \
                kwargs.get(each, UNKNOWN)
            if callback.each_in is not None:
                source = self.get_item(source, ConstV(callback.each_in), loc, state, frame, quiet=True)
            if callback.result in ("fold", "folds"):
                where = callback.start
                start = (args[where] if len(args) > where else None) if isinstance(where, int) else \
                    kwargs.get(where) if where is not None else None
                done = self.fold(func, source, start, node, loc, state, frame, every=callback.result == "folds")
                return SeqV("items", (done,)) if callback.result == "folds" else done
            result = self.apply(func, [self.element(source)], {}, (), node, loc, state, frame)
            if callback.key is not None:  # (the items ordered by what they hold: model/in_place.py)
                self.note_contents_used(result, state)
            if callback.result == "mapped":
                return SeqV("items", (result,))
            return None  # "same": what iterating the call gives (ITERATION)
        passed: list[Val] = []
        if isinstance(callback.args, int):
            passed = list(args[callback.args:])
        elif isinstance(callback.args, str) and callback.args in kwargs:
            given = kwargs[callback.args]
            known = [a for a in alts(given) if isinstance(a, SeqV)]
            passed = list(known[0].elts) if len(known) == 1 else [self.element(given)]
        named: dict[str, Val] = {}
        if callback.kwargs is not None:
            for alt in alts(kwargs.get(callback.kwargs, UNKNOWN)):
                if isinstance(alt, DictV):
                    named.update((k, v) for key, v in alt.items for k in (const_str(key),) if k is not None)
        if callback.rest_kwargs:
            named.update((k, v) for k, v in kwargs.items() if k != callback.func)
        result = self.apply(func, passed, named, (), node, loc, state, frame)
        if callback.result == "call":
            return result
        if future:
            return CallV(FUTURE, None, (result,))
        return None

    def fold(self: Machine, func: Val, source: Val, start: Val | None, node: ir.Call, loc: Loc, state: State,
             frame: Frame, every: bool = False) -> Val:
        """``reduce(func, source, start)``: ``func`` called with what it returned so far and each
        element in turn; over a list the code built, element by element (a few), else once with
        an element of each, which may also be all the call gives (one element, no start).
        ``every``: any value so far (``accumulate``), not the last."""
        known = [a for a in alts(source) if isinstance(a, SeqV) and a.kind in ("list", "tuple")]
        if len(known) == 1 and len(alts(source)) == 1 and 0 < len(known[0].elts) <= MAX_FOLDED:
            elements = list(known[0].elts)
            done = start if start is not None else elements.pop(0)
            so_far = [done]
            for element in elements:
                done = self.apply(func, [done, element], {}, (), node, loc, state, frame)
                so_far.append(done)
            return one_of(so_far) if every else done
        first = start if start is not None else self.element(source)
        folded = self.apply(func, [first, self.element(source)], {}, (), node, loc, state, frame)
        return folded if start is not None and not every else one_of((first, folded))

    # -- exit stacks ----------------------------------------------------------------------------
    def open_exit_stack(self: Machine, manager: Val) -> list[ExitCallback] | None:
        """Where the callbacks pushed on ``manager`` go while its ``with`` block runs, when it is
        an exit stack (None: it is not one)."""
        if not any(type(a) is CallV and a.recv is None and a.fn in EXIT_STACKS for a in alts(manager)):
            return None
        pushed: list[ExitCallback] = []
        self.exit_stacks.append((manager, pushed))
        return pushed

    def push_exit_callback(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val],
                           node: ir.Call, loc: Loc, state: State, frame: Frame) -> Val | None:
        """``stack.callback(func, *args)`` on an exit stack that a running ``with`` block holds
        (the innermost one): kept for the block's end; the result is ``func``, as contextlib's.
        ``stack.enter_context(cm)`` of a project context manager: its ``__enter__`` (or
        ``__aenter__``) runs now and gives the result, its ``__exit__`` is kept for the end."""
        if not args or (name not in EXIT_CALLBACKS and name not in ENTERS):
            return None
        pushed = next((p for manager, p in reversed(self.exit_stacks)
                       if not set(alts(recv)).isdisjoint(alts(manager))), None)
        result: Val | None = args[0]
        if name in ENTERS:
            is_async = name == "enter_async_context"
            result = self.dunder(args[0], "__aenter__" if is_async else "__enter__", [], loc, state, frame)
            if result is None:
                return None  # not a project context manager: what entering any other gives (files.enter)
            callback = ExitCallback(self.get_attr(args[0], "__aexit__" if is_async else "__exit__", loc, state, frame),
                                    (NONE, NONE, NONE), (), node, loc)
        elif pushed is not None:
            callback = ExitCallback(args[0], tuple(args[1:]), tuple(kwargs.items()), node, loc)
        else:
            return None  # a stack no running with block holds: its callbacks are not followed
        if pushed is not None:
            self.summaries.effect()  # the block's end depends on it: the call is inlined, never reused
            pushed.append(callback)
        return result

    def close_exit_stack(self: Machine, pushed: list[ExitCallback], ends: list[State], frame: Frame) -> None:
        """The ``with`` block over an exit stack ends (where its body ends, and at each return in
        it): the callbacks pushed on it run there, the last pushed first, on that path."""
        self.exit_stacks[:] = [entry for entry in self.exit_stacks if entry[1] is not pushed]
        for end in ends:
            for callback in reversed(pushed):
                if not end.dead:
                    self.apply(callback.func, list(callback.args), dict(callback.kwargs), (), callback.node,
                               callback.loc, end, frame)

    def got(self: Machine, kind: str, obj: Val, key: Val, loc: Loc, state: State, frame: Frame) -> Val:
        """What ``itemgetter(key)`` (``obj[key]``) or ``attrgetter(key)`` (``obj.key``, a dotted
        name attribute by attribute) takes of ``obj``."""
        if kind == "item":
            return self.get_item(obj, key, loc, state, frame)
        name = const_str(key)
        if name is None:
            return UNKNOWN
        for part in name.split("."):
            obj = self.get_attr(obj, part, loc, state, frame)
        return obj

    def call_partial(self: Machine, partial: PartialV, args: list[Val], kwargs: dict[str, Val], node: ir.Call, loc: Loc,
                     state: State, frame: Frame) -> Val:
        return self.apply(partial.func, list(partial.args) + args, {**dict(partial.kwargs), **kwargs}, (),
                          node, loc, state, frame)

    def call_lambda(self: Machine, func: LambdaV, args: list[Val], kwargs: dict[str, Val], state: State,
                    frame: Frame) -> Val:
        """A lambda's body, evaluated with its parameters bound, in the scope it was made in."""
        lam = self.lambdas.get((func.path, func.site))
        if lam is None or self.budget <= 0 or frame.depth >= 8:
            if lam is not None and self.budget <= 0:
                self.summaries.cut()
            elif lam is not None:
                self.summaries.cut_depth()
            return OpaqueV((func.path, func.site), tuple(args))
        env = self.closures[func.closure] if func.closure >= 0 else {}
        defaults = dict(func.defaults)  # evaluated where the lambda was made
        params = bind_params(lam.params, args, kwargs, lambda param, _: defaults.get(param.name, UNKNOWN))
        from dynolint.model.state import Frame as FrameCls

        scope = FrameCls(func.path, "<lambda>", None, frozenset(params), frozenset(), env, frame.chain,
                         frame.depth + 1, frame.info, frame.root)
        inner = state.with_env(params)  # the path goes on through it
        value = self.eval(lam.body, inner, scope)
        state.flow_from(inner)
        return value

    # -- iterating ---------------------------------------------------------------------------
    def iterate_as(self: Machine, shape: tuple[str, int], args: list[Val]) -> Val | None:
        how, index = shape
        if index >= 0 and len(args) <= index:
            return None
        source = args[index] if index >= 0 else UNKNOWN
        if how == "same":
            return source
        if how in ("element", "least"):
            return self.element(source)
        if how == "chain":
            return SeqV("items", (one_of([self.element(a) for a in args]),)) if args else None
        if how == "flatten":
            return SeqV("items", (self.element(self.element(source)),))
        if how == "enumerate":
            return SeqV("items", (SeqV("tuple", (OpaqueV(("", -1), ()), self.element(source))),))
        if how == "zip":
            return SeqV("items", (SeqV("tuple", tuple(self.element(a) for a in args)),))
        if how == "chunks":
            return SeqV("items", (SeqV("items", (self.element(source),)),))
        if how == "groups":
            return SeqV("items", (SeqV("tuple", (OpaqueV(("", -1), ()), SeqV("items", (self.element(source),)))),))
        return None

    def concat_sequences(self: Machine, left: Val, right: Val) -> Val | None:
        """``a + b`` of two sequences: the elements of both."""
        if not any(isinstance(a, SeqV) for a in alts(left)) and not any(isinstance(a, SeqV) for a in alts(right)):
            return None
        if isinstance(left, SeqV) and isinstance(right, SeqV) and left.kind == right.kind \
                and left.kind in ("list", "tuple"):
            return SeqV(left.kind, left.elts + right.elts)
        parts = [self.element(v) for v in (left, right) if not (isinstance(v, SeqV) and not v.elts)]
        return SeqV("items", (one_of(parts),)) if parts else SeqV("list", ())
