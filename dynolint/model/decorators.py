"""Decorators as Python applies them: ``@deco def f`` binds ``f`` to ``deco(f)``. A
decorator of the project that returns a wrapper makes the wrapper what callers call, and
what an analysis root starts from: the wrapper runs with the function's own parameters
(a Lambda event and context) and calls the wrapped function with what it chooses (a
tenant id it resolved, a retried call, a transaction)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model import apps
from dynolint.model.events import GlobalStore
from dynolint.model.library import GOT, MIDDLEWARE_FACTORIES
from dynolint.model.library_web import BEFORE_REQUEST_HOOKS
from dynolint.model.mixin import Mixin
from dynolint.model.values import BoundV, ClassV, ExtV, FuncV, LambdaV, PartialV, SeqV, Val, alts, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

PROJECT_CALLABLE = (FuncV, BoundV, ClassV, PartialV, LambdaV)
CACHE_DECORATORS = ("functools.lru_cache", "functools.cache", "cachetools.cached", "lru_cache", "cache",
                    # cachetools' memoizing decorators, each keyed by the arguments as lru_cache is
                    "cachetools.func.ttl_cache", "cachetools.func.lru_cache", "cachetools.func.lfu_cache",
                    "cachetools.func.fifo_cache", "cachetools.func.rr_cache", "cachetools.func.mru_cache")
WRAPPER_CALLABLE = (FuncV, BoundV, PartialV, LambdaV)


class DecoratorsMixin(Mixin):
    def decorate(self: Machine, value: Val, function: ir.Function, state: State, frame: Frame) -> Val:
        """``value`` (the function just defined) after its decorators of the project, applied
        bottom-up; a decorator that is not the project's, or that returns something other
        than a callable, leaves it as it was."""
        current = value
        for decorator in reversed(function.decorators):
            applied = self.eval(decorator, state, frame)
            apps.startup_hook(self, decorator, current, function.site, state, frame)  # ``@app.before_serving``
            if type(decorator) is ir.Attr and decorator.attr in BEFORE_REQUEST_HOOKS and type(current) is FuncV \
                    and frame.function is not None and len(self.registered_at_run) < 1_000:
                # ``@app.before_request`` in an app factory (a module's own: model/request_hooks.py)
                self.registered_at_run.append((self.eval(decorator.value, state, frame), current))
            if any(isinstance(a, ExtV) and a.path in MIDDLEWARE_FACTORIES for a in alts(applied)):
                # ``@lambda_handler_decorator def mw(handler, event, context)``: ``@mw`` then makes a
                # handler that calls ``mw(handler, event, context)`` (model/library_calls.py)
                current = PartialV(ExtV(next(a.path for a in alts(applied) if isinstance(a, ExtV)) + GOT),
                                   (current,), ())
                continue
            result = self.apply_decorator(decorator, applied, current, function.site, state, frame)
            if result is not None and any(isinstance(a, WRAPPER_CALLABLE) for a in alts(result)):
                current = result
        return current

    def apply_decorator(self: Machine, decorator: ir.Expr, applied: Val, value: Val, site: int, state: State,
                        frame: Frame) -> Val | None:
        """What the decorator ``applied`` (the value of ``decorator``) makes of ``value`` when it
        is the project's (a function, a class, a closure a factory returned); None otherwise."""
        if not any(isinstance(a, PROJECT_CALLABLE) for a in alts(applied)):
            return None
        call = ir.Call(decorator, (), (), site)
        return self.apply(applied, [value], {}, (), call, (frame.path, site), state, frame)

    def method_wrapper(self: Machine, method: FuncV) -> Val | None:
        """What the project decorators of a method made of it (``@records("trashed")`` returning a
        wrapper that calls it and then records the activity), which the instance's attribute is;
        None when they made nothing else (or it has none). Once per method, where its module's
        names are: a decorator runs when the class body does."""
        from dynolint.model.state import State as StateCls

        key = (method.path, method.qualname)
        if key in self.method_wrappers:
            return self.method_wrappers[key]
        self.method_wrappers[key] = None  # (while computed: a decorator that reads the method itself)
        function = self.project.functions.get(key)
        if function is None or not function.decorators or method.closure >= 0:
            return None
        frame = self.module_frame(method.path)
        made = self.decorate(method, function, StateCls(dict(self.run_module(method.path))), frame)
        found = made if made != method and alts(made) and all(isinstance(a, WRAPPER_CALLABLE) for a in alts(made)) \
            else None
        self.method_wrappers[key] = found
        return found

    def decorate_class(self: Machine, value: ClassV, klass: ir.Class, state: State, frame: Frame) -> Val:
        """The class just defined after its decorators of the project, applied bottom-up (a
        registry filled by a decorator: ``@repository("DOC")`` storing the class under its
        name); the class itself unless a decorator returns a class."""
        current: Val = value
        for decorator in reversed(klass.decorators):
            result = self.apply_decorator(decorator, self.eval(decorator, state, frame), current, klass.site, state, frame)
            if result is not None and alts(result) and all(type(a) is ClassV for a in alts(result)):
                current = result
        return current

    def decorated(self: Machine, path: str, function: ir.Function) -> Val | None:
        """What a module-level function's name is bound to, when decorators of the project
        replaced it by a wrapper (None otherwise)."""
        if not function.decorators or function.parent is not None or function.class_qualname is not None:
            return None
        value = self.run_module(path).get(function.name)
        if value is None or value == FuncV(path, function.qualname):
            return None
        if not any(isinstance(a, WRAPPER_CALLABLE) for a in alts(value)):
            return None
        return value

    def wrapped_by_call(self: Machine, path: str, function: ir.Function) -> Val | None:
        """A wrapper of a module-level function that a decorator applied by a call made
        (``legacy_view = tenant_endpoint(resolve=by_path)(_view)``, ``handler = with_tenant(_handle)``):
        the module globals holding a closure that captured the function (None: no such)."""
        if function.decorators or function.parent is not None or function.class_qualname is not None:
            return None
        by_function = self.call_wrappers.get(path)
        if by_function is None:  # (once per module: which function each closure among its globals captured)
            by_function = self.call_wrappers[path] = {}
            for value in self.run_module(path).values():
                for alt in alts(value):
                    if type(alt) is not FuncV or alt.closure < 0:
                        continue
                    for held in self.closures[alt.closure].values():
                        for captured in alts(held):
                            if type(captured) is FuncV and captured.path == path and captured.closure < 0 \
                                    and captured.qualname != alt.qualname:
                                wrappers = by_function.setdefault(captured.qualname, [])
                                if alt not in wrappers and len(wrappers) < 4:
                                    wrappers.append(alt)
        found = by_function.get(function.qualname)
        return one_of(found) if found else None

    def run_decorated_root(self: Machine, wrapper: Val, function: ir.Function, env: dict[str, Val], state: State,
                           frame: Frame) -> bool:
        """Run a root through its decorators' wrapper, called with the function's parameters;
        False when the wrapper never reached the function's body (then it is analysed on
        its own)."""
        mark = len(self.frames)
        args = self.handler_wrapper_args(wrapper, frame, function) if not self.handler_shaped(function) else None
        if args is None:  # (less what the wrapper puts before them: ``fn(winery_id, *args)``)
            args = [env[p.name] for p in function.params if p.kind == "pos" and p.name in env][self.wrapper_supplies(wrapper):]
        kwargs = {p.name: env[p.name] for p in function.params if p.kind == "kwonly" and p.name in env}
        call = ir.Call(ir.Name(function.name), (), (), function.site)
        self.apply(wrapper, args, kwargs, (), call, (frame.path, function.site), state, frame)
        return any(info.func == function.qualname and info.path == frame.path for info in self.frames[mark:])

    def wrapper_supplies(self: Machine, wrapper: Val) -> int:
        """How many positional arguments a wrapper that passes its own on (``def wrapper(*args,
        **kwargs)``) puts before them when it calls the function it wraps (``return
        fn(winery_id, *args, **kwargs)``: 1); the caller gives the function's other parameters."""
        options = [alt for alt in alts(wrapper) if type(alt) is FuncV]
        own = self.project.functions.get((options[0].path, options[0].qualname)) if len(options) == 1 else None
        star = next((p.name for p in own.params if p.kind == "vararg"), None) if own is not None else None
        if own is None or star is None:
            return 0
        for node in ir.walk(own.body):
            if type(node) is ir.Call and node.star_args and type(node.star_args[0]) is ir.Name \
                    and node.star_args[0].id == star and type(node.func) is ir.Name and node.func.id not in own.locals:
                return node.star_at[0] if node.star_at else 0
        return 0

    def handler_wrapper_args(self: Machine, wrapper: Val, frame: Frame, function: ir.Function) -> list[Val] | None:
        """What Lambda (or the web framework) gives a wrapper shaped as a handler (``def
        wrapper(event, context)``), or taking other parameters than the function (``def
        endpoint(request)`` of ``view(request, clients)``), which it calls with what it takes
        out of them (``fn(event, context.tenant_id)``): its own parameters, valued as a root's.
        None for a wrapper that passes its arguments on (``*args, **kwargs``), which the
        function's own stand for."""
        options = [alt for alt in alts(wrapper) if type(alt) is FuncV]
        if len(options) != 1 or len(alts(wrapper)) != 1:
            return None
        own = self.project.functions.get((options[0].path, options[0].qualname))
        if own is None or any(p.kind != "pos" for p in own.params) or not (
                self.handler_shaped(own) or len(own.params) != len([p for p in function.params if p.kind == "pos"])):
            return None
        env = self.root_params(options[0].path, own, False, None, frame)
        return [env[p.name] for p in own.params]

    # -- caches --------------------------------------------------------------------------
    def cache_decorator(self: Machine, function: ir.Function, path: str) -> ir.Expr | None:
        """The caching decorator (``lru_cache``, ``cachetools.cached(...)``) on ``function``, if any."""
        from dynolint.model.state import State as StateCls

        frame = self.module_frame(path)
        for decorator in function.decorators:
            target = decorator.func if isinstance(decorator, ir.Call) else decorator
            if any(isinstance(a, ExtV) and a.path in CACHE_DECORATORS
                   for a in alts(self.peek(target, StateCls({}), frame))):
                return decorator
        return None

    def cached_function(self: Machine, function: ir.Function, path: str) -> bool:
        return self.cache_decorator(function, path) is not None

    def cache_key_function(self: Machine, function: ir.Function, path: str) -> Val | None:
        """The ``key=`` a caching decorator was given (``@cached(cache, key=lambda t: "table")``):
        what the cache files the result under, instead of the arguments."""
        from dynolint.model.state import State as StateCls

        decorator = self.cache_decorator(function, path)
        for name, value in decorator.kwargs if isinstance(decorator, ir.Call) else ():
            if name == "key" and isinstance(value, ir.Lambda):  # (made where the module binds it)
                self.lambdas[(path, value.site)] = value
                return LambdaV(path, value.site)
            if name == "key":
                made = self.peek(value, StateCls({}), self.module_frame(path))
                return made if all(isinstance(a, (FuncV, LambdaV)) for a in alts(made)) else None
        return None

    def cache_store(self: Machine, function: ir.Function, func: FuncV, args: list[Val], kwargs: dict[str, Val],
                    result: Val, callee: Frame, frame: Frame) -> None:
        """An ``lru_cache``d function stores its result in module state, keyed by its
        arguments (or by what its decorator's ``key=`` function makes of them); reported at its
        (last) return statement."""
        from dynolint.model.state import State as StateCls

        key: Val = SeqV("tuple", tuple(args) + tuple(kwargs.values()))
        key_function = self.cache_key_function(function, func.path)
        if key_function is not None:
            loc = (func.path, function.site)
            key = one_of(self.call_lambda(alt, args, kwargs, StateCls({}), frame) if isinstance(alt, LambdaV)
                         else self.invoke(alt, None, args, kwargs, loc, StateCls({}), frame)
                         for alt in alts(key_function) if isinstance(alt, (FuncV, LambdaV)))
        site = callee.return_sites[-1] if callee.return_sites else function.site
        self.global_stores.append(GlobalStore(
            (func.path, site), func.path, function.qualname, "cache", key, result, frame.info, frame.root))
