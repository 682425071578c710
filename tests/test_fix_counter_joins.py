"""``+`` also joins strings: an atomic ADD is safe only when the value added is a number.

The bug these tests pin down: ``SET #t = :n`` with ``:n`` = ``item["text"] + event["more"]``
was rewritten, as a safe fix (applied by ``--fix``), to ``ADD #t :n`` with ``:n`` =
``event["more"]``. Where the attribute holds a string (the code joined two strings), DynamoDB
refuses ADD on a string and every call fails. With a delta of unknown type the fix is now
unsafe and says why; a delta known to be a number (a constant, ``int()``, ``len()``) or a
subtraction (numbers only) keeps the safe fix."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

HEAD = 'import boto3\n\nnotes = boto3.resource("dynamodb").Table("notes")\n\n\n'
WRITE = '''def append(event):
    item = notes.get_item(Key={{"pk": event["id"]}})["Item"]
    notes.update_item(
        Key={{"pk": event["id"]}},
        UpdateExpression="SET #t = :n",
        ExpressionAttributeNames={{"#t": "{attribute}"}},
        ExpressionAttributeValues={{":n": {value}}},
    )
'''


def _project(tmp_path: Path, attribute: str, value: str) -> str:
    source = HEAD + WRITE.format(attribute=attribute, value=value)
    write_project(tmp_path, {"app.py": source})
    return source


def _fix(tmp_path: Path, unsafe: bool) -> str:
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=unsafe)
    return (tmp_path / "app.py").read_text()


def test_a_delta_of_unknown_type_makes_the_add_unsafe_and_says_why(tmp_path: Path) -> None:
    before = _project(tmp_path, "text", 'item["text"] + event["more"]')
    [finding] = check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False)).findings
    assert finding.fix is not None and finding.fix.applicability == "unsafe"
    assert "not known to be a number" in finding.fix.title
    assert _fix(tmp_path, unsafe=False) == before  # --fix leaves it alone


def test_the_unsafe_add_is_still_made_with_unsafe_fixes_once(tmp_path: Path) -> None:
    _project(tmp_path, "views", 'item["views"] + event["n"]')
    after = _fix(tmp_path, unsafe=True)
    assert 'UpdateExpression="ADD #t :n"' in after and '{":n": event["n"]}' in after
    assert _fix(tmp_path, unsafe=True) == after  # idempotent
    ast.parse(after)


@pytest.mark.parametrize("value", ['item["views"] + 1', 'item["views"] + int(event["n"])',
                                   'item["views"] + len(event["ids"])', 'item["views"] - event["n"]'])
def test_a_number_added_or_a_subtraction_keeps_the_safe_add(tmp_path: Path, value: str) -> None:
    _project(tmp_path, "views", value)
    after = _fix(tmp_path, unsafe=False)
    assert 'UpdateExpression="ADD #t :n"' in after, after
    assert _fix(tmp_path, unsafe=False) == after
    ast.parse(after)
