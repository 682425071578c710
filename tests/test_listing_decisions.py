"""Decisions made on the items of a scan or query count against a write's condition
(``model/guard_cover.py``, class 8 of issue 14):

- a filter in a comprehension or generator (``next(j for j in jobs if j["s"] == "NEW")``)
  keeps the comparisons it made for every element it keeps, as ``for``/``if`` does;
- an element decided on and then fetched again by its key (``get_item(Key={"id": j["id"]})``)
  is one item with the copy fetched: the decision on the element is a decision on what the
  write changes.

A filter over the parts of one item, and one whose write goes to another item, decide
nothing the write's condition must keep."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

HEAD = '''
import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table("jobs")
other = boto3.resource("dynamodb").Table("pipelines")

def handler(event, context):
    items = table.query(IndexName="by_pipeline", KeyConditionExpression=Key("p").eq(event["p"]))["Items"]
'''
EXISTS = 'ConditionExpression="attribute_exists(job_id)"'
PINNED = 'ConditionExpression="#s = :old", ExpressionAttributeNames={"#s": "status"}'


NAMES = 'ExpressionAttributeNames={"#s": "status"}'


def _update(key: str, condition: str, target: str = "table", indent: int = 4) -> str:
    names = "" if "#s" in condition else ", " + NAMES
    return (" " * indent + f'{target}.update_item(Key={{"job_id": {key}}}, UpdateExpression="SET #s = :new", '
            + condition + names + ', ExpressionAttributeValues={":new": "RUNNING", ":old": "NEW"})')


CASES = {
    # a generator filter, the element kept then written
    "next-exists": ('job = next((j for j in items if j["status"] == "NEW"), None)\n    if job:\n'
                    + _update('job["job_id"]', EXISTS, indent=8), {(12, "DYN101")}),
    "next-pinned": ('job = next((j for j in items if j["status"] == "NEW"), None)\n    if job:\n'
                    + _update('job["job_id"]', PINNED, indent=8), set()),
    # a list comprehension's kept elements, looped over
    "list-exists": ('for job in [j for j in items if j["status"] == "NEW"]:\n'
                    + _update('job["job_id"]', EXISTS, indent=8), {(11, "DYN101")}),
    # the element decided on, fetched again by its key, put back
    "refetch-exists": ('for j in items:\n        if j["status"] == "NEW":\n'
                       '            job = table.get_item(Key={"job_id": j["job_id"]})["Item"]\n'
                       '            job["status"] = "RUNNING"\n'
                       '            table.put_item(Item=job, ConditionExpression="attribute_exists(job_id)")',
                       {(14, "DYN101")}),
    "refetch-pinned": ('for j in items:\n        if j["status"] == "NEW":\n'
                       '            job = table.get_item(Key={"job_id": j["job_id"]})["Item"]\n'
                       '            job["status"] = "RUNNING"\n'
                       '            table.put_item(Item=job, ConditionExpression="#s = :old", '
                       'ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":old": "NEW"})',
                       set()),
    # a filter that counts, then another table's item read and written under a condition
    "other-item": ('p = other.get_item(Key={"job_id": event["p"]})["Item"]\n'
                   '    done = [j for j in items if j["status"] == "DONE"]\n'
                   '    if len(done) == len(items):\n'
                   + _update('p["job_id"]', EXISTS, target="other", indent=8), set()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_listing_decisions(tmp_path: Path, name: str) -> None:
    body, expected = CASES[name]
    (tmp_path / "app.py").write_text(textwrap.dedent(HEAD) + "    " + body + "\n")
    assert {(line, code) for _, line, code in triples(findings_in(tmp_path))} == expected


def test_a_filter_over_one_items_parts_decides_nothing_on_the_item(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import boto3
        table = boto3.resource("dynamodb").Table("docs")

        def handler(event, context):
            doc = table.get_item(Key={"doc_id": event["id"]}, ConsistentRead=True)["Item"]
            if [t for t in doc["tags"] if t["k"] == event["k"]]:
                table.update_item(Key={"doc_id": event["id"]}, UpdateExpression="SET seen = :t",
                                  ConditionExpression="attribute_exists(doc_id)",
                                  ExpressionAttributeValues={":t": 1})
    '''))
    assert triples(findings_in(tmp_path)) == set()


PAGED = '''
import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table("jobs")

def handler(event, context):
    resp = table.query(IndexName="by_pipeline", KeyConditionExpression=Key("p").eq(event["p"]))
    items = resp["Items"]
    while "LastEvaluatedKey" in resp:
        resp = table.scan(ExclusiveStartKey=resp["LastEvaluatedKey"], ConsistentRead=True)
        items.extend(resp["Items"])
'''

# A list built from two reads (a query, then a scan that pages on): an element is either
# read's, so a key taken from it is taken from each listing
PAGED_CASES = {
    "element-written": ('for job in items:\n        if job["status"] == "NEW":\n'
                        + _update('job["job_id"]', EXISTS, indent=12), {(15, "DYN101")}),
    "element-written-pinned": ('for job in items:\n        if job["status"] == "NEW":\n'
                               + _update('job["job_id"]', PINNED, indent=12), set()),
    # the ids chosen kept in a list, each fetched again and written
    "ids-refetched": ('ids = [j["job_id"] for j in items if j["status"] == "NEW"]\n'
                      '    for job_id in ids:\n'
                      '        job = table.get_item(Key={"job_id": job_id})["Item"]\n'
                      + _update('job["job_id"]', EXISTS, indent=8), {(16, "DYN101")}),
    # decided on one attribute, written under a condition on another that the write bumps
    "element-versioned": ('for job in items:\n        if job["status"] == "NEW":\n'
                          '            table.update_item(Key={"job_id": job["job_id"]}, '
                          'UpdateExpression="SET #s = :new, version = :next", ConditionExpression="version = :seen", '
                          'ExpressionAttributeNames={"#s": "status"}, '
                          'ExpressionAttributeValues={":new": "RUNNING", ":seen": job["version"], '
                          '":next": job["version"] + 1})', set()),
}


@pytest.mark.parametrize("name", sorted(PAGED_CASES))
def test_decisions_on_a_list_built_from_two_reads(tmp_path: Path, name: str) -> None:
    body, expected = PAGED_CASES[name]
    (tmp_path / "app.py").write_text(textwrap.dedent(PAGED) + "    " + body + "\n")
    assert {(line, code) for _, line, code in triples(findings_in(tmp_path))} == expected


def test_a_decision_on_elements_of_two_reads_is_named_once(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(PAGED) + "    " + PAGED_CASES["element-written"][0] + "\n")
    (finding,) = findings_in(tmp_path).findings
    assert finding.message.count("status == 'NEW'") == 1
    assert [r.line for r in finding.related if r.kind == "decision"] == [14]
