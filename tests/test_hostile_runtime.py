"""Hostile runtime conditions: dynolint killed or stopped mid-run leaves no worker behind
and no half-written report. (Processes and trees are generated in temporary folders.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc") or sys.platform == "win32",
                                reason="finds processes through /proc")

MODULE = '''
import boto3

table = boto3.resource("dynamodb").Table("t{n}")


def handler{n}_{k}(event, context):
    item = table.get_item(Key={{"pk": event["id"]}}).get("Item")
    if item is None:
        table.put_item(Item={{"pk": event["id"], "n": {k}, "data": [{values}]}})
    return {{"status": 200, "body": str(item)}}
'''


def busy_project(root: Path, files: int = 60, functions: int = 20) -> Path:
    """A project large enough that its workers are busy for a few seconds."""
    values = ", ".join(str(i) for i in range(40))
    for n in range(files):
        body = "".join(MODULE.format(n=n, k=k, values=values) for k in range(functions))
        (root / f"mod{n}.py").write_text(body)
    return root


def marked(marker: str) -> dict[int, str]:
    """Live processes (pid -> state) whose environment holds ``marker``; zombies are dead."""
    found: dict[int, str] = {}
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle not in handle.read():
                    continue
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0].decode()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z":
            found[int(entry)] = state
    return found


@pytest.fixture
def marker() -> Iterator[str]:
    """A value for DYNOLINT_TEST_MARKER; a process left with it when the test ends (it
    failed) is killed, so that a failure does not leave orphans behind."""
    value = uuid.uuid4().hex
    yield value
    for pid in marked(value):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# Start a command as a shell starts a foreground job: SIGINT and SIGTERM at their default
# action and not blocked, then exec it (same process). A child inherits ignored signals and the
# blocked-signal mask of the thread that starts it; in the full suite the pytest worker's state
# is whatever earlier tests left, and a dynolint that inherits SIGINT ignored keeps it so (as
# under nohup) and finishes its run: this test failed now and then with exit status 1 and
# nothing on stderr.
AS_A_SHELL_STARTS_IT = (
    "import os, signal, sys\n"
    "for signum in (signal.SIGINT, signal.SIGTERM):\n"
    "    signal.signal(signum, signal.SIG_DFL)\n"
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def start_mid_run(tmp_path: Path, marker: str, *args: str) -> tuple[subprocess.Popen[bytes], set[int]]:
    """dynolint on a busy project, once its worker processes are running."""
    busy_project(tmp_path)
    env = {**os.environ, "DYNOLINT_TEST_MARKER": marker}
    command = [sys.executable, "-m", "dynolint", "check", "--no-cache", "--jobs", "2", "--output-format", "json",
               *args, "."]
    proc = subprocess.Popen([sys.executable, "-c", AS_A_SHELL_STARTS_IT, *command],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = set(marked(marker)) - {proc.pid}
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None and workers, "the run ended before its workers could be seen"
    return proc, workers


def gone_within(marker: str, seconds: float) -> dict[int, str]:
    deadline = time.monotonic() + seconds
    left = marked(marker)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = marked(marker)
    return left


def test_kill_9_of_dynolint_mid_run_leaves_no_worker(tmp_path: Path, marker: str) -> None:
    proc, workers = start_mid_run(tmp_path, marker)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert gone_within(marker, 5) == {}, f"workers {workers} outlived their parent"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_term_or_int_mid_run_stops_cleanly(tmp_path: Path, signum: int, marker: str) -> None:
    proc, workers = start_mid_run(tmp_path, marker)
    os.kill(proc.pid, signum)
    out, err = proc.communicate(timeout=30)
    # ended by the signal itself (the shell shows 128 + N): not 2, which means an error
    assert proc.returncode == -signum, (proc.returncode, err[-2000:])
    assert out == b"", "no report (and never half of one) after a stop"
    assert b"Traceback" not in err and f"stopped by {signal.Signals(signum).name}".encode() in err
    assert gone_within(marker, 5) == {}, f"workers {workers} outlived the stop"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_whole_process_group_stops_cleanly(tmp_path: Path, marker: str, signum: int) -> None:
    """A terminal sends Ctrl-C to every process of the group (``timeout`` sends TERM to it):
    the workers leave the stop to dynolint, which says so once."""
    busy_project(tmp_path)
    script = textwrap.dedent(f"""
        import os, signal, subprocess, sys, time
        proc = subprocess.Popen([sys.executable, "-m", "dynolint", "check", "--no-cache", "--jobs", "2",
                                 "--output-format", "json", "."], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={{**os.environ, "DYNOLINT_TEST_MARKER": "{marker}"}}, start_new_session=True)
        time.sleep(float(sys.argv[1]))
        os.killpg(proc.pid, {int(signum)})
        out, err = proc.communicate(timeout=60)
        try:
            whole = not out or isinstance(__import__("json").loads(out), list)
        except ValueError:
            whole = False
        print(proc.returncode, len(out), b"Traceback" in err, b"internal error" in err, err.count(b"stopped by"),
              whole)
    """)
    # late enough that workers exist (they start at once on a project this size)
    done = subprocess.run([sys.executable, "-c", script, "2.5"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    status, length, traceback, internal, stops, whole = done.stdout.split()
    assert traceback == "False" and internal == "False", done.stdout
    assert whole == "True", f"half a report: {done.stdout}"
    if int(status) == -signum:  # stopped: no report, or (the stop came while it was written) all of it
        assert stops == "1", done.stdout
    else:  # it finished first: a complete report
        assert int(status) == 1
    assert gone_within(marker, 5) == {}


def test_idle_workers_see_eof_when_the_parent_dies_without_pdeathsig(tmp_path: Path, marker: str) -> None:
    """Without PR_SET_PDEATHSIG (not Linux), a worker waiting for work ends when its pipe
    reaches EOF: no worker keeps the parent's end of its own or another worker's pipe."""
    script = textwrap.dedent("""
        import os, signal, sys
        from dynolint.engine import stopping
        from dynolint.engine.workers import WorkerPool
        stopping._prctl[:] = [None]
        pool = WorkerPool(None)
        list(pool.map(abs, list(range(-30, 0)), 3))
        print(len(pool.workers), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    with open(tmp_path / "out", "w+") as out:  # not a pipe: a leftover worker would hold it open
        done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                              text=True, env={**os.environ, "DYNOLINT_TEST_MARKER": marker}, timeout=60)
        out.seek(0)
        done.stdout = out.read()
    assert done.returncode == -signal.SIGKILL and done.stdout.strip() == "3", done.stderr
    assert gone_within(marker, 5) == {}


