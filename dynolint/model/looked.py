"""What a value reads of the items it derives from: one attribute of a read item as read
(``attribute_of``), the attributes a value looks at and the reads it uses whole
(``looked_at``), and those arithmetic in it reads (``computed_from``). Branch decisions
(model/decisions.py) and the guards' cover (model/guard_cover.py) ask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from dynolint.model.library import ENUM_BY_NAME
from dynolint.model.memo import ByObject
from dynolint.model.values import (
    ARITH_OPS, ArithV, AttrV, CallV, ConstV, CostlyV, ReadItemV, SubV, Val, alts, children, const_str,
)
from dynolint.model.values_aws import PynInstanceV, ReadV

CONVERSIONS = frozenset({"int", "float", "Decimal", "decimal.Decimal"})
TYPE_TAGS = frozenset({"N", "S", "B", "BOOL"})


def attribute_of(value: Val, depth: int = 0) -> tuple[int, str, str | None] | None:
    """``(read, attribute, type tag)`` when ``value`` is one attribute of a read item, as read
    (``item["a"]``, ``item.get("a")``, ``int(item["a"])``, low-level ``item["a"]["N"]``, PynamoDB ``obj.a``)."""
    if depth > 4:
        return None
    options = alts(value)
    if len(options) > 1:  # (the alternatives made of no read say nothing of the item: the value on a
        # path that took it elsewhere, a session cached where the model cannot see what was stored)
        options = frozenset(alt for alt in options if not opaque_elsewhere(alt))
    if len(options) != 1:
        return None
    (alt,) = options
    if isinstance(alt, AttrV) and isinstance(alt.base, PynInstanceV) and alt.base.read >= 0:
        return alt.base.read, alt.name, None  # a PynamoDB model instance's attribute (``order.status``)
    if isinstance(alt, SubV):
        name = const_str(alt.index)
        if isinstance(alt.base, ReadItemV) and name is not None:
            return alt.base.read, name, None
        inner = alt.base
        if isinstance(inner, SubV) and isinstance(inner.base, ReadItemV) and name in TYPE_TAGS:
            attribute = const_str(inner.index)
            if attribute is not None:
                return inner.base.read, attribute, name
        return None
    if isinstance(alt, CallV):
        if (converted := conversion_of(alt)) is not None:
            return attribute_of(converted, depth + 1)
        if alt.fn == ENUM_BY_NAME and alt.recv is None and alt.args:  # the member named by the attribute
            return attribute_of(alt.args[0], depth + 1)
        if alt.fn == "get" and isinstance(alt.recv, ReadItemV) and (
                len(alt.args) == 1 or len(alt.args) == 2 and isinstance(alt.args[1], ConstV)):
            name = const_str(alt.args[0])  # ``item.get("s")``, ``item.get("s", "{not-set}")``
            if name is not None:
                return alt.recv.read, name, None
    return None


def opaque_elsewhere(value: Val) -> bool:
    """Is ``value`` what another path got from something the model cannot see into (an
    attribute, entry or call result made of no read)? Not a default the code wrote out
    (``or {**key, "used": 0}``: a constant, which a fix must still account for)."""
    return type(value) in (SubV, AttrV, CallV) and not has_read(value)


def conversion_of(value: Val) -> Val | None:
    """What ``int(x)``, ``Decimal(x)`` converts (``x``), or None for another value."""
    if type(value) is CallV and value.fn in CONVERSIONS and value.recv is None and len(value.args) == 1 \
            and not value.kwargs:
        return value.args[0]
    return None


def reads_in(values: Iterable[Val], max_depth: int = 40, through_paid: bool = True) -> Iterator[int]:
    """The ids of the reads whose items or responses ``values`` are made from (each part
    looked at once, ``max_depth`` levels down); ``through_paid`` False: not through what a
    paid call returned, which is new data whatever the call was given."""
    seen: set[int] = set()
    pending = [(value, 0) for value in values]
    while pending:
        value, depth = pending.pop()
        if id(value) in seen or depth > max_depth or not through_paid and type(value) is CostlyV:
            continue
        seen.add(id(value))
        if type(value) is ReadItemV or type(value) is ReadV or type(value) is PynInstanceV and value.read >= 0:
            yield value.read
        pending.extend((child, depth + 1) for child in children(value))


def has_read(value: Val) -> bool:
    """Is ``value`` made (within a few levels) from an item read or a read's response?"""
    return next(reads_in((value,), max_depth=6), None) is not None


