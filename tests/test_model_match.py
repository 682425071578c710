"""``match`` statements (PEP 634): the subject is evaluated once, a mapping pattern on a
response is a presence test, a value pattern is a decision, and the captures are bound."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = '''import requests
import boto3
t = boto3.resource("dynamodb").Table("n")


'''

SHAPES = {
    # name: (body of f(k), the kinds of races)
    "mapping capture, written back": ('''match t.get_item(Key={"pk": k}):
        case {"Item": item}:
            item["seen"] = True
            t.put_item(Item=item)
        case _:
            return None''', ["overwrite"]),
    "value pattern decides a delete": ('''match t.get_item(Key={"pk": k}).get("Item"):
        case {"status": "DRAFT"}:
            t.delete_item(Key={"pk": k})''', ["overwrite"]),
    "capture only: the delete decided nothing": ('''match t.get_item(Key={"pk": k}):
        case {"Item": item}:
            t.delete_item(Key={"pk": k})
            return item''', []),
    "None is the miss: a stampede": ('''match t.get_item(Key={"pk": k}).get("Item"):
        case None:
            value = requests.get("https://example.com/" + k).json()
            t.put_item(Item={"pk": k, "v": value})
            return value
        case {"v": value}:
            return value''', ["stampede"]),
    "guard on the capture": ('''match t.get_item(Key={"pk": k}):
        case {"Item": item} if item["n"] > 3:
            item["n"] = item["n"] + 1
            t.put_item(Item=item)''', ["counter"]),
    "or-pattern and class pattern": ('''match t.get_item(Key={"pk": k}).get("Item"):
        case {"state": "A"} | {"state": "B"}:
            t.delete_item(Key={"pk": k})
        case dict(state=s):
            return s''', ["overwrite"]),
    "routes in separate arms": ('''match k:
        case "GET":
            return t.get_item(Key={"pk": "x"})
        case "PUT":
            t.put_item(Item={"pk": "x"})
        case "DELETE":
            t.delete_item(Key={"pk": "x"})''', []),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_match_statement(name: str) -> None:
    body, expected = SHAPES[name]
    assert list(race_kinds(model_of({"m.py": HEADER + "def f(k):\n    " + body + "\n"})).values()) == expected


def test_the_subject_is_evaluated_once() -> None:
    body = '''match t.get_item(Key={"pk": k}):
        case {"Item": {"a": 1}}:
            return 1
        case {"Item": {"a": 2}}:
            return 2
        case {"Item": x}:
            return x'''
    model = model_of({"m.py": HEADER + "def f(k):\n    " + body + "\n"})
    assert len({read.loc for read in model.interp.reads}) == 1
    assert len(model.interp.reads) == 1
