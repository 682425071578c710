"""Fixes found wrong by running them over fresh programs (session of 2026-12-06): an atomic
rewrite that would compute the value added a second time, a kept limit on an attribute the
code reads with a default, and a PynamoDB update of a value computed from the item read.
Before and after, the result parses, a second run changes nothing."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import findings_in, write_project

CONFIG = '[tool.dynolint.tables.accounts]\npartition-key = "pk"\n'
HEAD = 'import boto3\n\ntable = boto3.resource("dynamodb").Table("accounts")\nLIMIT = 5\n\n\n'


def fixed(tmp_path: Path, body: str, head: str = HEAD) -> tuple[str, list[tuple[str, str]]]:
    write_project(tmp_path, {"app.py": head + textwrap.dedent(body), "pyproject.toml": CONFIG})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    after = (tmp_path / "app.py").read_text()
    ast.parse(after)
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    assert (tmp_path / "app.py").read_text() == after  # a second run changes nothing
    return after, [(f.code, reason) for f, reason in report.skipped]


@pytest.mark.parametrize(("added", "why"), [
    ("pending.pop()", "has a call in it"),
    ("next(credits)", "has a call in it"),
])
def test_a_value_added_that_a_second_evaluation_would_change_is_not_copied_to_the_write(
        tmp_path: Path, added: str, why: str) -> None:
    after, skipped = fixed(tmp_path, f'''
        def credit(event, context, pending, credits):
            item = table.get_item(Key={{"pk": event["account"]}})["Item"]
            balance = item["balance"] + {added}
            table.update_item(Key={{"pk": event["account"]}}, UpdateExpression="SET balance = :b",
                              ExpressionAttributeValues={{":b": balance}})
            return balance
        ''')
    assert after.count(added) == 1 and "ADD balance" not in after
    assert [code for code, reason in skipped if why in reason] == ["DYN102"]


def test_a_name_the_value_added_uses_rebound_before_the_write_is_not_copied(tmp_path: Path) -> None:
    after, skipped = fixed(tmp_path, '''
        def add_to_cart(event, context):
            price, qty = event["price"], event["qty"]
            cart = table.get_item(Key={"pk": event["cart"]})["Item"]
            total = cart["total"] + price * qty
            price = f"{price:.2f}"
            table.update_item(Key={"pk": event["cart"]}, UpdateExpression="SET total = :t",
                              ExpressionAttributeValues={":t": total})
            return price
        ''')
    assert "ADD total" not in after
    assert [code for code, reason in skipped if "assigned again before the write" in reason] == ["DYN102"]


def test_a_value_added_that_is_the_same_at_the_write_is_still_made_atomic(tmp_path: Path) -> None:
    after, _ = fixed(tmp_path, '''
        def credit(event, context):
            item = table.get_item(Key={"pk": event["account"]})["Item"]
            balance = item["balance"] + int(event.get("amount", 1))
            table.update_item(Key={"pk": event["account"]}, UpdateExpression="SET balance = :b",
                              ExpressionAttributeValues={":b": balance})
        ''')
    assert "ADD balance" in after and 'int(event.get("amount", 1))' in after


ATTEMPTS = '''
    def attempt(event, context):
        item = table.get_item(Key={"pk": event["phone"]})["Item"]
        attempts = item.get("attempts", DEFAULT)
        if attempts >= LIMIT:
            return {"blocked": True}
        table.update_item(Key={"pk": event["phone"]}, UpdateExpression="SET attempts = :a",
                          ExpressionAttributeValues={":a": attempts + 1})
        return {"blocked": False}
    '''


def test_a_limit_a_missing_attribute_passes_lets_the_missing_attribute_through(tmp_path: Path) -> None:
    after, _ = fixed(tmp_path, ATTEMPTS.replace("DEFAULT", "0"))
    assert "ADD attempts" in after
    assert "(attribute_not_exists(#dl_attempts) OR #dl_attempts < :dl_attempts)" in after
    assert findings_in(tmp_path).findings == []


def test_a_limit_a_missing_attribute_fails_keeps_the_comparison_alone(tmp_path: Path) -> None:
    after, _ = fixed(tmp_path, ATTEMPTS.replace("DEFAULT", "LIMIT"))  # the code refuses a missing one too
    assert '"#dl_attempts < :dl_attempts"' in after and "attribute_not_exists" not in after


def test_a_default_the_fix_cannot_evaluate_makes_the_fix_unsafe(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": HEAD + textwrap.dedent(ATTEMPTS.replace("DEFAULT", 'event["start"]')),
                             "pyproject.toml": CONFIG})
    safe = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=False)
    assert not safe.changed
    assert [f.code for f, _ in safe.skipped if f.fix is not None and f.fix.applicability == "unsafe"
            and "read with a default" in f.fix.title] == ["DYN102"]
    after, _ = fixed(tmp_path, ATTEMPTS.replace("DEFAULT", 'event["start"]'))
    assert "ADD attempts" in after and "attribute_not_exists" not in after  # offered as unsafe, said why


PYN_HEAD = '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Stock(Model):
    class Meta:
        table_name = "stock"

    sku = UnicodeAttribute(hash_key=True)
    level = NumberAttribute(default=0)
    note = UnicodeAttribute(null=True)


'''


def test_a_pynamodb_update_of_a_value_computed_from_the_item_pins_what_it_read(tmp_path: Path) -> None:
    after, _ = fixed(tmp_path, '''
        def restock(event, context):
            stock = Stock.get(event["sku"])
            level = stock.level + int(event["received"])
            Stock(event["sku"]).update(actions=[Stock.level.set(level)])
        ''', head=PYN_HEAD)
    assert "Stock.level == stock.level" in after and "Stock.sku.exists()" in after
    assert findings_in(tmp_path).findings == []


def test_a_pynamodb_update_of_a_value_from_the_request_needs_only_the_item(tmp_path: Path) -> None:
    after, _ = fixed(tmp_path, '''
        def annotate(event, context):
            stock = Stock.get(event["sku"])
            stock.note = event["note"]
            stock.save()
        ''', head=PYN_HEAD)
    assert "Stock.sku.exists()" in after and "Stock.note ==" not in after and "Stock.level ==" not in after


@pytest.mark.parametrize(("read", "atomic"), [
    ('item.get("credits", 10)', False),  # a missing count starts at 10: ADD would start it at 0
    ('item.get("credits", 0)', True),
    ('item["credits"] if "credits" in item else 3', False),
    ('item.get("credits", STARTING)', False),  # a default known only at run time
])
def test_a_counter_the_code_counts_from_a_default_other_than_zero_is_not_made_an_add(
        tmp_path: Path, read: str, atomic: bool) -> None:
    after, skipped = fixed(tmp_path, f'''
        def render(event, context, STARTING=10):
            item = table.get_item(Key={{"pk": event["account"]}})["Item"]
            left = {read} - 1
            table.update_item(Key={{"pk": event["account"]}}, UpdateExpression="SET credits = :c",
                              ExpressionAttributeValues={{":c": left}})
            return left
        ''')
    assert ("ADD credits" in after) is atomic
    if not atomic and ".get(" in read:  # the write pins the value read: a missing count stays missing or is refused
        assert "attribute_not_exists(#dl_seen) OR #dl_seen = :dl_seen" in after


def test_a_put_counter_over_a_stand_in_item_keeps_its_starting_count(tmp_path: Path) -> None:
    after, skipped = fixed(tmp_path, '''
        def issue(event, context):
            found = table.get_item(Key={"pk": event["venue"]}).get("Item")
            left = (found or {"left": 100})["left"] - 1
            table.put_item(Item={"pk": event["venue"], "left": left})
            return left
        ''')
    assert "ADD" not in after, skipped


LOW_HEAD = 'import boto3\n\nclient = boto3.client("dynamodb")\n\n\n'


@pytest.mark.parametrize(("read", "atomic"), [
    ('int(item.get("views", {}).get("N", "0"))', True),  # a missing count is "0": ADD counts the same
    ('int(item.get("views", {"N": "5"})["N"])', False),
])
def test_a_low_level_counter_is_made_an_add_only_where_the_code_counts_from_zero(
        tmp_path: Path, read: str, atomic: bool) -> None:
    after, _ = fixed(tmp_path, f'''
        def record_view(event, context):
            key = {{"pk": {{"S": event["page"]}}}}
            item = client.get_item(TableName="accounts", Key=key).get("Item", {{}})
            views = {read} + 1
            client.update_item(TableName="accounts", Key=key, UpdateExpression="SET #v = :v",
                               ExpressionAttributeNames={{"#v": "views"}},
                               ExpressionAttributeValues={{":v": {{"N": str(views)}}}})
            return views
        ''', head=LOW_HEAD)
    assert ("ADD #v" in after) is atomic


def test_a_default_other_than_zero_given_in_a_helper_after_a_zero_one_still_keeps_the_add_out(
        tmp_path: Path) -> None:
    after, skipped = fixed(tmp_path, '''
        def shown(record):
            return record.get("credits", 0)


        def starting(record):
            return record.get("credits", 10)


        def render(event, context):
            item = table.get_item(Key={"pk": event["account"]})["Item"]
            print(shown(item))
            left = starting(item) - 1
            table.update_item(Key={"pk": event["account"]}, UpdateExpression="SET credits = :c",
                              ExpressionAttributeValues={":c": left})
            return left
        ''')
    assert "ADD credits" not in after  # the value read is pinned instead
    assert "attribute_not_exists(#dl_seen) OR #dl_seen = :dl_seen" in after and skipped == []
