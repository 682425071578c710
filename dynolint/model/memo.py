"""Memos keyed by the objects asked about, not by their values.

A lookup by value compares the value with the equal, distinct object stored first, part by
part (values are large DAGs rebuilt by the summaries and evaluated again and again: a third of
the own repository's run once, and more than the code grows on the doubled connected corpus).
The same object is asked about again and again, so the model's memos look it up by ``id``
first. Each entry keeps its object alive (in one list, not a pair per entry: 48 bytes less
each), so an id is not reused while it is cached; past ``limit`` entries the memo starts over."""

from __future__ import annotations

from typing import Generic, Hashable, TypeVar

T = TypeVar("T")


class ByObject(Generic[T]):
    __slots__ = ("_found", "_kept", "_limit")

    def __init__(self, limit: int = 200_000) -> None:
        self._found: dict[Hashable, T] = {}
        self._kept: list[object] = []
        self._limit = limit

    def get(self, key: Hashable) -> T | None:
        """The answer stored under ``key`` (an ``id``, or a tuple of them), if any."""
        return self._found.get(key)

    def put(self, key: Hashable, keep: object, answer: T) -> None:
        """Store ``answer`` under ``key``, keeping alive ``keep`` (the objects whose ids make it)."""
        if len(self._found) >= self._limit:
            self.clear()
        self._found[key] = answer
        self._kept.append(keep)

    def clear(self) -> None:
        self._found.clear()
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._found)


def first_touches(parent: dict[tuple[int, object], object],
                   child: dict[tuple[int, object], object]) -> dict[tuple[int, object], object]:
    """``parent`` with the deps of ``child`` it does not have added, in order: what
    ``parent.setdefault(dep, value)`` for each of ``child``'s gives. Copying and updating
    dicts reuses the hashes they store; ``setdefault`` hashes each key (nested tuples) again."""
    if not child:
        return parent
    if not parent:
        parent.update(child)
        return parent
    if len(child) < 8:
        for dep, value in child.items():
            parent.setdefault(dep, value)
        return parent
    merged = dict(parent)  # parent's deps first, in their order
    merged.update(child)  # then child's new ones, in theirs
    merged.update(parent)  # a dep both have keeps parent's (first) value
    return merged
