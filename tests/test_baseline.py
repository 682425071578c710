"""Baselines: ``--write-baseline`` records today's findings, ``--baseline`` reports only new
ones. Matching survives line shifts and edits elsewhere, and counts duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_project

RACY = '''import boto3
table = boto3.resource("dynamodb").Table("notes")


def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)
'''

SECOND_FUNCTION = '''

def retitle(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title.upper()
    table.put_item(Item=note)
'''


def new_findings(root: Path, *args: str, cwd: Path | None = None) -> list[dict]:
    proc = run_cli("check", "--output-format", "json", "--baseline", str(root / "baseline.json"), *(args or (".",)),
                   cwd=cwd or root)
    assert proc.returncode in (0, 1), proc.stderr
    findings = json.loads(proc.stdout)
    assert proc.returncode == (1 if findings else 0)
    return findings


@pytest.fixture
def baselined(tmp_path: Path) -> Path:
    write_project(tmp_path, {"notes/handler.py": RACY})
    proc = run_cli("check", "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 finding" in proc.stderr
    return tmp_path


def test_recorded_findings_are_not_reported(baselined: Path) -> None:
    assert new_findings(baselined) == []
    text = run_cli("check", "--baseline", "baseline.json", ".", cwd=baselined)
    assert text.returncode == 0 and text.stdout == "" and "1 more in the baseline" in text.stderr
    without = run_cli("check", ".", cwd=baselined)
    assert without.returncode == 1


def test_matching_survives_line_shifts_and_edits_elsewhere(baselined: Path) -> None:
    shifted = ('"""Notes."""\nimport logging\n\nlog = logging.getLogger(__name__)\n\n\ndef helper():\n    return 1\n\n'
               + RACY.replace("    note[\"title\"] = title\n", "    log.info('renaming')\n    note[\"title\"] = title\n"))
    shifted = shifted.replace("    table.put_item(Item=note)", "    table.put_item(  # reformatted\n        Item=note,\n    )")
    write_project(baselined, {"notes/handler.py": shifted})
    assert new_findings(baselined) == []


def test_duplicates_are_counted(baselined: Path) -> None:
    twice = RACY + "    table.put_item(Item=note)\n"
    write_project(baselined, {"notes/handler.py": twice})
    [new] = new_findings(baselined)
    assert new["code"] == "DYN101" and new["path"] == "notes/handler.py"


def test_new_findings_elsewhere_are_reported(baselined: Path) -> None:
    write_project(baselined, {"notes/handler.py": RACY + SECOND_FUNCTION, "billing/app.py": RACY})
    found = sorted((f["path"], f["line"]) for f in new_findings(baselined))
    assert found == [("billing/app.py", 8), ("notes/handler.py", 14)]


def test_changing_the_flagged_statement_makes_it_new(baselined: Path) -> None:
    write_project(baselined, {"notes/handler.py": RACY.replace("put_item(Item=note)", "put_item(Item=dict(note))")})
    assert [f["line"] for f in new_findings(baselined)] == [8]


def test_the_baseline_works_from_another_directory(baselined: Path) -> None:
    assert new_findings(baselined, "handler.py", cwd=baselined / "notes") == []
    assert new_findings(baselined, str(baselined), cwd=baselined.parent) == []


def test_unreadable_or_malformed_baselines_are_errors_naming_the_file(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    cases = {
        "missing.json": None,
        "broken.json": "{not json",
        "list.json": "[]",
        "other.json": json.dumps({"tool": "bandit", "version": 1, "findings": []}),
        "future.json": json.dumps({"tool": "dynolint", "version": 99, "findings": []}),
        "entry.json": json.dumps({"tool": "dynolint", "version": 1, "findings": [{"fingerprint": "abc"}]}),
        "count.json": json.dumps({"tool": "dynolint", "version": 1,
                                  "findings": [{"fingerprint": "0" * 64, "count": -1}]}),
    }
    for name, text in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        proc = run_cli("check", "--baseline", name, ".", cwd=tmp_path)
        assert proc.returncode == 2, (name, proc.stdout)
        assert name in proc.stderr and proc.stdout == "", proc.stderr


def test_baseline_and_write_baseline_together_is_a_usage_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    proc = run_cli("check", "--baseline", "a.json", "--write-baseline", "b.json", ".", cwd=tmp_path)
    assert proc.returncode == 2 and not (tmp_path / "b.json").exists()


def test_written_baseline_is_readable_json(baselined: Path) -> None:
    document = json.loads((baselined / "baseline.json").read_text())
    [entry] = document["findings"]
    assert entry["code"] == "DYN101" and entry["path"] == "notes/handler.py" and entry["count"] == 1
    assert entry["context"] == "rename"
