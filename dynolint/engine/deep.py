"""A thread with a large stack and a high recursion limit, so that deeply nested (but valid)
code is analysed rather than rejected: phase 2 and everything after phase 1's workers
(:mod:`dynolint.engine.workers`) run on it."""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

R = TypeVar("R")

STACK_BYTES = 512 << 20  # virtual: only the pages a deep recursion touches are committed
RECURSION_LIMIT = 60_000


def run_deep(function: Callable[..., R], *args: object) -> R:
    """``function(*args)`` on a thread with a large stack and a high recursion limit
    (re-raising what it raises). Already on such a thread: called directly."""
    if getattr(_local, "deep", False):
        return function(*args)
    results: list[R] = []
    raised: list[BaseException] = []

    def target() -> None:
        _local.deep = True
        try:
            results.append(function(*args))
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            raised.append(exc)

    previous_limit = sys.getrecursionlimit()
    previous_size = threading.stack_size()
    try:
        threading.stack_size(STACK_BYTES)
        thread = threading.Thread(target=target, name="dynolint-deep", daemon=True)
    finally:
        threading.stack_size(previous_size)
    sys.setrecursionlimit(max(previous_limit, RECURSION_LIMIT))
    try:
        thread.start()
        thread.join()
    except BaseException:  # Ctrl-C in a program using the API: no worker outlives the call
        from dynolint.engine.workers import kill_workers

        kill_workers()
        raise
    finally:
        sys.setrecursionlimit(previous_limit)
    if raised:
        raise raised[0]
    return results[0]


_local = threading.local()
