"""A warm run re-analyses only the import components a change reaches (dynolint/engine/incremental.py),
and gives exactly the findings of a cold run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dynolint import api
from dynolint.cli import _load_config
from dynolint.engine.incremental import components
from tests.fuzzkit import sampled

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"

RACY = '''import boto3

from {pkg}.keys import key_of

TABLE = boto3.resource("dynamodb").Table("{pkg}")


def handler(event, context):
    item = TABLE.get_item(Key=key_of(event["id"]))["Item"]
    item["n"] = item["n"] + 1
    TABLE.put_item(Item=item)
'''
KEYS = '''def key_of(value):
    return {{"pk": "{pkg}#" + value}}
'''


def monorepo(root: Path, count: int, handler: str = RACY, keys: str = KEYS) -> None:
    """``count`` sub-projects under ``root/services``, each a package of its own whose handler
    (``handler``, formatted with its package's name) imports its key helper (``keys``)."""
    (root / "pyproject.toml").write_text("[project]\nname = 'mono'\n")
    for number in range(count):
        package = root / "services" / f"svc{number}" / f"pkg{number}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "handler.py").write_text(handler.format(pkg=f"pkg{number}"))
        (package / "keys.py").write_text(keys.format(pkg=f"pkg{number}"))


def _check(root: Path, use_cache: bool) -> list[tuple[str, str, int, str]]:
    result = api.check_paths([root], _load_config(None, [root]),
                             api.Options(jobs=1, use_cache=use_cache, want_fixes=False))
    assert not result.errors
    return sorted((f.code, f.path, f.line, f.message) for f in result.findings)


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The files each analysis run was given."""
    calls: list[list[str]] = []
    real = api._run

    def recording(sources, *args, **kwargs):
        calls.append(sorted(sources))
        return real(sources, *args, **kwargs)

    monkeypatch.setattr(api, "_run", recording)
    return calls


def test_components_follow_imports_both_ways() -> None:
    sources = {
        "a/app.py": b"from a import util\n", "a/util.py": b"X = 1\n", "a/__init__.py": b"",
        "b/main.py": b"import b.lib\n", "b/lib.py": b"", "b/__init__.py": b"",
        "c.py": b"print(1)\n",
    }
    groups = components(sources)
    assert sorted(map(sorted, groups)) == [["a/__init__.py", "a/app.py", "a/util.py"],
                                           ["b/__init__.py", "b/lib.py", "b/main.py"], ["c.py"]]


def test_cdk_code_makes_one_component() -> None:
    sources = {"app.py": b"import aws_cdk\n", "x/h.py": b"", "y/h.py": b""}
    assert components(sources) == [["app.py", "x/h.py", "y/h.py"]]


def test_touching_one_file_reanalyses_its_component_only(tmp_path: Path, analysed: list[list[str]]) -> None:
    monorepo(tmp_path, 4)
    cold = _check(tmp_path, use_cache=True)
    assert len([f for f in cold if f[0] in ("DYN101", "DYN102")]) == 4
    assert len(analysed) == 1 and len(analysed[0]) == 12
    touched = tmp_path / "services" / "svc2" / "pkg2" / "keys.py"
    touched.write_text(touched.read_text() + "# touched\n")
    analysed.clear()
    warm = _check(tmp_path, use_cache=True)
    assert analysed == [["services/svc2/pkg2/__init__.py", "services/svc2/pkg2/handler.py",
                         "services/svc2/pkg2/keys.py"]]
    assert warm == cold == _check(tmp_path, use_cache=False)
    analysed.clear()
    assert _check(tmp_path, use_cache=True) == cold and analysed == []  # nothing changed: nothing runs


def test_a_change_that_fixes_a_race_is_seen(tmp_path: Path) -> None:
    monorepo(tmp_path, 3)
    before = _check(tmp_path, use_cache=True)
    handler = tmp_path / "services" / "svc1" / "pkg1" / "handler.py"
    handler.write_text(handler.read_text().replace('TABLE.put_item(Item=item)',
                                                   'TABLE.put_item(Item=item, ConditionExpression="n = :n")'))
    after = _check(tmp_path, use_cache=True)
    assert len(after) == len(before) - 1
    assert after == _check(tmp_path, use_cache=False)


def test_a_broken_template_is_reported_on_warm_runs(tmp_path: Path) -> None:
    monorepo(tmp_path, 2)
    (tmp_path / "template.yaml").write_text("Resources: [unclosed\n")
    cold = _check(tmp_path, use_cache=True)
    assert any(f[1].endswith("template.yaml") for f in cold)
    handler = tmp_path / "services" / "svc0" / "pkg0" / "keys.py"
    handler.write_text(handler.read_text() + "\n")
    assert _check(tmp_path, use_cache=True) == cold


CASES = sorted(p for p in FIXTURES.iterdir() if (p / "expect.json").is_file()) if FIXTURES.is_dir() else []


@pytest.mark.parametrize("case", sampled(CASES, every=9, at_most=80), ids=lambda p: p.name)
def test_fixture_findings_equal_cold_and_component_warm(case: Path, tmp_path: Path) -> None:
    """Each fixture project: a run by components (each file touched in turn, the others from
    the cache) gives the findings of a run without the cache."""
    copy = tmp_path / case.name
    shutil.copytree(case, copy)
    expected = _check(copy, use_cache=False)
    _check(copy, use_cache=True)
    for path in sorted(copy.rglob("*.py"))[:3]:
        path.write_bytes(path.read_bytes() + b"\n# touched\n")
        assert _check(copy, use_cache=True) == expected, path
        path.write_bytes(path.read_bytes()[:-len(b"\n# touched\n")])


def _reported(root: Path, report_for: frozenset[str] | None) -> list[tuple[str, str, int, str]]:
    """What ``check --project ROOT PATHS`` reports (findings in PATHS or related to one)."""
    result = api.check_paths([root], _load_config(None, [root]),
                             api.Options(jobs=1, want_fixes=False, report_for=report_for))
    assert not result.errors
    return sorted((f.code, f.path, f.line, f.message) for f in result.findings
                  if report_for is None or f.path in report_for or any(r.path in report_for for r in f.related))


def test_a_run_reporting_on_some_files_analyses_only_their_components(tmp_path: Path,
                                                                        analysed: list[list[str]]) -> None:
    """``check --project . PATHS`` (the pre-commit hook) needs only the components of PATHS: it
    reports what the whole run reports for them, and leaves the whole-run cache alone."""
    monorepo(tmp_path, 4)
    full = _reported(tmp_path, None)
    assert len(analysed) == 1 and len(analysed[0]) == 12
    shutil.rmtree(tmp_path / ".dynolint_cache")
    analysed.clear()
    handler = next(f[1] for f in full if f[1].endswith("pkg1/handler.py"))
    keys = handler.replace("handler.py", "keys.py")
    for wanted in ({handler}, {keys}, {handler, keys}):
        assert _reported(tmp_path, frozenset(wanted)) == [f for f in full if f[1] in wanted]
    assert analysed == [["services/svc1/pkg1/__init__.py", "services/svc1/pkg1/handler.py",
                         "services/svc1/pkg1/keys.py"]]  # the first time; then from the part cache
    analysed.clear()
    assert _reported(tmp_path, None) == full  # the whole run: the other three components now
    assert len(analysed) == 1 and len(analysed[0]) == 9 and not any("svc1" in p for p in analysed[0])


def test_a_run_reporting_on_a_file_outside_the_python_sources_analyses_everything(
        tmp_path: Path, analysed: list[list[str]]) -> None:
    monorepo(tmp_path, 2)
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    shown = _reported(tmp_path, frozenset({"template.yaml", "elsewhere/x.py"}))
    assert shown == [] and len(analysed) == 1 and len(analysed[0]) == 6
