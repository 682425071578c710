"""Pathological code and internal failures: the run survives, reports what happened, and
the exit status says so. (Odd bytes and paths: test_hardening_inputs/paths.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import libcst as cst
import pytest

from dynolint.api import Options, check_source
from dynolint.config import Config
from dynolint.fixes import engine
from dynolint.fixes.engine import fix_source, tree_check
from dynolint.model.analysis import build
from dynolint.model.infra import load_infra
from dynolint.phase1.summarize import summarize
from dynolint.engine.deep import run_deep
from dynolint.engine.workers import Failed, WorkerPool

HANDLE = 'import boto3\ntable = boto3.resource("dynamodb").Table("t")\n'
RACY = '''
def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]}).get("Item")
    if item is None:
        table.put_item(Item={"pk": event["id"], "n": 1})
'''
RACY_WRITE_LINE = 7  # of HANDLE + RACY


def run_cli(tmp_path: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dynolint", "check", "--no-cache", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=timeout)


def codes(result, path: str) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return {(f.code, f.line) for f in result.findings if f.path == path}


# -- deep nesting --------------------------------------------------------------------------

def test_brackets_nested_deeper_than_cpython_allows_are_dyn000_without_calling_libcst(tmp_path: Path) -> None:
    # LibCST's native parser overflows its stack (SIGSEGV) on 1,500 nested parentheses
    (tmp_path / "deep.py").write_text(HANDLE + "x = " + "(" * 1500 + "1" + ")" * 1500 + "\n" + RACY)
    (tmp_path / "ok.py").write_text(HANDLE + RACY)
    proc = run_cli(tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "deep.py:3:" in proc.stdout and "DYN000" in proc.stdout and "nested parentheses" in proc.stdout
    assert f"ok.py:{RACY_WRITE_LINE}:9: DYN101" in proc.stdout
    assert "internal error" not in proc.stderr


def test_unary_chain_that_crashes_libcst_is_dyn000_when_cpython_rejects_it(tmp_path: Path) -> None:
    source = HANDLE + "x = " + "not " * 20000 + "1\n" + RACY
    with pytest.raises((MemoryError, RecursionError, SyntaxError)):
        compile(source, "chain.py", "exec")
    (tmp_path / "chain.py").write_text(source)
    (tmp_path / "ok.py").write_text(HANDLE + RACY)
    proc = run_cli(tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "chain.py:1:1: DYN000 cannot parse: too deeply nested" in proc.stdout
    assert "ok.py:" in proc.stdout and "DYN101" in proc.stdout


@pytest.mark.parametrize("expression", [
    " + ".join(["a"] * 1000),  # a left-nested BinaryOperation 1,000 deep
    "not " * 1000 + "a",  # unary operators 1,000 deep
    "a" + "[0]" * 1000,  # subscripts 1,000 deep
    "-" * 1000 + "a",
])
def test_expressions_nested_1000_deep_are_analysed(expression: str) -> None:
    source = HANDLE + f"def f(a):\n    return {expression}\n" + RACY
    compile(source, "deep.py", "exec")  # CPython accepts it, so it is no DYN000
    result = check_source(source, "deep.py", options=Options(use_cache=False, want_fixes=False))
    assert result.errors == []
    assert codes(result, "deep.py") == {("DYN101", RACY_WRITE_LINE + 2)}


def test_deeply_nested_value_flows_through_the_model() -> None:
    # the nesting reaches the interpreter and the key comparison, not only the parser
    key = "event['id']" + " + 'x'" * 1500
    source = HANDLE + f'''
def handler(event, context):
    key = {key}
    item = table.get_item(Key={{"pk": key}}).get("Item")
    if item is None:
        table.put_item(Item={{"pk": key, "n": 1}})
'''
    result = check_source(source, "deep.py", options=Options(use_cache=False, want_fixes=False))
    assert result.errors == []
    assert codes(result, "deep.py") == {("DYN101", 8)}


def test_a_20000_line_function_is_analysed() -> None:
    body = "".join(f"    v{i} = event['k{i}'] + {i}\n" for i in range(20_000))
    source = (HANDLE + "def handler(event, context):\n    item = table.get_item(Key={'pk': event['id']})\n"
              + body + "    table.put_item(Item={'pk': event['id'], 'n': item['Item']['n']})\n")
    result = check_source(source, "long.py", options=Options(use_cache=False, want_fixes=False))
    assert result.errors == []
    assert codes(result, "long.py") == {("DYN101", 20_005)}


# -- time budget ---------------------------------------------------------------------------

def five_megabytes() -> str:
    parts = [HANDLE]
    size = len(HANDLE)
    number = 0
    while size < 5_000_000:
        part = (f"\ndef handler_{number}(event, context):\n    key = {{'pk': event['id_{number}']}}\n"
                f"    item = table.get_item(Key=key).get('Item')\n    if item is None:\n"
                f"        table.put_item(Item={{**key, 'n': {number}}})\n")
        parts.append(part)
        size += len(part)
        number += 1
    return "".join(parts)


def test_a_5mb_module_over_the_time_budget_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "huge.py").write_text(five_megabytes())
    (tmp_path / "ok.py").write_text(HANDLE + RACY)
    # over the default max-file-size (4 MiB), which would skip it before any parse
    (tmp_path / "pyproject.toml").write_text("[tool.dynolint]\nmax-file-size = 8000000\n")
    started = time.monotonic()
    # no memory budget: its parse would go over the default one before the time budget
    proc = run_cli(tmp_path, "--timeout", "3", "--max-memory", "0", timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, (proc.stdout, proc.stderr)  # an unanalysed file is an error
    assert "huge.py: timed out after 3 s (--timeout)" in proc.stderr
    assert f"ok.py:{RACY_WRITE_LINE}:9: DYN101" in proc.stdout
    assert elapsed < 60  # LibCST alone needs about 20 s for this file: the budget cut it short


def test_phase_two_time_budget_is_per_function() -> None:
    # 2,000 statements: the deadline (checked every 256 statements) passes on the first check
    body = "".join(f"    v{i} = event['k']\n" for i in range(2000))
    source = HANDLE + "def slow(event, context):\n" + body + RACY
    summary = summarize("slow.py", source.encode())
    model = build([summary], Config(), load_infra({}, [summary]), None, timeout=1e-9)
    assert any(path == "slow.py" and "analysis of slow timed out" in message for path, message in model.problems)


def test_supervised_workers_kill_overruns_and_survive_crashes() -> None:
    def work(item: str) -> str:
        if item == "sleep":
            time.sleep(60)
        if item == "crash":
            os.kill(os.getpid(), signal.SIGKILL)  # as a segfault would, without a core dump's noise
        if item == "raise":
            raise ValueError("boom")
        return item.upper()

    items = ["a", "sleep", "b", "crash", "c", "raise", "d"]
    started = time.monotonic()
    with WorkerPool(timeout=1.0) as pool:
        results = {index: outcome for index, outcome, _ in pool.map(work, items, 2)}
    assert time.monotonic() - started < 30
    assert [results[i] for i in (0, 2, 4, 6)] == ["A", "B", "C", "D"]
    assert isinstance(results[1], Failed) and results[1].reason.startswith("timed out after 1 s")
    assert isinstance(results[3], Failed) and "SIGKILL" in results[3].reason
    assert isinstance(results[5], Failed) and "ValueError: boom" in results[5].reason


def test_run_deep_allows_deep_recursion_and_reraises() -> None:
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    assert run_deep(depth, 20_000) == 20_000
    with pytest.raises(ZeroDivisionError):
        run_deep(lambda: 1 / 0)


# -- internal errors are isolated ----------------------------------------------------------

def test_an_exception_in_a_rule_names_the_rule_and_file_and_the_rest_is_reported(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from dynolint.model.analysis import Model

    original = Model.finding

    def finding(self, code, name, loc, *args, **kwargs):  # type: ignore[no-untyped-def]
        if code == "DYN101" and loc[0] == "bad.py":
            raise KeyError("simulated bug")
        return original(self, code, name, loc, *args, **kwargs)

    monkeypatch.setattr(Model, "finding", finding)
    result = check_source(HANDLE + RACY, "good.py", extra={"bad.py": (HANDLE + RACY).encode()},
                          options=Options(use_cache=False, want_fixes=False))
    assert codes(result, "good.py") == {("DYN101", RACY_WRITE_LINE)}
    assert codes(result, "bad.py") == set()
    assert len(result.errors) == 1
    assert result.errors[0].startswith("bad.py: internal error in rule DYN101")
    assert f"at line {RACY_WRITE_LINE}" in result.errors[0] and "simulated bug" in result.errors[0]


def test_an_exception_while_interpreting_one_function_spares_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    from dynolint.model.interp import Interpreter

    original = Interpreter.exec_stmt

    def exec_stmt(self, stmt, state, frame):  # type: ignore[no-untyped-def]
        if frame.path == "bad.py" and frame.qualname == "handler":
            raise RuntimeError("simulated bug")
        return original(self, stmt, state, frame)

    monkeypatch.setattr(Interpreter, "exec_stmt", exec_stmt)
    result = check_source(HANDLE + RACY, "good.py", extra={"bad.py": (HANDLE + RACY).encode()},
                          options=Options(use_cache=False, want_fixes=False))
    assert codes(result, "good.py") == {("DYN101", RACY_WRITE_LINE)}
    assert result.errors and all(e.startswith("bad.py: internal error while analysing handler") for e in result.errors)


def test_internal_errors_make_the_exit_status_2(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(HANDLE + RACY)
    # CPython compiles 2,500 terms (4,000 are DYN000); LibCST takes 0.8 CPU seconds on an idle
    # machine, over one and a half times the budget (--timeout counts CPU seconds, so load does not
    # change it; a budget of 0.25 s also timed ok.py out now and then on the 2-core CI machine)
    (tmp_path / "huge.py").write_text(HANDLE + "x = " + " + ".join(["a"] * 2500) + "\n")
    proc = run_cli(tmp_path, "--timeout", "0.5", "--output-format", "json", timeout=120)
    assert proc.returncode == 2
    assert "huge.py" in proc.stderr and "timed out" in proc.stderr
    assert '"DYN101"' in proc.stdout  # the findings are still printed


# -- the fix engine's tree check -----------------------------------------------------------

def test_tree_check_accepts_changes_inside_the_fixed_calls_only() -> None:
    module = cst.parse_module("a = f(1)\nb = g(2)\n")
    call_f = module.body[0].body[0].value  # type: ignore[attr-defined]
    changed = call_f.with_changes(args=[*call_f.args, cst.Arg(cst.Integer("3"))])
    inside = module.deep_replace(call_f, changed)
    assert isinstance(inside, cst.Module)
    new_call = inside.body[0].body[0].value  # type: ignore[attr-defined]
    assert tree_check(module, {id(call_f)}, inside, {id(new_call)}, set()) is None
    outside = cst.parse_module(inside.code.replace("g(2)", "g(3)"))
    moved = outside.body[0].body[0].value  # type: ignore[attr-defined]
    problem = tree_check(module, {id(call_f)}, outside, {id(moved)}, set())
    assert problem is not None and "outside the calls" in problem


def test_a_fix_that_would_change_code_elsewhere_is_not_applied(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    source = '''import boto3, requests
table = boto3.resource("dynamodb").Table("cache")

def expensive(key):
    return requests.get("https://api.example.com", params={"q": key}).json()

def lookup(key):
    cached = table.get_item(Key={"k": key}).get("Item")
    if cached:
        return cached["v"]
    value = expensive(key)
    table.put_item(Item={"k": key, "v": value})
    return value
'''
    result = check_source(source, "h.py", options=Options(use_cache=False))
    fixable = [f for f in result.findings if f.fix is not None]
    assert [f.code for f in fixable] == ["DYN104"], result.findings
    assert fix_source(source.encode(), fixable).applied  # the honest fix goes through
    real = engine.imports.add_import  # the claim helper's import: a step that adds to the module

    def sabotaged(module, *args):  # type: ignore[no-untyped-def]
        updated, inserted = real(module, *args)
        body = [s for s in updated.body if not (isinstance(s, cst.FunctionDef) and s.name.value == "expensive")]
        return updated.with_changes(body=body), inserted

    monkeypatch.setattr(engine.imports, "add_import", sabotaged)
    outcome = fix_source(source.encode(), fixable)
    assert outcome.applied == [] and outcome.source == source.encode()
    assert any("outside the calls it guards" in reason for _, reason in outcome.skipped)


def test_a_log_file_opened_at_module_initialisation_outlives_every_invocation() -> None:
    # the handler opened at a cold start is written by every later invocation, whichever
    # tenant it serves (a one-shot warm-up write at import is reported too: see the rule's
    # known problems)
    from dataclasses import replace

    config = replace(Config(), multi_tenant=True)
    source = ('import logging\naudit = logging.getLogger("a")\n'
              'audit.addHandler(logging.FileHandler("/tmp/audit.log"))\n\n'
              'def handler(event, context):\n    audit.info("tenant=%s", context.tenant_id)\n')
    result = check_source(source, "app.py", config=config, options=Options(use_cache=False, want_fixes=False))
    assert codes(result, "app.py") == {("DYN301", 3)}


def _pid_and_memory(item: str) -> tuple[int, list[str]]:
    _remembered.append(item)
    return os.getpid(), list(_remembered)


_remembered: list[str] = []


def test_a_pool_keeps_its_workers_and_routes_tasks_to_the_worker_asked_for() -> None:
    """Phase 1's workers stay for the fix stage: a task sent to the worker that ran an
    earlier one finds what that task left in the worker's memory; a worker with nothing of
    its own to do takes the others' work; a killed worker is replaced and the map goes on."""
    with WorkerPool(timeout=5.0) as pool:
        first = {index: (slot, outcome) for index, outcome, slot in pool.map(_pid_and_memory, ["a", "b", "c", "d"], 2)}
        assert all(not isinstance(outcome, Failed) for _, outcome in first.values())
        slot_of = {["a", "b", "c", "d"][index]: slot for index, (slot, _) in first.items()}
        pid_of = {slot: outcome[0] for slot, outcome in first.values()}  # type: ignore[index]
        assert len(pid_of) == 2  # two workers, both used
        second = {index: (slot, outcome) for index, outcome, slot in
                  pool.map(_pid_and_memory, ["x", "y"], 2, prefer=[slot_of["a"], slot_of["b"]])}
        for index, name in enumerate(["a", "b"]):
            slot, (pid, memory) = second[index]  # type: ignore[misc]
            assert pid == pid_of[slot] and name in memory  # the same process, with its memory
        # all four tasks asked for one worker: the other one takes some of them
        third = [slot for _, _, slot in pool.map(_pid_and_memory, ["p", "q", "r", "s"], 2, prefer=[0, 0, 0, 0])]
        assert 0 in third
        results = dict((index, outcome) for index, outcome, _ in pool.map(_crash_or_echo, ["crash", "ok"], 2))
        assert isinstance(results[0], Failed) and "SIGKILL" in results[0].reason and results[1] == "ok"
    assert pool.workers == []


