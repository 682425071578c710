"""TransactGetItems (model/dynamo.py): one get_item answer per Get, in order, each a read of
its key and a data call; a decision on them makes an unconditioned write of that item a race."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

READ = '''
import boto3

client = boto3.client("dynamodb")

def handler(event, context):
    answer = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": "jobs", "Key": {"id": {"S": event["id"]}}}},
        {"Get": {"TableName": "jobs", "Key": {"id": {"S": "settings"}}}},
    ])
    {take}
    if job["state"]["S"] != "QUEUED":
        return
    client.put_item(TableName="jobs", Item={**job, "state": {"S": "RUNNING"}})
'''


@pytest.mark.parametrize("take", [
    'job = answer["Responses"][0]["Item"]',
    'job = answer["Responses"][0].get("Item")',
    'job, settings = [r["Item"] for r in answer["Responses"]]',
    'job = next(r["Item"] for r in answer["Responses"])',
])
def test_each_answer_is_the_item_of_its_get(tmp_path: Path, take: str) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(READ).replace("{take}", take))
    assert triples(findings_in(tmp_path)) == {("app.py", 14, "DYN101")}


def test_the_second_get_is_another_item(tmp_path: Path) -> None:
    """A write of an item no Get read (and not built from the answers) races with nothing."""
    source = textwrap.dedent(READ).replace("{take}", 'job = answer["Responses"][0]["Item"]')
    source = source.replace('Item={**job, "state": {"S": "RUNNING"}}', 'Item={"id": {"S": "audit"}, "n": {"N": "1"}}')
    (tmp_path / "app.py").write_text(source)
    assert triples(findings_in(tmp_path)) == set()  # an item nobody read


def test_a_transaction_read_in_tenant_code_is_a_data_call(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import boto3

        client = boto3.client("dynamodb")

        def handler(event, context):
            tenant = context.tenant_id
            answer = client.transact_get_items(TransactItems=[
                {"Get": {"TableName": "docs", "Key": {"id": {"S": event["doc"]}}}},
            ])
            return answer["Responses"][0].get("Item")
    '''))
    assert {code for _, _, code in triples(findings_in(tmp_path))} == {"DYN202"}
