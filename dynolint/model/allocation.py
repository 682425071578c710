"""Keys allocated from what a scan or query returned.

A new item's key counted from the items a scan or query of the same table returned
(``max(ids) + 1``, ``len(items) + 1``, the first number no item has) is a read of that key's
absence: the scan saw no item with it. Two concurrent callers count the same key, and an
unguarded create by the later one replaces the earlier one's item.

A key is *counted* from a scan when one of its key attributes holds

* by data: a whole number added to a value derived from the scan's items (``max(ids) + 1``,
  ``sorted(ids)[-1] + 1``, ``len(items) + 1``, also inside ``str()`` or an f-string); or
* by control: a number chosen under a test on the scan's items (model/control.py): a counter
  advanced by a whole number in a loop or branch whose test looks at them (``while str(i) in
  ids: i += 1``), or
  the element a filter on them picks from a range (``next(i for i in count(1) if i not in ids)``).

A key attribute built from a fresh value (uuid, clock, random) is unique anyway: such a key
is no allocation. Copies of a scanned item's key (``item["pk"] + "-copy"``) are not counted,
and a write of the scanned item itself is an overwrite (model/races.py), not an allocation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynolint.model.control import ControlMarks, Steer, lists_items
from dynolint.model.events import ReadEvent, WriteEvent, WriteRecord
from dynolint.model.key_schema import keyish_names, known_key_attrs
from dynolint.model.literals import const_text
from dynolint.model.values import (
    ArithV, CallV, ConstV, DictV, ElemV, FreshV, Loc, OneOf, PynInstanceV, ReadItemV, StrV, Val, alts, children,
    const_str, parts,
)

if TYPE_CHECKING:
    from dynolint.model.analysis import Model

# writes that create the item they name (an update_item upserts; a batch writer's put is a put_item)
CREATES = frozenset({"put_item", "update_item", "save", "batch save", "batch_write_item put"})
# what a loop counts through: an element of one is a number
NUMBERS = frozenset({"range", "itertools.count", "count"})
MAX_PARTS = 400  # parts of one key value looked at
# words of an attribute name that say it numbers the items (``ticket_number``, ``device_no``)
NUMBERING = frozenset({"number", "num", "no", "nr", "seq", "sequence", "serial"})
_NOWHERE: Loc = ("", -1)


@dataclass(frozen=True, slots=True)
class Allocation:
    """The scan or query a written key was counted from, and where: the arithmetic, or the
    test on the scan's items that chose the number."""

    read: ReadEvent
    site: Loc | None
    by_control: bool


def allocated_from(model: Model, record: WriteRecord) -> Allocation | None:
    """The scan or query of the same table, on the path before this unguarded create, that
    its new key was counted from (the latest, when several)."""
    write = record.write
    if write.guard.kind or write.op not in CREATES:
        return None
    scans = {r.id: r for r in record.reads if lists_items(r) and r.seq < write.seq
             and model.index.same_table(r.table, write.table)}
    if not scans:
        return None
    values = key_values(model, record, list(scans.values()))
    if not values or any(_fresh(value) for value in values):
        return None
    found: set[tuple[int, bool, Loc]] = set()  # (read, by control, where)
    for value in values:
        if not _tallied_name(value):
            _count(model, model.interp.control, value, frozenset(), set(scans), found, set())
    if not found:
        return None
    read = max((scans[r] for r, _, _ in found), key=lambda r: r.seq)
    # the data witness before the control one, then the first in the source (values hash by
    # content, so the order they were met in is not the same from run to run)
    _, by_control, site = min(w for w in found if w[0] == read.id)
    return Allocation(read, site if site[1] >= 0 else None, by_control)


def serialised(model: Model, record: WriteRecord) -> bool:
    """Was the create made under a claim every caller creating the same key wins first: a
    conditional write won on the path before it whose key is made only of inputs the created
    key is made of (a run's lease on ``f"RUN#{season}"`` before its items ``f"FIX#{season}-{n}"``)?
    Two callers that count the same key took the same claim, and one of them lost it."""
    write = record.write
    made_of = {leaf for value in key_values(model, record) for leaf in model.index.leaves(value)}
    for claim in record.claims:
        if claim.seq >= write.seq or claim.batch:
            continue
        values = _key_values_of(model, claim)
        inputs = [model.index.leaves(value) for value in values]
        if values and all(found or const_str(value) is not None for found, value in zip(inputs, values)) \
                and set().union(*inputs) <= made_of:
            return True
    return False


def _tallied_name(value: Val) -> bool:
    """Is ``value`` a name a Counter counted (``for pk, n in tally.items()``, ``for pk in tally``):
    what iterating a mapping gives is its keys, never the counts it keeps beside them? (The model
    keeps a Counter whose counts were advanced as arithmetic on it; the names are what was
    counted, a scanned item's ``pk``, never a number counted from the scan.)"""
    from dynolint.model.containers import counts

    def tally(mapping: Val) -> bool:
        return any(counts(side) for alt in alts(mapping)
                   for side in ((alt.left, alt.right) if type(alt) is ArithV else (alt,)))

    def name(alt: Val) -> bool:
        if type(alt) is not ElemV:
            return False
        of = alt.of
        if type(of) is CallV and of.fn == "keys" and of.recv is not None:
            of = of.recv
        return tally(of)

    return bool(alts(value)) and all(name(alt) for alt in alts(value))


