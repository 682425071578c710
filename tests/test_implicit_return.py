"""A function whose path falls off its end returns None there (model/calls.py): a helper that
returns an object when the item is found, and nothing otherwise, gives its caller the object
or None, so the caller's ``if found:`` goes both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import line_codes

SOURCE = '''
import boto3

table = boto3.resource("dynamodb").Table("accounts")


class Account:
    def __init__(self, data):
        self.data = data


def load(key):
    resp = table.get_item(Key=key)
    if "Item" in resp:
        return Account(resp["Item"])
    MISSING


def handler(event, context):
    key = {"pk": event["id"]}
    account = load(key)
    if account:
        return account.data
    table.put_item(Item={"pk": event["id"], "credits": 10})
'''
PUT_LINE = 24


@pytest.mark.parametrize("missing, racy", [
    ("pass", True),  # falls off the end: None
    ("return", True),  # a bare return: None
    ("return None", True),
    ('raise KeyError(key["pk"])', False),  # every path that reaches the caller returned an Account
    ("return Account({})", False),
])
def test_the_caller_sees_the_none_of_a_path_that_falls_off(tmp_path: Path, missing: str, racy: bool) -> None:
    found = line_codes(tmp_path, "accounts.py", SOURCE.replace("MISSING", missing))
    assert ((PUT_LINE, "DYN101") in found) == racy, found
