"""Presence tests as values, so that they follow the data.

``if item is None:`` tells the interpreter that the path branched on whether the read found
the item (``State.absent``, what a stampede needs) and on which side it is there
(``State.present``). The same test written once and used elsewhere lost that: a flag
(``found = item is not None`` then ``if found:``), a helper's answer (``def have(item):
return item is not None``), a helper that combines it (``return item is not None and
item["ttl"] > now``). A comparison with ``None`` therefore evaluates to a value that names
what it tests: ``CallV(PRESENT, None, (x,))`` for ``x is not None`` / ``x != None`` and
``CallV(MISSING, ...)`` for ``x is None`` / ``x == None``; ``and``/``or`` of tests returned
or kept in a flag to ``CallV(ALL | ANY, None, (left, right))``. A builtin-like call the
unseen-work tables count as cheap, whose arguments carry the taint the comparison's operands
did. :func:`presence` reads such a value back at a branch: the reads it tests and whether its
holding means they are there.
"""

from __future__ import annotations

from typing import Callable

from dynolint.phase1 import ir
from dynolint.model.literals import empty_dict
from dynolint.model.values import CallV, Val, alts
from dynolint.model.values_aws import ReadItemV

PRESENT = "<is-present>"
MISSING = "<is-missing>"
ALL = "<all-of>"
ANY = "<any-of>"
TRUTH = ("bool", "len")  # ``return bool(item)``: true when the item is there (and not empty)
NONE_TESTS = {"is not": PRESENT, "!=": PRESENT, "is": MISSING, "==": MISSING}


def none_test(expr: ir.Compare) -> str | None:
    """The operator of ``x <op> None`` when ``expr`` is one (a key of NONE_TESTS), else None."""
    if len(expr.ops) == 1 and expr.ops[0] in NONE_TESTS and isinstance(expr.comparators[0], ir.Const) \
            and expr.comparators[0].value is None:
        return expr.ops[0]
    return None


def comparison_with_none(op: str, operand: Val) -> Val:
    """The value of ``operand <op> None`` (``op`` one of NONE_TESTS)."""
    return CallV(NONE_TESTS[op], None, (operand,))


def combined(op: str, left: Val, right: Val) -> Val | None:
    """``left and/or right`` when either is a presence test (None otherwise)."""
    if _tests(left) or _tests(right):
        return CallV(ALL if op == "and" else ANY, None, (left, right))
    return None


def _tests(value: Val) -> bool:
    return any(isinstance(alt, CallV) and alt.recv is None and alt.fn in (PRESENT, MISSING, ALL, ANY)
               for alt in alts(value))


def presence(value: Val, reads_of: Callable[[Val], set[int]]) -> tuple[frozenset[int], bool | None]:
    """The reads ``value`` tests the presence of, and whether its holding means they are there
    (True), absent (False), or tells neither for sure (None: mixed, or an ``and`` of absences,
    an ``or`` of presences). ``reads_of(x)``: the reads whose item ``x`` is, or is projected from."""
    found: set[int] = set()
    sides: set[bool] = set()
    for alt in alts(value):
        if not isinstance(alt, CallV) or alt.recv is not None or not alt.args:
            continue
        if alt.fn in (PRESENT, MISSING) or alt.fn in TRUTH and len(alt.args) == 1:
            tested = reads_of(alt.args[0])
            if tested:
                found |= tested
                sides.add(alt.fn != MISSING)
        elif alt.fn in (ALL, ANY) and len(alt.args) == 2:
            # holding ``a and b`` says both hold: a presence in it counts, an absence does not
            # tell which side the item is on when it fails; ``a or b`` the other way round
            keep = alt.fn == ALL
            for part in alt.args:
                reads, there = presence(part, reads_of)
                found |= reads
                if reads and there is keep:
                    sides.add(there)
                elif reads:
                    sides.add(not keep)
                    sides.add(keep)  # mixed: no side is sure
    return frozenset(found), (next(iter(sides)) if len(sides) == 1 else None)


EVERYTHING = ("Exception", "BaseException")


def catches_everything(exc_type: ir.Expr | None) -> bool:
    """Does an ``except`` clause catch any exception a body raises (bare, ``Exception``,
    ``BaseException``)?"""
    return _catches(exc_type, EVERYTHING)


def catches_missing(exc_type: ir.Expr | None) -> bool:
    """Does an ``except`` clause catch what a read of a missing item raises
    (PynamoDB ``DoesNotExist``, ``KeyError`` on ``resp["Item"]``, or anything)?"""
    return _catches(exc_type, ("DoesNotExist", "KeyError", "LookupError", *EVERYTHING))


def _catches(exc_type: ir.Expr | None, caught: tuple[str, ...]) -> bool:
    """Does an ``except`` clause (bare, one class, a tuple of them) name one of ``caught``?"""
    if exc_type is None:
        return True
    names: list[str] = []
    pending = [exc_type]
    while pending:
        current = pending.pop()
        if isinstance(current, ir.SeqE):
            pending.extend(current.elts)
        elif isinstance(current, ir.Attr):
            names.append(current.attr)
        elif isinstance(current, ir.Name):
            names.append(current.id)
    return any(n in caught for n in names)


def defaulted_reads(value: Val) -> set[int]:
    """The reads ``value`` is the item of, when it may also be an empty dict put in its place
    (``resp.get("Item", {})``, ``resp.get("Item") or {}``): the item, or its absence."""
    options = list(alts(value))
    if not any(empty_dict(alt) for alt in options):
        return set()
    return {alt.read for alt in options if isinstance(alt, ReadItemV) and alt.read >= 0}
