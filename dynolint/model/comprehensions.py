"""Comprehensions whose result the model can write out: a dict comprehension that maps an
item's entries through value conversions (``{k: ser.serialize(v) for k, v in item.items() if v
is not None}``) is the item, one over a literal tuple of names or the entries of a dict whose
names are known is that dict, entry by entry (model/evaluate.py asks these first)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.mixin import Mixin
from dynolint.model.records import TYPED_CONVERTERS
from dynolint.model.containers import registry_entries
from dynolint.model.values import (
    NONE, AttrV, CallV, ClassV, ConstV, DictV, EventV, ExtV, FuncV, ParamV, SeqV, Val, alts, const_str,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State


EMPTY_DICT = DictV(())  # ``{}``
UNROLLED = 8  # constants a list or generator comprehension over a literal is written out for
# what a dict comprehension may do to each value and still be the mapping it iterates
# (``{k: deserializer.deserialize(v) for k, v in item.items()}``): these, or a converter's method
VALUE_CONVERSIONS = frozenset({"str", "int", "float", "bool", "Decimal", "decimal.Decimal"})
# a key with its case changed names the same header (HTTP header names are case-insensitive)
KEY_CASES = frozenset({"lower", "upper", "casefold", "title", "strip"})
# calls that list a record class's fields, each an object with the field's ``name``
FIELD_LISTS = frozenset({"dataclasses.fields", "attr.fields", "attrs.fields"})


class ComprehensionsMixin(Mixin):
    def converts(self: Machine, func: Val) -> bool:
        """Is ``func`` a value conversion (``str``, ``Decimal``, a typed converter's
        ``serialize``/``deserialize``, however it was imported or named)?"""
        options = alts(func)
        return bool(options) and all(
            isinstance(a, ExtV) and a.path.rsplit(".", 1)[-1] in VALUE_CONVERSIONS
            or isinstance(a, AttrV) and a.name in ("serialize", "deserialize")
            and any(isinstance(b, CallV) and b.recv is None and b.fn in TYPED_CONVERTERS for b in alts(a.base))
            for a in options)

    def mapped(self: Machine, expr: ir.Comp, state: State, frame: Frame) -> Val | None:
        """``{k: convert(v) for k, v in mapping.items()}`` with ``convert`` a value conversion
        (``VALUE_CONVERSIONS``, a typed converter's method) or none, and ``k`` as it is or
        with its case changed (``KEY_CASES``, for the request's headers: ``{k.lower(): v ...}``),
        or ``{k: mapping[k] for k in mapping}``: the mapping itself, also where a test on the
        names alone leaves some out (``if k != "cache"``: a copy of the item); None for any
        other comprehension."""
        if expr.value is None or len(expr.generators) != 1:
            return None
        target, iterable, conditions = expr.generators[0]
        if any(not (_names_only(condition, target) or _drops_empty(condition, target)) for condition in conditions):
            return None
        if isinstance(target, ir.Name) and isinstance(expr.elt, ir.Name) and expr.elt.id == target.id \
                and isinstance(expr.value, ir.Sub) and isinstance(expr.value.index, ir.Name) \
                and expr.value.index.id == target.id and expr.value.value == iterable \
                and isinstance(iterable, ir.Name):  # ``{k: doc[k] for k in doc}``
            return self.eval(iterable, state, frame)
        if not isinstance(target, ir.SeqE) or len(target.elts) != 2 \
                or not all(isinstance(e, ir.Name) for e in target.elts):
            return None
        key_name, value_name = (e.id for e in target.elts if isinstance(e, ir.Name))
        if not (isinstance(iterable, ir.Call) and isinstance(iterable.func, ir.Attr) and iterable.func.attr == "items"
                and not iterable.args and not iterable.kwargs):
            return None
        key, recased = expr.elt, False
        if isinstance(key, ir.Call) and isinstance(key.func, ir.Attr) and key.func.attr in KEY_CASES \
                and not key.args and not key.kwargs:
            key, recased = key.func.value, True
        if not (isinstance(key, ir.Name) and key.id == key_name):
            return None
        value = expr.value  # (``int(v) if isinstance(v, Decimal) else v``: each branch the value, converted or not)
        branches = (value.body, value.orelse) if isinstance(value, ir.IfExp) else (value,)
        if not all(self._converted_name(branch, state, frame) == value_name for branch in branches) \
                and not _decoded(value, value_name):
            return None
        mapping = self.eval(iterable.func.value, state, frame)
        if type(mapping) is DictV and not mapping.spreads and any(_names_only(c, target) for c in conditions):
            return None  # a dict whose names are known, filtered by name: entry by entry (unrolled_entries)
        # only the request's names (headers) are looked up by any case, an item's are not; an
        # empty default beside them (``event.get("headers") or {}``) holds no other names
        if recased and not all(isinstance(alt, EventV) or alt == EMPTY_DICT for alt in alts(mapping)):
            return None
        return mapping

    def _converted_name(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> str | None:
        """The name ``expr`` gives back as it is or through a value conversion (``v``, ``str(v)``),
        or through a converter's method of a project helper that gives its argument back
        (``serializer.serialize(_prepare(v))``, ``_prepare`` a ``functools.singledispatch``
        whose base returns the value: the helper is run on a stand-in to see)."""
        if isinstance(expr, ir.Call) and len(expr.args) == 1 and not expr.kwargs:
            if not self.converts(self.eval(expr.func, state, frame)):
                return None
            expr = expr.args[0]
            if isinstance(expr, ir.Call) and len(expr.args) == 1 and isinstance(expr.args[0], ir.Name) \
                    and not expr.kwargs and not expr.star_args and self._gives_back(expr, state, frame):
                expr = expr.args[0]
        return expr.id if isinstance(expr, ir.Name) else None

    def _gives_back(self: Machine, call: ir.Call, state: State, frame: Frame) -> bool:
        """Does the project helper ``call`` calls (one that computes: model/depth.py) return
        the value it is given, as it is?"""
        from dynolint.model.depth import computes

        func = self.eval(call.func, state, frame)
        if type(func) is not FuncV:
            return False
        function = self.project.functions.get((func.path, func.qualname))
        if function is None or not computes(function, self.project.functions, func.path):
            return False
        stand_in = ParamV("#given", "value")
        loc = (frame.path, call.site)
        return self.invoke(func, None, [stand_in], {}, loc, state.copy(), frame) == stand_in

    def unrolled(self: Machine, expr: ir.Comp, state: State, frame: Frame) -> Val | None:
        """A dict comprehension over a literal sequence of names, with no test (``{k: row[k] for k
        in ("pk", "sk")}``), or over the entries of a dict whose names are known (``{k: ser(coerce(v))
        for k, v in values.items()}``, leaving out None values if it tests them): the dict of an
        entry per name, as written out (None: another one)."""
        if expr.value is None:
            return self.unrolled_elements(expr, state, frame)
        if len(expr.generators) != 1:
            return None
        by_entry = self.unrolled_entries(expr, state, frame)
        target, iterable, conditions = expr.generators[0]
        if by_entry is not None or not isinstance(target, ir.Name) \
                or not all(_names_only(condition, target) for condition in conditions):
            return by_entry
        names = self._literal_names(iterable, state, frame)
        fields = None if names is not None else self._field_names(iterable, state, frame)
        if names is None and fields is None:
            return None
        saved = dict(state.env)
        entries: list[tuple[Val, Val]] = []
        try:
            for name in names or fields or ():  # (a test of the name alone leaves out entries; those it keeps are these)
                if fields is None:
                    state.env[target.id] = ConstV(name)
                else:  # a field object: this field's name, not joined with the fields before it
                    state.env[target.id] = field = self.make_namespace("dataclasses.Field", {}, (), (frame.path, expr.site))
                    self.summaries.write((field.alloc, "name"), ConstV(name), merged=False)
                entries.append((self.eval(expr.elt, state, frame), self.eval(expr.value, state, frame)))
        finally:
            state.env = saved
        return DictV(tuple(entries))

    def unrolled_elements(self: Machine, expr: ir.Comp, state: State, frame: Frame) -> Val | None:
        """A list, set or generator comprehension over a literal sequence of a few constants with
        no test (``(claims[k] for k in ("cid", "env", "sid"))``, unpacked into three names): the
        sequence of its elements, one per constant, as written out (None: another one)."""
        if len(expr.generators) != 1:
            return None
        target, iterable, conditions = expr.generators[0]
        if conditions or not isinstance(target, ir.Name) or not isinstance(iterable, ir.SeqE) \
                or not 0 < len(iterable.elts) <= UNROLLED or not all(isinstance(e, ir.Const) for e in iterable.elts):
            return None
        saved = dict(state.env)
        elements: list[Val] = []
        try:
            for constant in iterable.elts:
                state.env[target.id] = self.eval(constant, state, frame)
                elements.append(self.eval(expr.elt, state, frame))
        finally:
            state.env = saved
        return SeqV("list" if expr.kind == "list" else "tuple", tuple(elements))

    def _literal_names(self: Machine, iterable: ir.Expr, state: State, frame: Frame) -> list[str] | None:
        """The names a comprehension runs over when they are known: a literal sequence of them, or
        a record class's table of fields (``cls.__dataclass_fields__``); at most 16."""
        if isinstance(iterable, ir.SeqE):
            names = [e.value for e in iterable.elts if isinstance(e, ir.Const) and isinstance(e.value, str)]
            return names if 0 < len(names) == len(iterable.elts) <= 16 else None
        if not isinstance(iterable, ir.Attr):
            return None
        table = self.peek(iterable, state, frame)
        if type(table) is not DictV or table.spreads or not 0 < len(table.items) <= 16:
            return None
        found = [const_str(key) for key, _ in table.items]
        names = [n for n in found if n is not None]
        return names if len(names) == len(found) else None

    def _field_names(self: Machine, iterable: ir.Expr, state: State, frame: Frame) -> list[str] | None:
        """The names of the fields ``dataclasses.fields(Cls)`` (``attrs.fields``) gives, each a
        field object whose ``name`` is one; at most 16."""
        if not (isinstance(iterable, ir.Call) and len(iterable.args) == 1 and not iterable.kwargs):
            return None
        if not all(isinstance(a, ExtV) and a.path in FIELD_LISTS for a in alts(self.peek(iterable.func, state, frame))):
            return None
        classes = list(alts(self.peek(iterable.args[0], state, frame)))
        fields = self.dataclass_fields(classes[0]) if len(classes) == 1 and isinstance(classes[0], ClassV) else None
        return [name for name, _ in fields] if fields is not None and 0 < len(fields) <= 16 else None

    def unrolled_entries(self: Machine, expr: ir.Comp, state: State, frame: Frame) -> DictV | None:
        target, iterable, conditions = expr.generators[0]
        if not (isinstance(target, ir.SeqE) and len(target.elts) == 2 and all(isinstance(e, ir.Name) for e in target.elts)
                and isinstance(iterable, ir.Call) and isinstance(iterable.func, ir.Attr)
                and iterable.func.attr == "items" and not iterable.args and not iterable.kwargs
                and all(_drops_empty(condition, target) or _names_only(condition, target) for condition in conditions)):
            return None
        mapping = self.peek(iterable.func.value, state, frame)
        mapping = registry_entries(mapping) or mapping  # (a registry filled at import: what it holds)
        if type(mapping) is not DictV or mapping.spreads or not 0 < len(mapping.items) <= 16 \
                or not all(type(k) is ConstV and isinstance(k.value, str) for k, _ in mapping.items):
            return None
        key_name, value_name = (e.id for e in target.elts if isinstance(e, ir.Name))
        saved = dict(state.env)
        entries: list[tuple[Val, Val]] = []
        try:
            for key, value in mapping.items:
                if any(_drops_empty(c, target) for c in conditions) and value == NONE:
                    continue
                kept = [self._name_kept(c, key_name, key, state, frame) for c in conditions if not _drops_empty(c, target)]
                if None in kept:
                    return None  # a test of the name the model cannot decide: which entries stay is unknown
                if not all(kept):
                    continue  # (``{k: v for k, v in options.items() if k in ALLOWED}``: the others are left out)
                state.env[key_name], state.env[value_name] = key, value
                entries.append((self.eval(expr.elt, state, frame), self.eval(expr.value, state, frame)))  # type: ignore[arg-type]
        finally:
            state.env = saved
        return DictV(tuple(entries))


    def _name_kept(self: Machine, condition: ir.Expr, key_name: str, key: Val, state: State,
                   frame: Frame) -> bool | None:
        """Does a test of the entry's name alone (``k in self._passthrough``, ``k != "cache"``,
        joined by ``and``/``or``) keep the entry named ``key``? None: it cannot say."""
        if isinstance(condition, ir.BoolOp):
            left = self._name_kept(condition.left, key_name, key, state, frame)
            right = self._name_kept(condition.right, key_name, key, state, frame)
            if condition.op == "and":
                return False if False in (left, right) else (None if None in (left, right) else True)
            return True if True in (left, right) else (None if None in (left, right) else False)
        name = const_str(key)
        if name is None or not isinstance(condition, ir.Compare) or len(condition.ops) != 1 \
                or condition.left != ir.Name(key_name):
            return None
        op = condition.ops[0]
        names = _constant_names(self.peek(condition.comparators[0], state, frame))
        if names is None or op not in ("in", "not in", "==", "!="):
            return None
        if op in ("==", "!=") and len(names) != 1:
            return None
        return (name in names) == (op in ("in", "=="))


def _constant_names(value: Val) -> frozenset[str] | None:
    """The strings a constant, or a literal collection of constants (``frozenset({...})``,
    a tuple, a set), holds; None for anything else."""
    if type(value) is CallV and value.recv is None and value.fn in ("frozenset", "set", "tuple", "list") \
            and len(value.args) == 1 and not value.kwargs:
        value = value.args[0]
    if type(value) is SeqV:
        names = [const_str(e) for e in value.elts]
        return frozenset(n for n in names if n is not None) if None not in names else None
    text = const_str(value)
    return frozenset({text}) if text is not None else None


# what a hand-written decoder of low-level attribute values calls on the value alone
# (``Decimal(v["N"]) if "N" in v else list(v.values())[0]``)
DECODERS = frozenset({"str", "int", "float", "bool", "bytes", "Decimal", "list", "set", "tuple", "dict", "next",
                      "iter", "sorted", "frozenset"})


def _decoded(expr: ir.Expr, name: str, depth: int = 0) -> bool:
    """Is ``expr`` computed from the entry's value ``name`` alone (its parts, constants and the
    builtins of DECODERS): a low-level value decoded by hand is that entry's value, so the
    dict it builds is the item (its key attributes among them)?"""
    if depth > 12:
        return False
    if isinstance(expr, ir.Name):
        return expr.id == name
    if isinstance(expr, ir.Const):
        return True
    if isinstance(expr, ir.Sub):
        return _decoded(expr.value, name, depth + 1) and _decoded(expr.index, name, depth + 1)
    if isinstance(expr, ir.Attr):
        return _decoded(expr.value, name, depth + 1)
    if isinstance(expr, ir.IfExp):
        return all(_decoded(part, name, depth + 1) for part in (expr.test, expr.body, expr.orelse))
    if isinstance(expr, ir.Compare):
        return all(_decoded(part, name, depth + 1) for part in (expr.left, *expr.comparators))
    if isinstance(expr, ir.Call):
        callee = expr.func
        known = isinstance(callee, ir.Name) and callee.id in DECODERS \
            or isinstance(callee, ir.Attr) and (callee.attr in DECODERS  # ``decimal.Decimal``
                                                or _decoded(callee.value, name, depth + 1))  # ``v.values()``
        return known and not expr.kwargs and all(_decoded(arg, name, depth + 1) for arg in expr.args)
    return False


def _drops_empty(condition: ir.Expr, target: ir.Expr) -> bool:
    """Is ``condition`` ``v is not None`` of the entry's value ``v`` (``for k, v in ...items()``)?
    It leaves out entries without a value, never a key attribute (a key's value cannot be
    None), so the result is still the item, as serialisers write it. (``if v`` is not: a
    number key may be 0.)"""
    if not (isinstance(target, ir.SeqE) and len(target.elts) == 2 and isinstance(target.elts[1], ir.Name)):
        return False
    value = target.elts[1]
    return isinstance(condition, ir.Compare) and condition.left == value and condition.ops == ("is not",) \
        and len(condition.comparators) == 1 and isinstance(condition.comparators[0], ir.Const) \
        and condition.comparators[0].value is None


def _names_only(condition: ir.Expr, target: ir.Expr) -> bool:
    """Is ``condition`` a test of the comprehension's name of the entry alone against constants,
    names or their attributes (``k != "cache"``, ``k not in HIDDEN``, ``k in cls.__dataclass_fields__``), or several joined by ``and`` /
    ``or``, which keeps the entries' values?"""
    if isinstance(condition, ir.BoolOp):
        return _names_only(condition.left, target) and _names_only(condition.right, target)
    name = target.id if isinstance(target, ir.Name) else \
        target.elts[0].id if isinstance(target, ir.SeqE) and target.elts and isinstance(target.elts[0], ir.Name) \
        else None
    if name is None or not isinstance(condition, ir.Compare):
        return False
    left = condition.left
    if isinstance(left, ir.Call) and isinstance(left.func, ir.Attr) and left.func.attr in KEY_CASES \
            and not left.args and not left.kwargs:
        left = left.func.value  # (``f.name.upper() in os.environ``: the name with its case changed)
    left = left.value if isinstance(left, ir.Attr) and left.attr == "name" else left  # (``f.name``: of a field object)
    if left != ir.Name(name):
        return False
    bound = {e.id for e in target.elts if isinstance(e, ir.Name)} if isinstance(target, ir.SeqE) else {name}

    def named(expr: ir.Expr) -> bool:  # a name or an attribute of one (``cls.__dataclass_fields__``)
        while isinstance(expr, ir.Attr):
            expr = expr.value
        return isinstance(expr, ir.Name) and expr.id not in bound

    return all(isinstance(c, ir.Const) or named(c)
               or isinstance(c, ir.SeqE) and all(isinstance(e, ir.Const) for e in c.elts)
               for c in condition.comparators)
