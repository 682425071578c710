"""Which side of a presence test a write is on: a stampede (DYN104) needs the write to be
reached where the read missed. A path that went on only where the item was there (the miss
returned, raised or was the other branch) overwrites what it read (DYN101) whatever work it
did on the way."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = '''import requests
import boto3
t = boto3.resource("dynamodb").Table("n")


def fetch(k):
    return requests.get("https://example.com/" + k).json()


'''

# (the test; the write after it) -> the kind of race the write is
ON_THE_HIT_PATH = {
    "Item not in resp, return": ('resp = t.get_item(Key={"pk": k})\n    if "Item" not in resp:\n        return None\n'
                                 '    item = resp["Item"]'),
    "is None, raise": ('item = t.get_item(Key={"pk": k}).get("Item")\n    if item is None:\n'
                       '        raise KeyError(k)'),
    "not item or ..., return": ('item = t.get_item(Key={"pk": k}).get("Item")\n    if not item or k == "x":\n'
                                '        return None'),
    "is not None, else returns": ('item = t.get_item(Key={"pk": k}).get("Item")\n    if item is not None:\n'
                                  '        pass\n    else:\n        return None'),
    "two checks in a row": ('item = t.get_item(Key={"pk": k}).get("Item")\n    if not item:\n        return None\n'
                            '    if item["v"] > 3:\n        return None'),
}

ON_THE_MISS_PATH = {
    "is None, body": ('item = t.get_item(Key={"pk": k}).get("Item")\n    if item is None:\n        item = {"pk": k}'),
    "hit returns": ('item = t.get_item(Key={"pk": k}).get("Item")\n    if item:\n        return item\n'
                    '    item = {"pk": k}'),
    "hit and fresh returns": ('item = t.get_item(Key={"pk": k}).get("Item")\n    if item and item["exp"] > 9:\n'
                              '        return item\n    item = {"pk": k}'),
    "Item in resp returns": ('resp = t.get_item(Key={"pk": k})\n    if "Item" in resp:\n        return resp["Item"]\n'
                             '    item = {"pk": k}'),
}

WRITE = '\n    item["data"] = fetch(k)\n    t.put_item(Item=item)\n'


def kind(body: str) -> list[str]:
    return list(race_kinds(model_of({"p.py": HEADER + "def f(k):\n    " + body + WRITE})).values())


@pytest.mark.parametrize("name", sorted(ON_THE_HIT_PATH))
def test_costly_work_on_the_hit_path_is_an_overwrite(name: str) -> None:
    assert kind(ON_THE_HIT_PATH[name]) == ["overwrite"]


@pytest.mark.parametrize("name", sorted(ON_THE_MISS_PATH))
def test_costly_work_on_the_miss_path_is_a_stampede(name: str) -> None:
    assert kind(ON_THE_MISS_PATH[name]) == ["stampede"]


def test_what_a_helper_showed_is_there_holds_in_its_caller() -> None:
    """A helper that raises when the item is absent returns only items that are there; its
    summary, reused for a second caller, says so too."""
    source = HEADER + '''def load(k):
    item = t.get_item(Key={"pk": k}).get("Item")
    if item is None:
        raise KeyError(k)
    return item


def first(k):
    item = load(k)''' + WRITE + '''

def second(k):
    item = load(k)''' + WRITE
    assert sorted(race_kinds(model_of({"p.py": source})).values()) == ["overwrite", "overwrite"]
