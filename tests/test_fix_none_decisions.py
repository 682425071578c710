"""A test of whether an attribute of the item read is None (``item.get("closed_at") is not
None``, ``page.status is None``) is a decision on that attribute, not a test of whether the
read found the item. It was dropped as a presence test: the counter fix offered a *safe*
atomic ``ADD`` that added to closed orders, and the PynamoDB ``update()`` fix kept no
condition on the attribute. It is now an opaque decision on the attribute: no atomic rewrite
(a condition cannot say "None"), and the guards pin it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

CONFIG = '[tool.dynolint.tables.orders]\npartition-key = "pk"\n'
COUNTER = '''import boto3

table = boto3.resource("dynamodb").Table("orders")


def add_line(order_id):
    order = table.get_item(Key={"pk": order_id})["Item"]
    if order.get("closed_at") is not None:
        return False
    table.update_item(
        Key={"pk": order_id},
        UpdateExpression="SET lines = :n",
        ExpressionAttributeValues={":n": order["lines"] + 1},
    )
    return True
'''
PYNAMODB = '''from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model


class Page(Model):
    class Meta:
        table_name = "pages"

    slug = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    status = UnicodeAttribute(null=True)


def retitle(slug, title):
    page = Page.get(slug)
    if page.status is not None:
        return False
    page.title = title
    page.save()
    return True
'''


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text).replace(",)", ")").replace(",]", "]").replace(",}", "}")


def _fix(tmp_path: Path, source: str, unsafe: bool) -> str:
    write_project(tmp_path, {"app.py": source, "pyproject.toml": CONFIG})
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=unsafe)
    return (tmp_path / "app.py").read_text()


def _idempotent(tmp_path: Path, after: str) -> None:
    again = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (tmp_path / "app.py").read_text() == after


def test_no_safe_atomic_add_drops_an_is_none_check(tmp_path: Path) -> None:
    assert _fix(tmp_path, COUNTER, unsafe=False) == COUNTER  # was: "ADD lines :n", closed orders counted too
    finding = check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings[0]
    assert finding.code == "DYN102"


def test_the_guard_pins_the_attribute_tested_for_none(tmp_path: Path) -> None:
    after = _fix(tmp_path, COUNTER, unsafe=True)
    assert '"#dl_seen": "closed_at"' in after and '":dl_seen": order.get("closed_at")' in after
    assert "(attribute_not_exists(#dl_seen) OR #dl_seen = :dl_seen)" in after
    ast.parse(after)
    _idempotent(tmp_path, after)


def test_pynamodb_update_keeps_an_is_not_none_check(tmp_path: Path) -> None:
    after = _fix(tmp_path, PYNAMODB, unsafe=True)
    assert _flat("condition=Page.slug.exists() & (Page.status.does_not_exist() | (Page.status == page.status) "
                 "if page.status is None else Page.status == page.status)") in _flat(after)
    ast.parse(after)
    _idempotent(tmp_path, after)