def key_values(model: Model, record: WriteRecord, listings: list[ReadEvent] | None = None) -> list[Val]:
    """The values of the key attributes the write names, as bound (not canonical: a value
    chosen under a test is marked by object). Empty when they are not known. Where nothing
    declares the key, an item created in the partition a query of ``listings`` listed (its
    key-like attributes hold the values the query's key condition gave) is keyed also by the
    attributes whose names say they number items (``{"sid": sid, "seq": n}``: the sort key)."""
    return _key_values_of(model, record.write, listings)


def _key_values_of(model: Model, write: WriteEvent, listings: list[ReadEvent] | None = None) -> list[Val]:
    if write.key is not None:  # Key= of an update, a PynamoDB instance's hash and range key
        return [value for alt in alts(write.key) if isinstance(alt, DictV) for _, value in alt.items]
    named: dict[str, Val] = {}
    for alt in alts(write.item if write.item is not None else ConstV(None)):
        if isinstance(alt, DictV):
            named.update((name, value) for key, value in alt.items for name in (const_str(key),) if name)
    known = known_key_attrs(model, write.table, write.loc[0])
    keys = known or keyish_names(named)
    if not known and keys and any(_in_partition(model, named, keys, listing) for listing in listings or ()):
        keys = keys + [name for name in named if NUMBERING & name_words(name) and name not in keys]
    if not keys:  # nothing names the key: an entry whose name is built and looks like one, else a number
        return built_key_values(write.item) or numbering_values(write.item)
    if not set(keys) <= set(named):
        return []
    return [named[name] for name in keys]


def _in_partition(model: Model, named: dict[str, Val], keys: list[str], listing: ReadEvent) -> bool:
    """Do the attributes ``keys`` of a created item hold what ``listing``'s key condition set
    them equal to (the item is made in the partition the query listed)?"""
    pinned = dict(listing.equal)
    return all(name in pinned and model.index.equal(pinned[name], named[name]) for name in keys)


def built_key_values(item: Val | None) -> list[Val]:
    """The values stored under names built at run time that look like key attributes
    (``item[kind + "_id"] = str(n)``), in an item whose table's key schema nothing declares;
    of the items the write may be, those whose key is not fresh (a path that stored a uuid
    there beside one that counted it: the counted one)."""
    found: list[Val] = []
    for alt in alts(item if item is not None else ConstV(None)):
        if isinstance(alt, DictV):
            values = [value for key, value in alt.items if isinstance(key, StrV) and keyish_names([const_text(key) or ""])]
            if not any(_fresh(value) for value in values):
                found.extend(values)
    return found


def numbering_values(item: Val | None) -> list[Val]:
    """The values of a created item, whose key nothing names (no schema declared, no ``Key=``
    dict used with the table, no attribute that looks like a key), stored under a name that
    says it numbers items (``ticket_number``, ``device_no``, ``invoiceNum``, ``seq``): a number
    counted from what a scan saw and stored as the item's number identifies the item. A
    position or a rank (``{"title": t, "position": n}``) orders items; it is not taken."""
    found: list[Val] = []
    for alt in alts(item if item is not None else ConstV(None)):
        if isinstance(alt, DictV):
            found.extend(value for key, value in alt.items
                         if NUMBERING & name_words(const_str(key) or "") and not _fresh(value))
    return found


def name_words(name: str) -> set[str]:
    """The words of an attribute name in snake, kebab or camel case, lower-cased."""
    return {word.lower() for word in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)}


def _count(model: Model, control: ControlMarks, value: Val, steers: frozenset[Steer], scans: set[int],
           found: set[tuple[int, bool, Loc]], seen: set[tuple[int, frozenset[Steer]]]) -> None:
    """Record in ``found`` the scans that ``value`` counts from, with where it does."""
    for alt in alts(value):
        here = steers | control.of(alt)
        if (id(alt), here) in seen or len(seen) > MAX_PARTS:
            continue
        seen.add((id(alt), here))
        steering = [s for s in here if s.read in scans]
        if isinstance(alt, ArithV) and alt.op in ("+", "-"):
            for number, other in ((alt.right, alt.left), (alt.left, alt.right)):
                if isinstance(number, ConstV) and type(number.value) is int:
                    if alt.op == "+":
                        found.update((read, False, alt.loc or _NOWHERE)
                                     for read in model.taint(other).read_ids() & scans)
                    # a counter advanced under a test on the items: where it advances
                    found.update((steer.read, True, alt.loc or steer.site) for steer in steering)
        elif isinstance(alt, ElemV) and steering and isinstance(alt.of, CallV) and alt.of.fn in NUMBERS:
            found.update((steer.read, True, steer.site) for steer in steering)  # a number a filter picked
        if isinstance(alt, (ReadItemV, PynInstanceV, OneOf)):
            continue
        for child in children(alt):
            _count(model, control, child, here, scans, found, seen)


def _fresh(value: Val) -> bool:
    """Is ``value`` built from a value that differs on every call (uuid, clock, random)?"""
    return any(isinstance(part, FreshV) for part in parts(value, MAX_PARTS))


__all__ = ["Allocation", "CREATES", "allocated_from", "key_values", "serialised"]
