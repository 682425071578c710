"""A tenant id taken again from the same place is the same id (model/keys.py canon): a
per-tenant record read with one take and written with another is one item; ids from two
different places are not known to be equal."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in

SOURCE = '''
import boto3

table = boto3.resource("dynamodb").Table("quotas")

def handler(event, context):
    quota = table.get_item(Key={"tenant": READ})["Item"]
    if quota["used"] < quota["limit"]:
        table.update_item(Key={"tenant": WRITE}, UpdateExpression="SET used = :u",
                          ExpressionAttributeValues={":u": quota["used"] + 1})
'''


def _races(tmp_path: Path, read: str, write: str) -> set[str]:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("READ", read).replace("WRITE", write))
    return {f.code for f in findings_in(tmp_path, select=("DYN1",)).findings}


@pytest.mark.parametrize("take", [
    'event["tenant"]',
    'context.tenant_id',
    'event["requestContext"]["authorizer"]["tenantId"]',
    'event["headers"]["x-tenant-id"]',
])
def test_the_same_place_twice_is_one_id(tmp_path: Path, take: str) -> None:
    assert _races(tmp_path, take, take) == {"DYN102"}


def test_two_places_are_two_ids(tmp_path: Path) -> None:
    """The body's tenant and the authorizer's may differ (that is what DYN204 is about): the
    write is not known to name the item read."""
    assert _races(tmp_path, 'event["requestContext"]["authorizer"]["tenantId"]', 'context.tenant_id') == set()
