"""An item read, changed in place: what the path knows of it afterwards. Arithmetic on its own
read (``item["n"] = item["n"] + 1``) makes what it is put back as a counter (DYN102), however
the change is made: by a subscript assignment, through a name holding a part of it
(``usage = item["usage"]``), by ``dict.update``/``setdefault``, or by a helper given it (the
caller's names see the change). Attributes given new values in place are noted for the
write that puts the item back (a version it advances: ``guard_cover.bumps``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from dynolint.phase1 import ir
from dynolint.model.key_parts import converted_from
from dynolint.model.looked import computed_from, looked_at_reads
from dynolint.model.values import ConstV, DictV, PynInstanceV, ReadItemV, SubV, Val, alts, const_str, one_of
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.events import ReadEvent
    from dynolint.model.interp import Machine
    from dynolint.model.state import State


class InPlaceMixin(Mixin):
    def note_contents_used(self: Machine, data: Val, state: State) -> None:
        """The path used what items it read hold, besides their key, in ``data``: copied them
        elsewhere (an object's body: ``put_object(Body=json.dumps(item))``) or ordered them to
        choose some (``sorted(rows, key=lambda r: r["updated_at"])[limit:]``). It examined them:
        a delete of one after loses what changed since (as an archive's copy into another item
        does: ``emit_write``), or removes an item chosen by what it no longer holds."""
        candidates = self.taint(data).read_ids() - state.examined
        if not candidates:
            return
        names, whole = looked_at_reads(data, candidates)
        used = set(whole) | {read for read, attributes in names.items() if 0 <= read < len(self.reads)
                             and attributes - read_key(self, self.reads[read]) - {"pk", "sk"}}
        if used:
            state.examined = state.examined | frozenset(used)

    def with_arithmetic(self: Machine, item: ReadItemV, value: Val) -> ReadItemV:
        """The item read once ``value`` is stored into it: flagged as holding arithmetic on its
        own attributes when ``value`` is computed so (``item["n"] + 1``), else as it was."""
        if item.arith or item.read < 0 or not self.taint(value).arith_on(item.read):
            return item
        return ReadItemV(item.read, True)

    def mutate_item(self: Machine, item: Val, value: Val, state: State) -> None:
        """An attribute of a read item was assigned: remember arithmetic on its own read, and
        which of its attributes that arithmetic reads (what a write putting the item back
        copies of the read: ``guard_cover.unpinned``)."""
        if not isinstance(item, (ReadItemV, PynInstanceV)) or item.read < 0:
            return
        read = item.read
        arithmetic = self.taint(value).arith_on(read)
        if arithmetic:
            computed_from(value, read, self.arith_sources.setdefault(read, set()))
        if getattr(item, "arith", False):
            return
        if arithmetic:
            updated: Val = (ReadItemV(read, True) if isinstance(item, ReadItemV)
                            else PynInstanceV(item.model, item.key, item.read, item.alloc, True, item.attrs))
            self.rebind(state, item, updated)
            if isinstance(item, ReadItemV):  # names holding a part of it (``quota = item["quota"]``) see it too
                for name, held in list(state.env.items()):
                    if any(isinstance(alt, SubV) for alt in alts(held)):
                        state.env[name] = one_of([rebased(alt, item, updated) for alt in alts(held)])

    def update_in_place(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val],
                        state: State) -> Val | None:
        """``item.update(hits=item["hits"] + 1)``, ``item.update({...})``, ``item.setdefault(k, v)``
        on an item read (or a part of it): its entries are assigned, as by ``item[k] = v``; what
        ``setdefault`` answers is the entry, a part of the item (None: not such a call)."""
        if name not in ("update", "setdefault"):
            return None
        entries: list[tuple[Val, Val]] = [(ConstV(k), v) for k, v in kwargs.items()] if name == "update" else []
        if name == "update" and args:
            entries += [pair for alt in alts(args[0]) if isinstance(alt, DictV) for pair in alt.items]
        elif name == "setdefault" and len(args) > 1:
            entries.append((args[0], args[1]))
        parts: list[Val] = []
        for alt in alts(recv):
            root = alt
            while isinstance(root, SubV):
                root = root.base
            if not isinstance(root, ReadItemV) or root.read < 0:
                continue
            if name == "setdefault" and args:
                parts.append(SubV(alt, args[0]))
            for index, value in entries:
                self.mutate_item(root, value, state)
                if alt is root:
                    self.note_assigned(root, index, value)
        return one_of(parts) if parts else None

    def carry_mutation(self: Machine, state: State, given: Val, now: Val) -> None:
        """A callee changed in place a value the caller gave it (``given``), which it holds as
        ``now``: the caller's names holding it hold ``now``; an item read that gained arithmetic
        through a part of it (``usage["calls"] += 1`` on ``item["usage"]``) gains it in the caller too.
        A summary does not replay it (as it does not replay names): the call is never reused."""
        self.summaries.effect()
        self.rebind(state, given, now)
        for old, new in zip(alts(given), alts(now)):
            while isinstance(old, SubV) and isinstance(new, SubV):
                old, new = old.base, new.base
            if isinstance(old, ReadItemV) and isinstance(new, ReadItemV) and old.read == new.read \
                    and new.arith and not old.arith:
                self.mutate_item(old, new, state)

    def note_assigned(self: Machine, item: ReadItemV, index: Val, value: Val) -> None:
        """``item["version"] = seen + 1``: the item read now holds a new value of that attribute
        (a write that puts it back advances it: ``guard_cover.bumps``); its own value put back
        (``item["a"] = item["a"]``) is none."""
        name = const_str(index)
        if name is None:
            return
        if any(isinstance(alt, SubV) and isinstance(alt.base, ReadItemV) and alt.base.read == item.read
               and const_str(alt.index) == name for alt in alts(value)):
            return
        self.assigned_in_place.setdefault(item.read, set()).add(name)


def put_back(value: Val) -> Iterator[Val]:
    """What ``value`` writes of whole items: each alternative, and what a dict spreads
    (``{**item, "state": s}``), where a read item changed in place may be."""
    for alt in alts(value):
        yield from (alt, *alt.spreads) if isinstance(alt, DictV) else (alt,)


def leftmost_name(expr: ir.Expr) -> str | None:
    """The name a chain of subscripts starts from (``item`` of ``item["usage"]["calls"]``)."""
    while isinstance(expr, ir.Sub):
        expr = expr.value
    return expr.id if isinstance(expr, ir.Name) else None


def rebased(value: Val, old: Val, new: Val) -> Val:
    """``value`` (a part of ``old`` reached by subscripts) as the same part of ``new``."""
    if isinstance(value, SubV):
        base = new if value.base == old else rebased(value.base, old, new)
        return value if base is value.base else SubV(base, value.index)
    return value


def read_key(machine: Machine, read: ReadEvent) -> set[str]:
    """The attributes that name the item ``read`` got (its key's, or its key condition's equalities)."""
    return set(machine.index.key_map(read.key) or ()) | set(dict(read.equal))


def copied_items(machine: Machine, item: Val, key: Val | None) -> frozenset[int]:
    """The reads whose items ``item`` copies an attribute of that is not their key, into an
    attribute that is not its own key (``"score": entry["score"]``; a key taken from an item
    refers to it, it copies nothing of what may change)."""
    own = set(machine.index.key_map(key) or ())
    found: set[int] = set()
    for alt in alts(item):
        if type(alt) is not DictV:
            continue
        for name, value in alt.items:
            if const_str(name) in own or const_str(name) in ("pk", "sk"):
                continue
            for part in alts(converted_from(value)):
                if type(part) is SubV and type(part.base) is ReadItemV and 0 <= part.base.read < len(machine.reads):
                    read = machine.reads[part.base.read]
                    if const_str(part.index) not in read_key(machine, read):
                        found.add(read.id)
    return frozenset(found)


__all__ = ["InPlaceMixin", "copied_items", "leftmost_name", "rebased"]