def test_a_stop_while_the_report_is_written_waits_for_the_whole_report(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import json, os, signal, sys
        from dynolint.engine import stopping
        stopping.install()
        with stopping.writing_report():
            os.kill(os.getpid(), signal.SIGTERM)
            sys.stdout.write(json.dumps([{"n": i} for i in range(20000)]))
            sys.stdout.flush()
        print("not reached")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGTERM
    assert len(json.loads(done.stdout)) == 20000 and "not reached" not in done.stdout


# -- output linear in a file's findings ------------------------------------------------------

def many_findings(tries: int, claims: int) -> str:
    """One function with ``tries`` read-modify-write blocks (DYN102, fix skipped: the item
    is changed in Python) and ``claims`` cache functions (DYN104, with a claim fix)."""
    lines = ["import boto3", "import requests", "", "table = boto3.resource('dynamodb').Table('t')", "",
             "def handler(event, context):"]
    for i in range(tries):
        lines += ["    try:",
                  f"        item = table.get_item(Key={{'pk': 'k{i}'}})['Item']",
                  f"        item['n{i}'] = item['n{i}'] + 1",
                  "        table.put_item(Item=item)",
                  "    except KeyError:",
                  "        pass"]
    for i in range(claims):
        lines += ["", f"def cached{i}(key):",
                  "    got = table.get_item(Key={'pk': key}).get('Item')",
                  "    if got is None:",
                  "        value = requests.get('https://example.com/' + key).json()",
                  "        table.put_item(Item={'pk': key, 'v': value})",
                  "        return value",
                  "    return got['v']"]
    return "\n".join(lines) + "\n"


def test_json_fixes_of_a_file_with_many_findings_are_linear() -> None:
    """Each write's fix used to walk its whole function (and every block of the file): 400
    writes in one function took a minute, 600 would take minutes. Only the result is
    asserted; the time is in the report of the change."""
    from dynolint.api import Options, check_source
    from dynolint.config import Config

    tries, claims = 600, 300
    result = check_source(many_findings(tries, claims), "app.py", Config(), Options(use_cache=False))
    assert not result.errors
    by_code: dict[str, list] = {}
    for finding in result.findings:
        by_code.setdefault(finding.code, []).append(finding)
    assert len(by_code["DYN102"]) == tries and len(by_code["DYN104"]) == claims
    # a counter put back whole becomes an atomic update of its own statement (fixes/putcounter.py)
    assert all(f.fix is not None and f.fix.edits for f in by_code["DYN102"])
    assert all(f.fix is not None and f.fix.edits for f in by_code["DYN104"])
    lines = many_findings(tries, claims).splitlines()
    for finding in by_code["DYN104"]:  # each fix rewrites its own function
        edit = finding.fix.edits[-1]
        assert lines[edit.line - 1].startswith(("def cached", "    "))


# -- what CPython cannot compile is DYN000, decided at CPython's own limits --------------------

RACY = '''import boto3
table = boto3.resource("dynamodb").Table("t")


def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]}).get("Item")
    if item is None:
        table.put_item(Item={"pk": event["id"], "n": 1})
'''


@pytest.mark.parametrize("expression", ["+".join(["a"] * 50_000), "a." * 20_000 + "b"])
def test_an_expression_cpython_cannot_compile_is_dyn000_at_once(tmp_path: Path, expression: str) -> None:
    source = RACY + f"x = {expression}\n"
    assert sys.getrecursionlimit() == 1000, "pytest runs at CPython's default limit"
    with pytest.raises(RecursionError):  # what ``python long.py`` does
        compile(source, "long.py", "exec")
    (tmp_path / "long.py").write_text(source)
    (tmp_path / "ok.py").write_text(RACY)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "dynolint", "check", "--no-cache", "--timeout", "600", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert "long.py:1:1: DYN000 cannot parse: too deeply nested for CPython" in proc.stdout
    assert "ok.py:8:9: DYN101" in proc.stdout and "timed out" not in proc.stderr
    assert time.monotonic() - started < 300  # not the whole --timeout


# -- any folder is checked as part of its project --------------------------------------------

STORE = '''import boto3

table = boto3.resource("dynamodb").Table("t")


def load(key):
    return table.get_item(Key={"pk": key}).get("Item")


def save(item):
    table.put_item(Item=item)
'''
API = '''from mypkg.store import load, save


def handler(event, context):
    item = load(event["id"])
    if item is None:
        save({"pk": event["id"], "n": 1})
'''


def check_json(cwd: Path, *args: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "dynolint", "check", "--no-cache", "--output-format", "json", *args],
                          cwd=cwd, capture_output=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout.decode("utf-8"))  # strict UTF-8


