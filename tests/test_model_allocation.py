"""Keys counted from a scan or query (model/allocation.py) and the control dependence that
finds the counted ones with no arithmetic on the items (model/control.py): by data and by
control, through helpers, generators, comprehensions and next(), on the resource, client,
batch and PynamoDB APIs; and the shapes that must stay clean."""

from __future__ import annotations

import pytest

from dynolint.model.control import ControlMarks, Steer
from dynolint.model.values import ArithV, ConstV, OneOf
from tests.modelkit import model_of, race_kinds

HEAD = '''import json
import boto3

ddb = boto3.resource("dynamodb")
groups = ddb.Table("groups")
others = ddb.Table("others")


def show(event, context):
    return groups.get_item(Key={"group_id": event["id"]})


'''


def _allocations(files: dict[str, str]) -> dict[int, str]:
    """line of the write -> the race kind, for the allocations only."""
    return {line: kind for line, kind in race_kinds(model_of(files)).items() if kind == "allocate"}


def _line(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


# -- control marks ----------------------------------------------------------------------------


def test_a_marked_twin_equals_its_value_and_the_mark_stays_on_the_twin() -> None:
    marks = ControlMarks()
    value = ArithV("+", ConstV(1), ConstV(1))
    steer = Steer(3, ("a.py", 7))
    twin = marks.chosen(value, frozenset({steer}))
    assert twin == value and hash(twin) == hash(value) and twin is not value
    assert marks.of(twin) == {steer} and marks.of(value) == frozenset()
    merged = OneOf(frozenset({ConstV(1), twin}))
    assert marks.within(merged) == {steer}


# -- positives --------------------------------------------------------------------------------

POSITIVES = {
    "max + 1 in a comprehension": '''
def create(event, context):
    ids = [int(i["group_id"]) for i in groups.scan()["Items"]]
    groups.put_item(Item={"group_id": max(ids, default=0) + 1})  # here
''',
    "sorted()[-1] + 1": '''
def create(event, context):
    ids = sorted(int(i["group_id"]) for i in groups.scan()["Items"])
    new_id = ids[-1] + 1 if ids else 1
    groups.put_item(Item={"group_id": str(new_id)})  # here
''',
    "len + 1 in an f-string": '''
def create(event, context):
    items = groups.query(KeyConditionExpression="x")["Items"]
    groups.put_item(Item={"group_id": f"G-{len(items) + 1:04d}"})  # here
''',
    "first free in a for/if helper": '''
def first_free(taken):
    n = 1
    for t in sorted(taken):
        if n == t:
            n += 1
    return n


def create(event, context):
    taken = []
    for row in groups.scan()["Items"]:
        taken.append(int(row["group_id"]))
    groups.put_item(Item={"group_id": str(first_free(taken))})  # here
''',
    "first free in a while helper": '''
def vacant(labels):
    i = 1
    while str(i) in labels:
        i += 1
    return str(i)


def create(event, context):
    labels = {r["group_id"] for r in groups.scan()["Items"]}
    groups.put_item(Item={"group_id": vacant(labels)})  # here
''',
    "a flag set in a loop steers the counter": '''
def create(event, context):
    ids = [r["group_id"] for r in groups.scan()["Items"]]
    n = 1
    clash = False
    for existing in ids:
        if existing == str(n):
            clash = True
    if clash:
        n += 1
    groups.put_item(Item={"group_id": str(n)})  # here
''',
    "next() over a filtered count": '''
from itertools import count


def create(event, context):
    used = {r["group_id"] for r in groups.scan()["Items"]}
    groups.put_item(Item={"group_id": str(next(n for n in count(1) if str(n) not in used))})  # here
''',
    "a generator helper": '''
def numbers(table):
    page = table.scan()
    for item in page["Items"]:
        yield int(item["group_id"])


def create(event, context):
    groups.put_item(Item={"group_id": max(numbers(groups), default=0) + 1})  # here
''',
    "update_item upserts the counted key": '''
def create(event, context):
    n = len(groups.scan()["Items"]) + 1
    groups.update_item(Key={"group_id": n}, UpdateExpression="SET #a = :a",  # here
                       ExpressionAttributeNames={"#a": "a"}, ExpressionAttributeValues={":a": 1})
''',
}


@pytest.mark.parametrize("body", POSITIVES.values(), ids=POSITIVES.keys())
def test_a_key_counted_from_a_scan_is_an_allocation(body: str) -> None:
    source = HEAD + body
    assert _allocations({"app.py": source}) == {_line(source, "# here"): "allocate"}


def test_the_key_schema_unknown_a_key_like_attribute_is_the_key() -> None:
    source = '''import boto3
table = boto3.resource("dynamodb").Table("tickets")


def create(title):
    n = len(table.scan()["Items"]) + 1
    table.put_item(Item={"ticket_id": n, "title": title})
    table.put_item(Item={"title": title, "position": n})
'''
    assert _allocations({"app.py": source}) == {7: "allocate"}


def test_through_helpers_in_other_modules_with_related_locations() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/ids.py": '''def vacant(taken):
    candidate = 1
    while candidate in taken:
        candidate += 1
    return candidate
''',
        "pkg/store.py": '''def existing(table):
    return [int(item["pk"]) for item in table.scan()["Items"]]
''',
        "pkg/handler.py": '''import boto3
from pkg.ids import vacant
from pkg.store import existing

table = boto3.resource("dynamodb").Table("things")


def create(event, context):
    table.put_item(Item={"pk": vacant(existing(table)), "name": event["name"]})


def read(event, context):
    return table.get_item(Key={"pk": event["pk"]})
''',
    }
    model = model_of(files)
    race, = [r for r in model.races() if r.kind == "allocate"]
    assert race.write.loc[0] == "pkg/handler.py" and model.line_of(race.write.loc) == 9
    assert race.read.loc[0] == "pkg/store.py" and race.read.op == "scan"
    assert race.counted_at is not None and race.counted_at[0] == "pkg/ids.py" and model.line_of(race.counted_at) == 4


def test_boto3_client_and_batch_writes() -> None:
    source = '''import boto3
client = boto3.client("dynamodb")
table = boto3.resource("dynamodb").Table("tickets")


def low(event, context):
    page = client.scan(TableName="tickets")
    n = max(int(i["ticket_id"]["N"]) for i in page["Items"]) + 1
    client.put_item(TableName="tickets", Item={"ticket_id": {"N": str(n)}})


def batch(event, context):
    start = len(table.scan()["Items"])
    with table.batch_writer() as writer:
        for offset, row in enumerate(event["rows"]):
            writer.put_item(Item={"ticket_id": start + offset + 1, "row": row})


def batch_low(event, context):
    n = len(client.scan(TableName="tickets")["Items"]) + 1
    client.batch_write_item(RequestItems={"tickets": [{"PutRequest": {"Item": {"ticket_id": {"N": str(n)}}}}]})
'''
    model = model_of({"app.py": source})
    found = {model.line_of(r.write.loc): (r.kind, r.write.batch) for r in model.races()}
    assert found == {9: ("allocate", False), 16: ("allocate", True), 21: ("allocate", True)}


def test_pynamodb_scan_then_a_fresh_save() -> None:
    source = '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.models import Model


class Ticket(Model):
    class Meta:
        table_name = "tickets"
    number = NumberAttribute(hash_key=True)
    title = UnicodeAttribute()


class Versioned(Model):
    class Meta:
        table_name = "versioned"
    number = NumberAttribute(hash_key=True)
    version = VersionAttribute()


def open_ticket(title):
    last = max((t.number for t in Ticket.scan()), default=0)
    Ticket(last + 1, title=title).save()


def open_guarded(title):
    used = {t.number for t in Ticket.scan()}
    n = 1
    while n in used:
        n += 1
    Ticket(number=n, title=title).save(condition=Ticket.number.does_not_exist())


def open_versioned():
    last = max((v.number for v in Versioned.scan()), default=0)
    Versioned(last + 1).save()
'''
    assert _allocations({"app.py": source}) == {21: "allocate"}


# -- clean ------------------------------------------------------------------------------------

CLEAN = {
    "guarded in a retry loop": '''
from botocore.exceptions import ClientError


def create(event, context):
    for _ in range(3):
        n = max((int(i["group_id"]) for i in groups.scan()["Items"]), default=0) + 1
        try:
            groups.put_item(Item={"group_id": n}, ConditionExpression="attribute_not_exists(group_id)")
            return n
        except ClientError:
            continue
''',
    "uuid key, count beside it": '''
import uuid


def create(event, context):
    n = len(groups.scan()["Items"]) + 1
    groups.put_item(Item={"group_id": f"{uuid.uuid4()}-{n}", "position": n})
''',
    "atomic counter after a scan": '''
def create(event, context):
    groups.scan()
    resp = others.update_item(Key={"name": "groups"}, UpdateExpression="ADD #n :one",
                              ExpressionAttributeNames={"#n": "n"}, ExpressionAttributeValues={":one": 1},
                              ReturnValues="UPDATED_NEW")
    groups.put_item(Item={"group_id": int(resp["Attributes"]["n"]) + 1})
''',
    "request key after a validating scan": '''
def create(event, context):
    body = json.loads(event["body"])
    for row in groups.scan()["Items"]:
        if row["name"] == body["name"]:
            return {"statusCode": 409}
    groups.put_item(Item={"group_id": body["group_id"], "name": body["name"]})
''',
    "request key chosen by a branch on the scan": '''
def create(event, context):
    body = json.loads(event["body"])
    if groups.scan(Limit=1)["Items"]:
        group_id = body["group_id"]
    else:
        group_id = body["first_id"]
    groups.put_item(Item={"group_id": group_id})
''',
    "a string suffix under a loop over the items": '''
def copy_all(event, suffix):
    for row in groups.scan()["Items"]:
        groups.put_item(Item={"group_id": row["group_id"] + suffix, "copy": True})
''',
    "another table": '''
def create(event, context):
    n = len(groups.scan()["Items"]) + 1
    others.put_item(Item={"other_id": n})
''',
    "listing only": '''
def listing(event, context):
    ids = sorted(int(i["group_id"]) for i in groups.scan()["Items"])
    return {"next": ids[-1] + 1 if ids else 1}
''',
    "a count in a non-key attribute of a constant key": '''
def stats(event, context):
    opened = 0
    for row in groups.scan()["Items"]:
        if row.get("open"):
            opened += 1
    groups.put_item(Item={"group_id": "STATS", "opened": opened})
''',
}


@pytest.mark.parametrize("body", CLEAN.values(), ids=CLEAN.keys())
def test_no_allocation(body: str) -> None:
    assert _allocations({"app.py": HEAD + body}) == {}


NUMBERED = '''import uuid
from datetime import datetime, timezone

import boto3
from boto3.dynamodb.conditions import Key
table = boto3.resource("dynamodb").Table("tickets")


def create(project, title):
    items = table.query(KeyConditionExpression=Key("project").eq(project))["Items"]
    n = max((int(i[NAME]) for i in items), default=0) + 1
    table.put_item(Item={"project": project, NAME: VALUE, "title": title,  # here
                         "created_at": datetime.now(timezone.utc).isoformat()})
'''


@pytest.mark.parametrize("name", ["number", "ticket_number", "device_no", "invoiceNum", "seq", "serial"])
def test_the_key_schema_unknown_a_counted_number_of_the_item_is_its_key(name: str) -> None:
    """Nothing names the table's key and no attribute looks like one: a number counted from the
    query and stored as the item's number identifies it (a clock value beside it is no key)."""
    source = NUMBERED.replace("NAME", repr(name)).replace("VALUE", "n")
    assert _allocations({"app.py": source}) == {_line(source, "# here"): "allocate"}


@pytest.mark.parametrize("name,value", [("position", "n"), ("rank", "n"), ("nominal", "n"),
                                        ("number", "str(uuid.uuid4())"), ("number", "len(title)")])
def test_a_position_a_word_containing_no_or_a_number_not_counted_is_no_allocation(name: str, value: str) -> None:
    source = NUMBERED.replace("NAME", repr(name)).replace("VALUE", value)
    assert _allocations({"app.py": source}) == {}
