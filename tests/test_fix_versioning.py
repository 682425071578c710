"""Read, mutate, put back with no version attribute configured: the put is guarded by the
version attribute the project visibly keeps, else by a new one (``fixes/versioning.py``);
items that lack it pass once; the read has a default. Before/after, skips, idempotence, the
fixed code parses, and it runs (an item without the version is no KeyError)."""

from __future__ import annotations

import re

import ast
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

TABLE = 'import boto3\n\ntable = boto3.resource("dynamodb").Table("members")\n\n\n'
KEY_ONLY = {"pyproject.toml": '[tool.dynolint.tables.members]\npartition-key = "member_id"\n'}
EDIT = '''def edit(member_id, changes):
    member = table.get_item(Key={"member_id": member_id}).get("Item")
    if not member:
        return None
    member.update(changes)
    table.put_item(Item=member)
    return member
'''


def _fix(tmp_path: Path, source: str, extra: dict[str, str] | None = None) -> tuple[str, list, list]:
    write_project(tmp_path, {"app.py": source, **KEY_ONLY, **(extra or {})})
    config = discover(tmp_path, set(KNOWN_CODES))
    report = fix_paths([tmp_path], config, Options(), unsafe=True)
    return (tmp_path / "app.py").read_text(), report.applied, report.skipped


def test_a_put_of_the_mutated_item_starts_keeping_a_version(tmp_path: Path) -> None:
    after, applied, _ = _fix(tmp_path, TABLE + EDIT)
    assert [f.code for f in applied] == ["DYN101"]
    assert _flat('table.put_item(Item={**member, "version": member.get("version", 0) + 1}, '
                 'ConditionExpression="(attribute_not_exists(#dl_ver) OR #dl_ver = :dl_ver)", '
                 'ExpressionAttributeNames={"#dl_ver": "version"}, '
                 'ExpressionAttributeValues={":dl_ver": member.get("version", 0)})') in _flat(after)
    ast.parse(after)
    # idempotent: the guarded write is no race any more, a second run changes nothing
    config = discover(tmp_path, set(KNOWN_CODES))
    assert fix_paths([tmp_path], config, Options(), unsafe=True).changed == []
    assert [f.code for f in check_paths([tmp_path], config, Options()).findings] == []