def located(findings: list[dict], base: str = "") -> set[tuple[str, str, int]]:
    return {(f["code"], base + f["path"], f["line"]) for f in findings}


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", ".git", "template.yaml", None])
def test_checking_a_package_folder_finds_what_checking_its_project_finds(tmp_path: Path, marker: str | None) -> None:
    """A src layout: ``from mypkg.store import ...`` must resolve whichever folder is
    checked (module names start at the project root, not at the argument), so the race
    from the handler's read to its write through two modules is found each time."""
    project = tmp_path / "proj"
    package = project / "src" / "mypkg"
    package.mkdir(parents=True)
    if marker == ".git":
        (project / ".git").mkdir()
    elif marker == "template.yaml":
        (project / marker).write_text("Resources: {}\n")
    elif marker is not None:
        (project / marker).write_text("[project]\nname = 'mypkg'\n" if marker.endswith(".toml") else "[metadata]\n")
    (package / "__init__.py").write_text("")
    (package / "store.py").write_text(STORE)
    (package / "api.py").write_text(API)
    whole = located(check_json(project, "."))
    assert whole == {("DYN101", "src/mypkg/store.py", 11)}
    for folder in ("src", "src/mypkg"):
        assert located(check_json(project, folder)) == whole, folder
    assert located(check_json(package, "."), "src/mypkg/") == whole


