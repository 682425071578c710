"""One analysis at a time, off the message loop, and the newest request always wins.

Every edit, open, save or close submits a request and gets a generation number. A thread
of its own takes the newest request once no newer one has arrived for ``delay`` seconds
(keystrokes coalesce), runs it, and hands the result and its generation to ``deliver``.
Requests that a newer one replaced before they started never run; a run still parsing when
a newer request arrives stops (``cancelled()`` turns true: the work raises
:class:`~dynolint.server.analysis.Superseded`); a run past parsing finishes, and whoever
receives its result compares its generation with :attr:`Scheduler.generation` and drops it
when a newer one exists, so stale diagnostics are never published.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

from dynolint.server.analysis import Superseded

Request = TypeVar("Request")
Result = TypeVar("Result")


class Scheduler(Generic[Request, Result]):
    def __init__(self, work: Callable[[Request, Callable[[], bool]], Result],
                 deliver: Callable[[int, Result | BaseException], None], delay: float = 0.1) -> None:
        self._work = work
        self._deliver = deliver
        self._delay = delay
        self._condition = threading.Condition()
        self._pending: tuple[int, Request] | None = None
        self._generation = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="dynolint-lsp-analysis", daemon=True)
        self._thread.start()

    @property
    def generation(self) -> int:
        """The number of the newest request submitted."""
        return self._generation

    def submit(self, request: Request) -> int:
        """Queue ``request`` in place of any request not yet started; its generation."""
        with self._condition:
            self._generation += 1
            self._pending = (self._generation, request)
            self._condition.notify_all()
            return self._generation

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def _superseded(self) -> bool:
        return self._pending is not None or self._closed

    def _next(self) -> tuple[int, Request] | None:
        """The newest request once no newer one came for ``delay`` seconds; None when closed."""
        with self._condition:
            while self._pending is None and not self._closed:
                self._condition.wait()
            while not self._closed:
                assert self._pending is not None
                waiting_for = self._pending[0]
                self._condition.wait(timeout=self._delay)
                if self._pending is not None and self._pending[0] == waiting_for:
                    taken, self._pending = self._pending, None
                    return taken
            return None

    def _run(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            generation, request = taken
            try:
                result: Result | BaseException = self._work(request, self._superseded)
            except Superseded:
                continue
            except Exception as exc:  # noqa: BLE001 - reported to the client; the server goes on
                result = exc
            self._deliver(generation, result)


__all__ = ["Scheduler"]
