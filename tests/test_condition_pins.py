"""What a write's condition pins (model/conditions.py), and whether it covers the decisions
the path made on the item it read (model/guard_cover.py): issue 14, class 8."""

from __future__ import annotations

import pytest

from dynolint.config import Config, TableFacts
from dynolint.model.conditions import ABSENT, EXISTS, VALUE, Pin, condition_pins, parse_condition
from dynolint.model.values import ArithV, CallV, ConstV, DictV, OneOf, OpaqueV, ParamV, SeqV, StrV
from tests.modelkit import model_of, race_kinds


def pins(text: str, names: dict[str, str] | None = None) -> set[tuple[str, str]] | None:
    parsed = parse_condition(text, names)
    return None if parsed is None else {(p.attribute, p.how) for p in parsed.pins}


@pytest.mark.parametrize(("text", "names", "expected"), [
    ("attribute_exists(pk)", None, {("pk", EXISTS)}),
    ("attribute_not_exists(pk)", None, {("pk", ABSENT)}),
    ("#s = :v", {"#s": "status"}, {("status", VALUE)}),
    ("#s <> :shipped AND attribute_exists(pk)", {"#s": "status"}, {("status", VALUE), ("pk", EXISTS)}),
    ("version = :seen", None, {("version", VALUE)}),
    # alternatives that each let the other's attribute through pin neither
    ("begins_with(sk, :p) OR size(tags) < :n", None, set()),
    ("begins_with(sk, :p) OR begins_with(sk, :q)", None, {("sk", VALUE)}),
    ("contains(#t, :x)", {"#t": "tags"}, {("tags", VALUE)}),
    ("attribute_type(a, :t)", None, {("a", VALUE)}),
    ("a BETWEEN :lo AND :hi", None, {("a", VALUE)}),
    ("a IN (:x, :y, :z)", None, {("a", VALUE)}),
    ("address.city = :c AND #h[0] = :v", {"#h": "history"}, {("address", VALUE), ("history", VALUE)}),
    ("attribute_not_exists(lease_until) OR lease_until < :now", None,
     {("lease_until", ABSENT), ("lease_until", VALUE)}),
    # NOT swaps existence and absence; it leaves a compared value pinned
    ("NOT attribute_exists(pk)", None, {("pk", ABSENT)}),
    ("NOT (attribute_exists(#pk) AND attribute_exists(#sk))", {"#pk": "pk", "#sk": "sk"},
     {("pk", ABSENT), ("sk", ABSENT)}),
    ("NOT NOT attribute_exists(pk)", None, {("pk", EXISTS)}),
    ("NOT a = :b AND attribute_exists(c)", None, {("a", VALUE), ("c", EXISTS)}),
    ("attribute_exists(pk) and not attribute_exists(gone)", None, {("pk", EXISTS), ("gone", ABSENT)}),
])
def test_parse_condition(text, names, expected):
    assert pins(text, names) == expected


@pytest.mark.parametrize(("text", "exact"), [
    ("#s = :v", {"status"}),
    (":seen = version AND attribute_exists(pk)", {"version"}),
    ("#s <> :shipped", set()),  # a value it must not have, not the one read
    ("qty >= :n", set()),  # a range two writers that read the same value both pass
    ("NOT a = :b", set()),
    ("size(tags) = :n", set()),
    ("a BETWEEN :lo AND :hi", set()),
    ("a IN (:x, :y)", set()),
    ("a = :b OR b = :c", set()),  # an equality one alternative makes: the other holds with it changed
    ("a = :b OR attribute_not_exists(c)", set()),  # c is no key: an item there without c passes
    ("a = :b OR attribute_not_exists(pk)", {"a"}),  # the item is there with a as read, or none is
    ("attribute_not_exists(#s) OR #s = :v", {"status"}),  # the value read, or none yet
    ("attribute_exists(pk) AND (attribute_not_exists(v) OR v = :seen)", {"v"}),
    ("(v = :seen OR attribute_not_exists(v)) AND (a = :x OR b = :y)", {"v"}),
    ("n BETWEEN :lo AND :hi AND v = :seen", {"v"}),
])
def test_which_attributes_are_compared_for_equality(text, exact):
    parsed = parse_condition(text, {"#s": "status"})
    assert parsed is not None
    found = parsed.resolved({"pk"})  # (for an item keyed by pk)
    assert {pin.attribute for pin in found.pins if found.exactly(pin.attribute)} == exact


