"""Supervised worker processes for phase 1.

LibCST's native parser is fast on real code but not on every input: deeply nested
expressions overflow its stack (the process dies with SIGSEGV) and long chains of unary
operators take minutes. Neither can be interrupted from Python. So files are parsed in
forked worker processes that the parent watches: a worker that overruns the per-file time
budget is killed, a worker that dies is replaced, and in both cases the file is reported and
the run goes on. (The rest runs on a thread with a deep stack: :mod:`dynolint.engine.deep`.)
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterable, Iterator, TypeVar

from dynolint.memory import RESTART_AT, Budget, describe_part, private_mb, resident_mb
from dynolint.engine.cpus import cpus as _cpus
from dynolint.engine.deep import RECURSION_LIMIT
from dynolint.engine.stopping import die_with_parent, prepare_lifeline
from dynolint.process import become_worker

T = TypeVar("T")
R = TypeVar("R")

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
_live: dict[int, _Worker] = {}


class _Worker:
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


# A worker forked once a run knows it may parse (:func:`prestart`: no cached answer for the
# whole run, and some file may be worth parsing): it imports the parser while the parent
# splits the project into components, looks up the cache and selects the files (a fifth of a
# second, on the critical path of a run that parses a few files, as the pre-commit hook's),
# and the first pool that needs a worker takes it.
_spare: list[_Worker] = []


def prestart(sources: Iterable[bytes] | None = None) -> None:
    """Fork a spare worker that imports the parser now (once per process; where forking is
    possible and there is a CPU for it beside this process), when some of ``sources`` may be
    worth parsing. A run that parses nothing after all leaves it; it ends with this process."""
    from dynolint.phase1.prefilter import may_parse

    if _spare or not can_fork() or len(_cpus()) < 2 or sources is not None and not may_parse(sources):
        return
    try:
        _spare.append(_Worker(_unbound, preload=True))
    except OSError:  # no more processes: the pool forks its own when it needs them
        pass


def _unbound(item: object) -> object:
    raise TypeError("a spare worker runs only the functions sent with its tasks")


def _new_worker(function: Callable[[T], object]) -> _Worker:
    """A worker for ``function``: the spare one if it is there and alive and ``function`` can
    be sent to it (by reference: a module-level function), else a new one."""
    if _spare and "<locals>" not in getattr(function, "__qualname__", "<locals>"):
        worker = _spare.pop()
        if worker.process.is_alive():
            return worker
        worker.stop(kill=True)
    return _Worker(function)


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


class WorkerPool:
    """Forked worker processes, supervised: a task running longer than ``timeout`` seconds
    has its worker killed, a task whose worker dies (or which raises) gives :class:`Failed`,
    and the worker is replaced. The workers live across several :meth:`map` calls, so a
    task can be sent to the worker that ran an earlier one and use what that one left in
    its memory (the parsed modules phase 1 keeps for rendering fixes); a worker with
    nothing left to do takes work meant for another. With a memory budget, a worker that
    goes over its part of it (:mod:`dynolint.memory`) during a task is killed and the task
    gives :class:`Failed`, and one that ends a task near its part is replaced. Without
    ``fork``, tasks run here, one after the other, with no time or memory budget."""

    def __init__(self, timeout: float | None, memory: Budget | None = None) -> None:
        self.timeout = timeout
        self.memory = memory
        self.forked = can_fork()
        self.workers: list[_Worker | None] = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            if worker is not None:
                worker.stop(kill=worker.task is not None)
        self.workers = []

    def apart(self) -> ContextManager[None]:
        """While the block runs, the calling thread has a CPU to itself and the workers share
        the others (:func:`dynolint.engine.cpus.apart`)."""
        from dynolint.engine.cpus import apart

        return apart([pid for worker in self.workers if worker is not None and (pid := worker.process.pid) is not None])

    def map(self, function: Callable[[T], R], items: list[T], jobs: int | Callable[[int], int],
            prefer: list[int | None] | None = None, meanwhile: Callable[[], object] | None = None,
            feed: Iterator[T | None] | None = None) -> Iterator[tuple[int, R | Failed, int]]:
        """``function`` over ``items`` in at least ``jobs`` workers (fewer for fewer items);
        yields ``(index, result, worker number)`` as results arrive. ``prefer[index]``
        names the worker an item should go to, when it is free for it. ``meanwhile`` runs
        here once the workers have their first tasks. With ``feed``, more items come from it
        while the workers work (appended to ``items``): each step of it does a little of
        this process's work and gives an item or None, between looks at the workers; ``jobs``
        may then be a function of the number of items known, and workers are forked as the
        items come."""
        if not items and feed is None:
            return
        if not self.forked:
            items.extend(item for item in feed or () if item is not None)
            if meanwhile is not None:
                meanwhile()
            for index, item in enumerate(items):
                try:
                    yield index, function(item), 0
                except Exception as exc:  # noqa: BLE001
                    yield index, Failed(f"{type(exc).__name__}: {exc}"), 0
            return
        from collections import deque
        from multiprocessing.connection import wait

        workers = self.workers
        queues: list[deque[int]] = []
        shared: deque[int] = deque()

        def grow() -> None:  # the workers the items known so far want, and a queue each
            if items:
                wanted = max(1, min(jobs(len(items)) if callable(jobs) else jobs, len(items)))
                while len(workers) < wanted:
                    workers.append(None)
                for slot, worker in enumerate(workers):
                    if worker is None:
                        workers[slot] = _new_worker(function)
            queues.extend(deque() for _ in range(len(workers) - len(queues)))

        grow()
        for index in range(len(items)):
            wants = prefer[index] if prefer is not None else None
            (queues[wants] if wants is not None and 0 <= wants < len(queues) else shared).append(index)

        def next_for(slot: int) -> int | None:
            if queues[slot]:
                return queues[slot].popleft()
            if shared:
                return shared.popleft()
            longest = max(queues, key=len)
            return longest.pop() if longest else None

        def give(slot: int) -> None:
            index = next_for(slot)
            if index is not None:
                workers[slot].send(function, index, items[index])  # type: ignore[union-attr]

        try:
            for slot in range(len(workers)):
                give(slot)
            timeout, memory = self.timeout, self.memory
            looked = 0.0  # when the busy workers' budgets were last looked at, while feeding
            while True:
                if feed is not None:
                    step: object = next(feed, _DONE)
                    if step is _DONE:
                        feed = None
                    elif step is not None:
                        items.append(step)  # type: ignore[arg-type]
                        shared.append(len(items) - 1)
                        grow()
                        for slot, worker in enumerate(workers):
                            if worker is not None and worker.task is None:
                                give(slot)
                if meanwhile is not None and feed is None:  # once the feed is done (this process is idle)
                    meanwhile()
                    meanwhile = None
                busy = [w for w in workers if w is not None and w.task is not None]
                if not busy:
                    if feed is not None:
                        continue
                    break
                if feed is not None:  # a look at the workers, and back to the feed
                    ready = wait([w.conn for w in busy], timeout=0.0)
                    now = time.monotonic()
                    if not ready and now - looked < MEMORY_POLL:
                        continue  # the budgets are looked at every MEMORY_POLL seconds meanwhile
                    looked = now
                else:
                    wait_for = None
                    if timeout:  # a task cannot use its CPU budget faster than the wall clock runs
                        now = time.monotonic()
                        wait_for = max(0.0, min(w.left(timeout, now) for w in busy))
                    if memory is not None:
                        wait_for = MEMORY_POLL if wait_for is None else min(wait_for, MEMORY_POLL)
                    ready = wait([w.conn for w in busy], timeout=wait_for)
                    now = time.monotonic()
                for slot, worker in enumerate(workers):
                    if worker is None or worker.task is None:
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
                            if memory is not None and _over(worker, RESTART_AT * memory.worker_mb):
                                worker.stop()  # it keeps what a large file took: a fresh one instead
                                workers[slot] = worker = _Worker(function)
                            give(slot)  # the worker's next task first: it works while this unpickles
                            ok, value = pickle.loads(payload)
                            yield index, (value if ok else Failed(f"internal error: {value}")), slot
                    elif timeout and worker.left(timeout, now) <= 0:
                        failed = Failed(f"timed out after {timeout:g} s (--timeout); the file was not analysed")
                    elif memory is not None and (held := _over(worker, memory.worker_mb)):
                        failed = Failed(f"its worker went over {describe_part(memory.worker_mb)} with "
                                        f"{held:,.0f} MB; the file was not analysed")
                    if failed is not None:
                        worker.task = None
                        worker.stop(kill=True)
                        workers[slot] = _Worker(function)
                        yield index, failed, slot
                        give(slot)
        finally:
            for slot, worker in enumerate(workers):
                if worker is not None and worker.task is not None:  # the caller stopped early
                    worker.stop(kill=True)
                    workers[slot] = None


_DONE = object()  # the end of a feed


def _over(worker: _Worker, limit_mb: float) -> float | None:
    """The MB of memory only ``worker`` holds, when that is over ``limit_mb``; else None
    (also where it is unknown). Its resident memory, which includes what it shares with
    the process it was forked from, is read first: it is cheap, and no more than that."""
    pid = worker.process.pid or 0
    resident = resident_mb(pid)
    if resident is None or resident <= limit_mb:
        return None
    held = private_mb(pid)
    return held if held is not None and held > limit_mb else None


def _death(exitcode: int | None) -> str:
    import signal

    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the parser crashed ({name}); the file was not analysed"
    return f"the worker analysing this file exited unexpectedly (status {exitcode}); the file was not analysed"
