"""Does a write's condition guard what the path decided on the item it read?

A path that reads an item, branches on it (``if item["status"] == "NEW":``) and writes it
back acts on a decision that a concurrent writer can make stale. A ``ConditionExpression``
closes the window only for what it pins: ``attribute_exists(pk)`` says the item is still
there, not that its status is still NEW. This module compares the decisions the path made
(``WriteRecord.decisions``, see :mod:`dynolint.model.decisions`) with the attributes the
condition pins (:mod:`dynolint.model.conditions`) and names the decisions left open.

The condition guards the write (nothing is left open) when:

- it pins the value of an attribute the path decided on (``#s = :new``, ``begins_with``,
  ``attribute_not_exists(a)``), or looks at an attribute a truthiness test decided on;
- it makes the write create-only (``attribute_not_exists`` of a key attribute): the item
  the decisions were about cannot exist when the write lands;
- it requires every attribute the write sets to be missing (a marker claimed once): the
  write overwrites nothing;
- it compares a version attribute: the table's configured ``version-attribute``, or an
  attribute the write itself bumps (``version = :seen`` with ``SET version = :next``);
- the model could not read it exactly (see ``conditions``): no noise from what it cannot see.

Only decisions that hold on every path to the write count (the interpreter keeps the
decisions common to the merged paths, so a branch that only logs decides nothing), and
only those on attributes: a decision on a key attribute is pinned by the key itself, and
one that used the item as a whole or mixed several tests with ``or`` names no attribute a
condition could pin, so it is not reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.model.conditions import ABSENT, EXISTS, VALUE, ConditionPins
from dynolint.model.ddb_writes import changed_by_arithmetic
from dynolint.model.decisions import MEMBERSHIP, NULLNESS, TRUTHINESS
from dynolint.model.looked import computed_from, looked_at
from dynolint.model.events import Decision, ReadEvent, WriteEvent, WriteRecord, lists_items
from dynolint.model.expressions import parse_update
from dynolint.model.in_place import put_back
from dynolint.model.values import ConstV, DictV, ParamV, SeqV, SubV, Val, alts, const_str
from dynolint.model.values_aws import PynInstanceV, PynModelV, ReadItemV

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


def decided_attributes(decision: Decision, write: WriteEvent) -> tuple[str, ...]:
    """The attributes a decision is about, when it counts: a comparison of an attribute
    (``status == 'NEW'``, ``balance >= amount``), or a truthiness test of an attribute the
    write changes (``if item.get("processed"): return`` before setting ``processed``).
    A truthiness test of an attribute the write leaves alone is a validation (``if not
    item.get("tenantId"): raise NotFound``), and a test of a value computed from the item
    (a call on it, a request made with it) says too little of the item to hold against a
    condition: neither counts."""
    if decision.attribute is not None:
        return (decision.attribute,)
    if decision.why == MEMBERSHIP and not decision.whole:
        return decision.looked_at  # the attribute's value is one of those named
    if decision.whole or not (decision.why.startswith(TRUTHINESS) or decision.why == NULLNESS):
        return ()
    written = written_attributes(write)
    return tuple(a for a in decision.looked_at if written is None or a in written)


def written_attributes(write: WriteEvent) -> set[str] | None:
    """The attributes the write changes (None: all of them, as a put or a delete does; an
    update whose expression the model cannot read changes none it knows of)."""
    if write.flavor == "pynamodb" and write.op == "update":
        return set()  # which attributes its actions set is not kept: none counted
    if not write.op.endswith("update_item"):
        return None
    spec = write.update
    if spec is None:
        return set()
    found: set[str] = set()
    for text in spec.texts():  # (each it may be: what any of them changes)
        found.update(_top(action.path) for action in parse_update(text, dict(spec.names)) or () if action.path)
    return found


def key_attributes(model: Model, write: WriteEvent, reads: list[ReadEvent]) -> set[str]:
    """The item's key attributes: the table's schema when known, else the ``Key=`` names
    the read and the write used."""
    if isinstance(write.table, PynModelV):
        info = model.interp.pyn_info(write.table)
        return {name for name in (info.hash_key, info.range_key) if name}
    facts = model.project.table_facts(write.table)
    if facts is not None and facts.partition_key:
        return {name for name in (facts.partition_key, facts.sort_key) if name}
    names: set[str] = set()
    for key in [write.key, *(read.key for read in reads)]:
        names.update(model.index.key_map(key) or {})
    return names


def bumps(write: WriteEvent, attribute: str) -> bool:
    """Does the write set ``attribute`` to a new value (a version it advances)?"""
    spec = write.update
    if spec is not None and spec.expression:
        actions = parse_update(spec.expression, dict(spec.names)) or []
        return any(action.clause in ("SET", "ADD") and _top(action.path) == attribute for action in actions)
    if attribute in write.assigned:  # given a new value in place and put back, or by a PynamoDB action
        return True
    if write.item is None:
        return False
    for alt in alts(write.item):
        if not isinstance(alt, DictV):
            continue
        for name, value in alt.items:
            if const_str(name) == attribute:
                copied = isinstance(value, SubV) and isinstance(value.base, ReadItemV) \
                    and const_str(value.index) == attribute
                return not copied
    return False


def _top(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0].strip()


def _covers(pins: ConditionPins, decision: Decision, attributes: tuple[str, ...]) -> bool:
    for attribute in attributes:
        how = pins.how(attribute)
        if how in (VALUE, ABSENT) or how == EXISTS and decision.attribute is None and decision.why != MEMBERSHIP:
            return True
    return False


def _guards_the_item(model: Model, write: WriteEvent, pins: ConditionPins, keys: set[str]) -> bool:
    """Does the condition guard the whole item, whatever the path decided or copies: a
    create-only write (the item read cannot be there when it lands), or a version compared
    (the table's configured one, or one the write bumps)?"""
    absent = pins.attributes(ABSENT)
    if absent and (not keys or any(a in keys for a in absent)):
        return True
    facts = model.project.table_facts(write.table)
    version = facts.version_attribute if facts is not None else None
    compared = pins.attributes(VALUE)
    # an attribute the write bumps guards as a version only where the condition expects the value
    # read (``revision = :seen``): ``qty >= :n`` with ``SET qty = :left`` is a range both writers pass
    return version is not None and version in compared or any(bumps(write, a) for a in compared if pins.exactly(a))


def left_open(model: Model, record: WriteRecord, reads: list[ReadEvent]) -> tuple[Decision, ...]:
    """The decisions on the items of ``reads`` that the write's condition leaves open
    (empty: the condition guards the write, or the write has none the model can read)."""
    write = record.write
    pins = write.guard.pins
    if write.guard.kind != "condition" or pins is None or write.batch:
        return ()
    read_ids = {read.id for read in reads} | listings_behind(model, record, reads)
    keys = key_attributes(model, write, reads)
    pins = pins.resolved(keys)
    counted = [(d, tuple(a for a in decided_attributes(d, write) if a not in keys))
               for d in record.decisions if d.read in read_ids]
    counted = [(d, attributes) for d, attributes in counted if attributes]
    if not counted:
        return ()
    if _guards_the_item(model, write, pins, keys) or _adds_only(write, pins):
        return ()
    if any(_covers(pins, d, attributes) for d, attributes in counted):
        return ()
    return tuple(dict.fromkeys(d for d, _ in counted))


def _adds_only(write: WriteEvent, pins: ConditionPins) -> bool:
    """Does the write only add attributes its condition requires to be missing (``SET
    notified_at = :now`` under ``attribute_not_exists(notified_at)``, a marker claimed once)?
    It overwrites nothing a concurrent writer could have changed since the read: what the
    path decided may be stale, but no change is lost to this write."""
    written = written_attributes(write)
    return bool(written) and written is not None and all(pins.how(a) == ABSENT for a in written)


def decided_unguarded(model: Model, record: WriteRecord, reads: list[ReadEvent]) -> tuple[Decision, ...]:
    """The decisions on the items of ``reads`` that an unconditional write leaves open: all the
    path made on attributes other than the key (``if q["stage"] != "ACTIVE": return`` before
    ``SET stage = :done ADD xp :bonus``)."""
    write = record.write
    if write.guard.kind or write.batch:
        return ()
    read_ids = {read.id for read in reads} | listings_behind(model, record, reads)
    keys = key_attributes(model, write, reads)
    return tuple(dict.fromkeys(d for d in record.decisions if d.read in read_ids
                               and any(a not in keys for a in decided_attributes(d, write))))


def absent_off_key(model: Model, record: WriteRecord, reads: list[ReadEvent]) -> tuple[str, ...]:
    """A create after a miss (the path found the item missing) whose condition only requires
    attributes to be missing that are neither key attributes nor set by the write
    (``attribute_not_exists(note)`` on ``Item={pk, status}``): the attributes (empty: not such
    a write). An item created since the miss lacks them too, so the condition holds and the
    write overwrites it; ``attribute_not_exists`` of a key attribute, or of one every such
    write sets (a version), is create-only (domain: key existence is checked per item)."""
    write = record.write
    pins = write.guard.pins
    missed = {r.id for r in reads if r.id in record.absent and r.id not in record.present}
    if pins is None or not missed or missed & model.taint_all(write.values).read_ids():
        return ()  # (an item made of what the read gave was there: a part of it was missing)
    keys = key_attributes(model, write, reads)
    pins = pins.resolved(keys)
    absent = pins.attributes(ABSENT)
    if not keys or not absent or any(pin.how != ABSENT for pin in pins.pins):
        return ()
    facts = model.project.table_facts(write.table)
    if any(a in keys or bumps(write, a) or facts is not None and a == facts.version_attribute for a in absent):
        return ()
    return absent


def listings_behind(model: Model, record: WriteRecord, reads: list[ReadEvent]) -> set[int]:
    """The listings (a query or scan of the same table earlier on the path) whose element gave
    the key of one of ``reads``: the code found the item in the listing, decided on the element (``if
    job["status"] == "NOT_STARTED":``) and fetched the item again by its key. The element
    and the item fetched are one item, so a decision on the element is a decision on what
    the write changes, whether or not the code tests the fetched copy again."""
    found: set[int] = set()
    for read in reads:
        if read.key is None:
            continue
        for other in record.reads:
            if other.seq < read.seq and lists_items(other) and model.index.same_table(other.table, read.table) \
                    and model.index.key_from_item(read.key, other):
                found.add(other.id)
    return found


def unpinned(model: Model, record: WriteRecord, reads: list[ReadEvent]) -> tuple[ReadEvent, tuple[str, ...]] | None:
    """A conditional write whose written values are computed from attributes of an item it
    read (``SET #log = :log`` with ``:log = item["log"] + line``) that its condition pins
    none of: the latest such read and those attributes (None: no such write). The condition
    closes the window only for what it pins: ``attribute_exists(pk)`` says the item is still
    there, not that ``log`` still holds what was read, so a concurrent change of ``log`` is
    lost. Guards as for decisions (``left_open``): a pinned value, a create-only write, a
    version compared and bumped, a condition the model cannot read."""
    write = record.write
    pins = write.guard.pins
    if write.guard.kind != "condition" or pins is None or write.batch:
        return None
    keys = key_attributes(model, write, reads)
    pins = pins.resolved(keys)
    if _guards_the_item(model, write, pins, keys):
        return None
    for read in sorted(reads, key=lambda r: r.seq, reverse=True):
        names: set[str] = set()
        # PynamoDB: an instance's attribute a helper assigned still reads as the item had it
        # (``recipe.seen = now()`` in ``touch(recipe)``), so what a plain copy in an update's actions
        # copies is not known; what arithmetic in them reads is (``Wallet.balance.set(w.balance - n)``)
        for value in write.values:
            (computed_from if write.flavor == "pynamodb" else looked_at)(value, read.id, names)
        if _changed_by_arithmetic(write, read.id):  # ``w["balance"] -= n`` then ``put_item(Item=w)``
            names |= model.interp.arith_sources.get(read.id, set())
        names -= keys
        if names and write.atomic and names <= changed_by_arithmetic(write.update) \
                and all(pins.how(a) == VALUE for a in names):
            continue  # ``SET b = b - :amt`` under ``b >= :amt``: a bounded change of what DynamoDB holds, not a copy
        # only a value compared for equality (or an attribute that must still be missing) says
        # the item still holds what was read: ``qty >= :n`` lets two writers that read 10 both write 7
        if names and not any(pins.how(a) == ABSENT or pins.exactly(a) for a in names):
            return read, tuple(sorted(names))
    return None


def _changed_by_arithmetic(write: WriteEvent, read: int) -> bool:
    """Does ``write`` put back the item of ``read`` (itself or spread into a dict) after the
    code changed it in place with arithmetic on its own attributes? The attributes that
    arithmetic reads are then what the write copies of the read, whatever else it carries
    whole (``w["cents"] = w["balance"] * 100`` copies ``balance``)."""
    return any(isinstance(part, (ReadItemV, PynInstanceV)) and part.read == read and part.arith
               for value in write.values for part in put_back(value))


def spell(decision: Decision) -> str:
    """A decision as the message names it: ``status == 'NEW'``."""
    if decision.attribute is None:
        if decision.why.startswith(TRUTHINESS) and decision.looked_at:
            return f"whether {decision.looked_at[0]} is truthy"
        if decision.why == NULLNESS and decision.looked_at:
            return f"whether {decision.looked_at[0]} is there"
        if decision.why == MEMBERSHIP and decision.looked_at:
            return f"{decision.looked_at[0]} {decision.op} {_spell_value(decision.other)}"
        if decision.looked_at:
            return f"{decision.why} on {', '.join(decision.looked_at)}"
        return decision.why
    return f"{decision.attribute} {decision.op} {_spell_value(decision.other)}"


def _spell_value(value: Val | None) -> str:
    if isinstance(value, ConstV):
        return repr(value.value)
    if isinstance(value, ParamV):
        return value.name
    if isinstance(value, SeqV) and value.elts and all(isinstance(e, ConstV) for e in value.elts):
        return "(" + ", ".join(_spell_value(e) for e in value.elts) + ("," if len(value.elts) == 1 else "") + ")"
    return "a value"