@pytest.mark.parametrize("text", [
    "#unknown = :v",  # a name placeholder with no known name: cannot tell which attribute
    "custom_fn(a) = :v",  # not a DynamoDB function
    "(a = :b",  # unbalanced
    "a = :b)",
    "a = :b; DROP",  # characters the language does not have
    "",
    ":only = :values",
])
def test_unreadable_conditions_are_none(text):
    assert parse_condition(text, {}) is None


ATTR = "boto3.dynamodb.conditions.Attr"


def attr(name: str, method: str, *args) -> CallV:
    return CallV(method, CallV(ATTR, None, (ConstV(name),)), tuple(args))


def test_builder_pins():
    cond = ArithV("&", attr("status", "eq", ConstV("NEW")), attr("pk", "exists"))
    found = condition_pins("ConditionExpression", cond, None)
    assert found is not None
    assert set(found.pins) == {Pin("status", VALUE, exact=True), Pin("pk", EXISTS)}
    assert found.text == "Attr('status').eq(...) & Attr('pk').exists()"


def test_an_is_in_of_one_value_is_an_equality():
    one = condition_pins("ConditionExpression", attr("qty", "is_in", SeqV("list", (ConstV(3),))), None)
    two = condition_pins("ConditionExpression", attr("qty", "is_in", SeqV("list", (ConstV(3), ConstV(4)))), None)
    assert one is not None and one.exactly("qty")
    assert two is not None and not two.exactly("qty")


def test_builder_negation_and_key():
    inverted = OpaqueV(("m.py", -1), (attr("pk", "exists"),))  # ~Attr("pk").exists()
    assert condition_pins("ConditionExpression", inverted, None).pins == (Pin("pk", ABSENT),)
    key = CallV("eq", CallV("boto3.dynamodb.conditions.Key", None, (ConstV("pk"),)), (ParamV("f", "x"),))
    assert condition_pins("ConditionExpression", key, None).pins == (Pin("pk", VALUE, exact=True),)
    either = OneOf(frozenset({attr("a", "eq", ConstV(1)), attr("b", "not_exists")}))
    assert set(condition_pins("ConditionExpression", either, None).pins) == {Pin("a", VALUE, exact=True),
                                                                             Pin("b", ABSENT)}


def test_values_the_model_cannot_read_are_none():
    unknown_part = StrV((ConstV("attribute_exists("), ParamV("f", "name"), ConstV(")")))
    assert condition_pins("ConditionExpression", unknown_part, None) is None
    assert condition_pins("ConditionExpression", ParamV("f", "condition"), None) is None
    assert condition_pins("ConditionExpression", attr("x", "eq", ConstV(1)).recv, None) is None  # Attr("x") alone
    names_unknown = DictV((), (ParamV("f", "names"),))
    assert condition_pins("ConditionExpression", ConstV("#s = :v"), names_unknown) is None


def test_strings_built_from_constants_and_names():
    built = ArithV("+", ConstV("attribute_exists("), StrV((ConstV("pk"), ConstV(")"))))
    assert condition_pins("ConditionExpression", built, None).pins == (Pin("pk", EXISTS),)
    names = DictV(((ConstV("#s"), ConstV("status")),))
    assert condition_pins("ConditionExpression", ConstV("#s = :v"), names).pins == (Pin("status", VALUE, exact=True),)


def test_legacy_expected_compared_for_equality_by_operator():
    listed = DictV(((ConstV("version"), DictV(((ConstV("ComparisonOperator"), ConstV("EQ")),
                                                (ConstV("AttributeValueList"), ConstV(3))))),
                    (ConstV("qty"), DictV(((ConstV("ComparisonOperator"), ConstV("GE")),
                                           (ConstV("AttributeValueList"), ConstV(1)))))))
    found = condition_pins("Expected", listed, None)
    assert found is not None and found.exactly("version") and not found.exactly("qty")


