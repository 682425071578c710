"""One supervised worker process of :mod:`dynolint.engine.workers`: forked with the task
function it knows, fed tasks over a pipe, its CPU time read from /proc so that its budget is
CPU seconds, and killed and reaped with the process that forked it."""

from __future__ import annotations

import os
import pickle
import sys
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from dynolint.memory import private_mb, resident_mb
from dynolint.engine.deep import RECURSION_LIMIT
from dynolint.engine.stopping import die_with_parent, prepare_lifeline
from dynolint.process import become_worker

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0  # CPU seconds per file to parse, per function to analyse (--timeout)
WALL_GRACE = 10  # a task may take this many times its CPU budget in wall seconds, not more
MEMORY_POLL = 0.2  # seconds between two looks at the busy workers' memory, with a budget
# the cyclic collector of a run and of its workers (api._run); CPython's default is (700, 10, 10)
GC_THRESHOLDS = (50_000, 50, 100)
try:
    _TICKS = float(os.sysconf("SC_CLK_TCK"))
except (AttributeError, ValueError, OSError):
    _TICKS = 100.0


@dataclass(frozen=True)
class Failed:
    """A task whose worker was killed for overrunning its budget, or died."""

    reason: str


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


# The live workers of this process, by id: a worker closes the others' pipe ends (and its
# own parent's end) when it starts, and :func:`kill_workers` finds them on a signal.
_live: dict[int, Worker] = {}


class Worker:
    """A forked worker process. It knows ``bound`` (forked with it: any function, even a
    local one); other functions are sent with each task, by reference. It dies with the
    process that forked it (:func:`dynolint.engine.stopping.die_with_parent`)."""

    def __init__(self, bound: Callable[[T], object], preload: bool = False) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.bound = bound
        self.conn, child = context.Pipe(duplex=True)
        prepare_lifeline()
        self.process = context.Process(target=_serve, args=(child, bound, os.getpid(), preload), daemon=True)
        _live[id(self)] = self
        try:
            self.process.start()
        except BaseException:
            _live.pop(id(self), None)
            self.conn.close()
            raise
        finally:
            child.close()
        self.task: int | None = None
        self.started = 0.0
        self.cpu_started: float | None = None

    def send(self, function: Callable[[T], object], index: int, item: T) -> None:
        self.task, self.started = index, time.monotonic()
        self.cpu_started = self.cpu()
        self.conn.send((None if function is self.bound else function, item))

    def cpu(self) -> float | None:
        """CPU seconds the worker has used (Linux: /proc), or None where that is unknown."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _TICKS
        except (OSError, IndexError, ValueError):
            return None

    def left(self, timeout: float, now: float) -> float:
        """Seconds of its budget the current task has left: CPU seconds where the worker's
        CPU time is known (so that a loaded machine, where a worker waits for a CPU, does
        not change which files finish), wall seconds otherwise; and never more than
        :data:`WALL_GRACE` times the budget in wall seconds (a worker that stalls)."""
        wall_left = timeout * WALL_GRACE - (now - self.started)
        used = self.cpu()
        if used is None or self.cpu_started is None:
            return min(wall_left, timeout - (now - self.started))
        return min(wall_left, timeout - (used - self.cpu_started))

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
        _live.pop(id(self), None)


def kill_workers() -> None:
    """Kill every worker process of this process and reap them (bounded: a second or two
    at most). Safe to call from a signal handler on the main thread while another thread
    runs the pool: the process is about to end, the pool is not used again."""
    from dynolint.engine.stopping import kill_and_reap

    kill_and_reap([worker.process.pid for worker in list(_live.values()) if worker.process.pid])


def _serve(conn: object, bound: Callable[[object], object], parent: int, preload: bool = False) -> None:
    """A worker's loop: receive ``(function, item)`` (function None: ``bound``), send back
    the pickled result, until ``None`` or EOF. What a function leaves in the worker's memory
    stays for the next tasks. It first closes the pipe ends it inherited from the parent
    (its own pipe's other end, and the other workers'), so that its pipe reaches EOF when
    the parent is gone, and arranges to die with the parent; with ``preload``, it then
    imports the parser (a spare worker, :func:`prestart`)."""
    from multiprocessing.connection import Connection

    assert isinstance(conn, Connection)
    for worker in list(_live.values()):
        try:
            worker.conn.close()
        except OSError:
            pass
    _live.clear()
    die_with_parent(parent)
    become_worker()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    if preload:
        # forked before the run set up its collector (the command line turns it off for the
        # parent's exit): set up as the run's workers are, or LibCST's cyclic garbage stays
        import gc

        gc.set_threshold(*GC_THRESHOLDS)
        gc.enable()
        import dynolint.phase1.summarize  # noqa: F401 - LibCST, while the parent reads the files
        import dynolint.engine.pipeline  # noqa: F401 - phase 1's tasks (forked before the parent imported it)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        function, item = message
        try:
            payload = pickle.dumps((True, (function or bound)(item)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, the worker lives on
            payload = pickle.dumps((False, f"{type(exc).__name__}: {exc}"), protocol=pickle.HIGHEST_PROTOCOL)
        conn.send_bytes(payload)


def over(worker: Worker, limit_mb: float) -> float | None:
    """The MB of memory only ``worker`` holds, when that is over ``limit_mb``; else None
    (also where it is unknown). Its resident memory, which includes what it shares with
    the process it was forked from, is read first: it is cheap, and no more than that."""
    pid = worker.process.pid or 0
    resident = resident_mb(pid)
    if resident is None or resident <= limit_mb:
        return None
    held = private_mb(pid)
    return held if held is not None and held > limit_mb else None


def death(exitcode: int | None) -> str:
    import signal

    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the parser crashed ({name}); the file was not analysed"
    return f"the worker analysing this file exited unexpectedly (status {exitcode}); the file was not analysed"
