"""Layered code (probe of 10 layered projects, 2026-12-06): module functions that carry the
same project decorator and call each other are not recursion (each decorated function has a
wrapper of its own); a PynamoDB ``get(hash_key, None)`` is the ``get(hash_key)`` of a model with
no range key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

OBS = '''
import functools


def traced(fn):
    @functools.wraps(fn)
    def traced_call(*args, **kwargs):
        return fn(*args, **kwargs)
    return traced_call
'''
REPO = '''
import boto3

from obs import traced

_table = boto3.resource("dynamodb").Table("t")


@traced
def load(item_id):
    return _table.get_item(Key={"pk": item_id})["Item"]


@traced
def save(item):
    _table.put_item(Item=item)
'''
SERVICE = '''
import repo
from obs import traced


DECORATOR
def close(item_id):
    item = repo.load(item_id)
    if item["state"] != "open":
        return None
    item["state"] = "closed"
    repo.save(item)
    return item
'''


@pytest.mark.parametrize("decorator", ["@traced", ""])
def test_functions_under_one_decorator_calling_each_other(tmp_path: Path, decorator: str) -> None:
    (tmp_path / "obs.py").write_text(OBS)
    (tmp_path / "repo.py").write_text(REPO)
    (tmp_path / "service.py").write_text(SERVICE.replace("DECORATOR", decorator))
    assert ("repo.py", 16, "DYN101") in triples(findings_in(tmp_path))


def test_a_decorated_function_calling_itself_is_still_cut(tmp_path: Path) -> None:
    (tmp_path / "obs.py").write_text(OBS)
    (tmp_path / "walk.py").write_text('''
from obs import traced


@traced
def walk(node):
    for child in node["children"]:
        walk(child)
''')
    result = findings_in(tmp_path)
    assert not result.errors and not result.findings


MODEL = '''
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model


class Vendor(Model):
    class Meta:
        table_name = "vendors"

    vendor_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()

    @classmethod
    def get_or_none(cls, hash_key, range_key=None):
        try:
            return cls.get(hash_key, range_key)
        except cls.DoesNotExist:
            return None


def rename(vendor_id, name):
    vendor = Vendor.get_or_none(vendor_id)
    if vendor is None or vendor.name == name:
        return
    Vendor(vendor_id, name=name).save()
'''


def test_a_get_given_no_range_key_is_the_hash_key_get(tmp_path: Path) -> None:
    (tmp_path / "vendors.py").write_text(MODEL)
    assert ("vendors.py", 25, "DYN101") in triples(findings_in(tmp_path))