def test_legacy_expected():
    expected = DictV((
        (ConstV("status"), DictV(((ConstV("Value"), ConstV("NEW")),))),
        (ConstV("pk"), DictV(((ConstV("Exists"), ConstV(False)),))),
    ))
    assert set(condition_pins("Expected", expected, None).pins) == {Pin("status", VALUE, exact=True),
                                                                    Pin("pk", ABSENT)}


# -- coverage, on programs ----------------------------------------------------------------
HEAD = '''import boto3
from boto3.dynamodb.conditions import Attr
table = boto3.resource("dynamodb").Table("orders")

def pay(order_id):
    order = table.get_item(Key={"pk": order_id})["Item"]
'''


def kinds(body: str, config: Config | None = None) -> dict[int, str]:
    return race_kinds(model_of({"app.py": HEAD + body}, config))


WRITE_LINE = 8


@pytest.mark.parametrize(("body", "racy"), [
    # the decision is on status; the condition pins existence only, or another attribute
    ('''    if order["status"] != "NEW": return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #s = :p", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":p": "PAID"})
''', True),
    ('''    if order["status"] != "NEW": return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #s = :p", ConditionExpression=Attr("owner").eq("me"),
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":p": "PAID"})
''', True),
    # pinned: the decided attribute, by string or builder
    ('''    if order["status"] != "NEW": return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #s = :p", ConditionExpression="#s = :new",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":p": "PAID", ":new": "NEW"})
''', False),
    ('''    if order["status"] != "NEW": return
    table.put_item(Item={**order, "status": "PAID"}, ConditionExpression=Attr("status").eq("NEW"))
''', False),
    # one of two decided attributes pinned: not reported (the rule asks for none pinned)
    ('''    if order["status"] != "NEW" or order["total"] > 100: return
    table.put_item(Item={**order, "status": "PAID"}, ConditionExpression=Attr("status").eq("NEW"))
''', False),
    # a version compared and bumped by this write
    ('''    if order["status"] != "NEW": return
    table.put_item(Item={**order, "status": "PAID", "version": order["version"] + 1},
                   ConditionExpression="version = :v", ExpressionAttributeValues={":v": order["version"]})
''', False),
    # a version compared but not bumped (copied back as read): pins only the version
    ('''    if order["status"] != "NEW": return
    table.put_item(Item={**order, "status": "PAID", "version": order["version"]},
                   ConditionExpression="version = :v", ExpressionAttributeValues={":v": order["version"]})
''', True),
    # create-only: the key attribute's absence
    ('''    if order["status"] != "NEW": return
    table.put_item(Item={"pk": order_id, "status": "NEW"}, ConditionExpression="attribute_not_exists(pk)")
''', False),
    # the absence of a non-key attribute is no create-only guard (domain trap 9)
    ('''    if order["status"] != "NEW": return
    table.put_item(Item={**order, "status": "PAID"}, ConditionExpression="attribute_not_exists(paid_at)")
''', True),
    # a decision on the key attribute is pinned by the key
    ('''    if order["pk"] != order_id: return
    table.put_item(Item={**order, "status": "PAID"}, ConditionExpression="attribute_exists(pk)")
''', False),
    # a branch that only logs decides nothing
    ('''    if order["status"] == "NEW": print("new")
    table.put_item(Item={**order, "status": "PAID"}, ConditionExpression="attribute_exists(pk)")
''', False),
    # truthiness: counted for an attribute the update sets, not for one it leaves alone
    ('''    if order.get("paid"): return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET paid = :t", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeValues={":t": True})
''', True),
    ('''    if not order.get("owner"): return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET paid = :t", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeValues={":t": True})
''', False),
    # an either-or test names no attribute a condition could pin: not reported
    ('''    if order["status"] == "NEW" or order["status"] == "HELD":
        table.put_item(Item={**order, "status": "PAID"}, ConditionExpression="attribute_exists(pk)")
''', False),
    # a condition the model cannot read stays a guard
    ('''    if order["status"] != "NEW": return
    table.put_item(Item={**order, "status": "PAID"}, ConditionExpression=order_id.condition)
''', False),
])
def test_condition_covers_decisions(body, racy):
    found = kinds(body)
    assert (found.get(WRITE_LINE) == "overwrite") is racy, found


