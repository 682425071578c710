"""The comparisons a branch makes on values read from an item: what a path to a write
decided about the item, recorded as data so that a fix replacing the read (an atomic
update, a guard) can keep each decision as the write's condition, or say why it cannot.

``branch_decisions`` works on the test's IR and the values its leaves evaluated to (the
interpreter evaluates a test once, with its effects, and hands the values over)."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from dynolint.phase1 import ir
from dynolint.model.events import Decision
from dynolint.model.library import ENUM_BY_NAME
from dynolint.model.looked import attribute_of, conversion_of, looked_at_reads, opaque_elsewhere
from dynolint.model.values import (
    NONE, CallV, DictV, Loc, OpaqueV, PynInstanceV, ReadItemV, ReadV, SeqV, SubV,
    Val, alts, const_str,
)

COUNTS = frozenset({"Count", "ScannedCount"})  # how many items a response holds, or the read looked at
NEGATED = {"<": ">=", ">=": "<", "<=": ">", ">": "<=", "==": "!=", "!=": "=="}
SWAPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
TRUTHINESS = "a test of whether attribute"  # how the ``why`` of a truthiness test begins
MEMBERSHIP = "a test of membership in values named in the code"  # ``item["s"] in ("A", "B")``
NULLNESS = "a test of whether an attribute is there"  # ``item.get("holder") is None``, ``"holder" in item``

Captured = dict[int, object]  # id(ir leaf) -> its value, or (left, right) for a comparison
# id(ir leaf) of a presence test -> (the reads it tests, whether the leaf holding says the item is there)
Polarity = dict[int, tuple[frozenset[int], bool]]


def attributes_of(value: Val) -> list[tuple[int, str, str | None]]:
    """``attribute_of`` for each alternative of ``value`` when they are all the same attribute
    of items of different reads (the item of a first page or of a later one), else []."""
    found = attribute_of(value)
    if found is not None:
        return [found]
    options = alts(value)
    if len(options) == 1 and (converted := conversion_of(next(iter(options)))) is not None:
        return attributes_of(converted)  # ``int(item["version"])`` of the item of any read
    # the attribute, or None where a helper found it missing or not one of its values
    # (``return Status(s) if s else None``): compared with a value, a test of the attribute;
    # an alternative made of no read (another path's value) says nothing of the item
    each = [attribute_of(alt) for alt in options if alt != NONE and not opaque_elsewhere(alt)]
    if not each or any(e is None for e in each):
        return []
    if len(each) == 1:
        return [each[0]] if each[0] is not None else []
    first = each[0]
    assert first is not None
    if any(e is not None and e[1:] != first[1:] for e in each):
        return []
    return sorted({e for e in each if e is not None})


def _presence(value: Val) -> bool:
    """Is testing ``value`` a test of whether the read found the item (not of its contents)?"""
    for alt in alts(value):
        if isinstance(alt, (ReadItemV, ReadV)) or isinstance(alt, PynInstanceV) and alt.read >= 0:
            continue
        if isinstance(alt, SubV) and isinstance(alt.base, ReadV):
            continue  # resp["Item"]
        if isinstance(alt, CallV) and alt.fn == "get" and isinstance(alt.recv, ReadV):
            continue  # resp.get("Item")
        if isinstance(alt, SeqV) and alt.kind == "items" and alt.elts \
                and all(isinstance(e, ReadItemV) for e in alt.elts):
            continue  # resp["Items"]: did the query find any item
        return False
    return True


# what a response says besides its items: how many there were, where the next page starts
PAGING = COUNTS | {"LastEvaluatedKey", "ConsumedCapacity", "ResponseMetadata"}


def paging_test(value: Val) -> bool:
    """Is ``value`` a test of a response's paging, not of its items (``"LastEvaluatedKey" in
    resp``, ``resp.get("LastEvaluatedKey")``)? A loop that runs while there are more pages
    looks at none of the items the pages hold."""
    options = alts(value)
    for alt in options:
        if isinstance(alt, SubV) and isinstance(alt.base, ReadV) and const_str(alt.index) in PAGING:
            continue
        if isinstance(alt, CallV) and alt.fn == "get" and isinstance(alt.recv, ReadV) and alt.args \
                and const_str(alt.args[0]) in PAGING:
            continue
        if isinstance(alt, OpaqueV) and len(alt.deps) == 2 and const_str(alt.deps[0]) in PAGING \
                and all(isinstance(a, ReadV) for a in alts(alt.deps[1])):
            continue  # ``"LastEvaluatedKey" in resp``
        return False
    return bool(options)


def _count(value: Val) -> bool:
    """Is ``value`` how many items a read found (``resp["Count"]``, ``len(resp["Items"])``)?
    Comparing it with a constant tests whether the read found any, as ``_presence`` does."""
    for alt in alts(value):
        if isinstance(alt, SubV) and isinstance(alt.base, ReadV) and const_str(alt.index) in COUNTS:
            continue
        if isinstance(alt, CallV) and alt.fn == "len" and alt.recv is None and len(alt.args) == 1 \
                and _presence(alt.args[0]):
            continue
        return False
    return True


class _Decider:
    def __init__(self, reads_of: object, site: Loc, captured: Captured) -> None:
        self.reads_of = reads_of  # Val -> set of read ids it derives from
        self.site = site
        self.captured = captured
        self.parts: dict[int, int] = {}

    def part(self, expr: ir.Expr) -> int:
        return self.parts.setdefault(id(expr), len(self.parts))

    def opaque(self, value: Val, why: str, part: int) -> list[Decision]:
        reads = sorted(self.reads_of(value))  # type: ignore[operator]
        names, whole = looked_at_reads(value, reads)
        return [Decision(read, self.site, part, None, why=why, looked_at=tuple(sorted(names.get(read, ()))),
                         whole=read in whole) for read in reads]

    def nullness(self, value: Val, found: list[tuple[int, str]], part: int) -> list[Decision]:
        """A test of whether an attribute of the item is there (or None): like a truthiness test,
        a decision on the attribute, which counts where the write changes it."""
        return [Decision(read, self.site, part, None, why=NULLNESS, looked_at=(name,)) for read, name in found]

    def number(self, expr: ir.Expr) -> None:
        """Give every leaf its part number, left to right, whichever branch is decided."""
        if isinstance(expr, ir.BoolOp):
            self.number(expr.left)
            self.number(expr.right)
        elif isinstance(expr, ir.UnaryOp) and expr.op == "not":
            self.number(expr.operand)
        else:
            self.part(expr)

    def decide(self, expr: ir.Expr, truth: bool) -> list[Decision]:
        if isinstance(expr, ir.UnaryOp) and expr.op == "not":
            return self.decide(expr.operand, not truth)
        if isinstance(expr, ir.BoolOp):
            both = (expr.op == "and") == truth  # every operand holds its truth on this path
            left, right = self.decide(expr.left, truth), self.decide(expr.right, truth)
            if both:
                return left + right
            return [Decision(d.read, self.site, d.part, None, why="a comparison inside an either-or test")
                    for d in left + right]
        part = self.part(expr)
        value = self.captured.get(id(expr))
        if isinstance(expr, ir.Compare) and isinstance(value, tuple):
            return self.compare(expr, value[0], value[1], truth, part)
        if not isinstance(value, Val) or _presence(value):
            return []
        if isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name) and expr.func.id in ("len", "bool"):
            return []
        found = attribute_of(value)
        if found is not None:
            return self.opaque(value, f"{TRUTHINESS} {found[1]!r} is truthy", part)
        return self.opaque(value, "a test of a value computed from the item (a call, arithmetic)", part)

    def compare(self, expr: ir.Compare, left: Val, right: Val, truth: bool, part: int) -> list[Decision]:
        left_reads, right_reads = self.reads_of(left), self.reads_of(right)  # type: ignore[operator]
        if not left_reads and not right_reads:
            return []
        op = expr.ops[0] if len(expr.ops) == 1 else ""
        comparator = expr.comparators[0] if expr.comparators else None
        if op in ("is", "is not", "==", "!=") and isinstance(comparator, ir.Const) and comparator.value is None:
            if attributes_of(left):  # ``item.get("holder") is None``: whether the attribute is there
                return self.nullness(left, [(read, name) for read, name, _ in attributes_of(left)], part)
            return []  # a presence test (``item is None``), recorded as absence
        if op in ("in", "not in") and isinstance(expr.left, ir.Const):
            name = expr.left.value if isinstance(expr.left.value, str) else None
            items = sorted({alt.read for alt in alts(right) if isinstance(alt, ReadItemV)})
            if name is not None and items:  # ``"holder" in item``: whether the item has the attribute
                return self.nullness(right, [(read, name) for read in items], part)
            return []  # ``"Item" in resp``: whether the read found the item
        if op in ("in", "not in") and not right_reads and attributes_of(left):
            # ``item["status"] in ("NEW", "HELD")``, ``Status[item["s"]] in (Status.A, Status.B)``:
            # a decision on the attribute's value, kept opaque (no single comparison spells it)
            held_in = op if truth else ("not in" if op == "in" else "in")
            return [replace(d, op=held_in, other=member_name(left, right))
                    for d in self.opaque(left, MEMBERSHIP, part)]
        if op in ("in", "not in") and not left_reads:
            listed = [found for alt in alts(right) if isinstance(alt, SeqV) for element in alt.elts
                      for found in attributes_of(element)]
            if listed:  # ``day in {row["sk"] for row in rows}``: whether a row has that value
                held = "==" if (op == "in") == truth else "!="
                return [Decision(read, self.site, part, attribute, held, left, True, tag)
                        for read, attribute, tag in listed]
        if (_count(left) and not right_reads) or (_count(right) and not left_reads):
            return []  # ``resp["Count"] != 0``: whether the read found items
        if op in ("is", "is not"):  # identity of a member (``Stage(item["s"]) is Stage.OPEN``) or a constant
            op = "==" if op == "is" else "!="
        if op not in NEGATED:
            why = "a chained comparison" if len(expr.ops) > 1 else f"an '{op}' test"
            return self.opaque(left, why, part) + self.opaque(right, why, part)
        held = op if truth else NEGATED[op]
        mine, other, swapped = left, right, False
        if not attributes_of(left) or right_reads:
            mine, other, swapped = right, left, True
        found = attributes_of(mine)
        if not found or self.reads_of(other):  # type: ignore[operator]
            why = "a comparison between two values read from items" if left_reads and right_reads else \
                "a comparison of a value computed from the item (a call, arithmetic)"
            return self.opaque(left, why, part) + self.opaque(right, why, part)
        other = member_name(mine, other)
        return [Decision(read, self.site, part, attribute, SWAPPED[held] if swapped else held, other, swapped, tag)
                for read, attribute, tag in found]


def member_name(mine: Val, other: Val) -> Val:
    """``Status[item["status"]] == Status.NEW``: what the attribute holds is the name of the member
    compared with (the model keeps a member named in the code as its value)."""
    if isinstance(other, SeqV):  # ``Status[item["s"]] in (Status.A, Status.B)``: the names of each
        return SeqV(other.kind, tuple(member_name(mine, element) for element in other.elts))
    for alt in alts(mine):
        if isinstance(alt, CallV) and alt.fn == ENUM_BY_NAME and len(alt.args) == 2 and isinstance(alt.args[1], DictV):
            names = [key for key, value in alt.args[1].items if value == other]
            if len(names) == 1:
                return names[0]
    return other


EXPRESSION_TEST = "a test inside an expression (a comprehension's filter, a conditional expression, a while loop)"


def expression_decisions(test: Val, reads: Iterable[int], site: Loc) -> list[Decision]:
    """What a test made inside an expression decided on the items of ``reads``: no comparison
    the model keeps (which element, value or iteration it chose depends on it), with the
    attributes it looked at. A test of whether the read found the item (``x if item else y``)
    is no decision on its contents (the interpreter records it as the item's absence)."""
    out: list[Decision] = []
    if _presence(test) or _count(test):
        return out
    ordered = sorted(reads)
    names, whole = looked_at_reads(test, ordered)
    for read in ordered:
        out.append(Decision(read, site, -1, None, why=EXPRESSION_TEST, looked_at=tuple(sorted(names.get(read, ()))),
                            whole=read in whole))
    return out


def branch_decisions(test: ir.Expr, captured: Captured, site: Loc,
                     reads_of: object) -> tuple[tuple[Decision, ...], tuple[Decision, ...]]:
    """The decisions a branch on ``test`` makes on its true and on its false side."""
    decider = _Decider(reads_of, site, captured)
    decider.number(test)
    sides = []
    for truth in (True, False):
        found = dict.fromkeys(replace(d, branch=truth) for d in decider.decide(test, truth))
        sides.append(tuple(found))
    return sides[0], sides[1]


def present_when(test: ir.Expr, truth: bool, polarity: Polarity) -> frozenset[int]:
    """The reads whose item is surely there when ``test`` is ``truth``: ``if item is None:
    return`` goes on only where the item is there, ``if not item or stale(item):`` knows
    nothing on its true side and that the item is there on its false side."""
    if isinstance(test, ir.UnaryOp) and test.op == "not":
        return present_when(test.operand, not truth, polarity)
    if isinstance(test, ir.BoolOp):
        left, right = present_when(test.left, truth, polarity), present_when(test.right, truth, polarity)
        both = (test.op == "and") == truth  # every operand holds its truth on this side
        return left | right if both else left & right
    found = polarity.get(id(test))
    if found is None:
        return frozenset()
    reads, there = found
    return reads if there == truth else frozenset()


def membership_test(test: ir.Expr) -> bool:
    """Is ``test`` a membership test (``x in values``, ``not x in values``, ``x not in values``)?"""
    while isinstance(test, ir.UnaryOp) and test.op == "not":
        test = test.operand
    return isinstance(test, ir.Compare) and len(test.ops) == 1 and test.ops[0] in ("in", "not in")