def test_without_fork_the_pool_runs_tasks_here_and_still_runs_meanwhile() -> None:
    """Where processes cannot be forked, the tasks run in this process, in order; what is
    to run meanwhile (the interpretation, while positions are computed) runs too."""
    pool = WorkerPool(timeout=5.0)
    pool.forked = False
    calls: list[str] = []
    results = [(index, outcome) for index, outcome, _ in
               pool.map(_crash_or_echo, ["a", "b"], 2, meanwhile=lambda: calls.append("meanwhile"))]
    assert results == [(0, "a"), (1, "b")] and calls == ["meanwhile"]
    assert pool.workers == []


def _my_cpus(item: str) -> tuple[int, frozenset[int]]:
    return os.getpid(), frozenset(os.sched_getaffinity(0))


def test_while_the_parent_interprets_it_has_a_cpu_the_workers_do_not_use() -> None:
    """``WorkerPool.apart``: inside the block the calling thread runs on one CPU and the
    workers on the others (so the workers computing positions do not slow the interpreter
    they wait for); afterwards everyone has every CPU again."""
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs and CPU affinity")
    allowed = frozenset(os.sched_getaffinity(0))
    with WorkerPool(timeout=5.0) as pool:
        before = [outcome for _, outcome, _ in pool.map(_my_cpus, ["a", "b"], 2)]
        assert {cpus for _, cpus in before} == {allowed}  # type: ignore[misc]
        pids = [worker.process.pid for worker in pool.workers if worker is not None]
        with pool.apart():
            mine = frozenset(os.sched_getaffinity(0))
            theirs = [frozenset(os.sched_getaffinity(pid)) for pid in pids]
        assert len(mine) == 1 and all(cpus == allowed - mine for cpus in theirs)
        assert frozenset(os.sched_getaffinity(0)) == allowed
        assert all(frozenset(os.sched_getaffinity(pid)) == allowed for pid in pids)
        after = [outcome for _, outcome, _ in pool.map(_my_cpus, ["c", "d"], 2)]
        assert {cpus for _, cpus in after} == {allowed}  # type: ignore[misc]