def test_configured_version_attribute_is_a_guard():
    body = '''    if order["status"] != "NEW": return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #s = :p", ConditionExpression="rev = :seen",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":p": "PAID", ":seen": 3})
'''
    assert kinds(body).get(WRITE_LINE) == "overwrite"
    config = Config(tables=(("orders", TableFacts("pk", None, "rev")),))
    assert WRITE_LINE not in kinds(body, config)


def test_message_names_the_open_decision():
    from dynolint.rules.dyn101_unguarded_write_after_read import UnguardedWriteAfterRead

    body = '''    if order["status"] != "NEW": return
    table.put_item(Item={**order, "status": "PAID"}, ConditionExpression="attribute_exists(pk)")
'''
    model = model_of({"app.py": HEAD + body})
    [finding] = list(UnguardedWriteAfterRead().check(model))
    assert finding.line == WRITE_LINE
    assert "checks attribute_exists(pk) but not status == 'NEW' (line 7)" in finding.message
    assert [r.line for r in finding.related if r.kind == "decision"] == [7]


@pytest.mark.parametrize(("body", "kind"), [
    # the written value is computed from an attribute the condition does not pin: lost when it changes
    # (a string joined to a literal is a string: an overwrite, not a counter)
    ('''    text = order.get("log", "") + "line"
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #l = :l", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeNames={"#l": "log"}, ExpressionAttributeValues={":l": text})
''', "overwrite"),
    ('''    views = order["views"] + 1
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET views = :v", ConditionExpression=Attr("pk").exists(),
                      ExpressionAttributeValues={":v": views})
''', "counter"),
    ('''    summary = order["details"].upper()
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET summary = :s", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeValues={":s": summary})
''', "overwrite"),
    # the item put back whole after arithmetic made on it in place: that attribute is copied
    ('''    order["views"] += 1
    table.put_item(Item=order, ConditionExpression="attribute_exists(pk)")
''', "counter"),
    ('''    order["views"] = order["views"] - 1
    table.put_item(Item={**order, "seen": True}, ConditionExpression=Attr("pk").exists())
''', "counter"),
    # the same with the attribute pinned as read, or changed in place with no arithmetic (a
    # whole item copied back under an existence condition is left to the other rules)
    ('''    seen = order["views"]
    order["views"] = seen + 1
    table.put_item(Item=order, ConditionExpression="#v = :seen", ExpressionAttributeNames={"#v": "views"},
                   ExpressionAttributeValues={":seen": seen})
''', None),
    ('''    order["note"] = "checked"
    table.put_item(Item=order, ConditionExpression="attribute_exists(pk)")
''', None),
    # arithmetic on a pinned attribute stored under another name: it copies what is pinned
    ('''    seen = order["views"]
    order["views_k"] = seen / 1000
    table.put_item(Item=order, ConditionExpression="views = :seen", ExpressionAttributeValues={":seen": seen})
''', None),
    # the condition pins the attribute copied, or a version the write bumps: guarded
    ('''    views = order["views"] + 1
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET views = :v", ConditionExpression="views = :seen",
                      ExpressionAttributeValues={":v": views, ":seen": order["views"]})
''', None),
    ('''    text = order.get("log", "") + "line"
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #l = :l, version = :next",
                      ConditionExpression="version = :seen", ExpressionAttributeNames={"#l": "log"},
                      ExpressionAttributeValues={":l": text, ":seen": order["version"], ":next": order["version"] + 1})
''', None),
    # create-only, a value from the key alone, a value not from the read, an unreadable condition
    ('''    views = order["views"] + 1
    table.put_item(Item={"pk": order_id, "views": views}, ConditionExpression="attribute_not_exists(pk)")
''', None),
    ('''    label = order["pk"] + "-copy"
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET label = :l", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeValues={":l": label})
''', None),
    ('''    label = order_id + "-copy"
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET label = :l", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeValues={":l": label})
''', None),
    ('''    views = order["views"] + 1
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET views = :v", ConditionExpression=order_id.condition,
                      ExpressionAttributeValues={":v": views})
''', None),
])
def test_condition_covers_what_the_written_value_is_computed_from(body, kind):
    assert kinds(body).get(WRITE_LINE) == kind


