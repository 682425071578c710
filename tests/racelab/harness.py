"""Race lab harness: a slow "paid API" over real HTTP, fresh imports of scenario projects, and a
barrier-started thread burst.

Nothing here knows about a particular scenario; ``test_racelab.py`` holds the ``measure_*``
functions that put these pieces together.
"""

from __future__ import annotations

import importlib
import itertools
import json
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

# -- the paid API -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRequest:
    n: int
    path: str
    query: dict[str, str]
    started: float
    thread: str


class _PaidApiServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 20+ callers connect at once; the default backlog of 5 would stall them
    api: PaidApi


class _PaidApiHandler(BaseHTTPRequestHandler):
    server: _PaidApiServer
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        api = self.server.api
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        record = api._record(parts.path, query)
        if api.delay > 0:
            time.sleep(api.delay)  # the "expensive" part: widens the window between miss and write
        body = json.dumps(api.respond(record)).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


def _default_response(request: ApiRequest) -> dict[str, Any]:
    return {"city": request.query.get("q", ""), "temp": 21.5, "units": "metric", "n": request.n}


@dataclass
class PaidApi:
    """A metered HTTP API on 127.0.0.1 that counts calls and takes ``delay`` seconds to answer.

    Every answer carries ``"n"``, the call's number (1-based), so callers that were served by
    different calls get different bodies. Use as a context manager, or ``start()``/``stop()``.
    """

    delay: float = 0.2
    respond: Callable[[ApiRequest], dict[str, Any]] = _default_response
    requests: list[ApiRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: _PaidApiServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the paid API is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _record(self, path: str, query: dict[str, str]) -> ApiRequest:
        with self._lock:
            request = ApiRequest(len(self.requests) + 1, path, query, time.monotonic(),
                                 threading.current_thread().name)
            self.requests.append(request)
            return request

    def start(self) -> PaidApi:
        server = _PaidApiServer(("127.0.0.1", 0), _PaidApiHandler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="paid-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> PaidApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- fresh imports of a scenario project --------------------------------------------------------

_load_counter = itertools.count(1)
_import_lock = threading.Lock()


def _local_top_level_names(project_dir: Path) -> set[str]:
    names = {path.stem for path in project_dir.glob("*.py")}
    names |= {path.name for path in project_dir.iterdir()
              if path.is_dir() and (path / "__init__.py").is_file()}
    return names


def load_module(project_dir: str | Path, module_name: str) -> ModuleType:
    """Import ``module_name`` (dotted names work) from ``project_dir``, fresh every time.

    The project's own modules (``handler``, ``weather``, ...) are imported anew, so an original
    project and a fixed copy with the same module names can be loaded side by side. Their entries
    are removed from ``sys.modules`` afterwards (and any same-named entries that were there before
    are put back), ``sys.path`` is restored, and the module is registered under a unique name,
    ``_racelab_<n>_<module>``. No bytecode is written into the project directory.

    Module-level code runs at this point, so set the environment (table names, endpoint, API URL)
    before calling it.
    """
    project_dir = Path(project_dir).resolve()
    if not project_dir.is_dir():
        raise FileNotFoundError(project_dir)
    local = _local_top_level_names(project_dir)
    if module_name.split(".")[0] not in local:
        raise ModuleNotFoundError(f"no module {module_name!r} in {project_dir}")
    with _import_lock:
        hidden = {name: mod for name, mod in sys.modules.items() if name.split(".")[0] in local}
        for name in hidden:
            del sys.modules[name]
        saved_path = list(sys.path)
        saved_bytecode = sys.dont_write_bytecode
        sys.path.insert(0, str(project_dir))
        sys.dont_write_bytecode = True
        importlib.invalidate_caches()
        try:
            module = importlib.import_module(module_name)
        finally:
            for name in [n for n in sys.modules if n.split(".")[0] in local]:
                del sys.modules[name]
            sys.modules.update(hidden)
            sys.path[:] = saved_path
            sys.dont_write_bytecode = saved_bytecode
        unique = f"_racelab_{next(_load_counter)}_{module_name.replace('.', '_')}"
        sys.modules[unique] = module
        return module


def copy_project(project_dir: str | Path, destination: str | Path) -> Path:
    """Copy a scenario project (without caches) to ``destination``, e.g. to run ``dynolint fix`` on."""
    destination = Path(destination)
    shutil.copytree(project_dir, destination,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".dynolint_cache"))
    return destination


def unload(module: ModuleType) -> None:
    """Forget a module loaded by :func:`load_module` (its objects stay alive while referenced)."""
    for name, mod in list(sys.modules.items()):
        if mod is module and name.startswith("_racelab_"):
            del sys.modules[name]


# -- a burst of concurrent calls ----------------------------------------------------------------


@dataclass
class CallOutcome:
    """One call of a burst: its arguments, and either its result or the exception it raised."""

    index: int
    args: tuple[Any, ...]
    result: Any = None
    exception: BaseException | None = None
    traceback: str | None = None
    started: float = 0.0
    finished: float = 0.0
    thread: str = ""

    @property
    def ok(self) -> bool:
        return self.exception is None and self.finished > 0


@dataclass
class Burst:
    outcomes: list[CallOutcome]
    elapsed: float

    @property
    def results(self) -> list[Any]:
        return [o.result for o in self.outcomes]

    @property
    def exceptions(self) -> list[BaseException | None]:
        return [o.exception for o in self.outcomes]

    @property
    def failed(self) -> list[CallOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def __iter__(self) -> Iterator[CallOutcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)


def run_concurrently(fn: Callable[..., Any], args_list: Sequence[Any], threads: int = 20,
                     timeout: float = 60.0) -> Burst:
    """Call ``fn(*args)`` for every entry of ``args_list`` on real threads, started together.

    An entry that is not a tuple is passed as the single argument. ``min(threads, len(args_list))``
    worker threads wait on a ``threading.Barrier`` and are released at once; each then takes
    calls from the list until none is left (so with ``threads >= len(args_list)`` every call starts
    in the first wave). Returns a :class:`Burst` with one :class:`CallOutcome` per entry, in order;
    exceptions are captured, never raised. A call still running after ``timeout`` seconds is
    reported with a ``TimeoutError``.
    """
    calls = [a if isinstance(a, tuple) else (a,) for a in args_list]
    outcomes = [CallOutcome(i, args) for i, args in enumerate(calls)]
    if not calls:
        return Burst(outcomes, 0.0)
    workers = max(1, min(threads, len(calls)))
    barrier = threading.Barrier(workers)
    next_call = itertools.count()
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=timeout)
        except threading.BrokenBarrierError:
            pass  # still run: a broken barrier only loses the simultaneous start
        while True:
            with lock:
                i = next(next_call)
            if i >= len(calls):
                return
            outcome = outcomes[i]
            outcome.thread = threading.current_thread().name
            outcome.started = time.monotonic()
            try:
                outcome.result = fn(*outcome.args)
            except BaseException as exc:  # noqa: BLE001 - reported per call
                outcome.exception = exc
                outcome.traceback = traceback.format_exc()
            outcome.finished = time.monotonic()

    pool = [threading.Thread(target=worker, name=f"racelab-{k}", daemon=True)
            for k in range(workers)]
    begin = time.monotonic()
    for thread in pool:
        thread.start()
    deadline = begin + timeout
    for thread in pool:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    for outcome in outcomes:
        if outcome.finished == 0 and outcome.exception is None:
            outcome.exception = TimeoutError(f"call {outcome.index} did not finish in {timeout}s")
    return Burst(outcomes, time.monotonic() - begin)


# -- forcing an interleaving from the outside ---------------------------------------------------


class ReadGate:
    """Hold the first ``parties`` reads until all of them have returned from DynamoDB.

    Register on a boto3 (default) session *before* the code under test creates its clients::

        gate = ReadGate(parties=2)
        gate.install(boto3.DEFAULT_SESSION, "GetItem")

    Each of the first ``parties`` ``GetItem`` calls, after DynamoDB has answered it, waits until the
    others have been answered too; so every one of those readers has read before any of them can
    write. Later reads (a retry after a failed conditional write, say) pass straight through, so a
    fixed version of the code is not deadlocked. If the parties do not all arrive within
    ``timeout`` the gate breaks open and ``broken`` is set: the interleaving was not forced.
    """

    def __init__(self, parties: int = 2, timeout: float = 10.0) -> None:
        self.parties = parties
        self.timeout = timeout
        self.barrier = threading.Barrier(parties)
        self.seen = 0
        self.held = 0
        self.broken = False
        self._lock = threading.Lock()

    def install(self, session: Any, operation: str = "GetItem", service: str = "dynamodb") -> None:
        events = getattr(session, "events", None) or session.get_component("event_emitter")
        events.register(f"after-call.{service}.{operation}", self._after_read,
                        unique_id=f"racelab-read-gate-{id(self)}")

    def _after_read(self, **_: Any) -> None:
        with self._lock:
            self.seen += 1
            hold = self.seen <= self.parties
            if hold:
                self.held += 1
        if not hold:
            return
        try:
            self.barrier.wait(timeout=self.timeout)
        except threading.BrokenBarrierError:
            self.broken = True




# -- metric lines -------------------------------------------------------------------------------

METRIC_LINES: list[str] = []


def report(scenario: str, variant: str, metrics: dict[str, Any], keys: Sequence[str]) -> str:
    """Print one line ``racelab <scenario> [<variant>] k=v ...`` and keep it for the session summary."""
    line = f"racelab {scenario} [{variant}] " + " ".join(f"{k}={metrics[k]}" for k in keys)
    print(line)
    METRIC_LINES.append(line)
    return line


__all__ = ["ApiRequest", "Burst", "CallOutcome", "METRIC_LINES", "PaidApi", "ReadGate",
           "copy_project", "load_module", "report", "run_concurrently", "unload"]