def test_a_file_name_that_is_not_utf8_is_valid_utf8_in_json_with_its_bytes_aside(tmp_path: Path) -> None:
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.py"), "w") as handle:
        handle.write(RACY)
    (tmp_path / "back\\slash.py").write_text(RACY)
    findings = check_json(tmp_path, ".")
    by_path = {f["path"]: f for f in findings}
    assert set(by_path) == {"caf\\xe9.py", "back\\slash.py"}
    odd = by_path["caf\\xe9.py"]
    import base64

    assert base64.b64decode(odd["path_bytes"]) == b"caf\xe9.py"
    assert os.path.exists(os.path.join(os.fsencode(tmp_path), base64.b64decode(odd["path_bytes"])))
    assert [r.get("path_bytes") for r in odd["related"]] == [odd["path_bytes"]]
    assert "path_bytes" not in by_path["back\\slash.py"]  # exact as it is: no escaping, no extra field


@pytest.mark.parametrize("inside", [".venv/lib/python3.11/site-packages", "tests/data"])
def test_a_folder_named_inside_a_skipped_one_is_still_checked(tmp_path: Path, inside: str) -> None:
    """The project root is never above a folder the walk skips by name (site-packages, .venv,
    tests): what was asked for is checked, with module names starting there."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    folder = tmp_path / inside
    (folder / "mypkg").mkdir(parents=True)
    (folder / "mypkg" / "__init__.py").write_text("")
    (folder / "mypkg" / "store.py").write_text(STORE)
    (folder / "mypkg" / "api.py").write_text(API)
    assert located(check_json(tmp_path, inside)) == {("DYN101", f"{inside}/mypkg/store.py", 11)}


# -- the time budget does not depend on machine load -------------------------------------------

def _task(item: str) -> str:
    if item == "waits":  # as a worker starved of CPU by a busy machine: wall time passes, CPU time does not
        time.sleep(1.5)
    elif item == "stalls":
        time.sleep(60)
    elif item == "spins":
        while True:
            pass
    return item


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/stat"), reason="CPU time of workers from /proc")
def test_the_parse_budget_counts_cpu_time_not_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """--timeout is CPU seconds: a task that only waits (as a worker does on a loaded
    machine) is not cut short by its budget, one that computes is; a stalled one is still
    stopped after WALL_GRACE times the budget."""
    from dynolint.engine import worker_process
    from dynolint.engine.workers import Failed, WorkerPool

    monkeypatch.setattr(worker_process, "WALL_GRACE", 5)
    started = time.monotonic()
    with WorkerPool(timeout=0.5) as pool:
        results = {index: outcome for index, outcome, _ in pool.map(_task, ["waits", "spins", "stalls", "ok"], 4)}
    assert results[0] == "waits" and results[3] == "ok"
    assert isinstance(results[1], Failed) and results[1].reason.startswith("timed out after 0.5 s")
    assert isinstance(results[2], Failed) and results[2].reason.startswith("timed out after 0.5 s")
    assert time.monotonic() - started < 30


def test_the_analysis_budget_counts_cpu_time_of_its_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The interpreter's per-function deadline is on the thread's CPU clock: wall time that
    passes while the thread waits (for a CPU, on a loaded machine) does not count."""
    from dynolint.config import Config
    from dynolint.model import interp
    from dynolint.model.analysis import build
    from dynolint.model.infra import load_infra
    from dynolint.phase1.summarize import summarize

    body = "".join(f"    v{i} = event['k']\n" for i in range(3000))
    summary = summarize("slow.py", (RACY + "\n\ndef slow(event, context):\n" + body).encode())
    wall, waits = time.monotonic, iter(range(10**9))
    # each look at the wall clock finds ten more seconds gone, spent waiting for a CPU
    monkeypatch.setattr(interp.time, "monotonic", lambda: wall() + 10.0 * next(waits))
    model = build([summary], Config(), load_infra({}, [summary]), None, timeout=30)
    assert not any("timed out" in message for _, message in model.problems)
