"""``item = read or {}``: an entry assigned to the name changes every alternative of its value,
so the item read is still there, with what was done to it, when it is written back."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = 'import boto3\nt = boto3.resource("dynamodb").Table("x")\n\n\ndef f(pk):\n'

SHAPES = {
    "or an empty dict, counted": ('''    item = t.get_item(Key={"pk": pk}).get("Item") or {}
    item["pk"] = pk
    item["n"] = int(item.get("n", 0)) + 1
    t.put_item(Item=item)
''', ["counter"]),
    "or a dict with the key, counted": ('''    item = t.get_item(Key={"pk": pk}).get("Item") or {"pk": pk}
    item["pk"] = pk
    item["n"] = item.get("n", 0) + 1
    t.put_item(Item=item)
''', ["counter"]),
    "or an empty dict, a field set": ('''    item = t.get_item(Key={"pk": pk}).get("Item") or {}
    item["pk"] = pk
    item["seen"] = True
    t.put_item(Item=item)
''', ["overwrite"]),
    "a dict of the request only": ('''    item = {}
    item["pk"] = pk
    item["n"] = 1
    t.put_item(Item=item)
''', []),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_an_entry_assigned_changes_every_alternative(name: str) -> None:
    body, expected = SHAPES[name]
    assert list(race_kinds(model_of({"o.py": HEADER + body})).values()) == expected
