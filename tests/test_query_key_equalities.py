"""A query's key condition sets its partition key (and any sort key compared with ``=``) equal to
a value, so every item it returns holds that value: a key written with that value for the attribute
and the rest taken from a returned item (``Key={"sid": sid, "seq": row["seq"]}``) names the row,
as ``Key={"sid": row["sid"], "seq": row["seq"]}`` does (issue 14, class 5: keys equal by meaning)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table("chat")
client = boto3.client("dynamodb")


def handler(event, context):
    sid = event["sid"]
    other = event["other"]
    rows = QUERY
    for row in rows:
        if row["state"] == "open":
            WRITE
'''

RESOURCE = 'table.query(KeyConditionExpression=CONDITION, **NAMES)["Items"]'
UPDATE = 'table.update_item(Key={KEY}, UpdateExpression="SET #s = :c", ' \
         'ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":c": "closed"})'


def run(tmp_path: Path, condition: str, key: str, names: str = "{}", query: str = RESOURCE,
        write: str = UPDATE) -> set[tuple[str, int, str]]:
    source = textwrap.dedent(SOURCE).replace("QUERY", query).replace("WRITE", write)
    source = source.replace("CONDITION", condition).replace("NAMES", names).replace("KEY", key)
    (tmp_path / "app.py").write_text(source)
    return triples(findings_in(tmp_path))


@pytest.mark.parametrize("condition, names", [
    ('Key("sid").eq(sid)', "{}"),
    ('Key("sid").eq(sid) & Key("seq").gt(0)', "{}"),
    ('"sid = :s"', '{"ExpressionAttributeValues": {":s": sid}}'),
    ('"#p = :s AND seq BETWEEN :a AND :b"',
     '{"ExpressionAttributeNames": {"#p": "sid"}, "ExpressionAttributeValues": {":s": sid, ":a": 1, ":b": 9}}'),
])
def test_the_partition_value_of_the_query_names_its_rows(tmp_path: Path, condition: str, names: str) -> None:
    assert run(tmp_path, condition, '"sid": sid, "seq": row["seq"]', names) == {("app.py", 15, "DYN101")}


def test_the_rows_own_partition_value_is_the_same_item(tmp_path: Path) -> None:
    assert run(tmp_path, 'Key("sid").eq(sid)', '"sid": row["sid"], "seq": row["seq"]') == {("app.py", 15, "DYN101")}


def test_the_low_level_clients_key_condition(tmp_path: Path) -> None:
    query = 'client.query(TableName="chat", KeyConditionExpression="sid = :s", ' \
            'ExpressionAttributeValues={":s": {"S": sid}})["Items"]'
    write = 'client.delete_item(TableName="chat", Key={"sid": {"S": sid}, "seq": row["seq"]})'
    assert run(tmp_path, "", "", query=query, write=write) == {("app.py", 15, "DYN101")}


def test_a_legacy_key_conditions_map(tmp_path: Path) -> None:
    query = 'table.query(KeyConditions={"sid": {"AttributeValueList": [sid], "ComparisonOperator": "EQ"}})["Items"]'
    assert run(tmp_path, "", '"sid": sid, "seq": row["seq"]', query=query) == {("app.py", 15, "DYN101")}


@pytest.mark.parametrize("condition, key", [
    ('Key("sid").eq(sid)', '"sid": other, "seq": row["seq"]'),  # another partition: not a row of the query
    ('Key("sid").begins_with(sid)', '"sid": sid, "seq": row["seq"]'),  # no equality: rows of many partitions
    ('Key("sid").eq(sid)', '"sid": sid, "seq": 0'),  # a fixed item of the partition, not the row
])
def test_a_key_the_query_does_not_pin_is_another_item(tmp_path: Path, condition: str, key: str) -> None:
    assert run(tmp_path, condition, key) == set()


def test_a_guard_on_the_decided_attribute_is_clean(tmp_path: Path) -> None:
    write = UPDATE.replace("UpdateExpression", 'ConditionExpression="#s = :o", UpdateExpression').replace(
        '":c": "closed"', '":c": "closed", ":o": "open"')
    assert run(tmp_path, 'Key("sid").eq(sid)', '"sid": sid, "seq": row["seq"]', write=write) == set()


@pytest.mark.parametrize("partition, expected", [("new", set()), ("sid", {("app.py", 15, "DYN101")})])
def test_a_row_spread_into_another_partition_is_another_item(tmp_path: Path, partition: str,
                                                             expected: set[tuple[str, int, str]]) -> None:
    write = 'table.put_item(Item={**row, "sid": PARTITION})'.replace("PARTITION", partition)
    source = SOURCE.replace("    other = event", '    new = event["new"]\n    other = event')
    (tmp_path / "app.py").write_text(textwrap.dedent(source).replace("QUERY", RESOURCE).replace("WRITE", write)
                                     .replace("CONDITION", 'Key("sid").eq(sid)').replace("NAMES", "{}"))
    found = triples(findings_in(tmp_path))
    assert {(path, line - 1, code) for path, line, code in found} == expected  # (one line added above)


def test_a_test_of_a_rows_state_against_a_constant_is_no_search_by_key(tmp_path: Path) -> None:
    # a table whose key nothing declares: ``row["state"] == "open"`` looks into the row, so a delete
    # decided on it races with a change of the state
    write = 'table.delete_item(Key={"sid": row["sid"], "seq": row["seq"]})'
    assert run(tmp_path, 'Key("sid").eq(sid)', "", write=write) == {("app.py", 15, "DYN101")}


def test_a_write_to_another_table_by_the_querys_value_is_another_item(tmp_path: Path) -> None:
    # the parent (another table, keyed by the partition value the query of its children used) is
    # updated after a decision on a child row: the decision is on the child, not on the parent
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import boto3
        from boto3.dynamodb.conditions import Key

        children = boto3.resource("dynamodb").Table("tasks")
        parents = boto3.resource("dynamodb").Table("pipelines")


        def handler(event, context):
            pid = event["pipeline_id"]
            rows = children.query(IndexName="by-pipeline", KeyConditionExpression=Key("pipeline_id").eq(pid))["Items"]
            done = [row for row in rows if row["task_id"] == event["task_id"]]
            parent = parents.get_item(Key={"pipeline_id": pid})["Item"]
            if done and parent:
                parents.update_item(Key={"pipeline_id": pid}, UpdateExpression="SET #s = :s",
                                    ConditionExpression="attribute_exists(pipeline_id)",
                                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": "Done"})
    '''))
    assert triples(findings_in(tmp_path)) == set()


@pytest.mark.parametrize("key", [
    '"sid": str(row["sid"]), "seq": int(row["seq"])',  # a string key as str, a number key (a Decimal) as int
    '"sid": row["sid"].strip(), "seq": row["seq"]',
    '"sid": str(sid), "seq": row["seq"]',
])
def test_a_rows_key_converted_to_its_own_type_is_the_rows(tmp_path: Path, key: str) -> None:
    assert run(tmp_path, 'Key("sid").eq(sid)', key) == {("app.py", 15, "DYN101")}


@pytest.mark.parametrize("key", [
    '"sid": row["sid"].strip("#"), "seq": row["seq"]',  # cut: another value
    '"sid": row["sid"].lower(), "seq": row["seq"]',  # cased: another value
])
def test_a_rows_key_changed_is_another_item(tmp_path: Path, key: str) -> None:
    assert run(tmp_path, 'Key("sid").eq(sid)', key) == set()


@pytest.mark.parametrize("item, expected", [
    # a listed row written again as a new dict: its key-like entries taken from the row
    ('{"sid": sid, "msg_id": row["msg_id"], "state": "closed"}', {("app.py", 15, "DYN101")}),
    ('{"sid": row["sid"], "msg_id": row["msg_id"], "text": row["text"], "state": "closed"}',
     {("app.py", 15, "DYN101")}),
    ('{"sid": sid, "msg_id": str(uuid.uuid4()), "parent_id": row["msg_id"]}', set()),  # a new row beside it
    ('{"sid": other, "msg_id": row["msg_id"], "state": "closed"}', set()),  # moved to another partition
    ('{"sid": sid, "text": row["text"], "state": "closed"}', set()),  # only the partition: no row named
])
def test_a_listed_row_put_again_as_a_new_dict(tmp_path: Path, item: str, expected: set) -> None:
    source = SOURCE.replace("import boto3", "import uuid\nimport boto3")
    write = "table.put_item(Item=ITEM)".replace("ITEM", item)
    (tmp_path / "app.py").write_text(textwrap.dedent(source).replace("QUERY", RESOURCE).replace("WRITE", write)
                                     .replace("CONDITION", 'Key("sid").eq(sid)').replace("NAMES", "{}"))
    found = triples(findings_in(tmp_path))
    assert {(path, line - 1, code) for path, line, code in found} == expected  # (one line added above)
