"""The measuring core of dynolint's benchmark, shared by ``bench/run.py`` and its sections.

One process per measurement: wall seconds around its start and exit, and peak RSS (the larger of
``wait4``'s ``ru_maxrss`` and the sum of the RSS of its process tree sampled every 10 ms), and peak
PSS (the sum over the tree of each process's proportional set size, sampled every 200 ms: a page
the parent shares with a forked worker counts once, where the RSS sum counts it in both). A run
that takes longer than the section's timeout is killed with its whole process group; its row then
reads "timed out after N s" and every target that needs it is a MISS (not an error: the benchmark
goes on with the next row).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPORA = BENCH / "corpora"
RESULTS = BENCH / "results"
TOOLS_VENV = CORPORA / ".venv-tools"
MOTO_SPEC = "moto==5.2.*"
CACHE_DIR_NAME = ".dynolint_cache"
QUICK_RUNS = 10  # at least this many runs for rows that take well under a second
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
# measuring one process
# ------------------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return found


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and all its descendants (0 where /proc cannot tell)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(current)
    return total


def tree_pss(pid: int) -> int:
    """Bytes of memory ``pid`` and all its descendants use, each page shared between them
    (a forked worker's pages it has not written) counted once: the sum of their PSS
    (``/proc/PID/smaps_rollup``; 0 where /proc cannot tell)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(current)
    return total


PSS_EVERY = 20  # samples: reading smaps_rollup walks the page tables, so PSS is sampled every 200 ms


@dataclass
class Run:
    wall: float
    rss: int  # bytes: max(ru_maxrss of the process tree, sampled sum over the tree)
    maxrss: int  # bytes: ru_maxrss from wait4 (the largest single process)
    tree_peak: int  # bytes: the largest sampled sum of RSS over the process tree
    returncode: int
    stderr: str
    timed_out: bool = False  # killed by the timeout
    pss_peak: int = 0  # bytes: the largest sampled sum of PSS over the process tree (0: unknown)


def run_once(cmd: list[str], cwd: Path, timeout: float, stdout_path: Path | None = None) -> Run:
    """Start ``cmd`` and wait for it; time it, and measure its peak memory as a whole process."""
    with tempfile.TemporaryFile() as err, \
            (open(stdout_path, "wb") if stdout_path else open(os.devnull, "wb")) as out:
        stop = threading.Event()
        peak = [0]
        pss = [0]
        killed = threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)

        def sample() -> None:
            count = 0
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss(proc.pid))
                if count % PSS_EVERY == 0:
                    pss[0] = max(pss[0], tree_pss(proc.pid))
                count += 1
                if time.perf_counter() - start > timeout:
                    killed.set()
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except OSError:
                        pass
                    return
                stop.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            stop.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    maxrss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    if killed.is_set():
        stderr += f"\n[bench] killed after the {timeout:.0f} s timeout"
    return Run(wall, max(maxrss, peak[0]), maxrss, peak[0], proc.returncode, stderr, killed.is_set(), pss[0])


