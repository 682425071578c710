"""A subscripted generic class is the class: ``Repo[dict]()`` makes a Repo (``Generic[T]``, a
PEP 695 ``class Repo[T]``, a dataclass or a pydantic model), and a parameter annotated
``Repo[dict]`` (in a string, ``Optional[...]``, ``... | None``, ``Annotated[...]``, through an
alias: ``X: TypeAlias = Repo[dict]``, ``type X = Repo[dict]``) holds one. Each positive was
missed before: the instance was of no class, its method calls reached no body, and the race
inside them was lost. A library's generic (``dict[str, Repo]``, ``list[dict]()``) stays what it
was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import line_codes, line_of, write_project

PUT = "        table.put_item(Item=item)"

REPO = '''
import os
from typing import Annotated, Generic, Optional, TypeAlias, TypeVar, Union

import boto3

table = boto3.resource("dynamodb").Table(os.environ["T"])
T = TypeVar("T")


class Repo(Generic[T]):
    def get(self, key):
        return table.get_item(Key=key)["Item"]

    def save(self, item):
        table.put_item(Item=item)


RepoAlias: TypeAlias = Repo[dict]
type RepoType = Repo[dict]
MaybeRepo = Optional[Repo[dict]]
'''


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    return line_codes(tmp_path, "handler.py", source)


def racy(source: str) -> set[tuple[int, str]]:
    return {(line_of(source, PUT), "DYN101")}


@pytest.mark.parametrize("made", ["Repo[dict]()", "RepoAlias()", "Repo[dict][int]()"])
def test_an_instance_of_a_subscripted_generic_class_runs_its_methods(tmp_path: Path, made: str) -> None:
    source = REPO + f'''
repo = {made}


def handler(event, context):
    item = repo.get({{"pk": event["pk"]}})
    item["flag"] = True
    repo.save(item)
'''
    assert run(tmp_path, source) == racy(source)


@pytest.mark.parametrize("annotation", [
    "Repo[dict]", '"Repo[dict]"', "Optional[Repo[dict]]", "Repo[dict] | None", "Union[Repo[dict], None]",
    'Annotated[Repo[dict], "meta"]', 'Annotated[Repo, "meta"]', "RepoType", "MaybeRepo", '"Optional[RepoType]"',
])
def test_a_parameter_annotated_with_a_subscripted_generic_class_is_its_instance(
        tmp_path: Path, annotation: str) -> None:
    source = REPO + f'''

def process(repo: {annotation}, pk):
    item = repo.get({{"pk": pk}})
    item["flag"] = True
    repo.save(item)
'''
    assert run(tmp_path, source) == racy(source)


PEP695 = '''
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["T"])


class Repo[T]:
    def get(self, key):
        return table.get_item(Key=key)["Item"]

    def save(self, item):
        table.put_item(Item=item)


class TimestampedRepo[T](Repo[T]):
    def save(self, item):
        item["updatedAt"] = 1
        super().save(item)


repo = TimestampedRepo[dict]()


def handler(event, context):
    item = repo.get({"pk": event["pk"]})
    item["flag"] = True
    repo.save(item)
'''


def test_a_pep_695_generic_subclass_reaches_its_base_through_super(tmp_path: Path) -> None:
    assert run(tmp_path, PEP695) == racy(PEP695)


def test_a_generic_class_of_two_parameters(tmp_path: Path) -> None:
    source = '''
import os
from typing import Generic, TypeVar

import boto3

K = TypeVar("K")
V = TypeVar("V")


class Store(Generic[K, V]):
    table = boto3.resource("dynamodb").Table(os.environ["T"])

    def get(self, key):
        return self.table.get_item(Key=key)["Item"]

    def save(self, item):
        self.table.put_item(Item=item)


def handler(event, context):
    store = Store[str, dict]()
    item = store.get({"pk": event["pk"]})
    item["flag"] = True
    store.save(item)
'''
    assert run(tmp_path, source) == {(line_of(source, "        self.table.put_item(Item=item)"), "DYN101")}


@pytest.mark.parametrize("header,made", [
    ("from dataclasses import dataclass\n\n\n@dataclass\nclass Repo(Generic[T]):\n    name: str", "Repo[dict]"),
    ("from pydantic import BaseModel\n\n\nclass Repo(BaseModel, Generic[T]):\n    name: str", "Repo[dict]"),
])
def test_dataclass_and_pydantic_generics(tmp_path: Path, header: str, made: str) -> None:
    source = f'''
import os
from typing import Generic, TypeVar

import boto3

T = TypeVar("T")
{header}

    def get(self, key):
        return boto3.resource("dynamodb").Table(self.name).get_item(Key=key)["Item"]

    def save(self, item):
        boto3.resource("dynamodb").Table(self.name).put_item(Item=item)


def handler(event, context):
    repo = {made}(name=os.environ["T"])
    item = repo.get({{"pk": event["pk"]}})
    item["flag"] = True
    repo.save(item)
'''
    line = line_of(source, '        boto3.resource("dynamodb").Table(self.name).put_item(Item=item)')
    assert run(tmp_path, source) == {(line, "DYN101")}


def test_a_generic_class_imported_from_another_module(tmp_path: Path) -> None:
    store = REPO.replace("type RepoType = Repo[dict]\n", "")
    write_project(tmp_path, {"store.py": store})
    source = '''
from store import Repo

repo = Repo[dict]()


def handler(event, context):
    item = repo.get({"pk": event["pk"]})
    item["flag"] = True
    repo.save(item)
'''
    assert run(tmp_path, source) == {(line_of(store, PUT), "DYN101")}


# -- negatives ---------------------------------------------------------------------------

GUARDED = '''
import os
from typing import Generic, TypeVar

import boto3

table = boto3.resource("dynamodb").Table(os.environ["T"])
T = TypeVar("T")


class Repo(Generic[T]):
    def get(self, key):
        return table.get_item(Key=key)["Item"]

    def save(self, item):
        expected = item["version"]
        item["version"] = expected + 1
        table.put_item(Item=item, ConditionExpression="version = :v",
                       ExpressionAttributeValues={":v": expected})

    def create(self, item):
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")


repo = Repo[dict]()


def handler(event, context):
    item = repo.get({"pk": event["pk"]})
    item["flag"] = True
    repo.save(item)
    repo.create({"pk": event["other"], "flag": False})
'''


def test_a_guarded_write_in_a_generic_repository_is_no_finding(tmp_path: Path) -> None:
    assert run(tmp_path, GUARDED) == set()


def test_a_create_guarded_by_attribute_not_exists_is_no_finding(tmp_path: Path) -> None:
    source = REPO.replace("table.put_item(Item=item)",
                          'table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")') + '''
repo = Repo[dict]()


def handler(event, context):
    item = repo.get({"pk": event["pk"]})
    repo.save({"pk": item["pk"] + "#copy", "flag": True})
'''
    assert run(tmp_path, source) == set()


def test_a_library_generic_stays_the_library_type(tmp_path: Path) -> None:
    # a dict of repositories is a dict: its get is dict.get, no repository read; a list made
    # from ``list[dict]`` is a list; the item is written back under a condition
    source = REPO + '''

def process(repos: dict[str, Repo], rows: list[dict], pk):
    found = repos.get(pk)
    kept = list[dict]()
    kept.append({"pk": pk})
    rows.append(found)
    return kept
'''
    assert run(tmp_path, source) == set()
