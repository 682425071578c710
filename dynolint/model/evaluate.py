"""Expression evaluation: names and imports, attributes, subscripts, operators."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.event_fields import REQUEST_GLOBALS, TENANT_GLOBALS, norm_key, tenant_trust
from dynolint.model.containers import counts
from dynolint.model.key_parts import KEEP_ELEMENTS
from dynolint.model.library import FIELD_TABLES
from dynolint.model.library_web import DJANGO_SETTINGS, REQUEST_SCOPES, REQUEST_STATE
from dynolint.model.handler_context import context_attr
from dynolint.model import apps, mappings
from dynolint.model.settings_models import django_setting
from dynolint.model.literals import merge_dicts, surely_mapping
from dynolint.model import verdicts
from dynolint.model.narrowing import assuming
from dynolint.model.records import is_namespace
from dynolint.model.strings import concat_parts, field_value, percent_parts
from dynolint.model.presence import comparison_with_none, none_test
from dynolint.model.conditions import PYN_COMPARE
from dynolint.model.state import join
from dynolint.model.summaries import TRUTHY
from dynolint.model.values import (
    NONE, UNKNOWN, ArithV, AttrV, BoundV, CallV, ClassV, ClientV, ConstV, ContextV, CredsV,
    DictV, EnvV, EventV, ExtV, FileV, InstanceV, LambdaV, Loc, MetaV, ModuleV, OpaqueV, PynAttrV,
    OneOf, ParamV, PynInstanceV, PynModelV, ReadItemV, ReadV, ResourceV, S3ObjectV, SeqV, StrV, SubV, SuperV, TableV,
    TmpRootV, Val, alts, const_str, one_of,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

_BUILTINS = frozenset(dir(builtins))
# method names of the plain values an event holds (str, dict, list) and Powertools helpers
_METHODS = frozenset(n for n in (*dir(str), *dir(dict), *dir(list)) if not n.startswith("_")) | {
    "get_header_value", "get_query_string_value", "get_path_param", "get_multi_value_query_string_values",
    "group", "groupdict", "groups",  # a regular expression's match on request text (model/external.py)
}
# attributes of a web framework's request object that hold the application's objects
_APP_STATE = frozenset({"app", "state"})
_ARITH = frozenset({"+", "-", "*", "/", "//", "%", "**"})


class EvalMixin(Mixin):
    # -- expressions ---------------------------------------------------------------------
    def eval(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> Val:
        if type(expr) is ir.Name:
            return self.lookup(expr.id, state, frame)
        if type(expr) is ir.Const:
            return ConstV(expr.value)
        if type(expr) is ir.Attr:
            base = self.eval(expr.value, state, frame)
            return self.get_attr(base, expr.attr, (frame.path, expr.site), state, frame)
        if type(expr) is ir.Sub:
            base = self.eval(expr.value, state, frame)
            index = self.eval(expr.index, state, frame)
            if expr.is_slice and any(type(alt) is SeqV for alt in alts(base)):  # ``items[:25]``: some of them
                empty = all(type(alt) is SeqV and not alt.elts for alt in alts(base))  # (of an empty list: none)
                return base if empty else SeqV("items", (self.element(base),))
            if expr.is_slice and alts(base) and all(_collection(alt) for alt in alts(base)):
                return SeqV("items", (self.element(base),))  # ``keys[i:i + 100]`` of a list or Counter made here
            if type(index) is ConstV and type(index.value) is ir.SliceFrom:  # ``pk[3:]``: the rest of a string
                text = base.value if type(base) is ConstV else None
                return ConstV(text[index.value.start:]) if isinstance(text, str) else SubV(base, index)
            if type(base) is ReadV and type(index) is ConstV and index.value == "Item":
                self.subscripted.append(base.read)  # ``resp["Item"]`` raises KeyError where it is missing
            return self.get_item(base, index, (frame.path, expr.site), state, frame)
        if type(expr) is ir.Call:
            return self.eval_call(expr, state, frame)
        if type(expr) is ir.FStr:
            return self.concat([self.eval(p, state, frame) for p in expr.parts])
        if type(expr) is ir.Formatted:  # ``{n:06d}``, ``{s!r}`` (model/strings.py)
            return field_value(self.eval(expr.value, state, frame), expr.conversion,
                               self.eval(expr.spec, state, frame), frame.path)
        if type(expr) is ir.DictE:
            return self.make_dict(expr, state, frame)
        if type(expr) is ir.SeqE:
            return SeqV(expr.kind, tuple(self.eval(e, state, frame) for e in expr.elts))
        if type(expr) is ir.BinOp:
            return self.binop(expr.op, self.eval(expr.left, state, frame), self.eval(expr.right, state, frame),
                              (frame.path, expr.site))
        if type(expr) is ir.BoolOp:
            left = self.eval(expr.left, state, frame)
            if expr.op == "or" and self.always_truthy(left):
                return left  # ``(sess or session).resource(...)`` given a session: that one alone, as Python
            with assuming(state.env, expr.left, expr.op == "and"):  # ``x and x["s"]``
                right = self.eval(expr.right, state, frame)
            if expr.op == "or":  # ``headers.get("x-location") or claims["custom:practice_id"]``
                left, right = (self.stand_in(left, right, expr.left, frame),
                               self.stand_in(right, left, expr.right, frame))
            if expr.op == "or" and (missing := {a.read for a in alts(left) if type(a) is ReadItemV and a.read >= 0}) \
                    and self.taint(right).costly:  # ``item or {... fetch(city) ...}``: costly work where it misses
                state.absent = join(state.absent, missing)
            value = one_of((left, right))
            if expr.op == "or" and (answers := self.verdict_options(right)) is not None:
                value = self.note_verdict(value, verdicts.or_options(left, answers, state))
            if expr.op == "or" and self.always_truthy(right) and len(self.truthy_values) < 10_000:
                self.truthy_values.add(value)  # ``a or b`` is ``a`` only when ``a`` is true
                self.summaries.footprint.wrote((TRUTHY, value))
            return value
        if type(expr) is ir.IfExp:
            self.examine((self.eval(expr.test, state, frame),), state, (frame.path, expr.site))
            if _calls(expr.body) and _calls(expr.orelse):
                return self.if_paths(expr, state, frame)  # (what one branch's calls did is not the other's)
            with assuming(state.env, expr.test, True):  # ``x["s"] if x else None``
                body = self.eval(expr.body, state, frame)
            with assuming(state.env, expr.test, False):
                orelse = self.eval(expr.orelse, state, frame)
            return one_of((body, orelse))
        if type(expr) is ir.UnaryOp:
            operand = self.eval(expr.operand, state, frame)
            if expr.op == "-":
                return ArithV("-", ConstV(0), operand)
            return OpaqueV((frame.path, -1), (operand,))
        if type(expr) is ir.Compare:
            if (op := none_test(expr)) is not None:  # a presence test (model/presence.py)
                return comparison_with_none(op, self.eval(expr.left, state, frame))
            deps = [self.eval(expr.left, state, frame)]
            deps.extend(self.eval(c, state, frame) for c in expr.comparators)
            if len(expr.ops) == 1 and expr.ops[0] in PYN_COMPARE and type(deps[0]) is PynAttrV:
                # ``Wallet.balance >= amount``: a PynamoDB condition, as ``Wallet.balance.between(a, b)`` is
                return CallV(expr.ops[0], deps[0], (deps[1],))
            return OpaqueV((frame.path, -2), tuple(deps))
        if type(expr) is ir.Comp:
            return self.eval_comp(expr, state, frame)
        if type(expr) is ir.Starred:
            return self.element(self.eval(expr.value, state, frame))
        if type(expr) is ir.NamedExpr:  # (bound as an assignment binds: ``if (cache := CACHE) ...``)
            return self.assign_from((ir.Name(expr.target),), expr.value, expr.site, state, frame)
        if type(expr) is ir.ImportE:
            return self.resolve_import(frame.path, expr)
        if type(expr) is ir.Lambda:
            self.lambdas[(frame.path, expr.site)] = expr
            defaults = tuple((p.name, self.eval(p.default, state, frame)) for p in expr.params if p.default is not None)
            return LambdaV(frame.path, expr.site, self.capture(state, frame), defaults)
        if type(expr) is ir.Yield:
            value = self.eval(expr.value, state, frame) if expr.value is not None else NONE
            if len(frame.yields) < 16:
                frame.yields.append(self.element(value) if expr.is_from else value)
            if frame.on_yield is not None:
                frame.on_yield(value, state)
            return OpaqueV((frame.path, expr.site), ())  # what the caller sends in
        if type(expr) is ir.Opaque:
            return OpaqueV((frame.path, expr.site), tuple(self.eval(d, state, frame) for d in expr.deps))
        return UNKNOWN

    def peek(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> Val:
        """Evaluate without effects: names, attributes, subscripts and ``.get(k)``."""
        if isinstance(expr, ir.Name):
            return self.lookup(expr.id, state, frame)
        if isinstance(expr, ir.Const):
            return ConstV(expr.value)
        if isinstance(expr, ir.Attr):
            return self.get_attr(self.peek(expr.value, state, frame), expr.attr, (frame.path, expr.site),
                                 state, frame, quiet=True)
        if isinstance(expr, ir.Sub):
            return self.get_item(self.peek(expr.value, state, frame), self.peek(expr.index, state, frame),
                                 (frame.path, expr.site), state, frame, quiet=True)
        if isinstance(expr, ir.Call) and isinstance(expr.func, ir.Attr) and expr.func.attr == "get" and expr.args:
            found = self.get_item(self.peek(expr.func.value, state, frame), self.peek(expr.args[0], state, frame),
                                  (frame.path, expr.site), state, frame, quiet=True)
            if len(expr.args) > 1 and type(found) is EnvV and found.default is None:  # ``os.environ.get(k, "/tmp/x")``
                return EnvV(found.name, self.peek(expr.args[1], state, frame))
            return found
        return UNKNOWN

    def eval_comp(self: Machine, expr: ir.Comp, state: State, frame: Frame) -> Val:
        mapped = self.mapped(expr, state, frame)
        if mapped is not None:
            return mapped
        named = self.unrolled(expr, state, frame)
        if named is not None:
            return named
        saved = dict(state.env)
        tests: list[Val] = []
        try:
            for target, iterable, conditions in expr.generators:
                self.assign(target, self.element(self.eval_iterable(iterable, expr.site, state, frame)), state,
                            frame, expr.site)
                for condition in conditions:
                    tests.append(self.eval_filter(condition, (frame.path, expr.site), state, frame))
            element = self.eval(expr.elt, state, frame)
            entry = self.eval(expr.value, state, frame) if expr.value is not None else element
            entry = self.filtered(entry, tests, (frame.path, expr.site), state)
        finally:
            state.env = saved
        if expr.value is None:  # a list, set or generator of the element, once per item
            return SeqV("items", (entry,))
        return DictV(((element, entry),))  # an entry per item, under the key computed for it

    def make_dict(self: Machine, expr: ir.DictE, state: State, frame: Frame) -> Val:
        parts: list[Val] = []  # ``**x`` spreads and single entries, in order
        for key_expr, value_expr in expr.items:
            value = self.eval(value_expr, state, frame)
            if key_expr is None and self.mappings_made:  # ``{**record}`` of a dict subclass: its entries
                value = mappings.plain(self, value)
            parts.append(value if key_expr is None else DictV(((self.eval(key_expr, state, frame), value),)))
        return merge_dicts(parts)

    def concat(self: Machine, parts: list[Val]) -> Val:
        return concat_parts(parts)

    def if_paths(self: Machine, expr: ir.IfExp, state: State, frame: Frame) -> Val:
        """``a() if test else b()``: each branch on a path of its own (the writes, reads and claims
        of one are not on the other's), joined after it."""
        from dynolint.model.state import merge

        results: list[Val] = []
        outs: list[State] = []
        for branch, truth in ((expr.body, True), (expr.orelse, False)):
            path = state.copy()
            with assuming(path.env, expr.test, truth):
                results.append(self.eval(branch, path, frame))
            outs.append(path)
        joined = merge(outs)
        state.env = joined.env
        state.flow_from(joined)
        return one_of(results)

    def binop(self: Machine, op: str, left: Val, right: Val, loc: Loc | None = None) -> Val:
        stringy = self.is_stringy(left) or self.is_stringy(right)
        if op == "+" and stringy:
            return self.concat([left, right])
        if op == "/" and self.is_stringy(left):
            return self.concat([left, ConstV("/"), right])
        if op == "%" and self.is_stringy(left):
            parts = percent_parts(left, right)
            return self.concat(parts) if parts is not None else StrV((left, right))
        if op == "+":
            joined = self.concat_sequences(left, right)
            if joined is not None:
                return joined
        if op == "|" and (surely_mapping(left) or surely_mapping(right)):  # ``item | {...}``, ``item |= {...}`` (3.9)
            return merge_dicts((left, right))
        return ArithV(op, left, right, loc)

    def is_stringy(self: Machine, value: Val) -> bool:
        return any(isinstance(a, (StrV, TmpRootV, EnvV)) or const_str(a) is not None for a in alts(value))

    # -- names ---------------------------------------------------------------------------
    def capture(self: Machine, state: State, frame: Frame) -> int:
        """The closure of a function or lambda defined here (its index in ``closures``): the
        names of this function and of the functions enclosing it, as Python resolves a free
        name through every enclosing scope (a decorator factory's wrapper sees the factory's)."""
        self.closures.append(dict(frame.closure or {}) | state.env if not frame.is_module else dict(state.env))
        if not frame.is_module and self.roots[frame.root].module_root:
            self.import_closures.add(len(self.closures) - 1)
        return len(self.closures) - 1

    def lookup(self: Machine, name: str, state: State, frame: Frame) -> Val:
        value = state.env.get(name)
        if value is not None:
            return value
        if frame.is_module:
            return ExtV(name) if name in _BUILTINS else UNKNOWN
        if name in frame.locals and name not in frame.declared_global:
            return UNKNOWN
        if frame.closure is not None and name in frame.closure:
            return frame.closure[name]
        env = self.run_module(frame.path, own=True)
        if name in env:
            return self.global_since(frame.path, name, env[name])
        if name in _BUILTINS:
            return ExtV(name)
        return UNKNOWN

    # -- attributes ----------------------------------------------------------------------
    def get_attr(self: Machine, base: Val, name: str, loc: Loc, state: State, frame: Frame,
                 quiet: bool = False) -> Val:
        if type(base) is ExtV and base.path in REQUEST_SCOPES:  # ``g.tenant_id``: this request's
            return self.request_scope_get(base.path, name, loc, state, frame)
        if (context := context_attr(base, name)) is not None:  # a Powertools resolver's context, its methods
            return context
        if (kept := apps.attribute(self, base, name)) is not None:  # ``app.state``, ``current_app.extensions``
            return kept
        out = [self._attr_one(alt, name, loc, frame, quiet) for alt in alts(base)]
        if any(type(v) is InstanceV for v in out):  # a descriptor of the class (``pk = KeyPart(...)``)
            out = [self.descriptor_get(alt, v, name, loc, state, frame) for alt, v in zip(alts(base), out)]
        if any(type(v) is CallV for v in out):  # a property(fget, ...) of the instance's class
            out = [self.made_property_get(alt, v, loc, state, frame) for alt, v in zip(alts(base), out)]
        if any(type(v) is BoundV or type(v) is OneOf for v in out):
            out = [self.read_property(v, name, loc, state, frame) for v in out]
        if not quiet and any(type(v) is AttrV and type(v.base) is InstanceV for v in out):
            out = [self.attr_fallback(v, loc, state, frame) if type(v) is AttrV else v for v in out]
        return one_of(out)

    def attr_fallback(self: Machine, missing: AttrV, loc: Loc, state: State, frame: Frame) -> Val:
        """An attribute an instance does not have: what its class's ``__getattr__`` gives
        (a proxy that forwards to the table it wraps), else unknown."""
        found = self.dunder(missing.base, "__getattr__", [ConstV(missing.name)], loc, state, frame)
        return found if found is not None else missing

    def _attr_one(self: Machine, base: Val, name: str, loc: Loc, frame: Frame, quiet: bool) -> Val:
        if type(base) is PynInstanceV and (given := [v for n, v in base.attrs if n == name]):
            return given[-1]  # a model instance's attribute the code gave it: no longer the item's as read
        if type(base) is PynInstanceV and name not in self.pyn_info(base.model).attributes \
                and (method := self.find_method(base.model.cls, name)) is not None \
                and self.property_kind(method) is not None:
            return BoundV(base, method)  # a property of the model class (get_attr runs it on the instance)
        if type(base) is ModuleV:
            return self.module_attr(base.name, name, frame.function is not None)
        if type(base) is ExtV and base.path in REQUEST_GLOBALS:
            base = EventV(())  # the request being served (``from flask import request``)
        elif type(base) is ExtV and base.path == DJANGO_SETTINGS and (setting := django_setting(self, name)):
            return setting  # ``settings.TABLE``: the project's settings module's (model/settings_models.py)
        elif type(base) is ExtV:
            path = f"{base.path}.{name}"
            if path in TENANT_GLOBALS:  # trusted as the request's own tenant is (event_fields.tenant_trust)
                return self.tenant_source(loc, "invoker", TENANT_GLOBALS[path], frame, quiet)
            module = self.project.resolve_module(frame.path, path, 0)  # ``import svc.store``: a package the
            return ModuleV(module) if module is not None else ExtV(path)  # analysis did not read, its module
        if type(base) is InstanceV:
            if is_namespace(base):
                return self.namespace_attr(base, name, loc, frame, quiet)
            return self.instance_attr(base, name)
        if type(base) is ClassV:
            model = self.pyn_model(base)
            if model is not None:
                if self.find_method(base, name) is None and name not in ("DoesNotExist", "Meta"):
                    pyn_attrs = self.pyn_info(model).attributes
                    if name in pyn_attrs:
                        return PynAttrV(model, name)
                    return AttrV(model, name)
            method = self.find_method(base, name)
            if method is not None:
                kind_of = self.method_kind(method)
                return BoundV(base, method) if kind_of == "class" else method
            found = self.class_attr(base, name)
            if found is None and name in FIELD_TABLES and (fields := self.dataclass_fields(base)) is not None:
                # ``cls.__dataclass_fields__``, ``Model.model_fields``: the record's fields by name
                return DictV(tuple((ConstV(field), UNKNOWN) for field, _ in fields))
            return found or AttrV(base, name)
        if type(base) is SuperV:
            return self.super_attr(base, name)
        if type(base) is ContextV:
            if name == "tenant_id":
                return self.tenant_source(loc, "trusted", "context.tenant_id", frame, quiet)
            return AttrV(base, name)
        if type(base) is EventV:
            if name in _METHODS:
                return AttrV(base, name)
            if not base.path and name == "state":
                return ExtV(REQUEST_STATE)  # this request's namespace (what middleware stored: model/objects.py)
            if not base.path and name == "app" and (proxy := apps.request_app(self)) is not None:
                return proxy  # ``request.app``: the application the project made (model/apps.py)
            if not base.path and name in _APP_STATE:
                # a web framework's request.app / request.state: the application's objects (the
                # resources it made at start-up), not request data; unknown, typed by their use
                return ParamV("request", name)
            return self.event_child(base, name, loc, frame, quiet)
        if type(base) in (TableV, ResourceV, ClientV) and name == "meta":
            return MetaV(base)
        if type(base) is MetaV and name == "client":
            inner = base.of
            if isinstance(inner, (TableV, ResourceV)):
                return ClientV("dynamodb" if isinstance(inner, TableV) else inner.service,
                               inner.creds, "resource")
            if isinstance(inner, ClientV):
                return inner
        if type(base) is TableV and name in ("name", "table_name"):
            return base.name
        if type(base) is S3ObjectV and base.key is None and name in ("objects", "object_versions"):
            return base  # a bucket's object collection: its filter() / all() list the bucket
        if type(base) is FileV and name == "name":
            return base.path  # a file object's path (``NamedTemporaryFile(delete=False).name``)
        if type(base) is PynModelV and name in self.pyn_info(base).attributes:
            return PynAttrV(base, name)
        if name in ("current_event", "current_request"):  # Powertools' resolvers, Chalice's app
            return EventV(())
        if name == "current_arguments":  # Powertools' AppSync resolver: the GraphQL field's arguments
            return EventV(("arguments",))
        if name == "lambda_context":  # a Powertools resolver's context (the handler's)
            return ContextV()
        if type(base) is ConstV and name == "value":
            return base  # an enumeration's member, kept as its value (model/library.py, ENUM_BASES)
        if type(base) is CredsV:
            return base
        return AttrV(base, name)


__all__ = ["EvalMixin", "norm_key", "tenant_trust", "NONE", "PynInstanceV"]


def _calls(expr: ir.Expr) -> bool:
    """Does ``expr`` call anything (so that evaluating it may have effects)?"""
    return any(type(node) is ir.Call for node in ir.walk(expr))


def _collection(value: Val) -> bool:
    """Is ``value`` a collection (not text) a call made: a slice of it holds some of its elements."""
    return counts(value) or type(value) is CallV and value.recv is None and value.fn in KEEP_ELEMENTS