def _crash_or_echo(item: str) -> str:
    if item == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def test_a_pool_takes_items_from_a_feed_while_its_workers_work() -> None:
    """``map(..., feed=...)``: the items the feed gives (None: nothing this step) are
    appended and run, as many workers as the items known so far want (one for fewer than
    three here), a crash of one is reported and the rest go on, and ``meanwhile`` runs once."""
    calls: list[int] = []
    feed = iter([None, "a", None, "crash", "b", None, "c", "d"])
    items: list[str] = []
    with WorkerPool(timeout=30.0) as pool:
        outcomes = {index: outcome for index, outcome, _ in pool.map(
            _crash_or_echo, items, lambda known: 2 if known >= 3 else 1,
            meanwhile=lambda: calls.append(1), feed=feed)}
        workers = len(pool.workers)
    assert items == ["a", "crash", "b", "c", "d"] and calls == [1]
    assert {items[index]: outcome for index, outcome in outcomes.items() if not isinstance(outcome, Failed)} == \
        {"a": "a", "b": "b", "c": "c", "d": "d"}
    assert isinstance(outcomes[1], Failed) and "crashed" in outcomes[1].reason
    assert workers == (2 if WorkerPool(None).forked else 0)
    nothing: list[str] = []
    with WorkerPool(timeout=30.0) as pool:
        assert list(pool.map(_crash_or_echo, nothing, 2, feed=iter([None, None]))) == []
        assert pool.workers == []  # no item: no worker forked


