"""Race shapes found by probing fresh DynamoDB code (session of 2026-12-05, late): a decision on
whether an attribute is there (``is None``, ``is not None``, ``== None``, ``"a" in item``) that a
condition leaves open."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SEATS = '''import boto3

table = boto3.resource("dynamodb").Table("seats")


def hold(event, context):
    key = {"pk": event["seat"]}
    seat = table.get_item(Key=key)["Item"]
    if TEST:
        return {"error": "taken"}
    table.update_item(Key=key, UpdateExpression="SET holder = :u",
                      ConditionExpression=CONDITION,
                      ExpressionAttributeValues={":u": event["user"]})
    return {"ok": True}
'''


def check(tmp_path: Path, source: str) -> set[tuple[str, int, str]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    return triples(findings_in(tmp_path))


@pytest.mark.parametrize("test", [
    'seat.get("holder") is not None',
    'seat["holder"] is not None',
    'seat.get("holder") != None',
    '"holder" in seat',
    'not ("holder" not in seat)',
])
def test_whether_the_attribute_is_there_is_a_decision_the_condition_must_keep(tmp_path: Path, test: str) -> None:
    found = check(tmp_path, SEATS.replace("TEST", test).replace("CONDITION", '"attribute_exists(pk)"'))
    assert found == {("app.py", 11, "DYN101")}


@pytest.mark.parametrize("condition", [
    '"attribute_not_exists(holder)"',
    '"attribute_exists(pk) AND attribute_not_exists(holder)"',
])
def test_a_condition_that_the_attribute_is_still_missing_guards_it(tmp_path: Path, condition: str) -> None:
    found = check(tmp_path, SEATS.replace("TEST", 'seat.get("holder") is not None').replace("CONDITION", condition))
    assert found == set()


def test_a_validation_of_an_attribute_the_write_leaves_alone_is_no_decision(tmp_path: Path) -> None:
    # ``email`` is not what the update changes: a check that the account is complete, not a race
    found = check(tmp_path, '''
        import time

        import boto3

        users = boto3.resource("dynamodb").Table("users")


        def login(event, context):
            key = {"pk": event["user"]}
            user = users.get_item(Key=key)["Item"]
            if user.get("email") is None or "verified_at" not in user:
                raise ValueError("incomplete account")
            users.update_item(Key=key, UpdateExpression="SET last_login = :t",
                              ConditionExpression="attribute_exists(pk)",
                              ExpressionAttributeValues={":t": int(time.time())})
    ''')
    assert found == set()


def test_a_response_tested_for_its_item_is_a_presence_test_not_a_decision(tmp_path: Path) -> None:
    found = check(tmp_path, '''
        import boto3

        seats = boto3.resource("dynamodb").Table("seats")


        def hold(event, context):
            key = {"pk": event["seat"]}
            resp = seats.get_item(Key=key)
            if "Item" not in resp:
                return {"error": "no such seat"}
            seats.update_item(Key=key, UpdateExpression="SET holder = :u",
                              ConditionExpression="attribute_not_exists(holder)",
                              ExpressionAttributeValues={":u": event["user"]})
    ''')
    assert found == set()


def test_pynamodb_attribute_tested_for_none_under_a_key_condition(tmp_path: Path) -> None:
    found = check(tmp_path, '''
        from pynamodb.attributes import UnicodeAttribute
        from pynamodb.models import Model


        class Seat(Model):
            class Meta:
                table_name = "seats"

            pk = UnicodeAttribute(hash_key=True)
            holder = UnicodeAttribute(null=True)


        def hold(event, context):
            seat = Seat.get(event["seat"])
            if seat.holder is not None:
                return {"error": "taken"}
            seat.holder = event["user"]
            seat.save(condition=Seat.pk.exists())
    ''')
    assert found == {("app.py", 19, "DYN101")}


# -- functions a later definition of the same name replaces ------------------------------------

DEPOSIT = '''
    acct = table.get_item(Key={"pk": account})["Item"]
    acct["balance"] = acct["balance"] + amount
    table.put_item(Item=acct)
'''


def _deposit_body(indent: str) -> str:
    return textwrap.indent(textwrap.dedent(DEPOSIT).strip("\n"), indent)


def test_each_singledispatch_registration_is_analysed(tmp_path: Path) -> None:
    found = check(tmp_path, f'''
from dataclasses import dataclass
from functools import singledispatch

import boto3

table = boto3.resource("dynamodb").Table("accounts")


@dataclass
class Deposit:
    account: str
    amount: int


@dataclass
class Close:
    account: str


@singledispatch
def apply(command):
    raise NotImplementedError


@apply.register
def _(command: Deposit):
    account, amount = command.account, command.amount
{_deposit_body("    ")}


@apply.register
def _(command: Close):
    table.delete_item(Key={{"pk": command.account}})


def handler(event, context):
    apply(Deposit(event["account"], int(event["amount"])))
''')
    assert found == {("app.py", 31, "DYN102")}


def test_a_method_registered_under_a_shadowed_name_is_analysed(tmp_path: Path) -> None:
    found = check(tmp_path, f'''
from functools import singledispatchmethod

import boto3

table = boto3.resource("dynamodb").Table("accounts")


class Ledger:
    @singledispatchmethod
    def post(self, entry):
        raise NotImplementedError

    @post.register
    def _(self, entry: int):
        account, amount = "main", entry
{_deposit_body("        ")}

    @post.register
    def _(self, entry: str):
        return None
''')
    assert found == {("app.py", 19, "DYN102")}


def test_a_definition_in_each_branch_of_an_if_is_analysed(tmp_path: Path) -> None:
    found = check(tmp_path, f'''
import os

import boto3

table = boto3.resource("dynamodb").Table("accounts")

if os.environ.get("LEDGER_MODE") == "legacy":
    def deposit(account, amount):
{_deposit_body("        ")}
else:
    def deposit(account, amount):
        table.update_item(Key={{"pk": account}}, UpdateExpression="ADD balance :a",
                          ExpressionAttributeValues={{":a": amount}})
''')
    assert found == {("app.py", 12, "DYN102")}


def test_the_name_stays_bound_to_the_last_definition(tmp_path: Path) -> None:
    # the handler calls the last ``store`` (atomic), never the first: nothing through the call
    found = check(tmp_path, f'''
import boto3

table = boto3.resource("dynamodb").Table("accounts")


def store(account, amount):
    return None


def store(account, amount):
    table.update_item(Key={{"pk": account}}, UpdateExpression="ADD balance :a",
                      ExpressionAttributeValues={{":a": amount}})


def handler(event, context):
    store(event["account"], 1)
''')
    assert found == set()


# -- a claim won through a helper that answers whether it won ----------------------------------

CLAIM = '''
import boto3
from botocore.exceptions import ClientError

table = boto3.resource("dynamodb").Table("jobs")


def claim(job_id, worker):
    try:
        table.update_item(
            Key={"pk": job_id},
            UpdateExpression="SET #o = :w",
            ConditionExpression="attribute_not_exists(#o)",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":w": worker},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return LOST
        raise
    return True


def handler(event, context):
    job_id = event["job"]
    CALL
    job = table.get_item(Key={"pk": job_id}, ConsistentRead=True)["Item"]
    table.update_item(Key={"pk": job_id}, UpdateExpression="SET #r = :r",
                      ExpressionAttributeNames={"#r": "result"},
                      ExpressionAttributeValues={":r": sum(job["inputs"])})
'''


def test_the_path_where_the_helper_answered_won_holds_the_claim(tmp_path: Path) -> None:
    source = CLAIM.replace("LOST", "False").replace("CALL", "if not claim(job_id, context.aws_request_id):\n"
                                                            "        return {'skipped': True}")
    assert check(tmp_path, source) == set()


@pytest.mark.parametrize(("lost", "call"), [
    ("False", "claim(job_id, context.aws_request_id)"),  # the answer ignored: the loser goes on too
    ("True", "if not claim(job_id, context.aws_request_id):\n        return {'skipped': True}"),  # answers won either way
])
def test_a_claim_the_path_may_not_hold_guards_nothing(tmp_path: Path, lost: str, call: str) -> None:
    found = check(tmp_path, CLAIM.replace("LOST", lost).replace("CALL", call))
    assert {code for _, _, code in found} == {"DYN101"}


# -- check-then-create through a listing of the partition ---------------------------------------

BOOKING = '''
import boto3
from boto3.dynamodb.conditions import Key

table = boto3.resource("dynamodb").Table("bookings")


def book(event, context):
    room, day = event["room"], event["day"]
    rows = table.query(KeyConditionExpression=Key("pk").eq(room))["Items"]
CHECK
    table.put_item(Item={"pk": room, "sk": day, "guest": event["guest"]}CONDITION)
    return {"ok": True}
'''
CHECKS = {
    "loop": '    for row in rows:\n        if row["sk"] == day:\n            return {"error": "taken"}',
    "any": '    if any(row["sk"] == day for row in rows):\n        return {"error": "taken"}',
    "set": '    if day in {row["sk"] for row in rows}:\n        return {"error": "taken"}',
    "list": '    if [row for row in rows if row["sk"] == day]:\n        return {"error": "taken"}',
}


@pytest.mark.parametrize("shape", sorted(CHECKS))
def test_a_key_looked_for_in_the_partition_then_created_is_check_then_create(tmp_path: Path, shape: str) -> None:
    found = check(tmp_path, BOOKING.replace("CHECK", CHECKS[shape]).replace("CONDITION", ""))
    assert {(code, path) for path, _, code in found} == {("DYN101", "app.py")}
    assert len(found) == 1


@pytest.mark.parametrize("shape", sorted(CHECKS))
def test_created_only_where_it_is_still_missing_is_guarded(tmp_path: Path, shape: str) -> None:
    condition = ', ConditionExpression="attribute_not_exists(sk)"'
    assert check(tmp_path, BOOKING.replace("CHECK", CHECKS[shape]).replace("CONDITION", condition)) == set()


def test_a_row_state_looked_at_is_no_search_for_the_created_key(tmp_path: Path) -> None:
    # the rows are checked for a blocked room (their state), and the booking's key is the request's:
    # nothing says whether that item is there (not a check-then-create of it)
    check_state = '    if any(row.get("state") == "BLOCKED" for row in rows):\n        return {"error": "blocked"}'
    assert check(tmp_path, BOOKING.replace("CHECK", check_state).replace("CONDITION", "")) == set()


def test_a_row_missing_from_the_partition_then_paid_for_is_a_stampede(tmp_path: Path) -> None:
    # the loop goes on only where no row had the day: a miss, then a paid call, then the put
    found = check(tmp_path, '''
import boto3
import requests
from boto3.dynamodb.conditions import Key

cache = boto3.resource("dynamodb").Table("forecasts")


def forecast(event, context):
    city, day = event["city"], event["day"]
    rows = cache.query(KeyConditionExpression=Key("pk").eq(city))["Items"]
    for row in rows:
        if row["sk"] == day:
            return row["payload"]
    payload = requests.get("https://api.example.com/forecast", params={"q": city, "d": day}, timeout=5).text
    cache.put_item(Item={"pk": city, "sk": day, "payload": payload})
    return payload
''')
    assert found == {("app.py", 16, "DYN104")}


# -- a value an arithmetic update returned is the caller's own, but not a claim ------------------

RETURNED = '''
import boto3

table = boto3.resource("dynamodb").Table("wallets")


def charge(event, context):
    key = {"pk": event["user"]}
    new = table.update_item(Key=key, UpdateExpression=UPDATE,
                            ExpressionAttributeValues={":a": int(event["amount"])},
                            ReturnValues=RETURN)["Attributes"]
    if TEST:
        table.update_item(Key=key, UpdateExpression="SET balance = :z, overdrawn = :t",
                          ExpressionAttributeValues={":z": 0, ":t": True})
'''


@pytest.mark.parametrize("update", ['"SET balance = balance - :a"', '"ADD balance :a"'])
@pytest.mark.parametrize("returned", ['"UPDATED_NEW"', '"ALL_NEW"'])
def test_a_test_of_an_arithmetic_result_decides_what_others_change_too(tmp_path: Path, update: str,
                                                                         returned: str) -> None:
    # every caller that overdraws sees a negative balance; the reset erases what others added since
    source = RETURNED.replace("UPDATE", update).replace("RETURN", returned).replace("TEST", 'new["balance"] < 0')
    assert check(tmp_path, source) == {("app.py", 13, "DYN101")}


def test_the_one_caller_that_saw_a_count_reach_a_value_holds_it(tmp_path: Path) -> None:
    # ``== 1``: one caller alone sees the count it made equal 1 (the first): a claim, as a flag's
    source = RETURNED.replace("UPDATE", '"ADD balance :a"').replace("RETURN", '"UPDATED_NEW"') \
        .replace("TEST", 'new["balance"] == 1')
    assert check(tmp_path, source) == set()


def test_a_flag_set_and_returned_old_is_still_a_claim(tmp_path: Path) -> None:
    found = check(tmp_path, '''
import boto3

table = boto3.resource("dynamodb").Table("jobs")


def run(event, context):
    key = {"pk": event["job"]}
    old = table.update_item(Key=key, UpdateExpression="SET #s = :p", ExpressionAttributeNames={"#s": "status"},
                            ExpressionAttributeValues={":p": "RUNNING"}, ReturnValues="ALL_OLD")["Attributes"]
    if old.get("status") != "NEW":
        return
    table.update_item(Key=key, UpdateExpression="SET #s = :d", ExpressionAttributeNames={"#s": "status"},
                      ExpressionAttributeValues={":d": "DONE"})
''')
    assert found == set()


# -- a miss written as ``item or {...}`` ----------------------------------------------------------

OR_MISS = '''
import urllib.request

import boto3

table = boto3.resource("dynamodb").Table("weather")


def fetch(city):
    with urllib.request.urlopen("https://api.example.com/weather?q=" + city, timeout=5) as response:
        return response.read().decode()


def handler(event, context):
    city = event["city"]
    item = READ or {"pk": city, "payload": VALUE}
    table.put_item(Item=item)
    return item["payload"]
'''


def test_costly_work_on_the_right_of_or_after_a_read_is_a_stampede(tmp_path: Path) -> None:
    found = check(tmp_path, OR_MISS.replace("READ", 'table.get_item(Key={"pk": city}).get("Item")')
                  .replace("VALUE", "fetch(city)"))
    assert found == {("app.py", 17, "DYN104")}


def test_a_default_that_costs_nothing_is_no_stampede(tmp_path: Path) -> None:
    found = check(tmp_path, OR_MISS.replace("READ", 'table.get_item(Key={"pk": city}).get("Item")')
                  .replace("VALUE", '"{}"'))
    assert {code for _, _, code in found} <= {"DYN101"}


def test_costly_work_done_whatever_the_read_found_is_no_miss(tmp_path: Path) -> None:
    # ``or {}`` defaults the item; the paid call runs on hits too: not work done because of a miss
    found = check(tmp_path, OR_MISS.replace("READ", 'table.get_item(Key={"pk": city}).get("Item")')
                  .replace("VALUE", '""').replace('    table.put_item(Item=item)',
                                                  '    item["payload"] = fetch(city)\n    table.put_item(Item=item)'))
    assert {code for _, _, code in found} == {"DYN101"}


def test_a_row_compared_without_searching_them_all_says_nothing_of_the_key(tmp_path: Path) -> None:
    # one row looked at, not a search of them all: nothing known of the item (room, day)
    search = '    first = rows[0]\n    if first["sk"] == day:\n        return {"error": "taken"}'
    assert check(tmp_path, BOOKING.replace("CHECK", search).replace("CONDITION", "")) == set()


def test_a_match_skipped_is_a_row_read_not_a_miss(tmp_path: Path) -> None:
    # ``continue`` on a match: the path goes on with the row read (it is overwritten: DYN101), and
    # nothing says it is missing where no row matched (no stampede, whatever the work)
    search = '    for row in rows:\n        if row["sk"] == day:\n            continue\n        print(row)'
    found = check(tmp_path, BOOKING.replace("CHECK", search).replace("CONDITION", "")
                  .replace("import boto3\n", "import boto3\nimport requests\n")
                  .replace('"guest": event["guest"]', '"guest": requests.get(event["guest"], timeout=5).text'))
    assert found == {("app.py", 16, "DYN101")}


# -- a builtin type's class pattern binds the subject itself ---------------------------------------

def test_a_value_captured_by_a_builtin_class_pattern_is_the_attribute(tmp_path: Path) -> None:
    found = check(tmp_path, '''
import boto3

table = boto3.resource("dynamodb").Table("subs")


def renew(event, context):
    key = {"pk": event["sub"]}
    match table.get_item(Key=key).get("Item"):
        case {"credits": int(left)} if left > 0:
            table.update_item(Key=key, UpdateExpression="SET credits = :c",
                              ExpressionAttributeValues={":c": left - 1})
            return {"ok": True}
        case _:
            return {"error": "no credits"}
''')
    assert found == {("app.py", 11, "DYN102")}


def test_a_project_class_pattern_binds_by_match_args_not_the_subject(tmp_path: Path) -> None:
    # ``Credits(left)`` binds by the class's __match_args__: not the attribute (no arithmetic on it known)
    found = check(tmp_path, '''
import boto3

table = boto3.resource("dynamodb").Table("subs")


class Credits:
    __match_args__ = ("amount",)


def renew(event, context):
    key = {"pk": event["sub"]}
    match table.get_item(Key=key).get("Item"):
        case {"credits": Credits(left)}:
            table.update_item(Key=key, UpdateExpression="SET credits = :c",
                              ExpressionAttributeValues={":c": left - 1})
''')
    assert "DYN102" not in {code for _, _, code in found}


# -- a task a task group made of the read, awaited ---------------------------------------------------

@pytest.mark.parametrize("make", ["tg.create_task(load(user))", "asyncio.get_running_loop().create_task(load(user))"])
def test_a_read_made_in_a_task_reaches_the_awaiting_path(tmp_path: Path, make: str) -> None:
    found = check(tmp_path, f'''
import asyncio

import boto3

table = boto3.resource("dynamodb").Table("wallets")


async def load(user):
    return table.get_item(Key={{"pk": user}})["Item"]


async def deposit(user, amount):
    async with asyncio.TaskGroup() as tg:
        task = {make}
    item = await task
    table.put_item(Item={{**item, "balance": item["balance"] + amount}})
''')
    assert found == {("app.py", 17, "DYN102")}


def test_a_flag_set_beside_an_arithmetic_result_erases_nothing(tmp_path: Path) -> None:
    # every overdrawing caller sets the same flag; what the others added to the balance stays
    source = RETURNED.replace("UPDATE", '"SET balance = balance - :a"').replace("RETURN", '"UPDATED_NEW"') \
        .replace("TEST", 'new["balance"] < 0').replace('"SET balance = :z, overdrawn = :t"', '"SET overdrawn = :t"') \
        .replace('{":z": 0, ":t": True}', '{":t": True}')
    assert check(tmp_path, source) == set()
