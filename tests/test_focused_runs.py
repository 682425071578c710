"""A run that reports on a few files (the pre-commit hook, ``check --project . FILE``)
interprets only the analysis roots that can reach them (dynolint/model/footprint.py, chosen by
dynolint/engine/incremental.py from the footprints a whole run recorded), and reports what the
whole run reports for those files."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest

from dynolint import api
from dynolint.cli import _load_config
from dynolint.engine import incremental
from dynolint.findings import Finding
from dynolint.model.footprint import Focus, Footprint, select
from fuzzkit import sampled

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
BENCH = Path(__file__).resolve().parent.parent / "bench"
CASES = sorted(p for p in FIXTURES.iterdir()
               if (p / "expect.json").is_file() and len(list(p.rglob("*.py"))) >= 2) if FIXTURES.is_dir() else []
TOUCH = b"\n# touched\n"


@pytest.fixture
def foci(monkeypatch: pytest.MonkeyPatch) -> list[Focus | None]:
    """The focus each run reporting on some files chose (None: it ran every root), when the
    map it was given knew roots of the files analysed (a project whose files start no
    analysis has nothing to focus on) and no root that declares infrastructure ran a file
    changed since the map was recorded (a change to CDK code may change the findings of any
    function)."""
    chosen: list[Focus | None] = []
    real = incremental.focused

    def spy(entry: object, sources: dict[str, bytes], run_sources: dict[str, bytes],
            shown: frozenset[str]) -> Focus | None:
        focus = real(entry, sources, run_sources, shown)
        found = incremental._footprint_map(entry)
        if found is None:
            return focus
        changed = shown | {path for path, data in sources.items() if found[0].get(path) != incremental._digest(data)}
        if any(key[0] in run_sources for key in found[1]) and not any(
                declares and changed & set(paths) for paths, _, declares in found[1].values()):
            chosen.append(focus)
        return focus

    monkeypatch.setattr(incremental, "focused", spy)
    return chosen


def _gen_connected() -> Any:
    """bench/gen_connected.py, loaded by its path (bench/ on sys.path would shadow other
    folders' modules for the rest of the worker: bench/run.py is not ecosystem/run.py)."""
    spec = importlib.util.spec_from_file_location("gen_connected", BENCH / "gen_connected.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(report_for: frozenset[str] | None) -> list[Finding]:
    root = Path(".")
    result = api.check_paths([root], _load_config(None, [root]),
                             api.Options(jobs=1, want_fixes=False, report_for=report_for))
    assert not result.errors
    return result.findings


def _about(findings: list[Finding], path: str) -> tuple[set[Finding], set[Finding]]:
    """The findings in ``path``, and those elsewhere with a related location in it."""
    inside = {f for f in findings if f.path == path}
    return inside, {f for f in findings if f.path != path and any(r.path == path for r in f.related)}


def _same_finding(finding: Finding) -> tuple[object, ...]:
    return finding.code, finding.path, finding.line, finding.column, finding.message


def _agree(whole: list[Finding], focused: list[Finding], path: str) -> None:
    """What the focused run reports for ``path`` is what the whole run reports: the findings
    in it exactly; a finding elsewhere related to it as well, except at a write several roots
    reach (a shared helper's): the whole run reports the first root's race there, through a
    call chain that may not pass through ``path``, and the focused run may report the race of
    the first root it ran, through ``path``. The whole run flags that write too."""
    whole_in, whole_related = _about(whole, path)
    focused_in, focused_related = _about(focused, path)
    assert focused_in == whole_in, path
    assert whole_related <= focused_related, path
    flagged = {(f.path, f.line) for f in whole}
    assert all((f.path, f.line) in flagged for f in focused_related - whole_related), path


@pytest.mark.parametrize("case", sampled(CASES, every=10), ids=lambda p: p.name)
def test_a_focused_run_reports_what_the_whole_run_reports(case: Path, tmp_path: Path, foci: list[Focus | None],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each multi-file fixture project: every file touched in turn and reported on alone,
    with only the roots its footprint map selects (never a whole run, however small)."""
    copy = tmp_path / case.name
    shutil.copytree(case, copy, ignore=shutil.ignore_patterns(".dynolint_cache"))
    monkeypatch.chdir(copy)
    monkeypatch.setattr(incremental, "WHOLE_RUN_SHARE", 2.0)
    whole = _run(None)  # records the footprints
    for file in sorted(Path(".").rglob("*.py"))[:4]:
        shown = file.as_posix()
        data = file.read_bytes()
        file.write_bytes(data + TOUCH)
        foci.clear()
        focused = _run(frozenset({shown}))
        file.write_bytes(data)
        assert not foci or foci[-1] is not None, shown  # the focused path ran (when there were roots)
        _agree(whole, focused, shown)


def test_the_hook_on_connected_code_runs_a_few_roots(tmp_path: Path, foci: list[Focus | None],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """On generated connected code (bench/gen_connected.py), touching one service and reporting
    on it runs a small share of the roots and reports what the whole run reports for it."""
    for rel, text in _gen_connected().build(domains=8, copies=1, seed=7).items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    monkeypatch.chdir(tmp_path)
    whole = _run(None)
    services = sorted(p.as_posix() for p in Path(".").rglob("service.py"))
    for shown in services[:: max(1, len(services) // 3)]:
        file = Path(shown)
        data = file.read_bytes()
        file.write_bytes(data + TOUCH)
        foci.clear()
        focused = _run(frozenset({shown}))
        file.write_bytes(data)
        focus = foci[-1]
        assert focus is not None and len(focus.selected) * 4 < len(focus.known), shown
        _agree(whole, focused, shown)


def test_a_change_to_another_file_since_the_map_was_recorded_is_followed(tmp_path: Path, foci: list[Focus | None],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed since the whole run (not the one reported on) counts as changed: the
    roots that ran its code run, so a new call into the reported file from it is seen."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(incremental, "WHOLE_RUN_SHARE", 2.0)
    Path("store.py").write_text(
        "import boto3\n\nTABLE = boto3.resource('dynamodb').Table('t')\n\n\n"
        "def load(key):\n    return TABLE.get_item(Key={'pk': key})['Item']\n\n\n"
        "def save(item):\n    TABLE.put_item(Item=item)\n")
    Path("api.py").write_text("from store import load\n\n\ndef show(event, context):\n    return load(event['id'])\n")
    for number in range(6):
        Path(f"other{number}.py").write_text(f"from store import load\n\n\ndef f{number}(k):\n    return load(k)\n")
    assert not _run(None)
    Path("api.py").write_text(
        "from store import load, save\n\n\ndef show(event, context):\n"
        "    item = load(event['id'])\n    item['n'] += 1\n    save(item)\n")
    Path("store.py").write_bytes(Path("store.py").read_bytes() + TOUCH)
    foci.clear()
    found = _run(frozenset({"store.py"}))
    assert foci[-1] is not None
    assert [(f.code, f.path) for f in found if f.path == "store.py"] == [("DYN102", "store.py")]


def test_a_root_that_sets_up_shared_state_runs_before_its_readers(tmp_path: Path, foci: list[Focus | None],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A root that stores a table on an object made at import runs before the root that
    reads it there (roots run in order over one heap): reporting on the reader's file runs
    the writer too, or the reader would see no table and its race would be lost."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(incremental, "WHOLE_RUN_SHARE", 2.0)
    Path("registry.py").write_text("class Registry:\n    table = None\n\n\nREG = Registry()\n")
    Path("a_setup.py").write_text(
        "import boto3\n\nfrom registry import REG\n\n\n"
        "def configure():\n    REG.table = boto3.resource('dynamodb').Table('t')\n")
    Path("orders.py").write_text(
        "from registry import REG\n\n\ndef handler(event, context):\n"
        "    item = REG.table.get_item(Key={'pk': event['id']})['Item']\n"
        "    item['status'] = 'PAID'\n    REG.table.put_item(Item=item)\n")
    for number in range(4):
        Path(f"other{number}.py").write_text(f"def f{number}(k):\n    return k\n")
    whole = _run(None)
    assert [(f.code, f.path) for f in whole] == [("DYN101", "orders.py")]
    Path("orders.py").write_bytes(Path("orders.py").read_bytes() + TOUCH)
    foci.clear()
    found = _run(frozenset({"orders.py"}))
    focus = foci[-1]
    assert focus is not None and ("a_setup.py", "configure", "") in focus.selected
    assert [(f.code, f.path) for f in found] == [("DYN101", "orders.py")]


def test_select_closes_over_what_the_roots_read() -> None:
    a, b, c, d = (("m.py", name, "") for name in "abcd")
    known = {a: Footprint(frozenset({"m.py", "x.py"}), frozenset({b})),
             b: Footprint(frozenset({"m.py"}), frozenset({c})),
             c: Footprint(frozenset({"m.py"}), frozenset()),
             d: Footprint(frozenset({"m.py", "y.py"}), frozenset())}
    focus = select(known, frozenset({"x.py"}))
    assert focus.selected == {a, b, c} and focus.modules == {"m.py", "x.py"}
    assert focus.runs(("n.py", "new", "")) and not focus.runs(d)


def test_the_language_server_reports_on_the_open_files_with_a_focused_run(tmp_path: Path, foci: list[Focus | None],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The language server publishes the open files' findings only, so an edit runs focused
    once a whole run has recorded the map: the open file's findings are the whole run's."""
    from dynolint.server.analysis import Buffer, analyse

    for rel, text in _gen_connected().build(domains=8, copies=1, seed=7).items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    monkeypatch.chdir(tmp_path)
    whole = _run(None)
    opened = Path(sorted(f.path for f in whole)[len(whole) // 2])  # a file with findings
    uri, where = opened.resolve().as_uri(), str(opened.resolve())
    analyse([Buffer(uri, where, 1, opened.read_text())], [str(tmp_path)])  # the first analysis records the map
    assert foci == []
    [outcome] = analyse([Buffer(uri, where, 2, opened.read_text() + "\n# edited, not saved\n")], [str(tmp_path)])
    focus = foci[-1]
    assert focus is not None and len(focus.selected) * 4 < len(focus.known)
    published = sorted((f.code, f.line, f.message) for f in outcome.findings.get(str(opened.resolve()), []))
    assert published and published == sorted((f.code, f.line, f.message) for f in whole if f.path == opened.as_posix())
