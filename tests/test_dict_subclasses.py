"""An instance of a project class that subclasses dict (or UserDict, OrderedDict) holds the
entries its constructor is given (model/mappings.py): an item read and wrapped is still the
item, read through subscripts and the inherited dict methods, changed by item assignment, and
handed to library code (put_item, dict(), json) as the dict it is."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
import json
from collections import OrderedDict, UserDict

import boto3

table = boto3.resource("dynamodb").Table("cards")


class Card(BASE):
    def put(self):
        table.put_item(Item=ITEM)


def handler(event, context):
    card = Card(table.get_item(Key={"card_id": event["id"]})["Item"])
    BODY
    card.put()
'''


@pytest.mark.parametrize("base, item, body, expected", [
    ("dict", "self", 'card["n"] = card["n"] + 1', {(12, "DYN102")}),
    ("dict", "dict(self)", 'card["n"] = card.get("n", 0) + 1', {(12, "DYN102")}),
    ("OrderedDict", "{**self}", 'card["n"] = card["n"] + 1', {(12, "DYN102")}),
    ("UserDict", "dict(self)", 'card.update(n=card["n"] + 1)', {(12, "DYN102")}),
    ("dict", "json.loads(json.dumps(self))", 'card["n"] = card["n"] + 1', {(12, "DYN102")}),
    ("dict", "self", 'if card["state"] == "OPEN":\n        card["state"] = "CLOSED"', {(12, "DYN101")}),
    ("dict", "self", "pass", {(12, "DYN101")}),  # put back unchanged: a concurrent change is lost
])
def test_an_item_wrapped_in_a_dict_subclass_is_the_item(tmp_path: Path, base: str, item: str, body: str,
                                                       expected: set[tuple[int, str]]) -> None:
    source = textwrap.dedent(SOURCE).replace("BASE", base).replace("ITEM", item).replace("BODY", body)
    (tmp_path / "app.py").write_text(source)
    assert {(line, code) for _, line, code in triples(findings_in(tmp_path))} == expected


def test_a_dict_subclass_made_fresh_is_no_item_read(tmp_path: Path) -> None:
    source = textwrap.dedent(SOURCE).replace("BASE", "dict").replace("ITEM", "self").replace("BODY", "pass")
    source = source.replace('Card(table.get_item(Key={"card_id": event["id"]})["Item"])',
                            'Card(card_id=event["id"], n=0)')
    (tmp_path / "app.py").write_text(source)
    assert triples(findings_in(tmp_path)) == set()


def test_a_class_that_defines_its_own_getitem_keeps_it(tmp_path: Path) -> None:
    source = textwrap.dedent(SOURCE).replace("BASE", "dict").replace("ITEM", "self").replace("BODY", "n = card['n']")
    source = source.replace("    def put(self):", "    def __getitem__(self, key):\n        return 0\n\n    def put(self):")
    (tmp_path / "app.py").write_text(source)
    assert {code for _, _, code in triples(findings_in(tmp_path))} == {"DYN101"}


def test_a_userdicts_data_is_its_entries(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        from collections import UserDict
        import boto3

        table = boto3.resource("dynamodb").Table("profiles")

        class Profile(UserDict):
            def owner(self):
                return self.data.get("owner")

            def save(self):
                table.put_item(Item=self.data)

        def handler(event, context):
            profile = Profile(table.get_item(Key={"profile_id": event["id"]})["Item"])
            if profile.owner() == event["user"]:
                profile.save()
    '''))
    # the put writes back the item read (through ``data``), after a decision on its owner
    assert {(line, code) for _, line, code in triples(findings_in(tmp_path))} == {(12, "DYN101")}


def test_data_of_a_dict_subclass_that_is_no_userdict_is_an_attribute(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        import boto3

        table = boto3.resource("dynamodb").Table("profiles")

        class Profile(dict):
            def save(self):
                table.put_item(Item=self.data)

        def handler(event, context):
            profile = Profile(table.get_item(Key={"profile_id": event["id"]})["Item"])
            profile.data = {"profile_id": "audit#" + event["id"], "name": event["name"]}  # another item
            profile.save()
    '''))
    assert triples(findings_in(tmp_path)) == set()
