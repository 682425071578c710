"""A helper that adds its guard only when its caller passes one (``condition=None`` tested
with ``is not None``, ``expect=None`` tested for truth): on a caller's path the branch the
argument decides is the only one (model/narrowing.py, ``truthiness`` and ``none_status``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import line_codes

HELPER = '''
import os
import boto3
from boto3.dynamodb.conditions import Attr
from pynamodb.models import Model
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

table = boto3.resource("dynamodb").Table(os.environ["T"])


class Account(Model):
    class Meta:
        table_name = "accounts"
    pk = UnicodeAttribute(hash_key=True)
    n = NumberAttribute()


def save(item, condition=None):
    kwargs = {{"Item": item}}
    if {test}:
        kwargs["ConditionExpression"] = condition
    table.put_item(**kwargs)


def handler(event, context):
    acct = table.get_item(Key={{"pk": event["id"]}})["Item"]
    save({{**acct, "email": event["email"]}}, {argument})
'''
WRITE_LINE = 22


@pytest.mark.parametrize("test", ["condition is not None", "condition != None", "None is not condition",
                                  "not condition is None", "condition"])
@pytest.mark.parametrize("argument, racy", [
    ('condition=Attr("email").eq(acct["email"])', False),  # a builder's condition
    ('condition=Attr("email").eq(acct["email"]) & Attr("pk").exists()', False),
    ('condition="email = :e"', False),  # a constant other than None
    ("", True),  # left out: the default None
    ("condition=None", True),
    ('condition=os.environ.get("GUARD")', True),  # may be None: both branches
    ('condition=acct.get("guard")', True),  # an attribute the item may not have
])
def test_the_branch_the_argument_decides(tmp_path: Path, test: str, argument: str, racy: bool) -> None:
    if test == "condition" and "Attr(" in argument:
        pytest.skip("a condition object's truth is its class's (boto3's define no __bool__, PynamoDB's raises): "
                    "not decided, so both branches stay")
    found = line_codes(tmp_path, "handler.py", HELPER.format(test=test, argument=argument))
    assert ((WRITE_LINE, "DYN101") in found) == racy, found


@pytest.mark.parametrize("argument, racy", [
    ('expect={"state": "HELD"}', False), ("expect=[1]", False), ("expect={}", True), ("", True),
])
def test_a_non_empty_literal_is_true(tmp_path: Path, argument: str, racy: bool) -> None:
    source = '''
    import boto3

    table = boto3.resource("dynamodb").Table("seats")


    def change(key, state, expect=None):
        params = {"Key": key, "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s": "state"},
                  "ExpressionAttributeValues": {":s": state}}
        if expect:
            params["ConditionExpression"] = "attribute_exists(pk)"
        table.update_item(**params)


    def handler(event, context):
        key = {"pk": event["seat"]}
        seat = table.get_item(Key=key)["Item"]
        if seat:
            change(key, event["state"], ARG)
    '''.replace("ARG", argument)
    found = line_codes(tmp_path, "seats.py", source)
    assert ((12, "DYN101") in found) == racy, found  # the update_item call


def test_a_pynamodb_comparison_is_a_condition(tmp_path: Path) -> None:
    source = '''
    from pynamodb.models import Model
    from pynamodb.attributes import NumberAttribute, UnicodeAttribute


    class Account(Model):
        class Meta:
            table_name = "accounts"
        pk = UnicodeAttribute(hash_key=True)
        n = NumberAttribute()


    def store(account, condition=None):
        if condition is None:
            account.save()
        else:
            account.save(condition=condition)


    def handler(event, context):
        account = Account.get(event["id"])
        seen = account.n
        account.n = seen + 1
        store(account, Account.n == seen)
    '''
    assert not line_codes(tmp_path, "accounts.py", source)
    assert (15, "DYN102") in line_codes(tmp_path, "accounts.py", source.replace(", Account.n == seen)", ")"))
