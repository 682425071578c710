"""Dicts a function builds, as Python runs them: entries stored under keys computed from data
(``by_sku[row["sku"]] = row``, ``{row["sku"]: row for row in rows}``, ``dict(pairs)``), the
list a ``collections.defaultdict(list)`` or ``setdefault(k, [])`` makes on first use and
``append``/``extend`` grow, and the views that iterate them (``values()``, ``items()``,
``keys()``, and the dict itself).

A dict is a ``DictV``: its entries by key. A key the code computed (not a literal) may be any
key: a lookup that no entry matches exactly gives the entries stored under computed keys,
so ``groups["PENDING"]`` after ``groups[item["status"]].append(item)`` holds the items."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.library import COUNTER_METHODS, COUNTERS, DICT_MAKERS, ITERATION, TAKE_ELEMENT
from dynolint.model.literals import is_open_mapping, merge_dicts
from dynolint.model.values import (
    NONE, UNKNOWN, CallV, ConstV, DictV, ElemV, EventV, InstanceV, OpaqueV, SeqV, Val, alts, one_of,
)
from dynolint.model.values_aws import ReadItemV
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

DICT_VIEWS = frozenset({"values", "items", "keys"})


def dict_keys(value: Val) -> Val:
    """The keys of the dicts ``value`` may be, as a tuple (UNKNOWN: none known)."""
    keys: list[Val] = []
    for alt in alts(value):
        if isinstance(alt, DictV):
            keys.extend(k for k, _ in alt.items)
    return SeqV("tuple", tuple(keys)) if keys else UNKNOWN


def exact_entry(base: DictV, index: Val) -> Val | None:
    """The value ``base`` holds under ``index`` itself (the last one stored), or None."""
    return next((value for key, value in reversed(base.items) if key == index), None)


def computed_entries(base: DictV, index: Val) -> Val | None:
    """The values ``base`` holds under keys the code computed (no literal), which a lookup
    by ``index`` that no entry matches exactly may give; None when there are none."""
    held = [value for key, value in base.items if not isinstance(key, ConstV) and key != index]
    return one_of(held) if held else None


def view(base: DictV, name: str) -> Val:
    """``d.values()``, ``d.items()``, ``d.keys()`` of a dict with no spread: a list of them
    (empty when the dict is, so that a loop over it runs no body)."""
    if name == "values":
        return SeqV("list", tuple(value for _, value in base.items))
    if name == "keys":
        return SeqV("list", tuple(key for key, _ in base.items))
    return SeqV("list", tuple(SeqV("tuple", (key, value)) for key, value in base.items))


def grown(value: Val, added: tuple[Val, ...]) -> Val:
    """The list ``value`` after ``append``/``extend`` added ``added`` (each of its lists)."""
    return one_of(SeqV(alt.kind, alt.elts + added) if isinstance(alt, SeqV) else alt for alt in alts(value))


def with_entry(holder: DictV, index: Val, make: Val, added: tuple[Val, ...]) -> DictV:
    """``holder`` whose list under ``index`` grew by ``added``; where there is no such entry,
    the one a ``defaultdict`` or ``setdefault`` makes (``make``, then grown)."""
    if any(key == index for key, _ in holder.items):
        return DictV(tuple((k, grown(v, added) if k == index else v) for k, v in holder.items), holder.spreads)
    return DictV(holder.items + ((index, grown(make, added)),), holder.spreads)


def with_elements(value: Val) -> Val | None:
    """``value`` as a loop's body sees it: without the empty lists and dicts the code built
    (a loop over one runs no body), when some alternative holds elements; None: no change."""
    empty = [alt for alt in alts(value) if isinstance(alt, SeqV) and alt.kind in ("list", "tuple", "set")
             and not alt.elts or isinstance(alt, DictV) and not alt.items and not alt.spreads]
    if not empty or len(empty) == len(alts(value)):
        return None
    return one_of(alt for alt in alts(value) if alt not in empty)


def iterated_name(expr: ir.Expr) -> str | None:
    """The local name whose elements a loop iterates, in the same number: ``groups``,
    ``groups.keys()``, ``sorted(groups)``, ``list(groups.items())`` (``ITERATION`` "same")."""
    while type(expr) is ir.Call and not expr.kwargs:
        func = expr.func
        if type(func) is ir.Attr and func.attr in DICT_VIEWS and not expr.args:
            expr = func.value
        elif type(func) is ir.Name and ITERATION.get(func.id, ("", -1)) == ("same", 0) and len(expr.args) == 1:
            expr = expr.args[0]
        else:
            return None
    return expr.id if type(expr) is ir.Name else None


def typed_dict(args: list[Val], kwargs: dict[str, Val]) -> Val:
    """What calling a ``TypedDict`` class makes: a dict of the mapping and keywords given."""
    return merge_dicts(list(args) + [DictV(tuple((ConstV(k), v) for k, v in kwargs.items()))])


def plain_dicts(value: Val) -> list[DictV] | None:
    """The alternatives of ``value`` when every one is a dict with no spread."""
    found = [alt for alt in alts(value) if isinstance(alt, DictV) and not alt.spreads]
    return found if found and len(found) == len(alts(value)) else None


def filled_dicts(value: Val) -> list[DictV] | None:
    """The alternatives of ``value`` when every one is a dict with no spread; or, for a
    module-level dict that functions stored entries into (``ModuleState.global_since``: as the
    module left it, what they stored, and a dict of those entries with an unknown rest), the
    dict of those entries: a registry a decorator fills at import holds what it stored."""
    registry = registry_entries(value)
    return [registry] if registry is not None else plain_dicts(value)


def registry_entries(value: Val) -> DictV | None:
    """The entries functions stored into a module-level dict that the module made empty, as
    function code sees it (:func:`filled_dicts`); None for any other value."""
    filled = [alt for alt in alts(value) if type(alt) is DictV and alt.spreads == (UNKNOWN,)]
    if len(filled) != 1 or not all(alt is filled[0] or type(alt) is DictV and not alt.items and not alt.spreads
                                   or type(alt) is OpaqueV and alt.loc[1] == -3 for alt in alts(value)):
        return None
    return DictV(filled[0].items)


LITERAL_KINDS = frozenset({"list", "tuple", "set"})  # SeqV kinds of a literal the code wrote (ir.SeqE)


class ContainersMixin(Mixin):
    def eval_iterable(self: Machine, expr: ir.Expr, site: int, state: State, frame: Frame) -> Val:
        """What a ``for`` or a comprehension iterates: ``expr``'s value, or for an instance of
        a project class with ``__iter__`` what that returns (a generator method: its yields)."""
        value = self.eval(expr, state, frame)
        if not any(type(alt) is InstanceV for alt in alts(value)):
            return value
        out = []
        for alt in alts(value):
            method = self.find_method(alt.cls, "__iter__") if type(alt) is InstanceV else None
            out.append(alt if method is None else self.invoke(method, alt, [], {}, (frame.path, site), state, frame))
        return one_of(out)

    def element(self: Machine, iterable: Val) -> Val:
        """What iterating ``iterable`` gives: one of its elements (a dict's keys)."""
        out = []
        nothing = []  # empty literals (``found = []`` before a loop appended to it): no element
        for alt in alts(iterable):
            if isinstance(alt, SeqV) and alt.kind == "items" and len(alt.elts) == 1:
                out.append(alt.elts[0])
            elif isinstance(alt, SeqV) and alt.elts:
                out.append(one_of(alt.elts))
            elif isinstance(alt, SeqV) and alt.kind in LITERAL_KINDS:
                nothing.append(ElemV(alt))
            elif isinstance(alt, DictV) and not alt.spreads and alt.items:  # a dict iterates its keys
                out.append(one_of(k for k, _ in alt.items))
            elif isinstance(alt, DictV) and not alt.spreads:  # an empty dict: no element
                nothing.append(ElemV(alt))
            elif type(alt) is EventV:  # a record of the event (``for record in event["Records"]``), as [0] is
                out.append(EventV(alt.path + ("?",), alt.trusted))
            else:
                out.append(ElemV(alt))
        return one_of(out or nothing)

    def make_container(self: Machine, path: str, args: list[Val], kwargs: dict[str, Val]) -> Val | None:
        """``dict(pairs)``, ``collections.defaultdict(list)``, ``OrderedDict(...)``,
        ``ChainMap(*maps)``: the dict they make, when what they are given is pairs or nothing (None: leave the call to others)."""
        if path not in DICT_MAKERS:
            return None
        if DICT_MAKERS[path] == "chain":
            return merge_dicts(reversed(args)) if not kwargs else None
        given = args[1:] if DICT_MAKERS[path] == "default" else args
        if kwargs or len(given) > 1:
            return None
        if not given:
            return DictV(())
        pairs: list[tuple[Val, Val]] = []
        for alt in alts(given[0]):
            if isinstance(alt, DictV):
                return given[0] if len(alts(given[0])) == 1 else None
            if not isinstance(alt, SeqV):
                return None
            for pair in alt.elts:
                if isinstance(pair, SeqV) and len(pair.elts) == 2:
                    pairs.append((pair.elts[0], pair.elts[1]))
                else:
                    return None
        return DictV(tuple(pairs))

    def dict_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], node: ir.Call,
                    state: State, frame: Frame) -> Val | None:
        """A method of a dict the function built (None: not one of those). The receiver named
        by a local name is changed in place (values are immutable: the name is rebound)."""
        receiver = node.func.value if isinstance(node.func, ir.Attr) else None
        if name in TAKE_ELEMENT and len(args) <= 1 and alts(recv) and all(type(a) is SeqV for a in alts(recv)):
            return self.element(recv)  # ``pending.pop()``, ``queue.popleft()``: one of the elements put in
        if name in COUNTER_METHODS and args and isinstance(receiver, ir.Name) and receiver.id in state.env \
                and counts(recv):
            # ``counts.update(words)`` adds to the counts (``subtract`` takes away): arithmetic on them
            state.env[receiver.id] = self.binop(COUNTER_METHODS[name], recv, args[0], (frame.path, node.site))
            return NONE
        if name == "update" and len(args) <= 1 and isinstance(receiver, ir.Name) and receiver.id in state.env:
            return self.update_dict(receiver.id, args, kwargs, frame, state)
        if name in ("append", "extend") and receiver is not None:
            return self.grow_entry(receiver, name, args, state, frame)
        if name == "new_child" and len(args) <= 1 and all(isinstance(alt, DictV) for alt in alts(recv)):
            # a ChainMap with a mapping in front of its own (the first to answer a lookup)
            return one_of(merge_dicts((alt, args[0] if args else DictV(()))) for alt in alts(recv))
        if name in DICT_VIEWS and not args and (filled := filled_dicts(recv)) is not None:
            return one_of(view(d, name) for d in filled)  # (of a registry functions filled: what they stored)
        dicts = plain_dicts(recv)
        if dicts is None:
            return None
        if name == "setdefault" and args and isinstance(receiver, ir.Name) and receiver.id in state.env:
            default = args[1] if len(args) > 1 else NONE
            found = [exact_entry(d, args[0]) for d in dicts]
            missing = [d for d, v in zip(dicts, found) if v is None]
            if missing:
                state.env[receiver.id] = one_of(DictV(d.items + ((args[0], default),)) if d in missing else d
                                                for d in dicts)
            return one_of([v for v in found if v is not None] + ([default] if missing else []))
        return None

    def update_dict(self: Machine, name: str, args: list[Val], kwargs: dict[str, Val], frame: Frame,
                    state: State) -> Val | None:
        """``name.update(mapping, **entries)`` on a dict the function built or was given (a
        request's body): later entries win, as ``{**d, **mapping, **entries}`` (None: ``name``
        holds something else). A caller that gave the dict sees the change (model/calls.py)."""
        options = alts(state.env[name])
        if not options or not all(type(alt) is DictV or is_open_mapping(alt) for alt in options):
            return None
        given = list(args)
        if kwargs:
            given.append(DictV(tuple((ConstV(key), value) for key, value in kwargs.items())))
        state.env[name] = one_of([merge_dicts((alt if type(alt) is DictV else DictV((), (alt,)), *given))
                                  for alt in options])
        if name not in frame.rebound:
            frame.stored_into.add(name)
        return NONE

    def grow_entry(self: Machine, receiver: ir.Expr, name: str, args: list[Val], state: State,
                   frame: Frame) -> Val | None:
        """``d[k].append(x)`` and ``d.setdefault(k, []).append(x)`` on a dict a local name holds:
        the list under ``k`` grows (a ``defaultdict`` makes it on first use)."""
        make: Val = SeqV("list", ())
        if isinstance(receiver, ir.Sub):
            holder_expr, index_expr = receiver.value, receiver.index
        elif isinstance(receiver, ir.Call) and isinstance(receiver.func, ir.Attr) \
                and receiver.func.attr == "setdefault" and receiver.args:
            holder_expr, index_expr = receiver.func.value, receiver.args[0]
            if len(receiver.args) > 1:
                make = self.peek(receiver.args[1], state, frame)
        else:
            return None
        if not isinstance(holder_expr, ir.Name) or holder_expr.id not in state.env:
            return None
        dicts = plain_dicts(state.env[holder_expr.id])
        if dicts is None:
            return None
        index = self.peek(index_expr, state, frame)
        if index is UNKNOWN and not isinstance(index_expr, ir.Const):
            index = self.eval(index_expr, state, frame)
        added = tuple(args) if name == "append" else tuple(self.element(a) for a in args)
        added = tuple(self.carry_path(a, state) for a in added)
        state.env[holder_expr.id] = one_of(with_entry(d, index, make, added) for d in dicts)
        return NONE


