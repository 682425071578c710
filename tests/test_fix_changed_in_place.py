"""The pinned guard compares the stored values with the ones the code read; when a part of
the item read is changed in place before the write (``item["Globals"]["MetaData"][k] = v``,
or through an alias: ``stages = item["Workflow"]["Stages"]; stages[name]["Status"] = s``), the
values at the write are the changed ones and the condition fails on every call, concurrent or
not (found by running the fixes over a real repository). No fix is made; the reason says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.executions]\npartition-key = "Id"\n'
HEAD = '''import boto3

table = boto3.resource("dynamodb").Table("executions")


def complete_stage(execution_id, stage_name, outputs):
    execution = table.get_item(Key={"Id": execution_id})["Item"]
    stages = execution["Workflow"]["Stages"]
'''
WRITE = '''    table.update_item(
        Key={"Id": execution_id},
        UpdateExpression="SET Workflow.Stages.#stage = :stage, Globals = :globals",
        ExpressionAttributeNames={"#stage": stage_name},
        ExpressionAttributeValues={":stage": stages[stage_name], ":globals": execution["Globals"]},
    )
'''


def _fix(tmp_path: Path, body: str) -> tuple[str, list[str]]:
    source = HEAD + body + WRITE
    write_project(tmp_path, {"app.py": source, "pyproject.toml": CONFIG})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    return (tmp_path / "app.py").read_text(), [reason for _, reason in report.skipped]


@pytest.mark.parametrize("body", [
    '    stages[stage_name]["Status"] = "Complete"\n',
    '    for key, value in outputs.items():\n        execution["Globals"]["MetaData"][key] = value\n',
])
def test_a_part_changed_in_place_means_no_pinned_guard(tmp_path: Path, body: str) -> None:
    after, reasons = _fix(tmp_path, body)
    assert after == HEAD + body + WRITE
    assert any("changed in place" in reason for reason in reasons), reasons


def test_the_same_write_of_values_not_changed_is_pinned(tmp_path: Path) -> None:
    after, _ = _fix(tmp_path, '    print(stages[stage_name]["Status"])\n')
    assert '":dl_seen": execution["Globals"]' in after and "#dl_seen = :dl_seen" in after
