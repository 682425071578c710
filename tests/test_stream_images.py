"""A DynamoDB stream record's item images (``NewImage``, ``OldImage``, ``Keys``) are stored data
a table change carries, as an item read is: a tenant id read from them does not make the
handler tenant-aware (RULES.md: "a tenant id read from stored data does not"). Both were false
DYN201 before. A tenant id an SQS producer sent in a record's body still does."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import line_codes

STREAM = '''
import boto3

totals = boto3.resource("dynamodb").Table("totals")


def on_stream(event, context):
    for record in event["Records"]:
        tenant_id = FIELD
        totals.update_item(Key={"pk": f"TENANT#{tenant_id}"}, UpdateExpression="ADD n :one",
                           ExpressionAttributeValues={":one": 1})
'''


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", source)


@pytest.mark.parametrize("field", [
    'record["dynamodb"]["NewImage"]["tenant_id"]["S"]',
    'record["dynamodb"]["OldImage"]["tenantId"]["S"]',
    'record["dynamodb"]["Keys"]["tenant_id"]["S"]',
])
def test_a_tenant_id_from_a_stream_image_is_stored_data(tmp_path: Path, field: str) -> None:
    assert run(tmp_path, STREAM.replace("FIELD", field)) == set()


def test_a_tenant_id_a_producer_sent_in_a_queue_message_is_the_tenants(tmp_path: Path) -> None:
    source = STREAM.replace("import boto3", "import json\n\nimport boto3").replace(
        "FIELD", 'json.loads(record["body"])["tenant_id"]')
    line = textwrap.dedent(source).splitlines().index(
        '        totals.update_item(Key={"pk": f"TENANT#{tenant_id}"}, UpdateExpression="ADD n :one",') + 1
    assert run(tmp_path, source) == {(line, "DYN201")}
