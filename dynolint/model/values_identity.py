"""How values hash and compare: installed on every value class once they are all defined
(:func:`install_identity`, called at the end of :mod:`dynolint.model.values`)."""

from __future__ import annotations

import threading
from dataclasses import fields
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from dynolint.model.values import Val


def install_identity(base: type) -> None:
    """Cached hashes and structural equality on ``base`` and all its subclasses."""
    _cache_hashes(base)
    _structural_eq(base)


def _cache_hashes(base: type) -> None:
    """Every value class hashes once per object. Values nest, and are hashed again and
    again (as dictionary keys, set members and inside the hashes of the values that hold
    them): the generated hash rehashed whole trees, an eighth of the interpreter's time."""

    def caching(compute: Callable[[Val], int]) -> Callable[[Val], int]:
        def __hash__(self: Val) -> int:
            value = self._hash
            if value == -1:  # hash() never gives -1
                value = self._hash = compute(self)
            return value

        return __hash__

    pending: list[type] = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        compute = cls.__dict__.get("__hash__")
        if compute is not None:
            setattr(cls, "__hash__", caching(compute))



# Pairs of distinct value objects found equal during the comparison in progress (per thread:
# a language server may analyse in more than one).
_comparing = threading.local()


def _same(left: object, right: object) -> bool:
    if left is right:
        return True
    if type(left) is tuple and type(right) is tuple:
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    return left == right


def _structural_eq(base: type) -> None:
    """Values are DAGs: a part is shared by many others. The generated ``__eq__`` compares
    two equal values that are distinct objects (a value rebuilt by the summaries, or evaluated
    twice) as trees, exponential in the sharing (the own repository spent minutes in it).
    This one rejects on the cached hash first and, while a comparison runs, remembers the
    pairs of parts already found equal, so each pair of parts is compared once."""

    def install(cls: type) -> None:
        names = tuple(f.name for f in fields(cls) if f.compare)

        def __eq__(self: Val, other: object) -> bool:
            if self is other:
                return True
            if other.__class__ is not self.__class__:
                return NotImplemented
            if hash(self) != hash(other):
                return False
            pair = (id(self), id(other))
            pairs: set[tuple[int, int]] | None = getattr(_comparing, "pairs", None)
            outermost = pairs is None
            if pairs is None:
                pairs = _comparing.pairs = set()
            elif pair in pairs:
                return True
            try:
                equal = all(_same(getattr(self, name), getattr(other, name)) for name in names)
                if equal:
                    pairs.add(pair)
                return equal
            finally:
                if outermost:
                    _comparing.pairs = None

        cls.__eq__ = __eq__  # type: ignore[method-assign,assignment]

    pending: list[type] = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "__eq__" in cls.__dict__:
            install(cls)
