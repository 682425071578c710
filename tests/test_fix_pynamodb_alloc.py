"""PynamoDB save() after get() -> update(actions=..., condition=...) (fixes/pynupdate.py), and
keys allocated as max + 1 from a scan or query -> a create-only put (model/races.py
``allocated_from``, fix mode "allocate"): before/after, what is refused and why, idempotence,
the fixed code parses."""

from __future__ import annotations

import re

import ast
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

MODEL = '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Page(Model):
    class Meta:
        table_name = "pages"

    slug = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    hits = NumberAttribute(default=0)


'''


def _fix(tmp_path: Path, source: str, extra: dict[str, str] | None = None) -> tuple[str, list, list]:
    write_project(tmp_path, {"app.py": source, **(extra or {})})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    return (tmp_path / "app.py").read_text(), report.applied, report.skipped


def _again_is_clean(tmp_path: Path) -> None:
    config = discover(tmp_path, set(KNOWN_CODES))
    assert fix_paths([tmp_path], config, Options(), unsafe=True).changed == []
    assert check_paths([tmp_path], config, Options()).findings == []


def test_pynamodb_counter_save_becomes_an_atomic_add(tmp_path: Path) -> None:
    source = MODEL + '''def hit(slug, title):
    page = Page.get(slug)
    labels = dict(page=slug)  # a keyword named like the instance is not a use of it
    page.hits += 1
    page.title = title.strip() or page.title
    page.save()
    return page.hits
'''
    after, applied, _ = _fix(tmp_path, source)
    assert [f.code for f in applied] == ["DYN102"]
    assert _flat("page.update(actions=[Page.hits.add(1), Page.title.set(page.title)], "
                 "condition=Page.slug.exists())") in _flat(after)
    ast.parse(after)
    _again_is_clean(tmp_path)


def test_pynamodb_save_keeps_the_decision_as_a_condition(tmp_path: Path) -> None:
    source = MODEL + '''def retitle(slug, title):
    page = Page.get(slug)
    if page.status != "draft":
        return False
    page.title = title
    page.save()
    return True
'''
    after, applied, _ = _fix(tmp_path, source)
    assert [f.code for f in applied] == ["DYN101"]
    assert _flat("page.update(actions=[Page.title.set(page.title)], condition=Page.slug.exists() & "
                 "(Page.status.does_not_exist() | (Page.status == page.status) if page.status is None "
                 "else Page.status == page.status))") in _flat(after)
    _again_is_clean(tmp_path)


def test_pynamodb_update_without_condition_gets_one(tmp_path: Path) -> None:
    source = MODEL + '''def archive(slug):
    page = Page.get(slug)
    if page.hits > 100:
        return
    page.update(actions=[Page.status.set("archived")])
'''
    after, applied, _ = _fix(tmp_path, source)
    assert [f.code for f in applied] == ["DYN101"]
    assert _flat('page.update(actions=[Page.status.set("archived")], condition=Page.slug.exists() & '
                 "(Page.hits.does_not_exist() | (Page.hits == page.hits) if page.hits is None else Page.hits == page.hits))") in _flat(after)


@pytest.mark.parametrize(("body", "why"), [
    ("    if page.hits < n:\n        return False\n    page.hits -= n\n    page.save()\n", "decides on hits"),
    ("    page.title = title\n    audit(page)\n    page.save()\n", "passed on or used whole"),
    ("    page.title = page.title.strip()\n    page.save()\n", "calls into page.title"),
    ("    if title:\n        page.title = title\n    page.save()\n", "in a branch"),
    ("    page.title = title\n    try:\n        page.save()\n    except Exception:\n        return False\n",
     "inside try"),
    ("    page.hits = page.hits + 1\n    if page.hits > 10:\n        title = 'x'\n    page.save()\n",
     "new value before the write"),
])
def test_pynamodb_refusals_say_why(tmp_path: Path, body: str, why: str) -> None:
    source = MODEL + "def audit(page):\n    print(page)\n\n\ndef act(slug, title, n):\n    page = Page.get(slug)\n" + body
    after, applied, skipped = _fix(tmp_path, source)
    assert applied == [] and after == source
    assert why in skipped[0][1]


ORDERS = '''import boto3

orders = boto3.resource("dynamodb").Table("orders")


'''
KEYED = {"pyproject.toml": '[tool.dynolint.tables.orders]\npartition-key = "order_id"\n'}


def test_a_key_allocated_from_a_scan_is_put_create_only(tmp_path: Path) -> None:
    source = ORDERS + '''def place(body):
    numbers = [int(item["order_id"]) for item in orders.scan()["Items"]]
    order_id = str(max(numbers, default=0) + 1)
    orders.put_item(Item={"order_id": order_id, "body": body})
    return order_id
