"""Safe means safe: the text report marks ``[*]`` exactly the findings that ``dynolint check
--fix`` (without ``--unsafe-fixes``) fixes, says how many more ``--unsafe-fixes`` would fix, and a
fix that can raise, refuse or answer where the code did not is never safe."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.reporters.text import fixable_now
from tests.fuzzkit import sampled
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES, run_cli

SAFETY = FIXTURES / "cases" / "race-counter-fix-safety"
MARKED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):\d+: (?P<code>DYN\d+) \[\*\] ", re.MULTILINE)
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):\d+: (?P<code>DYN\d+) ", re.MULTILINE)


def _copy(case: Path, tmp_path: Path) -> Path:
    target = tmp_path / case.name
    shutil.copytree(case, target)
    return target


def _fixed_by_check_fix(project: Path) -> set[tuple[str, int, str]]:
    """The findings ``dynolint check --fix`` fixes in ``project`` (a copy: it is written)."""
    report = fix_paths([project], discover(project, set(KNOWN_CODES)), Options(use_cache=False), unsafe=False)
    return {(Path(f.path).name, f.line, f.code) for f in report.applied}


def test_the_text_report_marks_exactly_what_check_fix_fixes(tmp_path: Path) -> None:
    project = _copy(SAFETY, tmp_path)
    proc = run_cli("check", "--no-cache", ".", cwd=project)
    assert proc.returncode == 1, proc.stderr
    marked = {(m["path"], int(m["line"]), m["code"]) for m in MARKED.finditer(proc.stdout)}
    every = {(m["path"], int(m["line"]), m["code"]) for m in LINE.finditer(proc.stdout)}
    # a plain counter, a check against the delta, and a low-level count read through {"N": ...}
    assert marked == {("stats.py", 23, "DYN102"), ("stats.py", 35, "DYN102"), ("stats.py", 90, "DYN102")}
    assert len(every) == 8
    assert proc.stderr.endswith("Found 8 findings in 1 file.\n[*] 3 fixable with the `--fix` option "
                                "(5 hidden fixes can be enabled with the `--unsafe-fixes` option).\n"), proc.stderr
    # the CLI's own --fix, on the copy: it fixes the three marked findings and no other
    fixed = run_cli("check", "--no-cache", "--fix", ".", cwd=project)
    assert "Fixed 3 findings in 1 file." in fixed.stderr, fixed.stderr
    remaining = {(m["path"], m["code"]) for m in LINE.finditer(fixed.stdout)}
    assert len(LINE.findall(fixed.stdout)) == 5 and remaining == {("stats.py", "DYN102")}
    assert "[*]" not in fixed.stdout  # what remains needs --unsafe-fixes (5)
    assert fixed.stderr.endswith("No fixes available (5 hidden fixes can be enabled with the `--unsafe-fixes` "
                                 "option).\n"), fixed.stderr
    ast.parse((project / "stats.py").read_text())


def test_with_unsafe_fixes_every_fix_is_marked(tmp_path: Path) -> None:
    project = _copy(SAFETY, tmp_path)
    proc = run_cli("check", "--no-cache", "--unsafe-fixes", ".", cwd=project)
    marked = {int(m["line"]) for m in MARKED.finditer(proc.stdout)}
    # the string-stored counts (80, 101) get no ADD but a guard pinning the count that was read
    assert marked == {23, 35, 45, 57, 69, 80, 90, 101}
    assert proc.stderr.endswith("[*] 8 fixable with the `--fix` option.\n"), proc.stderr
    fixed = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=project)
    assert "Fixed 8 findings in 1 file." in fixed.stderr, fixed.stderr
    assert 'ConditionExpression="attribute_exists(#dl_key) AND #dl_seen = :dl_seen"' in (project / "stats.py").read_text()


def test_statistics_mark_the_same_fixes_in_text_and_json(tmp_path: Path) -> None:
    project = _copy(SAFETY, tmp_path)
    text = run_cli("check", "--no-cache", "--statistics", ".", cwd=project)
    assert text.stdout == "8\tDYN102\t[*] non-atomic-counter\n"
    data = json.loads(run_cli("check", "--no-cache", "--statistics", "--output-format", "json", ".",
                              cwd=project).stdout)
    assert data == [{"code": "DYN102", "name": "non-atomic-counter", "count": 8, "fixable": True}]
    only_unsafe = run_cli("check", "--no-cache", "--statistics", "--select", "DYN102", "stats.py", cwd=project)
    assert only_unsafe.returncode == 1


def _title(project: Path, line: int) -> tuple[str, str]:
    result = check_paths([project], discover(project, set(KNOWN_CODES)), Options(use_cache=False))
    finding = next(f for f in result.findings if f.line == line)
    assert finding.fix is not None, finding.plan
    return finding.fix.applicability, finding.fix.title


@pytest.mark.parametrize(("line", "why"), [
    (45, "converted (int(), Decimal()...) before the addition"),
    (57, "'previews' is read with .get() at line 55"),
    (69, "may be a float, which boto3 refuses to send"),
])
def test_a_fix_that_may_raise_or_refuse_where_the_code_did_not_is_unsafe_and_says_why(
        tmp_path: Path, line: int, why: str) -> None:
    applicability, title = _title(_copy(SAFETY, tmp_path), line)
    assert applicability == "unsafe" and why in title, title


def test_counts_stored_as_strings_get_no_atomic_add(tmp_path: Path) -> None:
    """No ADD on a count kept as a string; the write is guarded on the count it was computed from."""
    project = _copy(SAFETY, tmp_path)
    result = check_paths([project], discover(project, set(KNOWN_CODES)), Options(use_cache=False))
    plans = {f.line: type(f.plan).__name__ for f in result.findings if f.line in (80, 101)}
    assert plans == {80: "GuardPlan", 101: "GuardPlan"}
    fixed = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=project)
    text = (project / "stats.py").read_text()
    assert '":e": str(int(link["embeds"]) + 1),' in text, fixed.stderr
    assert '":dl_seen": link["embeds"],' in text and '":dl_seen": link["prints"],' in text
    assert 'UpdateExpression="SET prints = :p"' in text and "ADD embeds" not in text
    again = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=project)  # idempotent
    assert (project / "stats.py").read_text() == text and "Fixed 0 findings" in again.stderr
    ast.parse(text)


RACE_CASES = sorted(p for p in (FIXTURES / "cases").iterdir()
                    if p.name.startswith("race-") and (p / "expect.json").is_file()
                    and '"DYN10' in (p / "expect.json").read_text())


def test_over_every_race_case_the_marks_are_what_check_fix_fixes(tmp_path: Path) -> None:
    """For every labelled race project (every second one under `make test`, all under `make
    fuzz`): the findings the report marks (a rendered safe fix) are exactly the ones ``check
    --fix`` then fixes (and every fix it makes was marked)."""
    compared = marks = 0
    cases = sampled(RACE_CASES, every=2, at_most=100)
    for case in cases:
        project = _copy(case, tmp_path)
        config = discover(project, set(KNOWN_CODES))
        before = check_paths([project], config, Options(use_cache=False))
        marked = {(Path(f.path).name, f.line, f.code) for f in before.findings if fixable_now(f)}
        fixed = _fixed_by_check_fix(project) if marked else set()
        assert marked == fixed, case.name
        compared += 1
        marks += len(marked)
    # (the race cases mark 6 safe fixes in all, 1 to 5 of them in a half sample: at least one must be compared)
    assert compared == len(cases) and marks >= 1
