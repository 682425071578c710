"""``item["body"] + line`` with ``line: str`` is a concatenation, not a counter: the DYN102 fix
rewrote it to ``ADD body :b``, which DynamoDB refuses for a string (ValidationException on every
call; the same for a list). The delta's type, where the source says it (an annotation, a string
or list literal, ``str()``), now means no atomic fix, with the reason. A number still gets one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.notes]\npartition-key = "note_id"\n'
SOURCE = '''from typing import List, Optional

import boto3

table = boto3.resource("dynamodb").Table("notes")


def append(note_id{params}):
    item = table.get_item(Key={{"note_id": note_id}})["Item"]
{setup}    table.update_item(
        Key={{"note_id": note_id}},
        UpdateExpression="SET body = :b",
        ExpressionAttributeValues={{":b": item["body"] + {delta}}},
    )
'''


def _fix(tmp_path: Path, params: str, delta: str, setup: str = "") -> tuple[str, str, list[str]]:
    before = SOURCE.format(params=params, delta=delta, setup=setup)
    write_project(tmp_path, {"app.py": before, "pyproject.toml": CONFIG})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    return before, (tmp_path / "app.py").read_text(), [why for _, why in report.skipped]


@pytest.mark.parametrize(("params", "delta", "setup", "kind"), [
    (", line: str", "line", "", "a string"),
    (", line: Optional[str] = None", "line", "", "a string"),
    (", line: str | None = None", "line", "", "a string"),
    (", tags: List[str]", "tags", "", "a list"),
    (", tags: list[str]", "tags", "", "a list"),
    (", n", "text", "    text: str = str(n)\n", "a string"),
    (", n", "str(n)", "", "a string"),
    (", n", '["x"]', "", "a list"),
])
def test_a_joined_string_or_list_gets_no_atomic_add(tmp_path: Path, params: str, delta: str, setup: str,
                                                    kind: str) -> None:
    before, after, reasons = _fix(tmp_path, params, delta, setup)
    assert "ADD body" not in after
    if after == before:
        assert any(f"is {kind}" in why for why in reasons), reasons
    else:  # the model saw the string itself: the fix pins the value read instead
        assert "#dl_seen = :dl_seen" in after


@pytest.mark.parametrize("params", [", n: int", ", n: int = 1", ", n: Optional[int] = None"])
def test_a_number_is_still_added_atomically(tmp_path: Path, params: str) -> None:
    _, after, reasons = _fix(tmp_path, params, "n")
    assert 'UpdateExpression="ADD body :b"' in after and reasons == []
    ast.parse(after)
    config = discover(tmp_path, set(KNOWN_CODES))
    assert check_paths([tmp_path], config, Options(use_cache=False)).findings == []
    again = fix_paths([tmp_path], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after  # idempotent
