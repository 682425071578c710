"""Read-then-write races: which writes follow a read of the same item on some path with
nothing that makes the pair safe, and what kind of race each one is."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dynolint.model.allocation import allocated_from, serialised
from dynolint.model.ddb_writes import ARITHMETIC, ONLY_SET
from dynolint.model.events import Decision, ReadEvent, WriteEvent, WriteRecord, deletes
from dynolint.model.ddb_writes import changed_by_arithmetic
from dynolint.model.guard_cover import absent_off_key, decided_unguarded, left_open, unpinned, written_attributes
from dynolint.model.key_schema import keyish_names, known_key_attrs
from dynolint.model.key_parts import after_prefix
from dynolint.model.looked import reads_in
from dynolint.model.values import ConstV, CostlyV, DictV, Loc, SeqV, StrV, Val, alts, const_str

MAX_OTHERS = 3  # other racy paths to one write named beside the one reported

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


@dataclass(frozen=True, slots=True)
class Race:
    record: WriteRecord
    read: ReadEvent  # the latest read of the same item before the write
    kind: str  # "batch" | "counter" | "stampede" | "overwrite" | "allocate" (a key counted from a scan)
    costly: CostlyV | None = None
    # the work is a call the model could not see into (model/unseen.py), not provable
    # HTTP or AWS work: a stampede at medium confidence
    unseen: bool = False
    # a conditional write whose condition pins none of what the path decided on the read:
    # the decisions it leaves open (see dynolint.model.guard_cover)
    left_open: tuple[Decision, ...] = ()
    # "allocate": where the new key is counted from the scan's items (the arithmetic, or the
    # test on them that chose the number: model/allocation.py)
    counted_at: Loc | None = None
    # a conditional write whose written values are computed from attributes of the item read
    # that the condition pins none of (see dynolint.model.guard_cover.unpinned)
    unpinned: tuple[str, ...] = ()
    # a create after a miss whose condition requires missing only attributes an item made
    # since would lack too (see dynolint.model.guard_cover.absent_off_key)
    off_key: tuple[str, ...] = ()
    # the reads of other paths that race with the same write (a shared helper's write reached
    # from several handlers), reported beside the one chosen
    others: tuple[ReadEvent, ...] = ()

    @property
    def write(self) -> WriteEvent:
        return self.record.write


def guarded(model: Model, write: WriteEvent, read: ReadEvent) -> bool:
    guard = write.guard
    if guard.kind in ("condition", "version", "implicit", "unknown"):
        return True
    if guard.kind == "partiql":
        attrs, _, count = guard.detail.partition("|")
        facts = model.project.table_facts(write.table)
        if facts is not None and facts.partition_key:
            key_attrs = {a for a in (facts.partition_key, facts.sort_key) if a}
        else:
            key_map = model.index.key_map(read.key) or {}
            key_attrs = set(key_map)
        return int(count or 0) > len(key_attrs)
    return False


def pins_the_key(model: Model, read: ReadEvent) -> bool:
    """A scan filtered by equality reads one item when what it pins is the table's key (as
    config, IaC or the project's ``Key=`` dicts have it; the interpreter knew only config and
    IaC): a filter on another attribute (``e["name"] == name`` of a table keyed by id) does not."""
    names = known_key_attrs(model, read.table, read.loc[0])
    return not names or set(model.index.key_map(read.key) or ()) == set(names)


def transitions(write: WriteEvent, open_decisions: tuple[Decision, ...], set_only: bool = False) -> bool:
    """Does the write change an attribute that a decision its condition leaves open compared
    (``if p.status != "PENDING": return`` before ``SET status = :done ADD xp :bonus`` under
    ``attribute_exists(sk)``)? Its atomic part (the ADD) does not make the change of state
    atomic: two callers both see PENDING and both grant the bonus. ``set_only``: only what
    it sets counts, not what it changes by arithmetic (an unconditional ``ADD visits :minus_one``
    after a check of the visits is an atomic update: RULES.md's "not findings")."""
    written = written_attributes(write)
    if written is not None and set_only:
        written = written - changed_by_arithmetic(write.update)
    return written is not None and any(d.attribute is not None and d.attribute in written for d in open_decisions)


def test_and_set(record: WriteRecord, read: ReadEvent) -> bool:
    """Is ``read`` the item an earlier write returned (``ReturnValues``), and did every path
    to ``record``'s write test an attribute that write set (``SET claimed = :t`` with
    ``ALL_OLD``, then ``if old.get("claimed"): return``)? The write and the read are one
    atomic step, so only one caller sees each change of that attribute: the path goes on
    only where its own write made the change, as after a conditional write (a claim). A
    test of other attributes of the returned item decides on values a concurrent writer
    can change before the next write, as any read's."""
    if not read.sets:
        return False
    taken = set(read.sets)
    written = written_attributes(record.write)

    def on_what_it_set(decision: Decision) -> bool:
        looked = (decision.attribute,) if decision.attribute is not None else decision.looked_at
        if decision.op != "==" and any(ARITHMETIC + name in taken and (written is None or name in written)
                                       for name in looked):
            # ``if new_balance < 0:`` after ``SET b = b - :a``, then ``SET b = :zero``: many callers
            # see it, and the write erases what the others added since (a flag set beside the
            # count, ``SET blocked = :t``, erases nothing)
            return False
        if ONLY_SET in taken:  # UPDATED_OLD / UPDATED_NEW: the item returned is what it set
            return True
        if decision.attribute is not None:
            return decision.attribute in taken
        return bool(decision.looked_at) and not decision.whole and set(decision.looked_at) <= taken

    return any(d.read == read.id and on_what_it_set(d) for d in record.decisions)


def same_target(model: Model, a: WriteEvent, b: WriteEvent) -> bool:
    """Do two writes name the same item?"""
    index = model.index
    if not index.same_table(a.table, b.table):
        return False
    if a.key is not None and b.key is not None:
        return index.same_key(a.key, b.key)
    for keyed, whole in ((a, b), (b, a)):
        if keyed.key is not None and whole.item is not None:
            probe = ReadEvent(-1, keyed.loc, "probe", keyed.table, keyed.key, keyed.chain, keyed.seq, keyed.frame)
            return index.item_has_key(whole.item, probe)
    if a.item is None or b.item is None:
        return False
    first, second = item_entries(model, a.item), item_entries(model, b.item)
    if not first or not second:
        return index.equal(a.item, b.item)
    # the key attributes as config, IaC or the project's ``Key=`` dicts have them; when nothing
    # says, the first entry of the item (the order a dict literal is written in is not the
    # key's, so an item whose entries are in another order falls back to all that both name)
    known = known_key_attrs(model, a.table, a.loc[0])
    names = known or [next(iter(first))]
    if any(n not in first or n not in second for n in names):
        # (key attributes known, and one item's unknown: not shown to be the same item; guessed:
        # the key-like names both give. Two items with equal other attributes are not one item.)
        names = [] if known else keyish_names(n for n in first if n in second)
    return bool(names) and all(index.equal(first[n], second[n]) for n in names)


def item_entries(model: Model, item: Val, depth: int = 0) -> dict[str, Val] | None:
    """An item written whole as attribute -> canonical value: its entries of known names, over
    those of the dicts it spreads (``{**profile.to_item(), "state": "READY"}``); an entry named
    by the code (``item[attr] = value`` in a loop over optional attributes) says nothing of the
    key. None: not a dict the model knows."""
    for alt in alts(item):
        if type(alt) is DictV:
            out: dict[str, Val] = {}
            for spread in alt.spreads if depth < 4 else ():
                out.update(item_entries(model, spread, depth + 1) or {})
            for name, value in alt.items:
                text = const_str(name)
                if text is not None:
                    out[text] = model.index.canon(value)
            return out
    return None


def leaves(value: Val | None) -> list[Val]:
    """The values a key or a lock's name is made of: the parts of a string built, the elements
    of a tuple, the values of a dict; literals make nothing (they are the same for everyone)."""
    out: list[Val] = []
    pending = [value] if value is not None else []
    while pending and len(out) < 32:
        current = pending.pop()
        for alt in alts(current):
            if isinstance(alt, StrV):
                pending.extend(alt.parts)
            elif isinstance(alt, SeqV):
                pending.extend(alt.elts)
            elif isinstance(alt, DictV) and not alt.spreads:
                pending.extend(v for _, v in alt.items)
            elif not isinstance(alt, ConstV):
                out.append(alt)
    return out


def lock_covers(model: Model, lock: WriteEvent, reads: list[ReadEvent]) -> bool:
    """Does a library lock (``model/locks.py``) cover the item of ``reads``: is its name made only
    of values the item's key is made of (a constant name: one lock for every item), so that two
    callers that write the item take the same lock?"""
    if lock.flavor != "lock":
        return False
    name = leaves(lock.key)
    for read in reads:
        key = model.index.key_map(read.key)
        parts = leaves(SeqV("tuple", tuple(key.values())) if key is not None else read.key)
        if all(any(model.index.equal(part, held) for held in parts)
               # (a name taken off with its prefix, ``pk.removeprefix("WS#")``: the key that puts
               # the prefix back, ``f"WS#{...}"``, is made of the value it was taken from)
               or (taken := after_prefix(part)) is not None and any(model.index.equal(taken[0], held) for held in parts)
               for part in name):
            return True
    return False


def import_work(model: Model) -> tuple[frozenset[CostlyV], frozenset[object]]:
    """The work done once per process, at import: what the module-level values derive from
    (a client made, a parameter fetched, a vendor call whose result a module keeps). Their
    order against a request's read means nothing, so they are never a stampede's work."""
    values = [v for env in model.interp.module_envs.values() for v in env.values()]
    costly = model.taint_all(values).costly
    return costly, frozenset((u.loc, u.call) for u in model.index.unseen.of(values))


def classify(model: Model, record: WriteRecord,
             at_import: tuple[frozenset[CostlyV], frozenset[object]] = (frozenset(), frozenset())) -> Race | None:
    write = record.write
    reads = [r for r in record.reads if r.seq < write.seq and (r.of < 0 or pins_the_key(model, r))
             and model.index.same_item(r, write)]
    if all(r.of >= 0 for r in reads):
        # no read of the item by its key: a key counted from the scan says more than the
        # scan's filter that found the count taken (``if existing == str(n): n += 1``)
        allocation = allocated_from(model, record)
        if allocation is not None and not serialised(model, record):
            return Race(record, allocation.read, "allocate", counted_at=allocation.site)
    if not reads:
        return None
    if deletes(write) and not any(r.id in record.examined for r in reads):
        return None  # it decided nothing on what it read but that the item is there (see deletes)
    open_decisions: tuple[Decision, ...] = ()
    copied: tuple[ReadEvent, tuple[str, ...]] | None = None
    off_key: tuple[str, ...] = ()
    if not write.batch and any(guarded(model, write, r) for r in reads):
        open_decisions = left_open(model, record, reads)
        if not open_decisions:
            copied = unpinned(model, record, reads)
            if copied is None:
                off_key = absent_off_key(model, record, reads)
                if not off_key:
                    return None
    taint = model.taint_all(write.values)
    from_reads = ({r.id for r in reads} | {r.of for r in reads if r.of >= 0}) & taint.read_ids()
    if write.atomic and not from_reads:
        # (an atomic update that changes an attribute the path decided on is a change of state
        # two callers both make: with a condition that leaves the decision open, or none)
        if not (transitions(write, open_decisions) if write.guard.kind
                else transitions(write, decided_unguarded(model, record, reads), set_only=True)):
            return None
    locks = [c for c in record.claims if c.flavor == "lock" and c.seq < write.seq and lock_covers(model, c, reads)]
    claimed_at = [c.seq for c in record.claims if c.seq < write.seq and same_target(model, c, write)]
    claimed_at += [c.seq for c in locks]
    # (a test-and-set decides for this caller alone, but arithmetic on the values it returned,
    # written back, loses the changes made since: ``SET used = :u`` with ``it["used"] - n``)
    claimed_at += [r.seq for r in reads if test_and_set(record, r) and not taint.arith_on(r.id)]
    same = {r.id for r in reads} | {r.of for r in reads if r.of >= 0}
    copies = set(reads_in(write.values, through_paid=False)) if claimed_at else set()
    for seq in claimed_at:
        # (stale: this item's copy read before the claim; a value of another item read before it,
        # such as the key built from a tenant record's fields, is not a copy of this one, nor is
        # what a paid call made with its attributes returned: the refund id of the refund claimed)
        stale = {rid for rid in taint.read_ids() & same & copies if rid < len(model.interp.reads)
                 and model.interp.reads[rid].seq < seq}
        if not stale:
            return None
    read = max(reads, key=lambda r: r.seq)
    if open_decisions:
        decided = {d.read for d in open_decisions}
        return Race(record, max((r for r in record.reads if r.id in decided), key=lambda r: r.seq), "overwrite",
                    left_open=open_decisions)
    if write.batch:
        return Race(record, read, "batch")
    if copied is not None:  # a condition that pins none of what the written values copy
        read, attributes = copied
        kind = "counter" if taint.arith_on(read.id) else "overwrite"
        return Race(record, read, kind, unpinned=attributes)
    if any(taint.arith_on(r.id) or r.of >= 0 and taint.arith_on(r.of) for r in reads):
        counter_read = max((r for r in reads if taint.arith_on(r.id) or r.of >= 0 and taint.arith_on(r.of)),
                           key=lambda r: r.seq)
        return Race(record, counter_read, "counter")
    missed = [r for r in reads if r.id in record.absent and r.id not in record.present]
    if missed:
        miss = max(missed, key=lambda r: r.seq)
        work = [c for c in taint.costly if c.seq > miss.seq and c not in at_import[0]]
        claims_before = [c for c in record.claims if c.seq < write.seq and same_target(model, c, write)] + locks
        work = [c for c in work if not any(claim.seq < c.seq for claim in claims_before)]
        if work:
            return Race(record, miss, "stampede", min(work, key=lambda c: c.seq))
        unseen = [u for u in model.index.unseen.after(write.values, record.root, miss.seq, miss.key)
                  if not any(claim.seq < u.seq for claim in claims_before) and (u.loc, u.call) not in at_import[1]]
        if unseen:
            first = min(unseen, key=lambda u: (u.seq, u.loc))
            return Race(record, miss, "stampede", CostlyV(first.loc, first.what, (), first.seq), unseen=True)
    if off_key:
        return Race(record, max(missed, key=lambda r: r.seq), "overwrite", off_key=off_key)
    return Race(record, read, "overwrite")


def races(model: Model) -> list[Race]:
    """Every racy write, once per (write location, kind), keeping the most direct pair."""
    best: dict[tuple[Loc, str], Race] = {}
    found: dict[Loc, list[Race]] = {}
    at_import = import_work(model)
    for record in model.interp.writes:
        try:
            race = classify(model, record, at_import)
        except Exception as exc:  # noqa: BLE001 - one write must not hide the others' races
            from dynolint.errors import origin

            loc = record.write.loc
            model.problems.append((loc[0], f"internal error while classifying the write at line "
                                           f"{model.line_of(loc)}: {type(exc).__name__}: {exc} [{origin(exc)}]"))
            continue
        if race is None:
            continue
        found.setdefault(race.write.loc, []).append(race)
        key = (race.write.loc, race.kind)
        current = best.get(key)
        if current is None or _directness(race) > _directness(current):
            best[key] = race
    chosen: dict[Loc, Race] = {}
    priority = {"batch": 4, "counter": 3, "stampede": 2, "overwrite": 1, "allocate": 1}
    for (loc, _), race in best.items():
        current = chosen.get(loc)
        if current is None or priority[race.kind] > priority[current.kind]:
            chosen[loc] = race
    for loc, race in chosen.items():
        elsewhere = {other.read.loc: other.read for other in found.get(loc, ()) if other.read.loc != race.read.loc}
        if elsewhere:
            chosen[loc] = replace(race, others=tuple(elsewhere[k] for k in sorted(elsewhere)[:MAX_OTHERS]))
    return sorted(chosen.values(), key=lambda r: r.write.loc)


def _directness(race: Race) -> tuple[int, int]:
    same_frame = 1 if race.read.frame == race.write.frame else 0
    return (same_frame, -len(race.write.chain) - len(race.read.chain))
