"""DYN103 batch-write-after-read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Finding
from dynolint.model.events import deletes
from dynolint.rules._race import allocation_message, race_finding
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


class BatchWriteAfterRead(Rule):
    code = "DYN103"
    name = "batch-write-after-read"
    summary = "An item read earlier is written through a batch write, which can carry no guard"
    docs = RuleDocs(
        what_it_does=(
            "Finds an item that the path read and then writes through `batch_write_item`, a "
            "`Table.batch_writer()` (boto3 or aioboto3), or PynamoDB `Model.batch_write()`. Reported at the "
            "batch `put_item`/`delete_item`/`save` call (or the `batch_write_item` call), not the `with`.\n\n"
            "A new item whose key was counted from a scan or query of the same table (`len(items) + 1`, the "
            "first free number: see DYN101) and written in a batch is reported too: the scan read the key's "
            "absence, and a batch write cannot make the create conditional."
        ),
        why_is_this_bad=(
            "Batch writes cannot be conditional: `BatchWriteItem` has no condition field, and a batch "
            "writer's `put_item(..., ConditionExpression=...)` raises `TypeError`. An item read, changed and "
            "written back in a batch always overwrites whatever another request wrote in between."
        ),
        example='''
order = table.get_item(Key={"pk": pk})["Item"]
order["status"] = "SHIPPED"
with table.batch_writer() as batch:
    batch.put_item(Item=order)
''',
        use_instead='''
table.meta.client.transact_write_items(TransactItems=[
    {"Update": {"TableName": table.name, "Key": {"pk": pk},
                "UpdateExpression": "SET #s = :shipped", "ConditionExpression": "#s = :paid",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":shipped": "SHIPPED", ":paid": "PAID"}}},
    {"Put": {"TableName": table.name, "Item": shipment,
             "ConditionExpression": "attribute_not_exists(pk)"}},
])
''',
        fix_safety="There is no automatic fix: move the write to `put_item`/`update_item` with a "
                   "`ConditionExpression`, or to `transact_write_items` with a condition on each element.",
        references=(
            "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html",
        ),
    )
    valid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("imports")

def load(rows):
    with table.batch_writer() as batch:
        for row in rows:
            batch.put_item(Item=row)
'''),
    )
    invalid = (
        example('''
import boto3
tickets = boto3.resource("dynamodb").Table("tickets")

def open_many(titles):
    start = len(tickets.scan()["Items"])
    with tickets.batch_writer() as batch:
        for offset, title in enumerate(titles):
            batch.put_item(Item={"ticket_id": start + offset + 1, "title": title})  # expect: DYN103
''', note="keys counted from a scan, written in a batch"),
        example('''
import boto3
table = boto3.resource("dynamodb").Table("orders")

def ship(pk):
    order = table.get_item(Key={"pk": pk})["Item"]
    order["status"] = "SHIPPED"
    with table.batch_writer() as batch:
        batch.put_item(Item=order)  # expect: DYN103
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        for race in self.each(model.races()):
            if race.kind == "allocate" and race.write.batch:
                yield race_finding(model, race, self.code, self.name, allocation_message(model, race))
                continue
            if race.kind != "batch":
                continue
            line = model.line_ref(race.read.loc, race.write.loc)
            if deletes(race.write):
                message = (f"batch delete of the item read at {line}, chosen by what the path decided on "
                           "it: batch writes cannot carry a condition, so an item changed in between is deleted "
                           "anyway; use delete_item with a ConditionExpression or transact_write_items")
            else:
                message = (f"batch write of the item read at {line}: batch writes cannot carry a "
                           "condition, so a concurrent change is overwritten; use put_item/update_item with a "
                           "ConditionExpression or transact_write_items")
            yield race_finding(model, race, self.code, self.name, message)
