"""Race shapes found by probing neighbours of the labelled ones (session of 2026-12-05, night):
a repository base class parameterised by its record type (``Store[Job]``, PEP 695), and a table of
lambdas looked up by a key from the request."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of

STORE = '''
from typing import Generic, TypeVar

import boto3

T = TypeVar("T")


class Store(Generic[T]):
    def __init__(self, name):
        self.table = boto3.resource("dynamodb").Table(name)

    def load(self, pk):
        return self.table.get_item(Key={"pk": pk})["Item"]

    def store(self, item):
        self.table.put_item(Item=item)


SUBCLASS


jobs = Jobs("jobs")


def handler(event, context):
    job = jobs.load(event["id"])
    if job["state"] == "QUEUED":
        job["state"] = "RUNNING"
        jobs.store(job)
'''


@pytest.mark.parametrize("subclass", [
    "class Jobs(Store[dict]):\n    pass",
    "class Jobs(Store[dict[str, object]]):\n    pass",
    "class Jobs[R](Store[R]):\n    pass",  # PEP 695
    "class Jobs(Store):\n    pass",
])
def test_a_repository_base_parameterised_by_its_record(subclass: str) -> None:
    model = model_of({"app.py": STORE.replace("SUBCLASS", subclass)})
    assert [model.interp.roots[race.record.root].func for race in model.races()] == ["handler"]


def test_a_class_named_by_a_subscript_that_is_not_a_base_class_is_unknown() -> None:
    # a base the model cannot name stays unknown: no method is found through it
    model = model_of({"app.py": STORE.replace("SUBCLASS", "class Jobs(BASES[0]):\n    pass").replace(
        "T = TypeVar", "BASES = [object]\nT = TypeVar")})
    assert model.races() == []


DISPATCH = '''
import boto3

table = boto3.resource("dynamodb").Table("tasks")
ACTIONS = {"start": START, "stop": lambda t: {**t, "state": "STOPPED"}}


def handler(event, context):
    task = table.get_item(Key={"pk": event["id"]})["Item"]
    if task["state"] != "DONE":
        table.put_item(Item=ACTIONS[event["action"]](task)GUARD)
'''


@pytest.mark.parametrize("start, guard, races", [
    ('lambda t: {**t, "state": "RUNNING"}', "", 1),
    ('lambda t: {**t, "state": "RUNNING"}', ', ConditionExpression="#s <> :done", '
     'ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":done": "DONE"}', 0),
])
def test_a_table_of_lambdas_looked_up_by_the_request(start: str, guard: str, races: int) -> None:
    model = model_of({"app.py": DISPATCH.replace("START", start).replace("GUARD", guard)})
    assert len(model.races()) == races


POSTS = '''
from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Post(Model):
    class Meta:
        table_name = "posts"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute()
    likes = NumberAttribute(default=0)
    tags = ListAttribute(default=list)


def handler(event, context):
    BODY
'''


@pytest.mark.parametrize("body, races", [
    # PynamoDB's list_append, built on the attribute itself: atomic, whatever was read before
    ('post = Post.get(event["pk"], event["sk"])\n    print(post.likes)\n'
     '    post.update(actions=[Post.tags.set((Post.tags | []).prepend([event["tag"]]))])', 0),
    ('post = Post.get(event["pk"], event["sk"])\n    print(post.likes)\n'
     '    post.update(actions=[Post.tags.set(Post.tags.append([event["tag"]]))])', 0),
    # the list read, extended in Python and set: the read's copy written back
    ('post = Post.get(event["pk"], event["sk"])\n    post.update(actions=[Post.tags.set(post.tags + [event["tag"]])])', 1),
    # items a query or scan listed, decided on and updated or deleted by themselves
    ('for post in Post.query(event["pk"]):\n        if post.state == "DRAFT":\n'
     '            post.update(actions=[Post.state.set("ARCHIVED")])', 1),
    ('for post in Post.scan():\n        if post.state == "DRAFT":\n            post.delete()', 1),
    ('for post in Post.query(event["pk"]):\n        post.delete()', 0),  # decided nothing on them
    ('for post in Post.query(event["pk"]):\n        if post.state == "DRAFT":\n'
     '            post.update(actions=[Post.state.set("ARCHIVED")], condition=Post.state == "DRAFT")', 0),
])
def test_pynamodb_updates_and_deletes(body: str, races: int) -> None:
    model = model_of({"app.py": POSTS.replace("BODY", body)})
    assert len(model.races()) == races


PARTIQL = '''
import boto3

ddb = boto3.client("dynamodb")


def handler(event, context):
    pk = event["pk"]
    rows = ddb.execute_statement(Statement='SELECT * FROM "posts" WHERE pk = ?', Parameters=[{"S": pk}])["Items"]
    if rows:
        ddb.execute_statement(Statement=STATEMENT, Parameters=[PARAMS{"S": pk}])
'''


@pytest.mark.parametrize("statement, params, kind", [
    ("'UPDATE \"posts\" SET views = views + 1 WHERE pk = ?'", "", None),  # atomic in PartiQL too
    ("'UPDATE \"posts\" SET tags = list_append(tags, ?) WHERE pk = ?'", '{"L": [{"S": event["tag"]}]}, ', None),
    ("'UPDATE \"posts\" SET \"views\" = \"views\" + 1, seen = ? WHERE pk = ?'", '{"BOOL": True}, ', None),
    ("'UPDATE \"posts\" SET views = ? WHERE pk = ?'", '{"N": str(int(rows[0]["views"]["N"]) + 1)}, ', "counter"),
    ("'UPDATE \"posts\" SET seen = ? WHERE pk = ?'", '{"BOOL": True}, ', "overwrite"),  # a blind SET, as boto3's
])
def test_partiql_updates_computed_from_the_attribute_itself(statement: str, params: str, kind: str | None) -> None:
    model = model_of({"app.py": PARTIQL.replace("STATEMENT", statement).replace("PARAMS", params)})
    assert [race.kind for race in model.races()] == ([kind] if kind else [])


MEMBER = '''
import boto3
from pydantic import BaseModel, Field

table = boto3.resource("dynamodb").Table("members")


class Member(BaseModel):
    pk: str = Field(PK_FIELD)
    sk: str = Field(alias="SK")
    role: str


def handler(event, context):
    m = Member.model_validate(table.get_item(Key={"PK": event["org"], "SK": event["user"]})["Item"])
    if m.role == "owner":
        return
    m.role = event["role"]
    table.put_item(Item=m.model_dump(DUMP))
'''


@pytest.mark.parametrize("pk_field, dump, races", [
    ('alias="PK"', "by_alias=True", 1),
    ('validation_alias="PK", serialization_alias="PK"', "by_alias=True", 1),
    ('alias="PK"', "", 0),  # dumped by field name: {"pk": ..., "sk": ...} names no item the read named
])
def test_pydantic_fields_named_by_alias(pk_field: str, dump: str, races: int) -> None:
    model = model_of({"app.py": MEMBER.replace("PK_FIELD", pk_field).replace("DUMP", dump)})
    assert len(model.races()) == races


QUOTA = '''
import boto3

table = boto3.resource("dynamodb").Table("quotas")


def consume(event, context):
    k = {"pk": event["account"]}
    n = int(event["units"])
    it = table.update_item(Key=k, UpdateExpression="ADD used :n", ExpressionAttributeValues={":n": n},
                           ReturnValues="ALL_NEW")["Attributes"]
    if it["used"] > it["limit"]:
        table.update_item(Key=k, COMPENSATE)
        return False
    return True
'''


@pytest.mark.parametrize("compensate, kinds", [
    # the count returned, less this caller's units, set back: the units others added since are lost
    ('UpdateExpression="SET used = :u", ExpressionAttributeValues={":u": it["used"] - n}', ["counter"]),
    ('UpdateExpression="ADD used :m", ExpressionAttributeValues={":m": -n}', []),  # atomic: nothing lost
    ('UpdateExpression="SET blocked = :t", ExpressionAttributeValues={":t": True}', []),  # decided on its own change
])
def test_a_compensation_after_an_atomic_add(compensate: str, kinds: list[str]) -> None:
    model = model_of({"app.py": QUOTA.replace("COMPENSATE", compensate)})
    assert [race.kind for race in model.races()] == kinds


ORDER = '''
import json

import boto3
import cattrs
import msgspec
from pydantic import BaseModel

table = boto3.resource("dynamodb").Table("orders")


class Order(BaseModel):
    pk: str
    status: str


class Ticket(msgspec.Struct):
    pk: str
    status: str


def handler(event, context):
    item = table.get_item(Key={"pk": event["id"]})["Item"]
    record = MADE
    if record.status != "NEW":
        return
    record.status = "PAID"
    table.put_item(Item=DUMPED)
'''


@pytest.mark.parametrize("made, dumped", [
    ("Order.model_validate(item)", "json.loads(record.model_dump_json())"),
    ("Order.parse_obj(item)", "json.loads(record.json())"),  # pydantic v1
    ("msgspec.convert(item, Ticket)", "msgspec.to_builtins(record)"),
])
def test_a_record_serialised_and_back(made: str, dumped: str) -> None:
    model = model_of({"app.py": ORDER.replace("MADE", made).replace("DUMPED", dumped)})
    assert [race.kind for race in model.races()] == ["overwrite"]


MIXIN = '''
import time

import boto3


class DynamoRepo:
    def __init__(self):
        self.table = boto3.resource("dynamodb").Table("orders")

    def load(self, pk):
        return self.table.get_item(Key={"pk": pk})["Item"]

    def save(self, item):
        self.table.put_item(Item=item)


class TimestampMixin:
    def save(self, item):
        item["updated_at"] = int(time.time())
        return super().save(item)


class OrderRepo(BASES):
    pass


repo = OrderRepo()


def handler(event, context):
    order = repo.load(event["id"])
    if order["status"] == "NEW":
        order["status"] = "PAID"
        repo.save(order)
'''


@pytest.mark.parametrize("bases", ["TimestampMixin, DynamoRepo", "DynamoRepo"])
def test_super_in_a_cooperative_mixin_follows_the_instances_mro(bases: str) -> None:
    model = model_of({"app.py": MIXIN.replace("BASES", bases)})
    assert [model.line_of(race.record.write.loc) for race in model.races()] == [15]


def test_the_mro_is_c3() -> None:
    from dynolint.model.mro import linearize
    from dynolint.model.values import ClassV

    a, b, c, d = (ClassV("m.py", name) for name in "ABCD")
    bases = {d: [b, c], b: [a], c: [a], a: []}  # the diamond: D, B, C, A
    assert linearize(d, lambda cls: bases[cls]) == [d, b, c, a]


CACHE = '''
import time

import boto3
import requests

table = boto3.resource("dynamodb").Table("cache")


def fetch(event, context):
    url = event["url"]
    item = READ
    if TEST:
        return item["body"]
    body = requests.get(url, timeout=5).text
    table.put_item(Item={"url": url, "body": body, "ttl": int(time.time()) + 3600})
    return body
'''


@pytest.mark.parametrize("read, test, kind", [
    # a missing item stands in as {}: its defaulted ttl fails the freshness test, so the fetch runs on a miss
    ('table.get_item(Key={"url": url}).get("Item", {})', 'item.get("ttl", 0) > time.time()', "stampede"),
    ('table.get_item(Key={"url": url}).get("Item") or {}', 'time.time() < item.get("ttl", 0)', "stampede"),
    # the item is there (a KeyError otherwise): an expired one refreshed by every request at once
    ('table.get_item(Key={"url": url})["Item"]', 'item.get("ttl", 0) > time.time()', "overwrite"),
])
def test_a_freshness_test_on_a_defaulted_item_is_a_presence_test(read: str, test: str, kind: str) -> None:
    model = model_of({"app.py": CACHE.replace("READ", read).replace("TEST", test)})
    assert [race.kind for race in model.races()] == [kind]
