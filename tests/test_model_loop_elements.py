"""A loop's body runs only where its iterable has elements: inside it, a list or dict the code
built that may still be empty (the path where nothing was grouped) is one of those that hold
something, so a lookup by a key taken from it (``for k in sorted(groups): groups[k]``) gives
what was grouped (model/containers.py ``with_elements``)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import boto3
table = boto3.resource("dynamodb").Table("stock")

def handler(event, n):
    groups = {}
    for r in table.scan()["Items"]:
        groups.setdefault(r["warehouse"], []).append(r)
'''
WRITE = '''        if row["status"] == "OPEN":
            table.update_item(Key={{"pk": row["pk"]}}, UpdateExpression="SET tag = :t",
                              ExpressionAttributeValues={{":t": row["tag"] + "-x"{values}}}{condition})
'''


def kinds(loop: str, condition: str = "", values: str = "") -> list[str]:
    source = HEAD + "    " + loop + "\n        for row in groups[wh]:\n" + \
        "".join("    " + line + "\n" for line in WRITE.format(condition=condition, values=values).splitlines())
    return list(race_kinds(model_of({"app.py": source})).values())


@pytest.mark.parametrize("loop", [
    "for wh in groups:", "for wh in sorted(groups):", "for wh in groups.keys():", "for wh in list(groups):",
])
def test_a_key_from_the_dict_looks_up_what_was_grouped(loop: str) -> None:
    assert kinds(loop) == ["overwrite"]


def test_a_condition_pinning_the_decision_is_a_guard() -> None:
    condition = ', ConditionExpression="#s = :o AND tag = :seen", ExpressionAttributeNames={"#s": "status"}'
    assert kinds("for wh in groups:", condition, ', ":o": "OPEN", ":seen": row["tag"]') == []


def test_a_grouping_that_stays_empty_runs_no_body() -> None:
    source = HEAD.split("    for r in")[0] + "    for wh in groups:\n        table.put_item(Item=groups[wh])\n"
    assert list(race_kinds(model_of({"app.py": source})).values()) == []
