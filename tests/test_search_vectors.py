"""DynamoDB's vector search (``SearchVectors``, botocore 1.44.18): the items most like a vector over a
vector index, each in ``resp["SearchResults"][i]["Item"]``. It lists items as a scan or query does:
an item found, decided on and written back by its key races (DYN101/DYN102); in tenant-aware code
a search not narrowed to the tenant reaches every tenant's items (DYN202), as a scan does."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import boto3

client = boto3.client("dynamodb")


def handler(event, context):
    ns = NAMESPACE
    resp = client.search_vectors(TableName="memories", IndexName="embedding", SearchVector=event["vector"],
                                 TopK=5CONDITION)
    for result in resp["SearchResults"]:
        item = result["Item"]
        if item["state"]["S"] == "active":
            client.update_item(TableName="memories", Key={"PK": item["PK"], "SK": item["SK"]}, UPDATE)
'''
CONDITION = ', SearchConditionExpression="#pk = :pk", ExpressionAttributeNames={"#pk": "PK"}, ' \
            'ExpressionAttributeValues={":pk": {"S": ns}}'
COUNTER = 'UpdateExpression="SET hits = :h", ExpressionAttributeValues={":h": {"N": str(int(item["hits"]["N"]) + 1)}}'
ATOMIC = 'UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": {"N": "1"}}'
CLOSE = 'UpdateExpression="SET #s = :c", ExpressionAttributeNames={"#s": "state"}, ' \
        'ExpressionAttributeValues={":c": {"S": "closed"}}'


def run(tmp_path: Path, update: str, namespace: str = 'event["namespace"]', condition: str = CONDITION) -> set:
    source = textwrap.dedent(SOURCE).replace("NAMESPACE", namespace).replace("CONDITION", condition)
    (tmp_path / "app.py").write_text(source.replace("UPDATE", update))
    return triples(findings_in(tmp_path))


@pytest.mark.parametrize("update, code", [(COUNTER, "DYN102"), (CLOSE, "DYN101")])
def test_an_item_found_by_vector_search_and_written_back_races(tmp_path: Path, update: str, code: str) -> None:
    assert run(tmp_path, update) == {("app.py", 14, code)}


def test_an_atomic_update_of_an_item_found_is_clean(tmp_path: Path) -> None:
    assert run(tmp_path, ATOMIC) == set()


@pytest.mark.parametrize("condition, code", [("", "DYN202"), (CONDITION, "DYN201")])
def test_a_tenants_vector_search(tmp_path: Path, condition: str, code: str) -> None:
    found = run(tmp_path, ATOMIC, 'event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]', condition)
    assert ("app.py", 9, code) in found
