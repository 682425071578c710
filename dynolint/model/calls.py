"""Calls: into project functions (inlined), classes instantiated, methods of plain values,
caches and module state; the external functions the model knows are
:mod:`dynolint.model.external` (files and /tmp :mod:`dynolint.model.files`, iteration and
callbacks :mod:`dynolint.model.library_calls`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from dynolint.phase1 import ir
from dynolint.model.containers import counts
from dynolint.model.literals import as_kwargs, empty_dict, spread_entries
from dynolint.model.binding import bind, spreads
from dynolint.model.module_state import Entry, within
from dynolint.model.raising import settle
from dynolint.model.key_facts import carries_identity
from dynolint.model.library import CONSTRUCTORS, ELEMENT_ADDERS, ENTERS, REQUEST_TEXT_METHODS, UNBOUND_TYPES
from dynolint.model.library_web import BEFORE_REQUEST_HOOKS

from dynolint.model.request_hooks import BLUEPRINT_REGISTRATIONS
from dynolint.model import di, mappings
from dynolint.model.strings import format_parts, join_parts, template_parts
from dynolint.model.unseen import opaque_work, overridden, stamp
from dynolint.model.verdicts import returned_options, won_on_each
from dynolint.model.values import (
    NONE, UNKNOWN, AttrV, BoundV, CallV, ClaimsV, ClassV, ConstV, DictV,
    SDK_OBJECTS, EventV, ExtV, FuncV, InstanceV, LambdaV, Loc, OpaqueV, PartialV, ReadItemV, ReadV, SeqV, StrV, Val,
    alts, const_str, one_of,
)
from dynolint.model.decorators import CACHE_DECORATORS  # re-exported
from dynolint.model.containers import dict_keys, exact_entry, plain_dicts, typed_dict
from dynolint.model.library import TYPED_DICT_BASES
from dynolint.model.mixin import Mixin
from dynolint.model.state import NO_ALIASES, Frame, State, merge, nonlocal_names

if TYPE_CHECKING:
    from dynolint.model.interp import Machine


# methods of a string that make another string from it alone (folded on a constant)
CASE_METHODS = frozenset({"lower", "upper", "casefold", "title", "capitalize", "swapcase", "strip", "lstrip", "rstrip"})


class CallsMixin(Mixin):
    def eval_call(self: Machine, call: ir.Call, state: State, frame: Frame) -> Val:
        func = self.eval(call.func, state, frame)
        if type(func) is ExtV and func.path == "any" and len(call.args) == 1 and not call.kwargs \
                and type(call.args[0]) is ir.Comp and call.args[0].kind != "dict":
            return self.eval_comp(ir.as_filter(call.args[0]), state, frame)
        if type(func) is ExtV and func.path == "filter" and (kept := ir.filter_as_comp(call)) is not None:
            return self.eval_comp(kept, state, frame)
        if type(func) is ExtV and func.path == "dict" and (paired := ir.pairs_as_dict_comp(call)) is not None:
            return self.eval_comp(paired, state, frame)
        args = [self.eval(a, state, frame) for a in call.args]
        kwargs: dict[str, Val] = {}
        unknown_spreads: list[Val] = []  # ``**x`` of values the model cannot enumerate
        for name, value_expr in call.kwargs:
            value = self.eval(value_expr, state, frame)
            if name is not None:
                kwargs[name] = value
                continue
            # (a dict with entries under keys the code computes, ``{f.name: item[f.name] for f in
            # fields(C)}``, is spread as a mapping not enumerated: each name may be one of them)
            entries = spread_entries(value)
            if entries is not None:
                kwargs.update(entries)  # a keyword only some of the dicts give is absent on the others' paths
            else:
                unknown_spreads.append(value)
        spread_at = call.star_at or (len(call.args),) * len(call.star_args)
        for star, at in reversed(list(zip(call.star_args, spread_at))):  # (the last first: ``at`` counts ``args``)
            spread = self.eval(star, state, frame)
            if type(spread) is SeqV and spread.kind in ("tuple", "list"):  # ``f(*parts)`` of a known tuple
                args[at:at] = spread.elts
            else:  # a sequence of unknown length: taken as one argument, one of its elements
                args.insert(at, self.element(spread))
        if unknown_spreads:  # ``f(**item)``: the parameters f takes by name are the item's entries
            self.spread_into(func, args, kwargs, unknown_spreads, (frame.path, call.site), state, frame)
        return self.apply(func, args, kwargs, tuple(unknown_spreads), call, (frame.path, call.site), state, frame)

    def apply(self: Machine, func: Val, args: list[Val], kwargs: dict[str, Val], spread_unknown: tuple[Val, ...], call: ir.Call,
              loc: Loc, state: State, frame: Frame) -> Val:
        """Call ``func`` (each of its alternatives) with evaluated arguments."""
        options = list(alts(func))
        if len(options) == 1 or (sum(type(a) in (FuncV, BoundV, ClassV, PartialV, LambdaV) for a in options) < 2
                                 and sum(type(a) is AttrV and type(a.base) in SDK_OBJECTS for a in options) < 2):
            each = [self.call(alt, args, kwargs, spread_unknown, call, loc, state, frame) for alt in options]
            # one callee: its result as it is (an answer keeps its options, model/verdicts.py)
            return stamp(each[0] if len(each) == 1 else one_of(each), frame, self.next_seq(), loc)
        # several project callables (overrides, a table of handlers), or one SDK call on either
        # of several objects (a table made with the tenant's credentials or the role's): each
        # one is a path of its own from the call, and the paths merge after it
        results: list[Val] = []
        outs: list[State] = []
        before = state.claims
        for alt in options:
            branch = state.copy()
            results.append(self.call(alt, args, kwargs, spread_unknown, call, loc, branch, frame))
            outs.append(branch)
        joined = merge(outs)
        state.env = joined.env
        state.flow_from(joined)
        state.add_claims(won_on_each(options, outs, before))
        return one_of(overridden(results))

    def call(self: Machine, func: Val, args: list[Val], kwargs: dict[str, Val], spread_unknown: tuple[Val, ...],
             node: ir.Call, loc: Loc, state: State, frame: Frame) -> Val:
        if type(func) is FuncV:
            return self.invoke(func, None, args, kwargs, loc, state, frame, node)
        if type(func) is BoundV:
            return self.invoke(func.func, func.self_val, args, kwargs, loc, state, frame, node)
        if type(func) is ClassV:
            return self.instantiate(func, args, kwargs, loc, state, frame, spread_unknown)
        if self.mappings_made and (type(func) is ExtV or type(func) is AttrV and type(func.base) is not InstanceV):
            args, kwargs = mappings.given_to_library(self, args, kwargs)  # library code sees a dict
        if type(func) is ExtV:
            if func.path == "super":
                return self.make_super(args, frame.self_val, frame.cls, frame.path)
            kind, _, unbound = func.path.partition(".")
            if kind in UNBOUND_TYPES and unbound and unbound not in CONSTRUCTORS and args and node.args \
                    and not node.star_args:
                bound = ir.Call(ir.Attr(node.args[0], unbound, node.site), node.args[1:], node.kwargs, node.site,
                                discarded=node.discarded)  # ``dict.update(item, m)`` as ``item.update(m)``
                return self.call_method(args[0], unbound, args[1:], kwargs, spread_unknown, bound, loc, state, frame)
            return self.call_external(func.path, args, kwargs, spread_unknown, node, loc, state, frame)
        if type(func) is PartialV:
            return self.call_partial(func, args, kwargs, node, loc, state, frame)
        if type(func) is LambdaV:
            return self.call_lambda(func, args, kwargs, state, frame)
        if type(func) is AttrV:
            return self.call_method(func.base, func.name, args, kwargs, spread_unknown, node, loc, state, frame)
        if type(func) is CallV and di.provider(func):  # a dependency-injector provider called (model/di.py)
            return di.provide(self, func, args, kwargs, node, loc, state, frame)
        if type(func) is CallV and func.recv is None and func.fn in TYPED_DICT_BASES and len(args) <= 1:
            return typed_dict(args, kwargs)  # ``Member = TypedDict("Member", {...})`` called
        if type(func) is EventV and not args and not kwargs:
            return func  # an accessor of the event's own (Powertools ``authorizer.get_context()``): that part
        if type(func) is InstanceV and (method := self.find_method(func.cls, "__call__")) is not None:
            return self.invoke(method, func, args, kwargs, loc, state, frame)  # a callable object
        return CallV("?", func, tuple(args))

    # -- project functions ---------------------------------------------------------------
    def invoke(self: Machine, func: FuncV, self_val: Val | None, args: list[Val], kwargs: dict[str, Val],
               loc: Loc, state: State, frame: Frame, site: ir.Call | None = None) -> Val:
        """Call a project function: reuse its summary for this calling context when there is
        one (model/summaries.py), else inline its body on the caller's path."""
        from dynolint.model.depth import may_run

        function = self.project.functions.get((func.path, func.qualname))
        key = (func.path, func.qualname, func.closure)  # (a decorator's wrapper: one per function it wraps)
        if function is None:
            return OpaqueV(loc, tuple(args) + tuple(kwargs.values()))
        if not may_run(self, function, func.path, frame.depth) or key in self.call_stack or self.budget <= 0:
            if self.budget <= 0:
                self.summaries.cut()
            elif key in self.call_stack:
                self.summaries.cut_recursion(self.call_stack.index(key))
            else:
                self.summaries.cut_depth()
            return OpaqueV(loc, tuple(args) + tuple(kwargs.values()))
        summaries = self.summaries
        # given module state by name (``remember(CACHE, k, v)``) its stores are the module's, and
        # given a sequence of unknown length its defaults may not be left out: both change what
        # the body does with the same argument values, so such a call is run
        given = self.passed_state(function, self_val is not None, site, state, frame) if site is not None else {}
        spread = spreads(self, site, state, frame)
        # a function that rebinds its encloser's variables (``nonlocal``) changes the caller's
        # names, which a summary does not replay: it is always run
        context = summaries.context(func.path, f"{func.qualname}#{func.closure}", self_val, args, kwargs, state) \
            if not given and not spread and (not function.declared_global or not nonlocal_names(function)) else None
        if context is not None:
            reused = summaries.reuse(context, frame.depth, loc, state, frame.root)
            if reused is not None:
                self.path_facts = state.facts  # type: ignore[misc]  # declared in Machine: mypy looks in the part
                result = reused
            else:
                log = summaries.start(len(self.call_stack), state)
                try:
                    result = self.inline(function, func, self_val, args, kwargs, loc, state, frame)
                except BaseException:
                    summaries.abandon(log)
                    raise
                summaries.finish(log, context, frame.depth, result, loc, state)
        else:
            result = self.inline(function, func, self_val, args, kwargs, loc, state, frame, spread=spread,
                                 passed=given)
        # a call that raised on every path: a helper's, or one its caller defined, ends the path
        settle(self, function, func.path, site, state, defined_by(function, func.path, frame))
        self.note_obtained(result, frame, loc)
        return result

    def inline(self: Machine, function: ir.Function, func: FuncV, self_val: Val | None, args: list[Val],
               kwargs: dict[str, Val], loc: Loc, state: State, frame: Frame,
               on_yield: Callable[[Val, State], None] | None = None, spread: bool = False,
               passed: dict[str, Entry] | None = None) -> Val:
        """Run ``function``'s body on the caller's path and return what it returns."""
        closure = self.closures[func.closure] if func.closure >= 0 else None
        if closure is not None and defined_by(function, func.path, frame):
            # called by the function that defined it: its free names are that function's variables
            # as they are now (Python's closures bind late), not as they were at the ``def``
            closure = {**closure, **state.env}
        cls = None
        if function.class_qualname is not None:
            cls = self.project.classes.get((func.path, function.class_qualname))
        info = self.new_frame_info(function.qualname, func.path, frame.info)
        self.summaries.ran(func.path)
        callee = Frame(func.path, function.qualname, function, function.locals,
                          function.declared_global, closure, frame.chain + (loc,), frame.depth + 1,
                          info, frame.root, self_val=self_val, cls=cls, on_yield=on_yield)
        callee.nonlocals = nonlocal_names(function)
        callee.closure_id = func.closure
        self.inherit_aliases(function, func, state, frame, callee)  # ``cache = CACHE`` seen from a nested function
        if passed:
            callee.entry_aliases = {**callee.entry_aliases, **passed}
        env = bind(self, function, self_val, args, kwargs, callee, spread, func.closure)
        for name, value in env.items():  # one claim of a token given to a parameter named for the tenant
            if any(type(alt) is ClaimsV and alt.taken is not None for alt in alts(value)):
                env[name] = self.named_part(name, value, loc, frame)
        callee.passed_values = (*args, *kwargs.values()) if function.parent != frame.qualname \
            else (*args, *kwargs.values(), *frame.passed_values)  # (a nested function sees its definer's)
        given = list(env.values()) + (list(closure.values()) if closure else [])
        if any(self.held_tenants(v) for v in given) or (
                self.frames[frame.info].tenant_aware and any(carries_identity(v) for v in given)):
            # given the tenant id (or an object holding it: ``self``, a request context), or the
            # invocation's event (or its request context) by a function that read the tenant id
            # from it, as an argument or in its closure: the callee can read it as well
            self.frames[info].called_with_tenant = True
        bound = dict(env)  # as given (the body changes ``env`` in place)
        # the path goes on through the body (its facts carried, not consulted), with the callee's aliases
        entry = state.with_env(env, callee.entry_aliases or NO_ALIASES)
        mark = entry.read_mark()  # (which reads the body makes: model/verdicts.py)
        if function.decorators:
            self.decorator_claims(function, env, entry, callee)
        self.call_stack.append((func.path, func.qualname, func.closure))
        try:
            out = self.exec_block(function.body, entry, callee)
        finally:
            self.call_stack.pop()
        exit_state = merge(callee.return_states + [out])
        frame.removed_paths.extend(callee.removed_paths)  # a clean-up helper removes the caller's files
        for name in callee.stored_into & bound.keys():  # a dict given, changed in place: the caller's too
            if name in exit_state.env and not exit_state.dead:
                self.carry_mutation(state, bound[name], exit_state.env[name])
        if callee.nonlocals and function.parent == frame.qualname and func.path == frame.path \
                and not exit_state.dead:  # ``nonlocal total; total += n`` rebinds the caller's ``total``
            for name in callee.nonlocals & exit_state.env.keys():
                state.env[name] = exit_state.env[name]
            self.returned_aliases(callee, exit_state, state)
        # it raises on every path (or says it never returns): the caller's path is left dead
        # here, and the caller decides whether it goes on (model/raising.py)
        never_returns = exit_state.dead = exit_state.dead or function.no_return
        state.flow_from(exit_state)
        self.path_facts = state.facts  # type: ignore[misc]  # declared in Machine: mypy looks in the part
        if function.is_generator:
            # the body ran to the end here, so what it yields reaches the caller's loop with
            # the reads the body made on the caller's path before it
            result: Val = (SeqV("items", (one_of(callee.yields),)) if callee.yields
                           else OpaqueV(loc, tuple(callee.returns)))
        elif never_returns or (not callee.returns and ir.is_stub(function)):
            # a stub (docstring, ``...``, ``pass``: a Protocol or abstract method) returns
            # what the implementation would: unknown
            result = opaque_work(func.qualname, loc, tuple(args) + tuple(kwargs.values()), frame, self.next_seq())
        else:
            # one return: its value as it is (an answer it passes on keeps its options, model/verdicts.py)
            returned = callee.returns + [NONE] if callee.returns and not out.dead else callee.returns  # falls off
            result = (returned[0] if len(returned) == 1 else one_of(returned)) if returned else NONE  # its end: None
            if callee.returns:  # (the options first: where its paths knew the same, none, and no fact consulted)
                options = returned_options(callee, out, mark)
                if options is not None and (state.has_reads or any(facts.claims for _, facts in options)):
                    # (a claim won on one of its paths: ``if not claim(job): return`` holds it after)
                    result = self.note_verdict(result, options)
        if self.cached_function(function, func.path):  # (a method's cache keys its instance too)
            self.cache_store(function, func, args if self_val is None else [self_val, *args], kwargs, result, callee, frame)
        return result

    # -- methods of plain values ---------------------------------------------------------
    def call_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val],
                    spread_unknown: tuple[Val, ...], node: ir.Call, loc: Loc, state: State, frame: Frame) -> Val:
        if name in ("__enter__", "__aenter__") and not args and isinstance(node.func, ir.Attr):
            return self.enter(recv, node.func.value, frame)  # a library context manager entered by hand
        handled = mappings.method_call(self, recv, name, args, kwargs, loc, state, frame) \
            if name in mappings.CALLED_METHODS else None
        if handled is None and name in di.REGISTRY_METHODS:
            handled = di.registry_call(self, recv, name, args, kwargs, node, loc, state, frame)
        if handled is None:
            handled = self.domain_method(recv, name, args, kwargs, spread_unknown, node, loc, state, frame)
        if handled is None:
            handled = self.record_method(recv, name, args, kwargs, loc, state, frame)
        if handled is None:
            handled = self.library_method(recv, name, args, kwargs, node, loc, state, frame)
        if handled is not None:
            return handled
        receiver_expr = node.func.value if isinstance(node.func, ir.Attr) else None
        held = self.held_container(receiver_expr, name, args, state, frame)
        if held is not None:
            key: Val | None = None
            value = one_of(list(args) + list(kwargs.values())) if args or kwargs else UNKNOWN
            if name in ("setdefault", "__setitem__", "set") and args:
                key, value = args[0], (args[1] if len(args) > 1 else UNKNOWN)
            elif name == "update":
                value = one_of(list(args) + list(kwargs.values())) if (args or kwargs) else UNKNOWN
                key = dict_keys(args[0]) if args else SeqV("tuple", tuple(ConstV(k) for k in kwargs))
                if args and counts(recv) and not any(type(a) is DictV for a in alts(args[0])):
                    key = self.element(args[0])  # ``CALLS.update([tenant])``: each element counted under itself
            kind = "method"
            if name in ELEMENT_ADDERS and len(args) > ELEMENT_ADDERS[name] and not kwargs:
                kind, value = "element", args[ELEMENT_ADDERS[name]]  # ``HOOKS.append(fn)``: an element of the list
                value = self.element(value) if name == "extend" else value
            self.global_store(frame, self.stmt_site(frame, node), held[1], kind, within(held[2], key), value, state,
                              held[0], own_key=not held[2] and name in ("setdefault", "__setitem__", "set"))
            if name == "setdefault" and key is not None and receiver_expr is not None:
                return self.get_item(self.eval(receiver_expr, state, frame), key, loc, state, frame)
            return NONE
        if name in ("append", "extend") and (isinstance(receiver_expr, ir.Name) or ir.attribute_of(receiver_expr)
                                             and all(isinstance(alt, SeqV) for alt in alts(recv))):
            for alt in alts(recv):  # (a list a name or an object's attribute holds: ``self.held.append(item)``)
                if isinstance(alt, SeqV):
                    added = tuple(args) if name == "append" else tuple(self.element(a) for a in args)
                    added = tuple(self.carry_path(a, state) for a in added)
                    if isinstance(receiver_expr, ir.Name):
                        state.env[receiver_expr.id] = SeqV(alt.kind, alt.elts + added)
                    elif receiver_expr is not None:
                        self.assign(receiver_expr, SeqV(alt.kind, alt.elts + added), state, frame, node.site)
            return NONE
        if (entry := self.update_in_place(recv, name, args, kwargs, state)) is not None:
            return entry  # ``item.setdefault("stats", {})``: a part of the item read
        in_dict = self.dict_method(recv, name, args, kwargs, node, state, frame)  # model/containers.py
        if in_dict is not None:
            return in_dict
        if args and (name == "get" or name == "pop" and plain_dicts(recv)):  # ``d.pop(k, None)`` of a dict built
            value = self.get_item(recv, args[0], loc, state, frame)
            if len(args) > 1 and (attribute := const_str(args[0])) is not None:
                for alt in alts(recv):  # what the code counts from where the item has no such attribute
                    if isinstance(alt, ReadItemV):  # (the fixes ask: an atomic ADD starts from 0)
                        self.read_defaults.setdefault((alt.read, attribute), {})[args[1]] = None
            if len(args) > 1 and value is UNKNOWN:
                return args[1]
            if len(args) > 1 and const_str(args[0]) == "Item" and empty_dict(args[1]) \
                    and any(type(alt) is ReadV for alt in alts(recv)):
                return one_of((value, args[1]))  # ``resp.get("Item", {})``: the item, or {} where it is missing
            if len(args) > 1 and not any(exact_entry(d, args[0]) is not None for d in plain_dicts(recv) or ()) \
                    and plain_dicts(recv):
                return one_of((value, args[1]))  # one of the entries stored under computed keys, or none
            return value
        if name in REQUEST_TEXT_METHODS and (text := [alt for alt in alts(recv) if isinstance(alt, EventV)]):
            return one_of(text)  # the request's text, trimmed, cased or cut: still what the client sent
        if (matched := self.matched_request(recv, name, args, loc, frame)) is not None:
            return matched
        if name in ("get_header_value", "get_query_string_value", "get_path_param") and (args or "name" in kwargs):
            section = {"get_header_value": "headers", "get_query_string_value": "querystringparameters",
                       "get_path_param": "pathparameters"}[name]
            for alt in alts(recv):
                if isinstance(alt, EventV):
                    param = const_str(args[0] if args else kwargs["name"])
                    return self.event_child(EventV(alt.path + (section,)), param or "?", loc, frame, False)
        handled = self.file_method(recv, name, args, kwargs, loc, frame)
        if handled is not None:
            return handled
        if name in ENTERS and args:
            return self.enter(args[0], node.args[0], frame)
        if name == "format":
            parts = format_parts(recv, args, kwargs)
            return self.concat(parts) if parts is not None else StrV((recv, *args, *kwargs.values()))
        if name == "format_map" and args:
            parts = format_parts(recv, [], as_kwargs(args[0]))
            return self.concat(parts) if parts is not None else StrV((recv, args[0]))
        if name == "join" and args:
            parts = join_parts(recv, args[0])
            return self.concat(parts) if parts is not None else StrV((recv, self.element(args[0])))
        if name in ("substitute", "safe_substitute"):
            for alt in alts(recv):
                if isinstance(alt, CallV) and alt.fn in ("string.Template", "Template") and alt.args:
                    mapping = dict(kwargs)
                    for given in args[:1]:
                        mapping = {**as_kwargs(given), **mapping}
                    parts = template_parts(alt.args[0], mapping)
                    if parts is not None:
                        return self.concat(parts)
        if name in ("copy", "deepcopy") and not args:
            return recv
        if frame.function is not None:  # an app factory (a module's own registrations: model/request_hooks.py)
            if name in BEFORE_REQUEST_HOOKS and len(args) == 1 and type(args[0]) is FuncV \
                    and len(self.registered_at_run) < 1_000:  # ``app.before_request(bind)``
                self.registered_at_run.append((recv, args[0]))
            if name in BLUEPRINT_REGISTRATIONS and args and len(self.blueprints_at_run) < 1_000:
                self.blueprints_at_run.append((recv, args[0]))
        if name in CASE_METHODS and not args and not kwargs and type(recv) is ConstV and type(recv.value) is str:
            return ConstV(getattr(recv.value, name)())  # ``"rollout_fn".upper()``: the constant it makes
        return CallV(name, recv, tuple(args), tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))

    def stmt_site(self: Machine, frame: Frame, node: ir.Call) -> int:
        summary = self.project.files.get(frame.path)
        if summary is None or node.site >= len(summary.stmt_of):
            return node.site
        return summary.stmt_of[node.site]

    def module_frame(self: Machine, path: str) -> Frame:
        from dynolint.model.state import Frame as FrameCls

        return FrameCls(path, "<module>", None, frozenset(), frozenset(), None, (), 0, 0,
                        self.current_root(), is_module=False)


def defined_by(function: ir.Function, path: str, frame: Frame) -> bool:
    """Is ``function`` (of the file ``path``) nested in the function running in ``frame``,
    which defined it?"""
    return function.parent is not None and function.parent == frame.qualname and path == frame.path


__all__ = ["CallsMixin", "CACHE_DECORATORS", "ExtV", "defined_by"]
