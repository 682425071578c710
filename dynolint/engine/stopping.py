"""Stopping cleanly: worker processes die with dynolint, and a TERM or INT ends a run with
no worker left behind and no half-written report.

- A worker closes the pipe ends it inherited from the parent (:mod:`dynolint.engine.workers`), so
  a worker waiting for work reads EOF when the parent is gone; on Linux it also asks the
  kernel to kill it when the parent dies (``PR_SET_PDEATHSIG``), which reaches a worker in
  the middle of a file too.
- ``dynolint`` (the command line) handles SIGTERM, SIGINT and SIGHUP: it kills and reaps
  its workers and then ends *by the same signal* (its default action), so the shell sees
  status 128 + N (130 for Ctrl-C, 143 for TERM) and a calling shell script or ``make``
  knows it was interrupted, as Python itself does for an uncaught KeyboardInterrupt. It
  does not exit 2: that means a usage, configuration or internal error, and a run that was
  stopped is none of those. A signal that arrives while the report is being written waits
  until it is written: the output is complete or absent, never half a JSON document.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterator

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_prctl: list[Callable[..., int] | None] = []  # looked up once, in the parent, before the first fork
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


def prepare_lifeline() -> None:
    """Look up ``prctl`` (Linux) in the parent, so forked workers need not import ctypes."""
    if _prctl:
        return
    function = None
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            function = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # no C library to ask: the pipe and the parent check remain
            function = None
    _prctl.append(function)


def die_with_parent(parent: int) -> None:
    """In a new worker: be killed when the parent dies (``PR_SET_PDEATHSIG``: the kernel
    sends it when the *thread* that forked the worker ends; a pool is used from one thread,
    which outlives its workers), and end now if the parent died before that was set (the
    worker was adopted: its parent id changed). Ctrl-C, which the terminal sends to the
    whole process group, is left to the parent, which kills the workers."""
    prctl = _prctl[0] if _prctl else None
    if prctl is not None:
        try:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, TypeError, ValueError):
            pass
    if os.getppid() != parent:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in STOP_SIGNALS:  # the parent's handlers (which stop a run) are not the worker's
        if signum != signal.SIGINT and signal.getsignal(signum) is _stop:
            signal.signal(signum, signal.SIG_DFL)


def kill_and_reap(pids: list[int], patience: float = 2.0) -> None:
    """SIGKILL each process, then reap it (waiting ``patience`` seconds at most in all)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + patience
    for pid in pids:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except OSError:  # reaped already (by the pool's thread), or not our child
                break
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.005)


_writing = [False]
_pending: list[int] = []


def _stop(signum: int, frame: object) -> None:
    if _writing[0]:
        _pending.append(signum)  # the report is being written: end when it is
        return
    _end_by(signum)


def _end_by(signum: int) -> None:
    from dynolint.engine.workers import kill_workers

    kill_workers()
    try:
        os.write(2, f"dynolint: stopped by {signal.Signals(signum).name}\n".encode())
    except OSError:
        pass
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    os.kill(os.getpid(), signum)
    time.sleep(1)  # the default action ends the process; this is not reached
    os._exit(128 + signum)


def install() -> None:
    """Handle TERM, INT and HUP as described above (main thread only)."""
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # ignored by whoever started us (nohup): keep it so
        signal.signal(signum, _stop)


@contextmanager
def writing_report() -> Iterator[None]:
    """While the block writes the report, a stop signal waits for it to finish."""
    _writing[0] = True
    try:
        yield
        for stream in (sys.stdout, sys.stderr):  # what is still buffered is part of the report
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    finally:
        _writing[0] = False
        if _pending:
            _end_by(_pending[0])
