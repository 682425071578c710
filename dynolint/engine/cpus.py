"""The CPUs this process may run on, and giving the calling thread one of them to itself
while the worker processes (:mod:`dynolint.engine.workers`) share the others."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator


def cpus() -> set[int]:
    """The CPUs this process may run on."""
    try:
        return os.sched_getaffinity(0)
    except (AttributeError, OSError):
        return set(range(os.cpu_count() or 1))


@contextmanager
def apart(pids: list[int]) -> Iterator[None]:
    """While the block runs, the calling thread has a CPU to itself and the processes
    ``pids`` share the others (where the system lets a process choose its CPUs, and there
    are two or more): the parent interprets while the workers compute positions, and three
    processes sharing two CPUs slowed the interpreter, which the rest waits for, by a
    fifth. Everyone gets every CPU back afterwards."""
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        allowed = set()
    if len(allowed) < 2 or not pids:
        yield
        return
    mine = {min(allowed)}
    moved: list[int] = []
    try:
        os.sched_setaffinity(0, mine)
    except OSError:  # not allowed here: everyone shares every CPU
        yield
        return
    try:
        for pid in pids:
            try:
                os.sched_setaffinity(pid, allowed - mine)
                moved.append(pid)
            except OSError:  # the worker is gone, or may not be moved
                pass
        yield
    finally:
        for pid in moved:
            try:
                os.sched_setaffinity(pid, allowed)
            except OSError:
                pass
        try:
            os.sched_setaffinity(0, allowed)
        except OSError:
            pass
