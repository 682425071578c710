"""DYN101 unguarded-write-after-read."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Finding
from dynolint.model.guard_cover import spell
from dynolint.model.events import deletes
from dynolint.rules._race import allocation_message, describe_write, race_finding, unpinned_message
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.events import Decision
    from dynolint.model.races import Race
    from dynolint.model.values import Loc


class UnguardedWriteAfterRead(Rule):
    code = "DYN101"
    name = "unguarded-write-after-read"
    summary = "An item is written, with no condition, after the same path read it"
    docs = RuleDocs(
        what_it_does=(
            "Finds a DynamoDB write (`put_item`, `update_item`, `delete_item`, a transaction element, a "
            "PartiQL `UPDATE`/`DELETE`, PynamoDB `save()`/`update()`/`delete()`) of an item that the same "
            "execution path read earlier, when the write carries no guard: no `ConditionExpression`, no "
            "legacy `Expected`, no PynamoDB `condition=` and no `VersionAttribute`. The read and the write "
            "may sit in different functions and modules; the finding is reported at the write, with the read "
            "and the calls between them as related locations.\n\n"
            "A condition that guards something other than what the code decided on, or than what it copies, is "
            "reported too. The written value computed from attributes of the item read (`SET #log = :log` with "
            "`:log = item[\"log\"] + line`) under a condition that pins none of them (`attribute_exists(pk)`) "
            "loses a concurrent change of those attributes. And the path "
            "compared an attribute of the item it read (`if item[\"status\"] == \"NEW\":`, a version checked in "
            "Python, a truthiness test of an attribute the write sets) and the write's condition pins none of "
            "those attributes (`attribute_exists(pk)` only says the item is still there). The message names the "
            "decision left open. A condition that pins a decided attribute, makes the write create-only "
            "(`attribute_not_exists` of a key attribute), or compares a version attribute that the write bumps "
            "(or the table's configured `version-attribute`) is a guard.\n\n"
            "A new item whose key was counted from the items a scan or query of the same table returned is "
            "reported too: the scan read the key's absence. The key is counted by data (`max(ids) + 1`, "
            "`sorted(ids)[-1] + 1`, `len(items) + 1`) or by control (the first free number: a counter advanced "
            "in a loop or branch whose test looks at the scanned items, or picked by a filter on them, "
            "`next(n for n in count(1) if n not in ids)`), through helpers, generators and comprehensions, "
            "and created with `put_item`, `update_item` or a PynamoDB `save()` with no condition. The message "
            "names the scan and the related locations say where the key is counted.\n\n"
            "A delete is reported only when the path decided something on the contents of the item it read "
            "(an attribute compared, the item handed to a check, a filter over a query's items): a delete is "
            "idempotent and writes nothing read, so a path that only checked that the item is there (`if "
            "\"Item\" not in resp: return 404`) or listed the keys to delete decided nothing a concurrent "
            "writer can make stale."
        ),
        why_is_this_bad=(
            "Between the read and the write another request can change or delete the item. The write then "
            "silently overwrites that change (a lost update), recreates a deleted item (`update_item` is an "
            "upsert), or acts on a decision made from stale data. A Python-side comparison of a version, "
            "timestamp or status before the write does not help: it runs before the race window closes. Only "
            "a condition evaluated by DynamoDB at write time does."
        ),
        example='''
def rename(table, note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)
''',
        use_instead='''
def rename(table, note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    table.update_item(
        Key={"pk": note_id},
        UpdateExpression="SET #title = :title, #ver = :next",
        ConditionExpression="#ver = :seen",
        ExpressionAttributeNames={"#title": "title", "#ver": "version"},
        ExpressionAttributeValues={":title": title, ":seen": note["version"], ":next": note["version"] + 1},
    )
''',
        fix_safety=(
            "`dynolint fix --unsafe-fixes` adds a guard: `attribute_not_exists(<partition key>)` for a "
            "create after an absence check, `attribute_exists(<partition key>)` for an `update_item` after an "
            "existence check, an optimistic-lock condition on the version attribute when one is known, "
            "otherwise a condition that the attributes the write depends on still hold the values read. A "
            "`put_item` of the whole item read (changed in Python) is guarded by a version attribute: the "
            "configured one, else one the project writes to the table, else a new `version` that the fix starts "
            "keeping; items that lack it pass once (`attribute_not_exists(#v) OR #v = :v`, read with a default). "
            "A new item whose key was counted from a scan or query (`max + 1`, the first free number) is made "
            "create-only (`attribute_not_exists` on a key attribute; PynamoDB `condition=<Model>.<hash "
            "key>.does_not_exist()`): the caller that loses must count again. A PynamoDB "
            "`save()` becomes `update()` of the attributes the code assigned, on the condition that the item "
            "exists and the attributes decided on still hold the values read. The "
            "fix is unsafe: the write can now fail with `ConditionalCheckFailedException`, which the caller "
            "must handle (retry from the read, or report a conflict)."
        ),
        known_problems=(
            "The analysis follows calls into project code (up to eight levels) but not into callbacks it "
            "cannot resolve (functions stored in containers, framework dispatch other than decorators it "
            "knows). Reads and writes through clients it cannot identify as DynamoDB are not reported. Keys "
            "are compared by how they are computed: two keys computed differently that happen to be equal "
            "at run time are not paired. A condition is held against the decisions only when it pins none of "
            "them; one that pins some of the decided attributes is taken as a guard, and so is a condition the "
            "model cannot read exactly (built from unknown parts). Decisions that combine tests with `or`, or "
            "that look at the item through a call, are not held against the condition. What a conditional write "
            "copies is held against its condition only for named attributes: the whole item spread back "
            "(`Item={**item, ...}`) and PynamoDB updates (whose model attributes the code may have assigned) are "
            "not."
        ),
        references=(
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_OptimisticLocking.html",
        ),
    )
    valid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("notes")

def delete(note_id):
    if "Item" not in table.get_item(Key={"pk": note_id}):
        return 404
    table.delete_item(Key={"pk": note_id})
    return 204
''', note="a delete after a check that the item is there: nothing decided on its contents"),
        example('''
import boto3
groups = boto3.resource("dynamodb").Table("groups")

def create(name):
    ids = [int(item["group_id"]) for item in groups.scan()["Items"]]
    groups.put_item(Item={"group_id": max(ids, default=0) + 1, "name": name},
                    ConditionExpression="attribute_not_exists(group_id)")
''', note="a key counted from a scan, created only if no item has it"),
        example('''
import boto3
table = boto3.resource("dynamodb").Table("notes")

def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    table.put_item(Item={**note, "title": title}, ConditionExpression="version = :v",
                   ExpressionAttributeValues={":v": note["version"]})
'''),
        example('''
import boto3
table = boto3.resource("dynamodb").Table("notes")

def handler(event, context):
    if event["httpMethod"] == "GET":
        return table.get_item(Key={"pk": event["id"]}).get("Item")
    table.put_item(Item={"pk": event["id"], "title": event["title"]})
'''),
        example('''
import boto3
table = boto3.resource("dynamodb").Table("orders")

def pay(order_id):
    order = table.get_item(Key={"pk": order_id})["Item"]
    if order["status"] != "NEW":
        return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #s = :paid", ConditionExpression="#s = :new",
                      ExpressionAttributeNames={"#s": "status"},
                      ExpressionAttributeValues={":paid": "PAID", ":new": "NEW"})
'''),
    )
    invalid = (
        example('''
import boto3
groups = boto3.resource("dynamodb").Table("groups")

def first_free(ids):
    n = 1
    while n in ids:
        n += 1
    return n

def create(name):
    ids = {int(item["group_id"]) for item in groups.scan()["Items"]}
    groups.put_item(Item={"group_id": first_free(ids), "name": name})  # expect: DYN101
''', note="a key counted from a scan by control dependence: the loop's test looks at the scanned ids"),
        example('''
import boto3
table = boto3.resource("dynamodb").Table("orders")

def pay(order_id):
    order = table.get_item(Key={"pk": order_id})["Item"]
    if order["status"] != "NEW":
        return
    table.update_item(Key={"pk": order_id}, UpdateExpression="SET #s = :paid",  # expect: DYN101
                      ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":paid": "PAID"})
'''),
        example('''
import boto3
table = boto3.resource("dynamodb").Table("notes")

def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)  # expect: DYN101
'''),
        example('''
from store import load, save

def handler(event, context):
    order = load(event["id"])
    order["status"] = "CANCELLED"
    save(order)
''', extra={"store.py": '''
import boto3
table = boto3.resource("dynamodb").Table("orders")

def load(order_id):
    return table.get_item(Key={"pk": order_id}).get("Item")

def save(order):
    table.put_item(Item=order)  # expect: DYN101
'''}),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        for race in self.each(model.races()):
            if race.kind == "allocate":
                if not race.write.batch:  # a batch write is DYN103's
                    yield race_finding(model, race, self.code, self.name, allocation_message(model, race))
                continue
            if race.kind != "overwrite":
                continue
            read_line = model.line_ref(race.read.loc, race.write.loc)
            if race.left_open:
                finding = race_finding(model, race, self.code, self.name, _open_message(model, race, read_line))
                decided = tuple(model.related(site, f"decided here: {text}", "decision")
                                for site, text in _distinct(race.left_open))
                yield replace(finding, related=finding.related + decided)
                continue
            if race.unpinned:
                yield race_finding(model, race, self.code, self.name, unpinned_message(race, read_line))
                continue
            if race.off_key:
                named = ", ".join(race.off_key)
                message = (f"{describe_write(race)} creates the item found missing at {read_line}, but its "
                           f"condition only requires {named} to be missing, which is no key attribute and which the "
                           "write does not set: an item created in between lacks it too, and is overwritten "
                           "(attribute_not_exists of a key attribute makes a write create-only)")
                yield race_finding(model, race, self.code, self.name, message)
                continue
            verb = "deletes" if deletes(race.write) else "overwrites"
            if race.write.flavor == "pynamodb":
                guard = "no condition= and no VersionAttribute"
            elif race.write.flavor == "partiql":
                guard = "no predicate beyond the key"
            else:
                guard = "no ConditionExpression"
            if race.write.op == "update_item" and race.record.absent and race.read.id in race.record.absent:
                detail = "can recreate or overwrite the item"
                message = (f"{describe_write(race)} {detail} checked at {read_line} with {guard}: "
                           "it may have changed or been deleted since")
            else:
                message = (f"{describe_write(race)} {verb} the item read at {read_line} with {guard}: "
                           "a concurrent change made in between is lost")
            yield race_finding(model, race, self.code, self.name, message)


def _open_message(model: Model, race: Race, read_line: str) -> str:
    """A conditional write whose condition leaves the path's decisions open."""
    pins = race.write.guard.pins
    checks = pins.text if pins is not None else "something else"
    if len(checks) > 80:
        checks = checks[:77] + "..."
    decisions = _distinct(race.left_open)

    def where(site: Loc) -> str:
        return model.line_ref(site, race.write.loc)

    named = " and ".join(f"{text} ({where(site)})" for site, text in decisions[:3])
    more = f" and {len(decisions) - 3} more" if len(decisions) > 3 else ""
    return (f"{describe_write(race)}'s condition checks {checks} but not {named}{more}, which the code decided "
            f"on after the read at {read_line}: a concurrent write can change that between the read and "
            "this write, and the condition does not catch it")


def _distinct(decisions: tuple[Decision, ...]) -> list[tuple[Loc, str]]:
    """The decisions as the message names them, each test once: a test on the elements of a
    list built from several reads (a query and the pages after it) is a decision on each."""
    return list(dict.fromkeys((d.site, spell(d)) for d in decisions))