'''
    write_project(tmp_path, {"app.py": source, **KEYED})
    finding, = check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings
    assert finding.code == "DYN101" and "counted from the scan" in finding.message
    after, applied, _ = _fix(tmp_path, source, KEYED)
    assert _flat('orders.put_item(Item={"order_id": order_id, "body": body}, '
                 'ConditionExpression="attribute_not_exists(#dl_key)", ExpressionAttributeNames={"#dl_key": "order_id"})'
                 ) in _flat(after)
    _again_is_clean(tmp_path)


@pytest.mark.parametrize("write", [
    'orders.put_item(Item={"order_id": str(uuid.uuid4()), "position": len(items) + 1})',  # count not in the key
    'orders.put_item(Item={**items[0], "order_id": items[0]["order_id"] + "-copy"})',  # a string, no number
    'orders.put_item(Item={"order_id": str(len(items) + 1)}, ConditionExpression="attribute_not_exists(order_id)")',
    'orders.put_item(Item={"order_id": str(len(others) + 1)})',  # counted from another table
])
def test_no_allocation_race(tmp_path: Path, write: str) -> None:
    source = "import uuid\n\n" + ORDERS + '''others = boto3.resource("dynamodb").Table("others")


def place():
    items = orders.scan()["Items"]
    others = [1, 2]
    ''' + write + "\n"
    write_project(tmp_path, {"app.py": source, **KEYED})
    findings = check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings
    assert not [f for f in findings if "counted from the" in f.message]


def _flat(text: str) -> str:
    """Code without its layout (the fixes wrap long calls one argument a line, as black does)."""
    return re.sub(r"\s+", "", text).replace(",)", ")").replace(",]", "]").replace(",}", "}")


def test_a_pynamodb_key_counted_from_a_scan_is_saved_create_only(tmp_path: Path) -> None:
    source = MODEL + '''def add(title):
    taken = {page.slug for page in Page.scan()}
    n = 1
    while f"page-{n}" in taken:
        n += 1
    page = Page(f"page-{n}", title=title)
    page.save()
    return page.slug
'''
    write_project(tmp_path, {"app.py": source})
    finding, = check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings
    assert finding.code == "DYN101" and "counted from the Model.scan" in finding.message
    assert [r.message for r in finding.related][:2] == ["Model.scan whose items the new key is counted from",
                                                        "the key is counted here"]
    after, applied, _ = _fix(tmp_path, source)
    assert [f.code for f in applied] == ["DYN101"]
    assert "page.save(condition=Page.slug.does_not_exist())" in after
    ast.parse(after)
    _again_is_clean(tmp_path)


def test_a_batch_write_of_a_counted_key_has_no_fix_and_says_why(tmp_path: Path) -> None:
    source = ORDERS + '''def place_many(bodies):
    start = len(orders.scan()["Items"])
    with orders.batch_writer() as batch:
        for offset, body in enumerate(bodies):
            batch.put_item(Item={"order_id": str(start + offset + 1), "body": body})
'''
    after, applied, skipped = _fix(tmp_path, source, KEYED)
    assert applied == [] and after == source
    (finding, why), = skipped
    assert finding.code == "DYN103" and "batch writes cannot carry a condition" in why


def test_a_save_chained_on_the_constructor_is_the_call_fixed(tmp_path: Path) -> None:
    source = MODEL + '''def add(title):
    last = max((len(page.slug) for page in Page.scan()), default=0)
    Page(str(last + 1), title=title).save()
'''
    after, applied, _ = _fix(tmp_path, source)
    assert [f.code for f in applied] == ["DYN101"]
    assert "Page(str(last + 1), title=title).save(condition=Page.slug.does_not_exist())" in after
    _again_is_clean(tmp_path)


def test_pynamodb_decided_none_accepts_a_stored_null(tmp_path: Path) -> None:
    """PynamoDB reads a missing attribute and one stored as NULL (``Model.a.set(None)``, a
    boto3 ``None``) alike as None: the condition kept for ``page.status is None`` accepted only
    a missing one, and every write of an item holding NULL failed."""
    source = MODEL + '''def retitle(slug, title):
    page = Page.get(slug)
    if page.status == "locked":
        return False
    page.title = title
    page.save()
    return True
'''
    after, applied, _ = _fix(tmp_path, source)
    assert [f.code for f in applied] == ["DYN101"]
    tree = ast.parse(after)
    condition = next(k.value for node in ast.walk(tree) if isinstance(node, ast.Call)
                     for k in node.keywords if k.arg == "condition")
    pytest.importorskip("pynamodb")
    namespace: dict[str, object] = {}
    exec(compile(MODEL.replace("table_name", 'region = "us-east-1"\n        table_name'), "m", "exec"), namespace)
    page = namespace["Page"]("s", title="t")  # type: ignore[operator]
    names: dict[str, str] = {}
    values: dict[str, object] = {}
    text = eval(compile(ast.Expression(condition), "c", "eval"), {**namespace, "page": page}).serialize(names, values)
    assert "attribute_not_exists" in text and " = :" in text and {"NULL": True} in values.values()
    _again_is_clean(tmp_path)
