"""``d.update(mapping, **entries)`` on a dict the code built: its entries are stored as
``d[k] = v`` stores them (later ones win), also by a helper the dict is given to. Before, the
call left the dict as it was: a condition added with ``kw.update(ConditionExpression=...)``
before ``table.put_item(**kw)`` was not seen (a false DYN101)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import line_codes

HEAD = '''import boto3

table = boto3.resource("dynamodb").Table("orders")


'''


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", HEAD + textwrap.dedent(source))


def line_of(source: str, text: str) -> int:
    return (HEAD + textwrap.dedent(source)).splitlines().index(text) + 1


GUARDED = '''
def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]})["Item"]
    if item["status"] != "NEW":
        return {"ok": False}
    kw = {"Item": {"pk": event["id"], "status": "PAID"}}
    kw.update(ConditionExpression="#s = :new", ExpressionAttributeNames={"#s": "status"},
              ExpressionAttributeValues={":new": "NEW"})
    table.put_item(**kw)
    return {"ok": True}
'''


def test_a_condition_added_by_update_keywords_guards_the_write(tmp_path: Path) -> None:
    assert run(tmp_path, GUARDED) == set()


def test_a_condition_added_by_update_with_a_dict_guards_the_write(tmp_path: Path) -> None:
    source = GUARDED.replace('''kw.update(ConditionExpression="#s = :new", ExpressionAttributeNames={"#s": "status"},
              ExpressionAttributeValues={":new": "NEW"})''', '''kw.update({"ConditionExpression": "#s = :new",
               "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":new": "NEW"}})''')
    assert "kw.update({" in source
    assert run(tmp_path, source) == set()


def test_an_update_that_adds_no_condition_leaves_the_race(tmp_path: Path) -> None:
    source = GUARDED.replace('''kw.update(ConditionExpression="#s = :new", ExpressionAttributeNames={"#s": "status"},
              ExpressionAttributeValues={":new": "NEW"})''', 'kw.update(ReturnValues="ALL_OLD")')
    assert run(tmp_path, source) == {(line_of(source, "    table.put_item(**kw)"), "DYN101")}


def test_a_later_update_replaces_the_condition_it_names(tmp_path: Path) -> None:
    # the second update replaces the item written, not the condition: still guarded
    again = '    kw.update(Item={"pk": event["id"], "status": "PAID", "by": "card"})\n'
    source = GUARDED.replace("    table.put_item(**kw)", again + "    table.put_item(**kw)")
    assert run(tmp_path, source) == set()


def test_a_helper_that_adds_the_condition_to_the_dict_it_is_given(tmp_path: Path) -> None:
    source = '''
def guard_status(kw, status):
    kw.update(ConditionExpression="#s = :v", ExpressionAttributeNames={"#s": "status"},
              ExpressionAttributeValues={":v": status})


def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]})["Item"]
    if item["status"] != "NEW":
        return {"ok": False}
    kw = {"Item": {"pk": event["id"], "status": "PAID"}}
    guard_status(kw, "NEW")
    table.put_item(**kw)
    return {"ok": True}
'''
    assert run(tmp_path, source) == set()
    unguarded = source.replace("    guard_status(kw, \"NEW\")\n", "")
    assert run(tmp_path, unguarded) == {(line_of(unguarded, "    table.put_item(**kw)"), "DYN101")}


def test_entries_of_the_item_read_added_by_update_are_written_back(tmp_path: Path) -> None:
    source = '''
def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]})["Item"]
    row = {"pk": event["id"]}
    row.update(item)
    row["status"] = "PAID"
    table.put_item(Item=row)
    return {"ok": True}
'''
    assert run(tmp_path, source) == {(line_of(source, "    table.put_item(Item=row)"), "DYN101")}