def looked_at(value: Val, read: int, names: set[str]) -> bool:
    """Collect into ``names`` the attributes of read ``read``'s item that ``value`` reads;
    True when it uses the item (or the read's response) in another way, or is too deep to tell."""
    found, whole = looked_at_reads(value, (read,))
    names |= found.get(read, set())
    return read in whole


def looked_at_reads(value: Val, reads: Iterable[int]) -> tuple[dict[int, set[str]], set[int]]:
    """``looked_at`` for several reads at once: the attributes of each read's item that
    ``value`` reads, and the reads whose item (or response) it uses in another way or that
    are too deep to tell. A test on a value computed from hundreds of reads (a price from
    every setting a rule looked up) is walked once, not once per read, and the parts values
    share (they are DAGs, and later tests are made of earlier values) once per depth."""
    look = _look(value, 0)
    wanted = set(reads)
    names = {read: set(look.names[read]) for read in wanted if read in look.names}
    whole = wanted & look.whole
    if look.deep is not None:
        whole |= wanted - look.deep
    return names, whole


@dataclass(frozen=True, slots=True)
class _Look:
    names: dict[int, frozenset[str]]  # read -> the attributes of its item looked at
    whole: frozenset[int]  # the reads whose item or response is used in another way
    deep: frozenset[int] | None  # too deep to tell for every read but these (None: for none)


_TOO_DEEP = _Look({}, frozenset(), frozenset())
# (10,000 entries: the parts later tests share are met soon after; 200,000 kept 30 MB more values
# alive on the connected corpus for no more speed)
_LOOKS: ByObject[_Look] = ByObject(limit=10_000)


def _look(value: Val, depth: int) -> _Look:
    if depth > 12:
        return _TOO_DEEP
    key = (id(value), depth)
    known = _LOOKS.get(key)
    if known is not None:
        return known
    names: dict[int, set[str]] = {}
    whole: set[int] = set()
    deep: frozenset[int] | None = None
    for alt in alts(value):
        matched: int | None = None  # the read this alternative answers for: not looked at below it
        found = attribute_of(alt)
        if found is not None:
            names.setdefault(found[0], set()).add(found[1])
            matched = found[0]
        elif isinstance(alt, CallV) and alt.fn == "get" and isinstance(alt.recv, ReadItemV) and alt.args \
                and (attribute := const_str(alt.args[0])) is not None:
            names.setdefault(alt.recv.read, set()).add(attribute)
            matched = alt.recv.read
        elif isinstance(alt, (ReadItemV, ReadV)):
            whole.add(alt.read)
            matched = alt.read
        for child in children(alt):
            below = _look(child, depth + 1)
            for read, attributes in below.names.items():
                if read != matched:
                    names.setdefault(read, set()).update(attributes)
            whole |= below.whole - {matched} if matched is not None else below.whole
            if below.deep is not None:
                excepted = below.deep | {matched} if matched is not None else below.deep
                deep = excepted if deep is None else deep & excepted
    look = _Look({read: frozenset(found) for read, found in names.items()}, frozenset(whole), deep)
    _LOOKS.put(key, value, look)
    return look


def computed_from(value: Val, read: int, names: set[str], depth: int = 0, seen: set[int] | None = None) -> None:
    """Collect into ``names`` the attributes of read ``read``'s item that arithmetic in ``value``
    reads (``w.balance - n``, ``int(item["n"]) + 1``), not those it copies as they are: an
    instance's attribute read after arithmetic on another (``w.title`` once ``w.hits += 1``)
    is not arithmetic on it."""
    seen = set() if seen is None else seen
    if depth > 12 or id(value) in seen:
        return
    seen.add(id(value))
    for alt in alts(value):
        if isinstance(alt, ArithV) and alt.op in ARITH_OPS:
            looked_at(alt, read, names)
        elif not isinstance(alt, PynInstanceV):  # (what was assigned to an instance is not in ``w.title``)
            for child in children(alt):
                computed_from(child, read, names, depth + 1, seen)
