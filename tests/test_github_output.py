"""``--output-format github``: one workflow command per finding, which the Actions runner
parses back into the same file, position, title and message."""

from __future__ import annotations

import re
from pathlib import Path

from dynolint.findings import Confidence, Finding, Severity
from dynolint.reporters.github import render_github
from tests.conftest import run_cli, write_project

RACY = '''import boto3
table = boto3.resource("dynamodb").Table("notes")


def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)
'''

COMMAND = re.compile(r"^::(?P<command>error|warning|notice) (?P<properties>[^:]*)::(?P<data>.*)$")


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """Read a workflow command back the way the runner does."""
    match = COMMAND.match(line)
    assert match, line
    properties = {}
    for pair in match["properties"].split(","):
        key, _, value = pair.partition("=")
        properties[key] = unescape_property(value)
    return match["command"], properties, unescape_data(match["data"])


def test_one_annotation_per_finding(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/handler.py": RACY})
    proc = run_cli("check", "--output-format", "github", ".", cwd=tmp_path)
    assert proc.returncode == 1
    [line] = proc.stdout.splitlines()
    command, properties, message = parse(line)
    assert command == "error"
    assert properties == {"file": "app/handler.py", "line": "8", "endLine": "8", "col": "5", "endColumn": "30",
                          "title": "DYN101 unguarded-write-after-read"}
    assert message.startswith("put_item overwrites") and "unguarded-write-after-read" not in message
    clean = run_cli("check", "--output-format", "github", "--select", "DYN2", ".", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == ""


def test_special_characters_survive_the_round_trip() -> None:
    path = "we,ird:dir/50%\r\nname.py"
    message = "a, b: 100% done\r\nsecond line :: ,"
    finding = Finding("DYN202", "tenant-unscoped-key", path, 3, 9, 4, 2, message, Severity.WARNING, Confidence.LOW)
    [line] = render_github([finding]).splitlines()
    command, properties, data = parse(line)
    assert command == "warning"
    assert properties["file"] == path and properties["title"] == "DYN202 tenant-unscoped-key"
    assert (properties["line"], properties["endLine"], properties["col"], properties["endColumn"]) == ("3", "4", "9", "2")
    assert data == message


def test_levels_follow_severity() -> None:
    made = [Finding("DYN101", "n", "a.py", 1, 1, 1, 2, "m", severity, Confidence.HIGH)
            for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    commands = [parse(line)[0] for line in render_github(made).splitlines()]
    assert commands == ["error", "warning", "notice"]
