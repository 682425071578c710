"""What a guard that pins attributes pins: those the path decided on, those the written values
are computed from, but never one the path changed itself before the write (pinned at the value
read, it would never match)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.model.looked import looked_at
from dynolint.model.guard_cover import written_attributes
from dynolint.model.races import same_target
from dynolint.model.values import UNKNOWN, DictV, alts, const_str

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.races import Race


def decided(model: Model, race: Race) -> tuple[str, ...]:
    """The attributes of the read item that the path's decisions looked at (pinned by a guard)."""
    names: set[str] = set()
    for decision in race.record.decisions:
        if decision.read == race.read.id:
            names.update([decision.attribute] if decision.attribute else decision.looked_at)
    return tuple(sorted(names))


def pins(model: Model, race: Race) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The attributes a pinning guard pins (decided on, written values derived from), and those
    an earlier write of the path changed, which it must not pin: at the value read, they would
    never match."""
    own = set_before(model, race)
    return (tuple(n for n in decided(model, race) if n not in own),
            tuple(n for n in derived(race) if n not in own), tuple(sorted(own)))


def set_before(model: Model, race: Race) -> set[str]:
    """The attributes of the written item that earlier writes of the same root set (its own
    debit before it closes the account): the item no longer holds what was read there."""
    names: set[str] = set()
    for other in model.interp.writes:
        earlier = other.write
        if other.root != race.record.root or earlier.seq >= race.write.seq or earlier.loc == race.write.loc \
                or not same_target(model, earlier, race.write):
            continue
        changed = written_attributes(earlier)
        if changed is not None:  # an update: what its expression sets
            names |= changed
        for alt in alts(earlier.item if earlier.item is not None else UNKNOWN):  # a put: what it writes out
            if isinstance(alt, DictV):
                names.update(n for key, _ in alt.items if (n := const_str(key)) is not None)
    return names


def derived(race: Race) -> tuple[str, ...]:
    """The attributes of the read item that the written values are computed from (pinned by a
    guard: a write of ``f(item["a"])`` is stale once ``a`` changed)."""
    names: set[str] = set()
    for value in race.write.values:
        looked_at(value, race.read.id, names)
    return tuple(sorted(names))
