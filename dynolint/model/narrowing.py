"""What a branch test says about the local names it tests, as Python's type checkers narrow:
under ``if x:``, ``if x is not None:``, ``if x and ...`` (the right operand included) or after
``if x is None: return``, the name no longer holds ``None`` (nor, for a truthiness test, a
falsy constant). A helper that returns ``None`` for a missing item and the item otherwise
gives its caller a value with both alternatives; without narrowing, the caller's test of the
item's attributes under ``if item:`` looks at ``None["status"]`` as well and decides nothing.

Only names are narrowed (not attributes or subscripts: another reference may change them)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from dynolint.phase1 import ir
from dynolint.model.values import NONE, ConstV, OneOf, Val, alts, one_of

NOT_NONE = "not-none"
TRUTHY = "truthy"


def narrowings(test: ir.Expr, truth: bool) -> dict[str, str]:
    """The names ``test`` narrows when it evaluates to ``truth``: name -> NOT_NONE or TRUTHY."""
    found: dict[str, str] = {}
    _collect(test, truth, found)
    return found


def _collect(test: ir.Expr, truth: bool, found: dict[str, str]) -> None:
    if isinstance(test, ir.Name):
        if truth:
            found[test.id] = TRUTHY
    elif isinstance(test, ir.UnaryOp) and test.op == "not":
        _collect(test.operand, not truth, found)
    elif isinstance(test, ir.BoolOp):
        if (test.op == "and") == truth:  # both sides hold (and: true), or both fail (or: false)
            _collect(test.left, truth, found)
            _collect(test.right, truth, found)
    elif isinstance(test, ir.Compare) and len(test.ops) == 1 and isinstance(test.left, ir.Name):
        right = test.comparators[0]
        if isinstance(right, ir.Const) and right.value is None and test.ops[0] in ("is", "is not"):
            if (test.ops[0] == "is not") == truth:
                found.setdefault(test.left.id, NOT_NONE)


def _falsy(value: Val, kind: str) -> bool:
    if value == NONE:
        return True
    return kind == TRUTHY and isinstance(value, ConstV) and not value.value


def narrowed(value: Val, kind: str) -> Val | None:
    """``value`` without the alternatives the test ruled out; None when nothing changes (or
    nothing would be left: the test cannot hold, which the interpreter does not decide here)."""
    if not isinstance(value, OneOf):
        return None
    kept = [alt for alt in alts(value) if not _falsy(alt, kind)]
    if len(kept) == len(alts(value)) or not kept:
        return None
    return one_of(kept)


def apply(env: dict[str, Val], names: dict[str, str]) -> dict[str, Val]:
    """Narrow ``env`` in place; return the previous values of the names it changed."""
    previous: dict[str, Val] = {}
    for name, kind in names.items():
        value = env.get(name)
        if value is None:
            continue
        new = narrowed(value, kind)
        if new is not None:
            previous[name] = value
            env[name] = new
    return previous


def undo(env: dict[str, Val], previous: dict[str, Val], applied: dict[str, Val]) -> None:
    """Put back the values ``apply`` replaced, where the name still holds what it put there."""
    for name, value in previous.items():
        if env.get(name) is applied.get(name):
            env[name] = value


@contextmanager
def assuming(env: dict[str, Val], test: ir.Expr, truth: bool) -> Iterator[None]:
    """Within the block, ``env``'s names as ``test`` evaluating to ``truth`` narrows them (the
    right operand of ``and``/``or``, the branches of a conditional expression)."""
    previous = apply(env, narrowings(test, truth))
    if not previous:
        yield
        return
    applied = {name: env[name] for name in previous}
    try:
        yield
    finally:
        undo(env, previous, applied)