def _pid_and_parser_loaded(item: str) -> tuple[int, bool, bool]:
    import gc

    return os.getpid(), "libcst" in sys.modules, gc.isenabled()


def test_a_spare_worker_started_early_has_the_parser_and_is_taken_by_the_first_pool() -> None:
    """``prestart`` (called as a command starts) forks a worker that imports the parser while
    the files are found; the first pool that needs a worker for a module-level function takes
    it (the same process, its cyclic collector on even where the parent's is off: the command
    line turns it off), a local function gets a fresh worker, and a dead spare is replaced."""
    import gc

    from dynolint.engine import workers

    if not workers.can_fork() or len(workers._cpus()) < 2:
        pytest.skip("no fork here (tasks run in the calling process), or no CPU beside this one for a spare")
    collecting = gc.isenabled()
    gc.disable()
    try:
        workers.prestart()
    finally:
        if collecting:
            gc.enable()
    spare = workers._spare[0]
    with WorkerPool(timeout=30.0) as pool:
        outcomes = [outcome for _, outcome, _ in pool.map(_pid_and_parser_loaded, ["a"], 1)]
    assert outcomes == [(spare.process.pid, True, True)] and workers._spare == []

    workers.prestart()
    local_spare = workers._spare[0]

    def local(item: str) -> int:
        return os.getpid()

    with WorkerPool(timeout=30.0) as pool:
        pids = [outcome for _, outcome, _ in pool.map(local, ["a"], 1)]
    assert pids != [local_spare.process.pid] and workers._spare == [local_spare]  # kept for a later pool

    local_spare.process.kill()
    local_spare.process.join()
    with WorkerPool(timeout=30.0) as pool:
        outcomes = [outcome for _, outcome, _ in pool.map(_pid_and_parser_loaded, ["a"], 1)]
    assert len(outcomes) == 1 and not isinstance(outcomes[0], Failed)
    assert outcomes[0][0] != local_spare.process.pid and workers._spare == []  # type: ignore[index]
    workers.prestart([b"print(sum(range(3)))\n"])  # nothing worth parsing: no spare
    assert workers._spare == []
    workers.prestart([b"import boto3\nt = boto3.resource('dynamodb').Table('t')\n"])
    assert len(workers._spare) == 1
    workers._spare.pop().stop()
