"""Claims libraries take (``model/locks.py``): python-dynamodb-lock's ``acquire_lock`` holds a
lock on a name until ``release()``/``release_lock()`` or the end of its ``with`` block, and
Powertools' ``@idempotent``/``@idempotent_function`` claim what ``event_key_jmespath`` selects
before the body runs. A claim covers a write of an item whose key the name is made of."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

LOCK = '''import boto3
import requests
from python_dynamodb_lock.python_dynamodb_lock import DynamoDBLockClient
ddb = boto3.resource("dynamodb")
table = ddb.Table("accounts")
locks = DynamoDBLockClient(ddb)

def handler(event, context):
    key = event["id"]
'''
READ_CHANGE_PUT = ['item = table.get_item(Key={"pk": key})["Item"]', 'item["n"] = item["n"] + 1',
                   'table.put_item(Item=item)']


def lock_kinds(*lines: str) -> list[str]:
    source = LOCK + "".join("    " + line + "\n" for line in lines)
    return list(race_kinds(model_of({"app.py": source})).values())


def indented(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@pytest.mark.parametrize("lines", [
    ["lock = locks.acquire_lock(key)", *READ_CHANGE_PUT, "lock.release()"],
    ["lock = locks.acquire_lock(f'acct#{key}', sort_key='balance')", *READ_CHANGE_PUT, "locks.release_lock(lock)"],
    ["with locks.acquire_lock(partition_key='acct-' + key):", *indented(READ_CHANGE_PUT)],
    ["lock = locks.acquire_lock('maintenance')", *READ_CHANGE_PUT],  # one lock for every item
    # a cache-aside render under the lock of its key
    ["with locks.acquire_lock(key):", '    if table.get_item(Key={"pk": key}).get("Item") is None:',
     '        table.put_item(Item={"pk": key, "body": requests.get(key).text})'],
])
def test_a_held_lock_on_the_key_covers_the_item(lines: list[str]) -> None:
    assert lock_kinds(*lines) == []


@pytest.mark.parametrize(("lines", "expected"), [
    # released before the write, the block left, or a lock on something else
    (["lock = locks.acquire_lock(key)", *READ_CHANGE_PUT[:2], "lock.release()", READ_CHANGE_PUT[2]], ["counter"]),
    (["with locks.acquire_lock(key):", "    " + READ_CHANGE_PUT[0], *READ_CHANGE_PUT[1:]], ["counter"]),
    (["lock = locks.acquire_lock(event['request_id'])", *READ_CHANGE_PUT], ["counter"]),
    (["lock = locks.acquire_lock(key, event['stage'])", *READ_CHANGE_PUT], ["counter"]),
    # the item read before the lock was taken: a stale copy written under it
    ([READ_CHANGE_PUT[0], "lock = locks.acquire_lock(key)", *READ_CHANGE_PUT[1:]], ["counter"]),
])
def test_a_lock_that_does_not_cover_the_write(lines: list[str], expected: list[str]) -> None:
    assert lock_kinds(*lines) == expected


IDEMPOTENT = '''import boto3
import requests
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer, IdempotencyConfig, idempotent, idempotent_function,
)
layer = DynamoDBPersistenceLayer(table_name="idempotency")
table = boto3.resource("dynamodb").Table("receipts")

@{decorator}
def {name}({params}):
    key = {key}
    if table.get_item(Key={{"pk": key}}).get("Item") is None:
        table.put_item(Item={{"pk": key, "receipt": requests.post("https://pay.example.com").json()}})
'''


@pytest.mark.parametrize(("decorator", "name", "params", "key", "expected"), [
    ('idempotent(persistence_store=layer, config=IdempotencyConfig(event_key_jmespath="order_id"))',
     "handler", "event, context", 'event["order_id"]', []),
    ('idempotent(persistence_store=layer, config=IdempotencyConfig(event_key_jmespath="detail.id"))',
     "handler", "event, context", 'event["detail"]["id"]', []),
    ('idempotent_function(data_keyword_argument="order", persistence_store=layer, '
     'config=IdempotencyConfig(event_key_jmespath="id"))', "charge", "order", 'order["id"]', []),
    # the whole event (or order) claimed: requests for one key that differ elsewhere both run
    ("idempotent(persistence_store=layer)", "handler", "event, context", 'event["order_id"]', ["stampede"]),
    ('idempotent_function(data_keyword_argument="order", persistence_store=layer)', "charge", "order",
     'order["id"]', ["stampede"]),
    # a JMESPath function or another field: not the key written
    ('idempotent(persistence_store=layer, config=IdempotencyConfig(event_key_jmespath="powertools_json(body).id"))',
     "handler", "event, context", 'event["id"]', ["stampede"]),
    ('idempotent(persistence_store=layer, config=IdempotencyConfig(event_key_jmespath="request_id"))',
     "handler", "event, context", 'event["order_id"]', ["stampede"]),
])
def test_powertools_idempotency_claims_what_it_selects(decorator: str, name: str, params: str, key: str,
                                                       expected: list[str]) -> None:
    source = IDEMPOTENT.format(decorator=decorator, name=name, params=params, key=key)
    assert list(race_kinds(model_of({"app.py": source})).values()) == expected
