"""Per-function summaries (dynolint/model/summaries.py): a call into project code that records
no event is interpreted once per calling context and reused; reuse gives what running the
call again gives, and the findings are those of inlining every call."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynolint.model import summaries as summaries_mod
from dynolint.model.values import ConstV, alts
from tests.fuzzkit import sampled
from tests.modelkit import model_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"


@pytest.fixture
def no_summaries(monkeypatch: pytest.MonkeyPatch):
    """Interpret by inlining every call, as before summaries."""
    monkeypatch.setattr(summaries_mod.Summaries, "context", lambda self, *args: None)


def _returns(model, func: str) -> set[object]:
    root = next(r for r in model.interp.roots if r.func == func)
    return {alt.value for value in root.returns for alt in alts(value) if isinstance(alt, ConstV)}


def _findings(case: Path) -> list[tuple[str, str, int, int, str]]:
    from dynolint.api import Options, check_paths
    from dynolint.cli import _load_config

    result = check_paths([case], _load_config(None, [case]), Options(jobs=1, use_cache=False, want_fixes=False))
    return sorted((f.code, f.path, f.line, f.column, f.message) for f in result.findings)


# -- reuse is exact ------------------------------------------------------------------------------
def test_a_summary_is_not_reused_after_the_heap_it_read_changed() -> None:
    source = '''
class Box:
    def __init__(self):
        self.v = "a"

    def get(self):
        return self.v


def root():
    box = Box()
    first = box.get()
    box.v = "b"
    second = box.get()
    return second
'''
    model = model_of({"app.py": source})
    assert {"a", "b"} <= _returns(model, "root")
    assert model.interp.summaries.hits == 0 or "b" in _returns(model, "root")


def test_heap_writes_of_a_reused_call_are_replayed() -> None:
    source = '''
class Box:
    def __init__(self):
        self.v = "a"

    def set_b(self):
        self.v = "b"


BOX = Box()


def first():
    BOX.set_b()
    return BOX.v


def second():
    BOX.set_b()
    return BOX.v
'''
    model = model_of({"app.py": source})
    assert "b" in _returns(model, "first")
    assert "b" in _returns(model, "second")


def test_a_helper_called_from_many_roots_runs_once_per_context() -> None:
    helpers = "\n".join(f"def h{i}(x):\n    return h{i + 1}(x) + h{i + 1}(x)\n" for i in range(7))
    roots = "\n".join(f"def root{i}():\n    return h0('k')\n" for i in range(40))
    model = model_of({"app.py": helpers + "def h7(x):\n    return x\n" + roots})
    summaries = model.interp.summaries
    # without summaries every root runs 2**8 - 1 frames of helpers; with them, the chain runs once
    assert len(model.interp.frames) < 40 * 4 + 16
    assert summaries.hits >= 39


def test_a_helper_is_reused_under_path_facts_it_does_not_consult() -> None:
    # the two roots' paths hold different reads (and one an absence test) when they call
    # ``key_of``; it looks at none of that, so its one summary serves both
    source = '''
import boto3

table = boto3.resource("dynamodb").Table("t")


def key_of(name):
    return {"pk": "user#" + name}


def first():
    item = table.get_item(Key={"pk": "a"}).get("Item")
    if item is None:
        return None
    return key_of("x")


def second():
    table.get_item(Key={"pk": "b"})
    return key_of("x")
'''
    model = model_of({"app.py": source})
    assert sum(1 for f in model.interp.frames if f.func == "key_of" and f.parent >= 0) == 1
    assert model.interp.summaries.hits >= 1
    returns = {root.func: root.returns for root in model.interp.roots if root.func in ("first", "second")}
    assert any("user#" in repr(v) for v in returns["second"])


def test_a_helper_that_consults_the_path_is_run_again_where_the_path_differs() -> None:
    # ``flag`` returns a test on a path that read (its answer carries decisions) only in
    # ``first``: a summary made in ``second`` (no read) must not stand in for it
    source = '''
import boto3

table = boto3.resource("dynamodb").Table("t")


def flag(value):
    return value == "NEW"


def second():
    return flag("x")


def first():
    item = table.get_item(Key={"pk": "a"})["Item"]
    return flag("x")
'''
    model = model_of({"app.py": source})
    assert sum(1 for f in model.interp.frames if f.func == "flag" and f.parent >= 0) == 2


def test_carrying_the_path_facts_consults_none_of_them() -> None:
    from dynolint.model import state as state_mod
    from dynolint.model.state import CONSULTED, State, merge

    CONSULTED.mask = 0
    state = State({}, absent=frozenset({1}), facts=frozenset({"f"}))
    entry = state.with_env({})
    merge([entry.copy(), entry.killed(), entry])
    state.flow_from(entry)
    assert CONSULTED.mask == 0
    assert state.has_reads is False and CONSULTED.mask == state_mod.READS_ANY
    assert state.absent == frozenset({1}) and CONSULTED.mask == state_mod.READS_ANY | state_mod.ABSENT


def test_calls_with_events_are_inlined_on_each_path(monkeypatch: pytest.MonkeyPatch) -> None:
    source = '''
import boto3

table = boto3.resource("dynamodb").Table("t")


def load(key):
    return table.get_item(Key={"pk": key})["Item"]


def save(item):
    table.put_item(Item=item)


def bump(key):
    item = load(key)
    item["n"] = item["n"] + 1
    save(item)


def other(key):
    item = load(key)
    item["n"] = item["n"] + 1
    save(item)
'''
    model = model_of({"app.py": source})
    assert 12 in {model.span(r.write.loc).line for r in model.races()}
    writes = [(w.root, model.span(w.write.loc).line) for w in model.interp.writes]
    monkeypatch.setattr(summaries_mod.Summaries, "context", lambda self, *args: None)
    inlined = model_of({"app.py": source})
    assert writes == [(w.root, inlined.span(w.write.loc).line) for w in inlined.interp.writes]
    assert sum(1 for _, line in writes if line == 12) >= 3  # in save(), bump() and other()


# -- the findings are those of inlining everything ----------------------------------------------
CASES = sorted(p for p in FIXTURES.iterdir() if (p / "expect.json").is_file()) if FIXTURES.is_dir() else []


@pytest.mark.parametrize("case", sampled(CASES, every=5, at_most=100), ids=lambda p: p.name)
def test_findings_equal_with_and_without_summaries(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_summaries = _findings(case)
    monkeypatch.setattr(summaries_mod.Summaries, "context", lambda self, *args: None)
    assert _findings(case) == with_summaries
