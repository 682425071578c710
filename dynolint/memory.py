"""The run's memory budget (``--max-memory``): how it is shared, and how memory is measured.

The budget is for the whole run, the main process and its workers together. It is shared
out in fixed parts, so that whether a file or a function fits does not depend on what else
happens to be running at the same moment (a loaded machine must not change the findings):

- the budget is cut into ``jobs + 3`` equal parts; each worker process may hold one part *of
  its own* (private memory: the pages it shares with the process it was forked from are
  counted once, in that process).
  A worker that goes over its part while parsing a file is killed, the file is reported
  as not analysed, and a fresh worker takes its place; a worker that ends a file near its
  part (it keeps the memory a large file took) is replaced before its next file.
- the main process holds the other three parts: phase 2 (the program model) lives there.
  An analysis root that would start with the main process over its part is not analysed,
  and the file it is in is reported. When phase 2 is split into shares of import components
  (:mod:`dynolint.engine.shares`, the default budget only), each share's process is held to
  that part in the same way, so a root that fits in one process fits in its share.

The default budget is 1,536 MB plus 512 MB per worker (2,560 MB on 2 CPUs): 512 MB for each
worker and 1,536 MB for the main process, however many CPUs there are. Where memory cannot
be measured (no ``/proc``), the budget is not enforced.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAIN_PARTS = 3  # the main process's parts of the budget; each worker has one
PART_MB = 512  # a part of the default budget
RESTART_AT = 0.75  # a worker that ends a file above this fraction of its part is replaced
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Budget:
    """The parts of a ``total_mb`` budget for a run with ``workers`` worker processes."""

    total_mb: int
    workers: int

    @property
    def worker_mb(self) -> float:
        return self.total_mb / (self.workers + MAIN_PARTS)

    @property
    def main_mb(self) -> float:
        return self.total_mb - self.workers * self.worker_mb


def default_mb(jobs: int) -> int:
    return (MAIN_PARTS + jobs) * PART_MB


def budget(options: object) -> Budget | None:
    """The budget of a run with these options (``max_memory`` MB, None: the default; ``jobs``
    workers, 0: the CPUs); None for no limit (``max_memory`` 0)."""
    jobs = int(getattr(options, "jobs", 0)) or os.cpu_count() or 1
    total = getattr(options, "max_memory", None)
    total = default_mb(jobs) if total is None else int(total)
    return Budget(total, jobs) if total > 0 else None


def describe_part(part_mb: float) -> str:
    return f"its part of the memory budget ({part_mb:,.0f} MB, see --max-memory)"


_OWN_STATM: list[int] = []  # [pid, fd]: this process's /proc/self/statm, kept open (phase 2 asks per root)


def resident_mb(pid: int | None = None) -> float | None:
    """Resident memory of a process (this one by default) in MB, or None where unknown.
    This process's statm stays open and is read again in place (opening it cost more than
    the read, once per analysis root); a forked child opens its own (the inherited file is
    its parent's)."""
    try:
        if pid is not None:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                return int(handle.read().split()[1]) * _PAGE / (1 << 20)
        if not _OWN_STATM or _OWN_STATM[0] != os.getpid():
            if _OWN_STATM:
                os.close(_OWN_STATM[1])
            _OWN_STATM[:] = [os.getpid(), os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)]
        return int(os.pread(_OWN_STATM[1], 256, 0).split()[1]) * _PAGE / (1 << 20)
    except (OSError, IndexError, ValueError):
        if pid is None and _OWN_STATM:  # (a descriptor closed under us: opened again next time)
            _OWN_STATM.clear()
        return None


def private_mb(pid: int) -> float | None:
    """Memory only process ``pid`` holds, in MB (Linux: private pages, from
    ``/proc/PID/smaps_rollup``; resident memory where that is missing), or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            text = handle.read()
    except OSError:
        return resident_mb(pid)
    total = 0
    for line in text.splitlines():
        if line.startswith((b"Private_Clean:", b"Private_Dirty:")):
            total += int(line.split()[1])
    return total / 1024
