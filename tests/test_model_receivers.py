"""Receivers: the model recognises DynamoDB handles however they are made and passed,
and nothing that only looks like one."""

from __future__ import annotations

import pytest

from tests.modelkit import lines, model_of

RACE = """
{setup}

{prefix}def rename(item_id, title):
    {read}
    item["title"] = title
    {write}
"""

RECEIVERS = {
    "resource-table": ('import boto3\nt = boto3.resource("dynamodb").Table("notes")',
                       't.get_item(Key={"pk": item_id})["Item"]', "t.put_item(Item=item)"),
    "session-resource": ('import boto3\ns = boto3.Session(region_name="eu-west-1")\nt = s.resource("dynamodb").Table("n")',
                         't.get_item(Key={"pk": item_id})["Item"]', "t.put_item(Item=item)"),
    "service-name-kwarg": ('import boto3\nc = boto3.Session().client(service_name="dynamodb")',
                           'c.get_item(TableName="n", Key={"pk": {"S": item_id}})["Item"]',
                           'c.put_item(TableName="n", Item=item)'),
    "meta-client": ('import boto3\nt = boto3.resource("dynamodb").Table("n")\nc = t.meta.client',
                    'c.get_item(TableName="n", Key={"pk": item_id})["Item"]', 'c.put_item(TableName="n", Item=item)'),
    "alias": ('import boto3\nt = boto3.resource("dynamodb").Table("n")\nalias = t',
              'alias.get_item(Key={"pk": item_id})["Item"]', "t.put_item(Item=item)"),
    "factory": ('import boto3\ndef table():\n    return boto3.resource("dynamodb").Table("n")',
                'table().get_item(Key={"pk": item_id})["Item"]', "table().put_item(Item=item)"),
}


@pytest.mark.parametrize("name", sorted(RECEIVERS))
def test_receiver_is_recognised(name: str) -> None:
    setup, read, write = RECEIVERS[name]
    source = RACE.format(setup=setup, prefix="", read=f"item = {read}", write=write)
    model = model_of({"m.py": source})
    assert len(model.races()) == 1


def test_self_table_set_in_init() -> None:
    model = model_of({"repo.py": """
import boto3

class Repo:
    def __init__(self, name):
        self.table = boto3.resource("dynamodb").Table(name)

    def touch(self, key):
        item = self.table.get_item(Key={"pk": key})["Item"]
        item["n"] = 1
        self.table.put_item(Item=item)
"""})
    assert lines(model, [r.write.loc for r in model.races()]) == [11]


@pytest.mark.parametrize("annotation,imp", [
    ("Table", "from mypy_boto3_dynamodb.service_resource import Table"),
    ("Table", "from types_boto3_dynamodb.service_resource import Table"),
    ('"Table"', "from mypy_boto3_dynamodb.service_resource import Table"),
    ("Optional[Table]", "from typing import Optional\nfrom mypy_boto3_dynamodb.service_resource import Table"),
])
def test_annotated_parameter(annotation: str, imp: str) -> None:
    model = model_of({"store.py": f"""
{imp}

def touch(table: {annotation}, key):
    item = table.get_item(Key={{"pk": key}})["Item"]
    item["n"] = 1
    table.put_item(Item=item)
"""})
    assert len(model.races()) == 1


def test_aioboto3_and_aiobotocore() -> None:
    model = model_of({"a.py": """
import aioboto3
from aiobotocore.session import get_session
session = aioboto3.Session()

async def one(key):
    async with session.resource("dynamodb") as db:
        table = await db.Table("n")
        item = (await table.get_item(Key={"pk": key}))["Item"]
        await table.put_item(Item=item)

async def two(key):
    async with get_session().create_client("dynamodb") as client:
        item = (await client.get_item(TableName="n", Key={"pk": {"S": key}}))["Item"]
        await client.put_item(TableName="n", Item=item)
"""})
    assert len(model.races()) == 2


def test_a_client_entered_by_hand() -> None:
    # a long-lived aiobotocore client: ``await create_client(...).__aenter__()`` kept in a global (the
    # library's context manager entered without ``async with``) is the client, as ``async with`` gives
    model = model_of({"a.py": """
from aiobotocore.session import get_session
_client = None

async def client():
    global _client
    if _client is None:
        _client = await get_session().create_client("dynamodb").__aenter__()
    return _client

async def one(key):
    c = await client()
    item = (await c.get_item(TableName="n", Key={"pk": {"S": key}}))["Item"]
    await c.put_item(TableName="n", Item=item)
"""})
    assert [model.interp.roots[race.record.root].func for race in model.races()] == ["one"]


def test_lookalikes_are_not_dynamodb() -> None:
    model = model_of({"fake.py": """
class FakeTable:
    def __init__(self):
        self.items = {}
    def get_item(self, Key):
        return {"Item": self.items.get(Key["pk"])}
    def put_item(self, Item):
        self.items[Item["pk"]] = Item

table = FakeTable()

def touch(key, store, other):
    item = table.get_item(Key={"pk": key})["Item"]
    table.put_item(Item=item)
    item = store.get_item(Key={"pk": key})["Item"]
    store.put_item(Item=item)
    other.update(item)
"""})
    assert model.races() == []
    assert model.interp.reads == []


def test_pynamodb_model_facts() -> None:
    model = model_of({"models.py": """
from pynamodb.models import Model
from pynamodb.attributes import UnicodeAttribute, VersionAttribute

class Account(Model):
    class Meta:
        table_name = "accounts"
    owner = UnicodeAttribute(hash_key=True)
    region = UnicodeAttribute(range_key=True)
    version = VersionAttribute()

def touch(owner, region):
    account = Account.get(owner, region)
    account.save()
"""})
    from dynolint.model.values import ClassV

    info = model.interp.pyn_info(model.interp.pyn_model(ClassV("models.py", "Account")))
    assert (info.hash_key, info.range_key, info.version) == ("owner", "region", "version")
    assert model.races() == []  # the version attribute guards save()
