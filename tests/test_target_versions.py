"""Issue 14, class 7: Python 3.12-3.14 syntax is analysed whatever Python runs dynolint
(tests/test_python_versions.py is about the Python dynolint itself runs on). Who judges a
file's syntax (CPython's ``compile`` or LibCST's parser) depends on the version the file is
written for (``target-version``, else ``requires-python`` of the nearest pyproject.toml,
else the newest LibCST knows) and on the running CPython."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dynolint.engine import pipeline
from dynolint.phase1 import summarize as summarize_module
from dynolint.config import discover
from dynolint.errors import ConfigError
from dynolint.phase1.pyversions import TargetFinder, newest, parse_target, requires_python_minimum
from dynolint.rules import KNOWN_CODES
from dynolint.phase1.summarize import summarize
from dynolint.phase1.syntax import MAX_BRACKETS, libcst_config, may_be_newer_syntax, too_deep
from tests.conftest import findings_in, run_cli, triples, write_project

RUNNING = sys.version_info[:2]
OLD_CPYTHON = pytest.mark.skipif(RUNNING >= (3, 12), reason="this CPython knows PEP 695 and PEP 701")

# A race inside a PEP 695 generic function, whose key is a PEP 701 f-string (the same quote
# inside the replacement field): DYN101 on the put_item, line 9.
GENERIC_RACE = '''import boto3

table = boto3.resource("dynamodb").Table("accounts")


def close[E: dict](event: E, context) -> None:
    account = table.get_item(Key={"pk": f"acct#{event["id"]}"}).get("Item")
    if account and account["status"] == "OPEN":
        table.put_item(Item={"pk": f"acct#{event["id"]}", "status": "CLOSED"})
'''

PEP_701 = 'x = f"{d["a"]}"\n'

# The same in an update_item, which has an automatic (unsafe) fix: a condition on the status read.
FIXABLE_RACE = '''import boto3

table = boto3.resource("dynamodb").Table("orders")


def ship[E: dict](event: E, context) -> None:
    order = table.get_item(Key={"pk": f"order#{event["id"]}"}).get("Item")
    if order and order["status"] == "PACKED":
        table.update_item(
            Key={"pk": f"order#{event["id"]}"},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": "SHIPPED"},
        )
'''


# -- the target version ----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("py37", (3, 7)), ("py310", (3, 10)), ("py312", (3, 12)), ("py314", (3, 14)),
    ("py36", None), ("py3", None), ("3.12", None), ("py399", None), ("PY312", None), (312, None),
])
def test_target_version_is_spelled_as_ruff_spells_it(value: object, expected: tuple[int, int] | None) -> None:
    assert parse_target(value) == expected


@pytest.mark.parametrize(("spec", "expected"), [
    (">=3.12", (3, 12)), ("~=3.12", (3, 12)), (">=3.9, <4", (3, 9)), ("==3.12.*", (3, 12)),
    (">3.11", (3, 11)), ("<4", None), ("", None), (None, None), (">=3.10,!=3.11.0", (3, 10)),
])
def test_requires_python_gives_its_lower_bound(spec: object, expected: tuple[int, int] | None) -> None:
    assert requires_python_minimum(spec) == expected


def test_target_version_setting_is_validated(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dynolint]\ntarget-version = "py312"\n')
    assert discover(tmp_path, set(KNOWN_CODES)).target_version == (3, 12)
    (tmp_path / "pyproject.toml").write_text('[tool.dynolint]\ntarget-version = "3.12"\n')
    with pytest.raises(ConfigError) as error:
        discover(tmp_path, set(KNOWN_CODES))
    assert error.value.key == "tool.dynolint.target-version" and "py37" in error.value.problem


def test_nearest_requires_python_wins_and_configured_target_beats_it(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "pyproject.toml": '[project]\nname = "mono"\nrequires-python = ">=3.10"\n',
        "svc/a.py": "", "svc/deep/b.py": "",
        "svc/pyproject.toml": '[project]\nname = "svc"\nrequires-python = ">=3.12"\n',
        "tool/pyproject.toml": '[project]\nname = "tool"\n',  # no requires-python: the parent's
        "tool/c.py": "",
        "broken/pyproject.toml": "[project\n",  # not our file: ignored, not an error
        "broken/d.py": "",
    })
    finder = TargetFinder(tmp_path)
    assert finder.targets(["svc/a.py", "svc/deep/b.py", "tool/c.py", "broken/d.py", "svc/given-as-text.py"]) == {
        "svc/a.py": (3, 12), "svc/deep/b.py": (3, 12), "tool/c.py": (3, 10), "broken/d.py": (3, 10),
        "svc/given-as-text.py": (3, 12),  # placed where its path says, as ruff's --stdin-filename
    }
    assert TargetFinder(tmp_path, (3, 13)).target("svc/a.py") == (3, 13)


def test_libcst_is_configured_for_the_target_clamped_to_what_it_knows() -> None:
    assert libcst_config((3, 12)).python_version == "3.12"  # type: ignore[attr-defined]
    assert libcst_config((3, 99)).python_version == "{}.{}".format(*newest())  # type: ignore[attr-defined]


# -- the oracle's decisions ------------------------------------------------------------------

def test_cpython_judges_when_it_is_as_new_as_the_target() -> None:
    error = SyntaxError("invalid syntax")
    assert not may_be_newer_syntax(b"x = = 1\n", error, (3, 12), now=(3, 12))
    assert not may_be_newer_syntax(b"x = = 1\n", error, (3, 11), now=(3, 13))
    assert may_be_newer_syntax(b"x = = 1\n", error, (3, 12), now=(3, 11))


@pytest.mark.parametrize("error", [
    IndentationError("unexpected indent"), TabError("inconsistent use of tabs"), MemoryError(), RecursionError(),
    SyntaxError("too many nested parentheses"), SyntaxError("(unicode error) 'unicodeescape' codec can't decode"),
    SyntaxError("bytes can only contain ASCII literal characters"), ValueError("source code cannot contain null bytes"),
    SyntaxError("encoding problem: utf-8"),
], ids=lambda e: f"{type(e).__name__}:{e}"[:40])
def test_errors_no_python_version_changes_stay_cpythons(error: Exception) -> None:
    assert not may_be_newer_syntax(b"x = = 1\n", error, (3, 14), now=(3, 10))


def test_errors_found_after_parsing_stay_cpythons() -> None:
    # ast.parse accepts it: the error is the compiler's, the same in every version
    assert not may_be_newer_syntax(b"return 1\n", SyntaxError("'return' outside function"), (3, 14), now=(3, 10))


def test_nesting_libcst_cannot_survive_keeps_cpythons_verdict() -> None:
    assert too_deep(("x = " + "(" * (MAX_BRACKETS + 1) + "1" + ")" * (MAX_BRACKETS + 1) + "\n").encode())
    assert too_deep(("x = " + "not " * 1500 + "1\n").encode())
    assert not too_deep(("x = " + "(" * 50 + "1" + ")" * 50 + "\n").encode())
    assert not too_deep((PEP_701 * 300 + GENERIC_RACE).encode())  # newer f-strings still balance
    deep = PEP_701 + "y = " + "(" * 1500 + "1" + ")" * 1500 + "\n"
    assert not may_be_newer_syntax(deep.encode(), SyntaxError("invalid syntax"), (3, 14), now=(3, 10))


def test_newer_syntax_is_analysed_without_a_configured_target() -> None:
    summary = summarize("h.py", GENERIC_RACE.encode())
    assert summary.error is None and summary.problem is None
    assert [f.name for f in summary.functions] == ["close"]


def test_a_real_error_after_newer_syntax_is_dyn000_at_the_real_error() -> None:
    summary = summarize("h.py", (PEP_701 + "def f[T](x: T):\n    return x\nprint 'x'\n").encode())
    assert summary.error is not None and summary.error_span is not None
    assert summary.error_span.line == 4


def test_deep_nesting_behind_newer_syntax_never_reaches_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("LibCST must not parse this file")

    monkeypatch.setattr(summarize_module, "parse", refuse)
    source = PEP_701 + "y = " + "(" * 1500 + "1" + ")" * 1500 + "\n"
    assert summarize("deep.py", source.encode()).error is not None


@OLD_CPYTHON
def test_newer_syntax_is_dyn000_when_the_target_is_this_cpython() -> None:
    summary = summarize("h.py", GENERIC_RACE.encode(), target=RUNNING)
    assert summary.error is not None


def test_a_crashed_worker_is_no_dyn000_when_cpython_cannot_judge() -> None:
    summary = pipeline._failed("h.py", GENERIC_RACE.encode(), "the parser crashed", None)
    assert summary.error is None and summary.problem == "the parser crashed"
    deep = ("y = " + "(" * 1500 + "1" + ")" * 1500 + "\n").encode()
    broken = pipeline._failed("b.py", deep, "the parser crashed", None)
    assert broken.error is not None and "nested" in broken.error  # this verdict holds in every version


# -- whole runs ------------------------------------------------------------------------------

def test_race_in_generic_function_with_pep701_key_is_found(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.12"\n',
                             "h.py": GENERIC_RACE})
    assert triples(findings_in(tmp_path)) == {("h.py", 9, "DYN101")}


def test_type_statement_binds_its_name(tmp_path: Path) -> None:
    # the module-level name is rebound by the type statement: no longer the table
    source = GENERIC_RACE.replace("def close", "type table = dict[str, str]\n\n\ndef close")
    write_project(tmp_path, {"dynolint.toml": 'target-version = "py312"\n', "h.py": source})
    assert triples(findings_in(tmp_path)) == set()


def test_changing_requires_python_is_seen_through_the_caches(tmp_path: Path) -> None:
    write_project(tmp_path, {"pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.10"\n',
                             "h.py": GENERIC_RACE})
    first = triples(findings_in(tmp_path))  # cached summaries and results
    assert first == {("h.py", 6, "DYN000")}  # PEP 695 is no Python 3.10, whichever CPython accepts it
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "a"\nrequires-python = ">=3.12"\n')
    assert triples(findings_in(tmp_path)) == {("h.py", 9, "DYN101")}


def test_fix_in_newer_syntax_is_checked_or_refused_never_unchecked(tmp_path: Path) -> None:
    write_project(tmp_path, {"dynolint.toml": 'target-version = "py312"\n', "h.py": FIXABLE_RACE})
    proc = run_cli("fix", "--unsafe-fixes", "--no-cache", ".", cwd=tmp_path)
    after = (tmp_path / "h.py").read_text()
    if RUNNING >= (3, 12):  # CPython can compare the syntax trees: the guard goes in
        assert "ConditionExpression" in after
        compile(after, "h.py", "exec")
    else:
        assert after == FIXABLE_RACE
        assert "syntax Python" in proc.stdout + proc.stderr and "nothing was changed" in proc.stdout + proc.stderr
