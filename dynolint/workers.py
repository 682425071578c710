"""Supervised worker processes for phase 1, and a thread with a deep stack for the rest.

LibCST's native parser is fast on real code but not on every input: deeply nested
expressions overflow its stack (the process dies with SIGSEGV) and long chains of unary
operators take minutes. Neither can be interrupted from Python. So files are parsed in
forked worker processes that the parent watches: a worker that overruns the per-file time
budget is killed, a worker that dies is replaced, and in both cases the file is reported and
the run goes on.

Everything runs on a thread with a large stack and a high recursion limit, so that deeply
nested (but valid) code is analysed rather than rejected.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

STACK_BYTES = 512 << 20  # virtual: only the pages a deep recursion touches are committed
RECURSION_LIMIT = 60_000
DEFAULT_TIMEOUT = 60.0  # seconds per file to parse, per function to analyse (--timeout)


@dataclass(frozen=True)
class Failed:
    """A task whose worker was killed for overrunning its budget, or died."""

    reason: str


def run_deep(function: Callable[..., R], *args: object) -> R:
    """``function(*args)`` on a thread with a large stack and a high recursion limit
    (re-raising what it raises). Already on such a thread: called directly."""
    if getattr(_local, "deep", False):
        return function(*args)
    outcome: list[object] = []

    def target() -> None:
        _local.deep = True
        try:
            outcome.append((True, function(*args)))
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            outcome.append((False, exc))

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
    finally:
        sys.setrecursionlimit(previous_limit)
    ok, value = outcome[0]  # type: ignore[misc]
    if ok:
        return value  # type: ignore[return-value]
    raise value  # type: ignore[misc]


_local = threading.local()


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


class _Worker(Generic[T]):
    def __init__(self, function: Callable[[T], object]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child, function), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def send(self, index: int, item: T) -> None:
        self.task, self.started = index, time.monotonic()
        self.conn.send(item)

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.process.kill()
            else:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=None if kill else 2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _serve(conn: object, function: Callable[[object], object]) -> None:
    """A worker's loop: receive an item, send back its pickled result, until ``None``."""
    from multiprocessing.connection import Connection

    assert isinstance(conn, Connection)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        try:
            payload = pickle.dumps((True, function(item)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, the worker lives on
            payload = pickle.dumps((False, f"{type(exc).__name__}: {exc}"), protocol=pickle.HIGHEST_PROTOCOL)
        conn.send_bytes(payload)


def supervised_map(function: Callable[[T], R], items: list[T], jobs: int, timeout: float | None,
                   meanwhile: Callable[[], object] | None = None) -> Iterator[tuple[int, R | Failed]]:
    """``function`` over ``items`` in ``jobs`` forked workers; yields ``(index, result)`` as
    results arrive. A task running longer than ``timeout`` seconds has its worker killed; a
    task whose worker dies, or which raises, yields :class:`Failed`. ``meanwhile`` runs here
    once the workers have their first tasks. Without ``fork``, runs in this process (no time
    budget)."""
    if not items:
        return
    if not can_fork():
        for index, item in enumerate(items):
            try:
                yield index, function(item)
            except Exception as exc:  # noqa: BLE001
                yield index, Failed(f"{type(exc).__name__}: {exc}")
        return
    from multiprocessing.connection import wait

    pending = list(range(len(items)))
    pending.reverse()
    workers: list[_Worker[T]] = []
    try:
        for _ in range(max(1, min(jobs, len(items)))):
            workers.append(_Worker(function))
        for worker in workers:
            if pending:
                index = pending.pop()
                worker.send(index, items[index])
        if meanwhile is not None:
            meanwhile()
        while any(w.task is not None for w in workers):
            busy = [w for w in workers if w.task is not None]
            wait_for = None
            if timeout:
                wait_for = max(0.0, min(w.started for w in busy) + timeout - time.monotonic())
            ready = wait([w.conn for w in busy], timeout=wait_for)
            now = time.monotonic()
            for position, worker in enumerate(workers):
                if worker.task is None:
                    continue
                index = worker.task
                failed: Failed | None = None
                if worker.conn in ready:
                    try:
                        payload = worker.conn.recv_bytes()
                    except (EOFError, OSError):
                        worker.process.join(timeout=5)
                        failed = Failed(_death(worker.process.exitcode))
                    else:
                        worker.task = None
                        if pending:  # the worker's next task first: it works while this unpickles
                            next_index = pending.pop()
                            worker.send(next_index, items[next_index])
                        ok, value = pickle.loads(payload)
                        yield index, (value if ok else Failed(f"internal error: {value}"))
                elif timeout and now - worker.started > timeout:
                    failed = Failed(f"timed out after {timeout:g} s (--timeout); the file was not analysed")
                if failed is not None:
                    worker.task = None
                    worker.stop(kill=True)
                    worker = workers[position] = _Worker(function)
                    yield index, failed
                if worker.task is None and pending:
                    next_index = pending.pop()
                    worker.send(next_index, items[next_index])
    finally:
        for worker in workers:
            worker.stop(kill=any(w.task is not None for w in workers))


def _death(exitcode: int | None) -> str:
    import signal

    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the parser crashed ({name}); the file was not analysed"
    return f"the worker analysing this file exited unexpectedly (status {exitcode}); the file was not analysed"
