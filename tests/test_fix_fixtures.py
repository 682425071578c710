"""Every labelled project, fixed with --unsafe-fixes on a copy: the fixed files parse, a
second run changes nothing, the fixed races are gone, and mypy (with boto3-stubs) finds no
new error in any fixed file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES
from tests.fuzzkit import sampled

CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if (p / "expect.json").is_file()
               and p.name.startswith("race-")) + [FIXTURES / "demo", *sorted((FIXTURES / "racelab").iterdir())]
CASES = [c for c in CASES if c.is_dir()]
# every third race project under `make test`, at most 80 (each runs mypy twice), all of them under `make fuzz`;
# the demo and the race labs always
FIXED = sampled([c for c in CASES if c.name.startswith("race-")], every=3, at_most=80) + [c for c in CASES if not c.name.startswith("race-")]


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One incremental mypy cache per test worker: the stubs (boto3-stubs, typeshed) are
    analysed once, not twice per fixture (1.5 s a run without it, 0.2 s with it). mypy checks
    each cached module against its source's hash, so fixtures that share module names do not
    see each other's results."""
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(paths: list[Path], cwd: Path, cache: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--follow-imports=silent",
                           "--check-untyped-defs", "--no-error-summary", "--cache-dir", str(cache),
                           "--explicit-package-bases", *map(str, paths)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    errors = set()
    for line in proc.stdout.splitlines():
        if ": error:" in line:
            path, _, rest = line.partition(":")
            errors.add(f"{path}:{rest.split(':', 1)[1].strip()}")  # without the line number
    return errors


@pytest.mark.parametrize("case", FIXED, ids=[c.name for c in FIXED])
def test_fixed_fixture(case: Path, tmp_path: Path, mypy_cache: Path) -> None:
    original = tmp_path / "original"
    work = tmp_path / "work"
    shutil.copytree(case, original)
    shutil.copytree(case, work)
    for project in (original, work):  # the copies run mypy as this test does: fixes write for it
        (project / "mypy.ini").write_text("[mypy]\ncheck_untyped_defs = True\n")
    config = discover(work, set(KNOWN_CODES))
    report = fix_paths([work], config, Options(), unsafe=True)
    assert report.not_written == []
    again = fix_paths([work], config, Options(), unsafe=True)
    assert again.changed == []  # idempotent
    remaining = check_paths([work], config, Options()).findings
    # a fixed finding is gone (compared by file, code and function: the lines move)
    fixed_lines = {(Path(f.path).name, f.code, f.context) for f in report.applied}
    assert not {(Path(f.path).name, f.code, f.context) for f in remaining} & fixed_lines or not report.applied
    changed = [Path(path) for path, _, _ in report.changed]
    for path in changed:
        compile(path.read_bytes(), str(path), "exec")
    if changed:
        rel = [p.relative_to(work) for p in changed if (original / p.relative_to(work)).exists()]
        created = [p.relative_to(work) for p in changed if not (original / p.relative_to(work)).exists()]
        new_errors = _mypy(rel + created, work, mypy_cache) - _mypy(rel, original, mypy_cache)  # a file a fix creates (the claim helper): none
        assert new_errors == set()


def test_fix_edits_from_the_sparse_parse_equal_the_whole_file_parse(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    """JSON and SARIF fix edits are rendered from the module the worker kept from phase 1,
    or else from a parse of only the definitions that hold findings (the rest blanked line
    for line): over the race fixtures (50 of them under `make test`) and 40 generated DynamoDB-dense modules, the edits
    are the ones a parse of the whole file gives."""
    from dynolint.engine import pipeline
    from dynolint.fixes import edits as fix_edits

    dense = tmp_path / "dense"
    subprocess.run([sys.executable, str(FIXTURES.parent / "bench" / "gen_dense.py"), "--out", str(dense),
                    "--modules", "40"], check=True, capture_output=True, timeout=120)
    # the projects with labelled findings (a clean one has no edit to compare) and the dense modules
    labelled = sampled([c for c in CASES if not (c / "expect.json").is_file()
                        or json.loads((c / "expect.json").read_text())["findings"]], every=4, at_most=50)  # all under `make fuzz`
    projects = [*labelled, dense]

    def edits(way: str) -> list[tuple[str, int, str, object]]:
        if way != "kept":  # workers are forked after this: they keep nothing
            monkeypatch.setattr(pipeline, "KEEP_BYTES", 0)
        if way == "whole":
            monkeypatch.setattr(fix_edits, "sparse_source", lambda data, findings: data)
        out = []
        for project in projects:
            config = discover(project, set(KNOWN_CODES))
            for finding in check_paths([project], config, Options(use_cache=False)).findings:
                out.append((finding.path, finding.line, finding.code, finding.fix))
        monkeypatch.undo()
        return out

    whole = edits("whole")
    assert sum(1 for *_, fix in whole if fix is not None) > 40  # the comparison covers many fixes
    assert edits("sparse") == whole
    assert edits("kept") == whole


def test_sparse_source_keeps_positions_header_and_the_definitions_with_findings() -> None:
    from dataclasses import replace

    from dynolint.findings import Confidence, Finding, Severity
    from dynolint.fixes.edits import sparse_source

    data = ("# -*- coding: latin-1 -*-\nimport boto3\n\n@decorator\ndef other():\n    return 'caf\xe9'\n\n"
            "TABLE = boto3.resource('dynamodb').Table('t')\n\nclass Store:\n    def save(self):\n"
            "        TABLE.put_item(Item={})\r\n").encode("latin-1")
    finding = Finding("DYN101", "x", "f.py", 12, 9, 12, 30, "m", Severity.ERROR, Confidence.HIGH)
    sparse = sparse_source(data, [replace(finding, stmt_line=12, stmt_end_line=12)])
    before, after = data.splitlines(keepends=True), sparse.splitlines(keepends=True)
    assert len(before) == len(after)
    kept = [n for n, (a, b) in enumerate(zip(before, after), start=1) if a == b]
    assert kept == [1, 2, 3, 7, 8, 9, 10, 11, 12]  # the decorated function (4-6) is blank lines now
    assert after[3:6] == [b"\n", b"\n", b"\n"] and after[-1].endswith(b"\r\n")
    compile(sparse, "f.py", "exec")


# DYN301 (files under the temp dir): how many findings of each labelled project the fix makes,
# the rest having no fix, for the reason given (a path from an environment variable or a
# module of settings, a shell command, a file of its own such as NamedTemporaryFile(delete=False)).
TMP_CASES = {
    "tmp-forecast-model-savers": 0,  # ARTIFACTS: an environment variable defaulting to /tmp/artifacts
    "tmp-fx-rates-sqlite-shelve": 0,  # paths imported from a settings module
    "tmp-logo-fetch-curl-wget": 0,  # shell commands
    "tmp-theme-import-urlretrieve": 1,  # the f-string download; THEMES is a module-level name, read elsewhere
    "state-bank-feed-download-fileobj": 1,  # the feed downloaded, then read: both in the directory
    "state-chart-export-workdirs": 0,  # directories from a helper
    "state-outbox-spool-imported-path": 0,  # an imported path
    "state-prerender-makedirs-profile": 0,  # module-level names
    "state-site-bundle-extract": 0,
    "state-statement-pdf-shutil-copy": 0,  # a cache, by its name
    "state-video-frames-mkdtemp": 0,  # mkdtemp(): a directory of its own
    "state-watermark-pil-save": 0,
}


@pytest.mark.parametrize("name", list(TMP_CASES))
def test_fixed_tmp_fixture(name: str, tmp_path: Path, mypy_cache: Path) -> None:
    case = FIXTURES / "cases" / name
    original, work = tmp_path / "original", tmp_path / "work"
    shutil.copytree(case, original)
    shutil.copytree(case, work)
    config = discover(work, set(KNOWN_CODES))
    before = [f for f in check_paths([work], config, Options()).findings if f.code == "DYN301"]
    report = fix_paths([work], config, Options(), unsafe=True)
    assert [f.code for f in report.applied] == ["DYN301"] * TMP_CASES[name]
    assert all(reason for f, reason in report.skipped if f.code == "DYN301")
    assert fix_paths([work], config, Options(), unsafe=True).changed == []  # idempotent
    after = [f for f in check_paths([work], config, Options()).findings if f.code == "DYN301"]
    assert len(after) == len(before) - TMP_CASES[name]
    changed = [Path(path) for path, _, _ in report.changed]
    for path in changed:
        compile(path.read_bytes(), str(path), "exec")
    if changed:
        rel = [p.relative_to(work) for p in changed]
        assert _mypy(rel, work, mypy_cache) - _mypy(rel, original, mypy_cache) == set()