def test_the_finding_says_the_fix_starts_a_version_and_is_unsafe(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": TABLE + EDIT, **KEY_ONLY})
    config = discover(tmp_path, set(KNOWN_CODES))
    finding, = check_paths([tmp_path], config, Options()).findings
    from dynolint.fixes import applicability, title

    assert applicability(finding) == "unsafe"  # the write can now raise ConditionalCheckFailedException
    assert "Start keeping a version attribute" in title(finding) and "every other writer" in title(finding)
    assert fix_paths([tmp_path], config, Options(), unsafe=False).changed == []


def test_a_version_the_project_keeps_on_the_table_is_used(tmp_path: Path) -> None:
    create = '''def create(member_id):
    table.put_item(Item={"member_id": member_id, "rev": 1}, ConditionExpression="attribute_not_exists(member_id)")


'''
    after, applied, _ = _fix(tmp_path, TABLE + create + EDIT)
    assert [f.code for f in applied] == ["DYN101"]
    assert _flat('"rev": member.get("rev", 0) + 1') in _flat(after)
    assert _flat('ExpressionAttributeNames={"#dl_ver": "rev"}') in _flat(after)


def test_a_version_like_name_holding_other_values_is_not_chosen(tmp_path: Path) -> None:
    create = '''def create(member_id, client):
    table.put_item(Item={"member_id": member_id, "version": client["app_version"]},
                   ConditionExpression="attribute_not_exists(member_id)")


'''
    source = TABLE + create + EDIT
    after, applied, skipped = _fix(tmp_path, source)
    assert applied == [] and after == source
    assert "version-attribute" in skipped[0][1]


def test_low_level_put_reads_the_version_as_an_attribute_value(tmp_path: Path) -> None:
    source = '''import boto3

client = boto3.client("dynamodb")


def edit(member_id, phone):
    member = client.get_item(TableName="members", Key={"member_id": {"S": member_id}})["Item"]
    member["phone"] = {"S": phone}
    client.put_item(TableName="members", Item=member)
'''
    after, applied, _ = _fix(tmp_path, source)
    assert [f.code for f in applied] == ["DYN101"]
    assert _flat('"version": {"N": str(int(member.get("version", {"N": "0"})["N"]) + 1)}') in _flat(after)
    assert _flat('":dl_ver": member.get("version", {"N": "0"})') in _flat(after)
    ast.parse(after)


def test_the_fixed_code_runs_on_an_item_without_the_version(tmp_path: Path) -> None:
    """The fixed write, run against a table stand-in: an old item (no version) is written
    with version 1 on the condition that admits a missing version; a configured version
    attribute is read with the same default (no KeyError)."""
    config = {"pyproject.toml": '[tool.dynolint.tables.members]\npartition-key = "member_id"\n'
                                'version-attribute = "version"\n'}
    after, applied, _ = _fix(tmp_path, TABLE + EDIT, config)
    assert [f.code for f in applied] == ["DYN101"]
    calls = []

    class Table:
        def get_item(self, Key):
            return {"Item": {"member_id": Key["member_id"], "phone": "1"}}

        def put_item(self, **kwargs):
            calls.append(kwargs)

    namespace: dict = {}
    exec(compile(after.replace('boto3.resource("dynamodb").Table("members")', "None"), "app.py", "exec"), namespace)
    namespace["table"] = Table()
    namespace["edit"]("m-1", {"phone": "2"})
    put, = calls
    assert put["Item"] == {"member_id": "m-1", "phone": "2", "version": 1}
    assert put["ExpressionAttributeValues"] == {":dl_ver": 0}
    assert put["ConditionExpression"] == "(attribute_not_exists(#dl_ver) OR #dl_ver = :dl_ver)"


def _flat(text: str) -> str:
    """Code without its layout (the fixes wrap long calls one argument a line, as black does)."""
    return re.sub(r"\s+", "", text).replace(",)", ")").replace(",]", "]").replace(",}", "}")


BUMP_CONFIG = {"pyproject.toml": '[tool.dynolint.tables.members]\npartition-key = "member_id"\n'
                               'version-attribute = "version"\n'}
BUMP_SOURCE = '''import boto3

table = boto3.resource("dynamodb").Table("members")


def edit(member_id{annotation}, nickname):
    member = table.get_item(Key={{"member_id": member_id}})["Item"]
    member["nickname"] = nickname
    table.put_item(Item=member)
'''


@pytest.mark.parametrize(("annotation", "mypy_ini", "bump"), [
    ("", None, 'member.get("version", 0) + 1'),  # mypy does not check the body: as a reviewer writes it
    (": str", None, 'int(str(member.get("version", 0))) + 1'),  # boto3-stubs' union: mypy refuses "+ 1"
    ("", "[mypy]\ncheck_untyped_defs = True\n", 'int(str(member.get("version", 0))) + 1'),
])
def test_the_version_bump_is_plain_where_mypy_does_not_check_it(tmp_path: Path, annotation: str,
                                                                mypy_ini: str | None, bump: str) -> None:
    files = {"app.py": BUMP_SOURCE.format(annotation=annotation), **BUMP_CONFIG}
    if mypy_ini is not None:
        files["mypy.ini"] = mypy_ini
    write_project(tmp_path, files)
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    after = (tmp_path / "app.py").read_text()
    assert report.skipped == [] and bump in after
    ast.parse(after)


@pytest.mark.parametrize("typed_as", ["cast", "return"])
def test_no_new_version_on_an_item_typed_as_a_typed_dict(tmp_path: Path, typed_as: str) -> None:
    """A TypedDict that declares no version key: ``item.get("version", 0)`` and
    ``{**item, "version": ...}`` would not type-check, so the fix is not made and says what to
    declare; the same code with a plain dict keeps its fix."""
    read = ('cast(Member, table.get_item(Key={"member_id": member_id})["Item"])' if typed_as == "cast"
            else 'table.get_item(Key={"member_id": member_id})["Item"]  # type: ignore[assignment]')
    typed = ("from typing import TypedDict, cast\n\n" + TABLE + "class Member(TypedDict):\n    member_id: str\n"
             "    name: str\n\n\ndef load(member_id: str) -> Member:\n    member: Member = " + read + "\n"
             "    return member\n\n\ndef rename(member_id: str, name: str) -> None:\n    member = load(member_id)\n"
             "    member[\"name\"] = name\n    table.put_item(Item=member)\n")
    after, applied, skipped = _fix(tmp_path, typed)
    assert after == typed and applied == []
    assert any("TypedDict Member" in reason for _, reason in skipped)
    plain = typed.replace("class Member(TypedDict):", "class Member(dict):  # type: ignore[type-arg]")
    after, applied, _ = _fix(tmp_path / "plain", plain)
    assert applied and '"version"' in after
    ast.parse(after)
