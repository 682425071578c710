"""DYN101 fix for ``update_item`` after a change computed in Python, with no version attribute:
the guard pins the attributes of the read item that the written values were computed from, once
the code shows that the item was there (an unconditional subscript of it before the write)."""

from __future__ import annotations

import ast
from pathlib import Path

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = {"pyproject.toml": '[tool.dynolint.tables.profiles]\npartition-key = "pk"\n'}
HEAD = 'import boto3\n\ntable = boto3.resource("dynamodb").Table("profiles")\n\n\n'

RENAME = HEAD + '''def rename(event, context):
    key = {"pk": event["user_id"]}
    item = table.get_item(Key=key)["Item"]
    nickname = item["nickname"].strip().title()
    table.update_item(Key=key, UpdateExpression="SET nickname = :n", ExpressionAttributeValues={":n": nickname})
    return nickname
'''

RENAME_FIXED = HEAD + '''def rename(event, context):
    key = {"pk": event["user_id"]}
    item = table.get_item(Key=key)["Item"]
    nickname = item["nickname"].strip().title()
    table.update_item(
        Key=key,
        UpdateExpression="SET nickname = :n",
        ExpressionAttributeValues={":n": nickname, ":dl_seen": item["nickname"]},
        ConditionExpression="attribute_exists(#dl_key) AND #dl_seen = :dl_seen",
        ExpressionAttributeNames={"#dl_key": "pk", "#dl_seen": "nickname"},
    )
    return nickname
'''


def fix(tmp_path: Path, source: str) -> tuple[str, list]:
    write_project(tmp_path, {"app.py": source, **CONFIG})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    return (tmp_path / "app.py").read_text(), report.skipped


def dyn101_lines(tmp_path: Path) -> list[int]:
    report = check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False))
    return [f.line for f in report.findings if f.code == "DYN101"]


def test_the_written_value_computed_from_an_attribute_pins_it(tmp_path: Path) -> None:
    after, skipped = fix(tmp_path, RENAME)
    assert skipped == []
    assert after == RENAME_FIXED
    ast.parse(after)
    assert dyn101_lines(tmp_path) == []  # the race is gone


def test_fixing_twice_is_fixing_once(tmp_path: Path) -> None:
    once, _ = fix(tmp_path, RENAME)
    twice, skipped = fix(tmp_path, once)
    assert twice == once
    assert skipped == []


def test_an_attribute_read_with_a_default_may_be_missing(tmp_path: Path) -> None:
    source = HEAD + '''def tag(event, context):
    key = {"pk": event["user_id"]}
    item = table.get_item(Key=key)["Item"]
    tags = item.get("tags", "") + "," + event["tag"]
    table.update_item(Key=key, UpdateExpression="SET tags = :t", ExpressionAttributeValues={":t": tags})
'''
    after, skipped = fix(tmp_path, source)
    assert skipped == []
    assert '":dl_seen": item.get("tags")' in after
    assert "(attribute_not_exists(#dl_seen) OR #dl_seen = :dl_seen)" in after.replace('"\n            "', "")
    ast.parse(after)


def test_a_decision_and_the_values_derived_are_all_pinned(tmp_path: Path) -> None:
    source = HEAD + '''def retitle(event, context):
    key = {"pk": event["user_id"]}
    item = table.get_item(Key=key).get("Item")
    if item is None:
        return None
    if item["status"] != "active":
        return None
    title = item["first"] + " " + item["last"]
    table.update_item(Key=key, UpdateExpression="SET title = :t", ExpressionAttributeValues={":t": title})
    return title
'''
    after, skipped = fix(tmp_path, source)
    assert skipped == []
    tree = ast.parse(after)
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "update_item")
    kwargs = {k.arg: k.value for k in call.keywords}
    names = ast.literal_eval(kwargs["ExpressionAttributeNames"])
    condition = ast.literal_eval(kwargs["ConditionExpression"])
    pinned = {names[token] for token in condition.split() if token.startswith("#dl_seen")}
    assert pinned == {"first", "last", "status"}
    assert condition.startswith("attribute_exists(#dl_key) AND ")
    assert dyn101_lines(tmp_path) == []


def test_a_subscript_that_runs_only_sometimes_does_not_show_the_item_was_there(tmp_path: Path) -> None:
    source = HEAD + '''def rename(event, context):
    key = {"pk": event["user_id"]}
    item = table.get_item(Key=key).get("Item")
    nickname = item["nickname"].title() if item else "anonymous"
    table.update_item(Key=key, UpdateExpression="SET nickname = :n", ExpressionAttributeValues={":n": nickname})
'''
    after, skipped = fix(tmp_path, source)
    assert after == source
    assert [f.code for f, _ in skipped] == ["DYN101"]
    assert "present" in skipped[0][1]


def test_a_subscript_of_an_earlier_value_of_the_name_does_not_count(tmp_path: Path) -> None:
    source = HEAD + '''def rename(event, context, item):
    key = {"pk": event["user_id"]}
    previous = item["nickname"]
    item = table.get_item(Key=key).get("Item")
    nickname = (item or {}).get("nickname", previous).title()
    table.update_item(Key=key, UpdateExpression="SET nickname = :n", ExpressionAttributeValues={":n": nickname})
'''
    after, skipped = fix(tmp_path, source)
    assert after == source
    assert [f.code for f, _ in skipped] == ["DYN101"]
