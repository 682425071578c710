"""Supervised worker processes for phase 1.

LibCST's native parser is fast on real code but not on every input: deeply nested
expressions overflow its stack (the process dies with SIGSEGV) and long chains of unary
operators take minutes. Neither can be interrupted from Python. So files are parsed in
forked worker processes that the parent watches: a worker that overruns the per-file time
budget is killed, a worker that dies is replaced, and in both cases the file is reported and
the run goes on. (The rest runs on a thread with a deep stack: :mod:`dynolint.engine.deep`.)
"""

from __future__ import annotations

import pickle
import time
from typing import Callable, ContextManager, Iterable, Iterator, TypeVar

from dynolint.memory import RESTART_AT, Budget, describe_part
from dynolint.engine.cpus import cpus as _cpus
from dynolint.engine.worker_process import (  # re-exported: the pool's callers name them here
    DEFAULT_TIMEOUT as DEFAULT_TIMEOUT, GC_THRESHOLDS as GC_THRESHOLDS, MEMORY_POLL as MEMORY_POLL,
    Failed as Failed, Worker as _Worker, can_fork as can_fork, death as _death, kill_workers as kill_workers,
    over as _over,
)

T = TypeVar("T")
R = TypeVar("R")

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
