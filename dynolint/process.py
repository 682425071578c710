"""What kind of process this is: dynolint's main process, or one of the forked worker
processes of :mod:`dynolint.engine.workers` (single-threaded, doing only dynolint's work, so
that phase 1 may change process-wide state there that it must not change in a caller's
process)."""

from __future__ import annotations

_in_worker = [False]


def in_worker() -> bool:
    """Is this a forked worker process?"""
    return _in_worker[0]


def become_worker() -> None:
    """Called once by a worker process when it starts serving."""
    _in_worker[0] = True
