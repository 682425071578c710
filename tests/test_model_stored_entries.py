"""Entries stored into a dict the model did not build (``body = json.loads(...)``, a
parameter, a call's result): the name holds that dict with the entry, other entries are
looked up in it, and a key counted from a scan stored there is an allocation
(model/assign.py, model/literals.py, model/allocation.py)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import json
import uuid
import boto3
from boto3.dynamodb.types import TypeSerializer

ddb = boto3.resource("dynamodb")
client = boto3.client("dynamodb")
hosts = ddb.Table("hosts")


'''

POSITIVES = {
    "parsed body": '''
def create(event, context):
    body = json.loads(event["body"])
    body["host_id"] = str(max([int(i["host_id"]) for i in hosts.scan()["Items"]], default=0) + 1)
    hosts.put_item(Item=body)  # here
''',
    "a parameter's dict": '''
def create(payload):
    ids = sorted(int(i["host_id"]) for i in hosts.scan()["Items"])
    payload["host_id"] = str(ids[-1] + 1)
    hosts.put_item(Item=payload)  # here
''',
    "name built at run time": '''
def create(event, context):
    kind = event["kind"]
    table = ddb.Table(kind)
    record = json.loads(event["body"])
    record[kind + "_id"] = str(len(table.scan()["Items"]) + 1)
    table.put_item(Item=record)  # here
''',
    "serialized into a low-level put": '''
def create(event, context):
    record = json.loads(event["body"])
    record["host_id"] = str(len(client.scan(TableName="hosts")["Items"]) + 1)
    client.put_item(TableName="hosts", Item=TypeSerializer().serialize(record)["M"])  # here
''',
}

CLEAN = {
    "created only when absent": '''
def create(event, context):
    body = json.loads(event["body"])
    body["host_id"] = str(len(hosts.scan()["Items"]) + 1)
    hosts.put_item(Item=body, ConditionExpression="attribute_not_exists(host_id)")
''',
    "a fresh key, the count beside it": '''
def create(event, context):
    body = json.loads(event["body"])
    body["host_id"] = str(uuid.uuid4())
    body["rank"] = len(hosts.scan()["Items"]) + 1
    hosts.put_item(Item=body)
''',
}


def _line(source: str) -> int:
    return next(i for i, line in enumerate((HEAD + source).splitlines(), 1) if "# here" in line)


@pytest.mark.parametrize("source", POSITIVES.values(), ids=list(POSITIVES))
def test_a_counted_key_stored_into_a_given_dict_is_an_allocation(source: str) -> None:
    kinds = race_kinds(model_of({"h.py": HEAD + source}))
    assert kinds.get(_line(source)) == "allocate", kinds


@pytest.mark.parametrize("source", CLEAN.values(), ids=list(CLEAN))
def test_guarded_or_fresh_keys_stay_clean(source: str) -> None:
    assert race_kinds(model_of({"h.py": HEAD + source})) == {}


def test_other_entries_are_looked_up_in_the_given_dict() -> None:
    source = HEAD + '''
def rename(event, context):
    body = json.loads(event["body"])
    item = hosts.get_item(Key={"host_id": body["host_id"]})["Item"]
    body["name"] = item["name"] + "-renamed"
    hosts.put_item(Item={"host_id": body["host_id"], "name": body["name"]})  # here
'''
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "# here" in text)
    assert race_kinds(model_of({"h.py": source})) == {line: "overwrite"}


HELPERS = '''
def number_it(record, n):
    record["host_id"] = str(n)


def numbered_copy(record, n):
    record = dict(record)
    record["host_id"] = str(n)
    return record
'''


def test_an_entry_a_callee_stores_into_the_dict_it_was_given_is_the_callers() -> None:
    source = HEAD + HELPERS + '''
def create(event, context):
    body = json.loads(event["body"])
    number_it(body, len(hosts.scan()["Items"]) + 1)
    hosts.put_item(Item=body)  # here
'''
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "# here" in text)
    assert race_kinds(model_of({"h.py": source})) == {line: "allocate"}


def test_a_callee_that_stores_into_a_copy_leaves_the_callers_dict_alone() -> None:
    source = HEAD + HELPERS + '''
def create(event, context):
    body = json.loads(event["body"])
    preview = numbered_copy(body, len(hosts.scan()["Items"]) + 1)
    hosts.put_item(Item=body)
    return preview
'''
    assert race_kinds(model_of({"h.py": source})) == {}


@pytest.mark.parametrize("pick", ["rows[i]", "rows[i - 1]", "rows[len(rows) - 1]"])
def test_an_element_at_a_position_the_code_computed_is_one_of_the_list(pick: str) -> None:
    source = HEAD + f'''
def create(event, context):
    kind = event["kind"]
    table = ddb.Table(kind)
    rows = []
    for n, row in enumerate(json.loads(event["body"])):
        row[kind + "_id"] = str(len(table.scan()["Items"]) + 1 + n)
        rows.append(row)
    for i in range(1, len(rows)):
        table.put_item(Item={pick})  # here
'''
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "# here" in text)
    assert race_kinds(model_of({"h.py": source})) == {line: "allocate"}


LOOPS = {
    "for x in xs": '''
def create(event, context):
    records = json.loads(event["body"])
    for record in records:
        record["host_id"] = str(len(hosts.scan()["Items"]) + 1)
    for record in records:
        hosts.put_item(Item=record)  # here
''',
    "enumerate": '''
def create(event, context):
    records = json.loads(event["body"])["hosts"]
    first = len(hosts.scan()["Items"]) + 1
    for n, record in enumerate(records):
        record["host_id"] = str(first + n)
        record["state"] = "NEW"
    with hosts.batch_writer() as batch:
        for record in records:
            batch.put_item(Item=record)  # here
''',
}


@pytest.mark.parametrize("source", LOOPS.values(), ids=list(LOOPS))
def test_an_entry_stored_into_each_element_of_a_loop_is_in_the_list_after_it(source: str) -> None:
    kinds = race_kinds(model_of({"h.py": HEAD + source}))
    assert kinds.get(_line(source)) == "allocate", kinds


def test_a_loop_that_rebinds_its_name_leaves_the_list_alone() -> None:
    source = '''
def create(event, context):
    records = json.loads(event["body"])
    for record in records:
        record = {"host_id": str(len(hosts.scan()["Items"]) + 1)}
    for record in records:
        hosts.put_item(Item=record)
'''
    assert race_kinds(model_of({"h.py": HEAD + source})) == {}