@dataclass
class Row:
    key: str
    label: str
    cmd: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    note: str = ""  # why it was skipped, or what went wrong
    error: bool = False
    findings: int | None = None
    timed_out: float | None = None  # the timeout (s) a run of this row exceeded: the row is a MISS

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.error and self.timed_out is None

    def time_out(self, seconds: float, what: str = "") -> None:
        self.timed_out = seconds
        self.note = f"{what}timed out after {seconds:.0f} s"

    @property
    def wall(self) -> float | None:
        return statistics.median(r.wall for r in self.runs) if self.ok else None

    @property
    def rss_mb(self) -> float | None:
        return statistics.median(r.rss for r in self.runs) / 2**20 if self.ok else None

    @property
    def pss_mb(self) -> float | None:
        """The median peak PSS of the process tree (None where it was not measured)."""
        if not self.ok or not all(r.pss_peak for r in self.runs):
            return None
        return statistics.median(r.pss_peak for r in self.runs) / 2**20

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key, "label": self.label, "cmd": self.cmd, "ok": self.ok, "note": self.note,
            "timed_out_after_s": self.timed_out,
            "wall_s": self.wall, "peak_rss_mb": self.rss_mb, "peak_pss_mb": self.pss_mb, "findings": self.findings,
            "runs": [{"wall_s": r.wall, "peak_rss_mb": r.rss / 2**20, "ru_maxrss_mb": r.maxrss / 2**20,
                      "tree_peak_mb": r.tree_peak / 2**20, "tree_pss_mb": r.pss_peak / 2**20,
                      "returncode": r.returncode} for r in self.runs],
        }


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: dict[str, Row] = {}
        self.checks: list[dict[str, object]] = []
        self.facts: dict[str, object] = {}
        self.timeout: float = args.timeout if args.timeout is not None else 300.0  # per run; set per section

    # -- running --------------------------------------------------------------------------
    def measure(self, key: str, label: str, cmd: list[str], cwd: Path, runs: int,
                ok_codes: tuple[int, ...] = (0,), before=None) -> Row:
        self.measure_together([(key, label, cmd, before, ok_codes)], cwd, runs)
        return self.rows[key]

    def measure_together(self, specs: list[tuple], cwd: Path, runs: int) -> None:
        """Rows whose ratio is the result, measured in turns (A B C A B C ...): a machine
        that slows down for a while (shared cores drift by a third here) slows all of them,
        not whichever row it happened to be running. ``specs``: (key, label, cmd, before)
        or (key, label, cmd, before, accepted exit codes). A run that fails stops its row."""
        rows = []
        for key, label, cmd, *_ in specs:
            rows.append(Row(key, label, cmd))
            self.rows[key] = rows[-1]
        for index in range(runs):
            for row, (_, label, cmd, before, *codes) in zip(rows, specs):
                if row.error or row.timed_out is not None:
                    continue
                if before:
                    before()
                result = run_once(cmd, cwd, self.timeout)
                if result.timed_out:
                    row.time_out(self.timeout)
                    log(f"  {label} [{index + 1}/{runs}]: timed out after {self.timeout:.0f} s (a MISS)")
                    continue
                if result.returncode not in (codes[0] if codes else (0,)):
                    row.error = True
                    tail = result.stderr.strip().splitlines()[-3:]
                    row.note = f"exit {result.returncode}: " + (" / ".join(tail) if tail else "no stderr")
                    shown = " ".join(shlex.quote(part) for part in cmd)
                    log(f"  {label}: FAILED (exit {result.returncode}) in {cwd}: {shown}\n    "
                        + "\n    ".join(result.stderr.strip().splitlines()[-15:]))
                    continue
                row.runs.append(result)
                log(f"  {label} [{index + 1}/{runs}]: {result.wall:.3f} s, {result.rss / 2**20:.0f} MB")

    def skip(self, key: str, label: str, note: str) -> Row:
        row = Row(key, label, note=note)
        self.rows[key] = row
        log(f"  {label}: skipped ({note})")
        return row

    def check(self, key: str, what: str, value: float | None, op: str, target: float, unit: str = "",
              text: str | None = None, needs: tuple[str, ...] = (), note: str = "") -> None:
        """Record a target. ``value`` None is "n/a", or a MISS when a row it needs (``key``
        itself and ``needs``) timed out: too slow to measure is too slow. ``note``: shown
        beside the result."""
        late = [self.rows[k] for k in (key, *needs) if k in self.rows and self.rows[k].timed_out is not None]
        if value is None:
            result = "MISS" if late else "n/a"
        elif op == "<=":
            result = "PASS" if value <= target else "MISS"
        elif op == "<":
            result = "PASS" if value < target else "MISS"
        else:
            result = "PASS" if value >= target else "MISS"
        symbol = {"<=": "≤", "<": "<", ">=": "≥"}[op]
        self.checks.append({"key": key, "what": what, "value": value, "op": op, "target": target,
                            "target_text": f"{symbol} {target:g}{unit}" if text is None
                            else f"{symbol} {text}", "unit": unit,
                            "result": result, "note": late[0].note if late and value is None else note})


# ------------------------------------------------------------------------------------------
# setup: tools and corpora
# ------------------------------------------------------------------------------------------

def sh(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)


def file_digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def tools_bin(name: str) -> Path:
    return TOOLS_VENV / "bin" / name



def corpus_size(directory: Path) -> dict[str, int]:
    files = lines = size = 0
    for path in directory.rglob("*.py"):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue
        data = path.read_bytes()
        files += 1
        lines += data.count(b"\n")
        size += len(data)
    return {"files": files, "lines": lines, "bytes": size}


def dynolint_python(dyn: list[str]) -> str:
    """The interpreter dynolint runs on (and so has LibCST): the parse-only and import rows use it."""
    return dyn[0] if dyn[1:3] == ["-m", "dynolint"] else sys.executable


def clear_caches(*directories: Path) -> None:
    for directory in directories:
        shutil.rmtree(directory / CACHE_DIR_NAME, ignore_errors=True)


def note_no_cache(bench: Bench, features: dict[str, bool], *keys: str) -> None:
    """Mark cold rows of a dynolint without ``--no-cache`` (its cache directory is removed
    before each run instead)."""
    if not features["--no-cache"]:
        for key in keys:
            bench.rows[key].note = "no --no-cache yet: cache directory removed before each run"