def test_message_names_the_attribute_the_condition_leaves_unpinned():
    from dynolint.rules.dyn101_unguarded_write_after_read import UnguardedWriteAfterRead
    from dynolint.rules.dyn102_non_atomic_counter import NonAtomicCounter

    body = '''    summary = order["details"].upper()
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET summary = :s", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeValues={":s": summary})
'''
    [finding] = list(UnguardedWriteAfterRead().check(model_of({"app.py": HEAD + body})))
    assert finding.line == WRITE_LINE
    assert "checks attribute_exists(pk) but not that details still holds" in finding.message
    assert finding.fix is None  # the condition is there: extending it is the author's call
    counter = '''    views = order["views"] + 1
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET views = :v", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeValues={":v": views})
'''
    [finding] = list(NonAtomicCounter().check(model_of({"app.py": HEAD + counter})))
    assert "(its condition checks attribute_exists(pk) but not that views still holds the value read)" \
        in finding.message


# -- PynamoDB -----------------------------------------------------------------------------
PYN = '''from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.models import Model

class Card(Model):
    class Meta:
        table_name = "cards"
    code = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute()

class Locked(Model):
    class Meta:
        table_name = "locked"
    code = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute()
    version = VersionAttribute()

def redeem(code):
    card = {model}.get(code)
    if card.state != "ISSUED":
        return
    card.state = "REDEEMED"
    card.save(condition={condition})
'''
PYN_WRITE = 22


@pytest.mark.parametrize(("model", "condition", "racy"), [
    ("Card", "Card.code.exists()", True),
    ("Card", "Card.state == 'ISSUED'", False),
    ("Card", "(Card.state == 'ISSUED') & Card.code.exists()", False),
    ("Card", "Card.code.does_not_exist()", False),  # create-only: the hash key's absence
    ("Locked", "Locked.code.exists()", False),  # PynamoDB adds the version to the condition
])
def test_pynamodb_condition_covers_decisions(model, condition, racy):
    found = race_kinds(model_of({"app.py": PYN.format(model=model, condition=condition)}))
    assert (found.get(PYN_WRITE) == "overwrite") is racy, found


# -- a decision on a query's copy of an item, the item read again, then written -----------
REREAD = '''import boto3
from boto3.dynamodb.conditions import Key
steps = boto3.resource("dynamodb").Table("steps")

def start_ready(flow_id):
    for step in steps.query(IndexName="by-flow", KeyConditionExpression=Key("flow_id").eq(flow_id))["Items"]:
        if step["state"] != "Not Started":
            continue
        fresh = steps.get_item(Key={"step_id": step["step_id"]})["Item"]
        steps.update_item(Key={"step_id": fresh["step_id"]}, UpdateExpression="SET #s = :r",
                          ConditionExpression=CONDITION, ExpressionAttributeNames={"#s": "state"},
                          ExpressionAttributeValues={":r": "Running", ":w": "Not Started"})
'''


@pytest.mark.parametrize(("condition", "racy"), [
    ('"attribute_exists(step_id)"', True),
    ('"attribute_exists(step_id) AND #s = :w"', False),
])
def test_a_decision_on_a_query_s_copy_holds_for_the_item_read_again(condition, racy):
    """The state decided on the query's (index) copy of the item; the item read again by the
    key taken from that copy, and written by the key taken from the new copy: the same item,
    and the decision still stands against the write's condition."""
    found = race_kinds(model_of({"flow.py": REREAD.replace("CONDITION", condition)}))
    assert (found.get(10) == "overwrite") is racy, found


PYN_WALLET = '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Wallet(Model):
    class Meta:
        table_name = "wallets"

    uid = UnicodeAttribute(hash_key=True)
    balance = NumberAttribute()


def debit(uid, amount):
    wallet = Wallet.get(uid)
    seen = wallet.balance
    wallet.balance -= amount
    wallet.save(condition=CONDITION)
'''


@pytest.mark.parametrize(("condition", "kind"), [
    ("Wallet.uid.exists()", "counter"),  # two debits of the same balance both pass it
    ("Wallet.balance == seen", None),  # the balance as read: the second debit fails
    ("(Wallet.balance == seen) & Wallet.uid.exists()", None),
])
def test_pynamodb_save_after_arithmetic_in_place_pins_what_it_read(condition, kind):
    model = model_of({"app.py": PYN_WALLET.replace("CONDITION", condition)})
    assert race_kinds(model).get(17) == kind