def counts(value: Val) -> bool:
    """Is ``value`` a ``Counter`` (made by ``Counter(...)``)?"""
    return any(type(alt) is CallV and alt.fn in COUNTERS for alt in alts(value))


__all__ = ["ContainersMixin", "counts", "DICT_VIEWS", "computed_entries", "exact_entry", "typed_dict", "plain_dicts", "view"]


def element_binding(loop_iter: ir.Expr, target: ir.Expr | None) -> tuple[str, str] | None:
    """``(list name, element name)`` of ``for x in xs`` and ``for i, x in enumerate(xs)``."""
    if target is None:
        return None
    if type(loop_iter) is ir.Call and type(loop_iter.func) is ir.Name and loop_iter.func.id == "enumerate" \
            and loop_iter.args and type(target) is ir.SeqE and len(target.elts) == 2 \
            and type(target.elts[1]) is ir.Name:
        loop_iter, name = loop_iter.args[0], target.elts[1].id
    elif type(target) is ir.Name:
        name = target.id
    else:
        return None
    return (loop_iter.id, name) if type(loop_iter) is ir.Name else None


def stored_elements(before: Val, after: Val | None) -> Val | None:
    """The iterated list after a loop whose body stored entries into its element in place
    (``for row in rows: row["id"] = n``): a list of the element with those entries; None
    where the body did not (it rebound the name, or stored nothing)."""
    if after is None or after is before:
        return None
    changed = [alt for alt in alts(after) if isinstance(alt, DictV) and before in alt.spreads
               or isinstance(alt, ReadItemV) and isinstance(before, ReadItemV) and alt.read == before.read
               and alt.arith and not before.arith]  # ``row["n"] += 1``: the item, holding arithmetic
    if not changed or len(changed) != len(alts(after)):
        return None
    return SeqV("items", (one_of(changed),))
