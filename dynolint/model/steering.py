"""Marks of control dependence: the scans and queries whose items a test looked at when it chose
a value (see :mod:`dynolint.model.control`, which makes them, and model/allocation.py, which
reads them)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from dynolint.model.values import NONE, UNKNOWN, Loc, Val, alts, one_of, parts

MAX_MARKS = 100_000  # marked values kept (a run that makes more stops marking)
MAX_WALK = 2_000  # parts of one value looked at for marks


@dataclass(frozen=True, slots=True)
class Steer:
    """The test at ``site`` looked at what read ``read`` (a scan or query) returned."""

    read: int
    site: Loc


class ControlMarks:
    """The values chosen under a steering test, by object (each entry keeps its object alive,
    so an id is not reused while it is marked)."""

    def __init__(self) -> None:
        self._marks: dict[int, tuple[Val, frozenset[Steer]]] = {}

    def of(self, value: Val) -> frozenset[Steer]:
        """The steering tests this very object was chosen under (not its parts)."""
        entry = self._marks.get(id(value))
        return entry[1] if entry is not None else frozenset()

    def chosen(self, value: Val, steers: frozenset[Steer]) -> Val:
        """``value`` as a body steered by ``steers`` binds it: a marked twin of each alternative."""
        if len(self._marks) >= MAX_MARKS:
            return value
        twins: list[Val] = []
        for alt in alts(value):
            if alt is UNKNOWN or alt is NONE:
                twins.append(alt)
                continue
            twin = copy.copy(alt)
            self._marks[id(twin)] = (twin, steers | self.of(alt))
            twins.append(twin)
        return twins[0] if len(twins) == 1 else one_of(twins)

    def within(self, value: Val) -> frozenset[Steer]:
        """The steering tests any part of ``value`` was chosen under."""
        if not self._marks:
            return frozenset()
        found: set[Steer] = set()
        for part in parts(value, MAX_WALK):
            entry = self._marks.get(id(part))
            if entry is not None:
                found |= entry[1]
        return frozenset(found)
