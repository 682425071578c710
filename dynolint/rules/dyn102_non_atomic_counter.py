"""DYN102 non-atomic-counter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Finding
from dynolint.rules._race import describe_write, race_finding
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


class NonAtomicCounter(Rule):
    code = "DYN102"
    name = "non-atomic-counter"
    summary = "A value read from an item is changed in Python and written back (read, add, write)"
    docs = RuleDocs(
        what_it_does=(
            "Finds a write whose written value is arithmetic on a value read from the same item earlier on "
            "the path: a counter, balance or quantity read with `get_item` (or PynamoDB `Model.get`), changed "
            "in Python, and written back with `put_item`, `update_item ... SET x = :new` or `save()`, with no "
            "condition, or with one that pins neither that attribute nor a version (`attribute_exists(pk)` "
            "only says the item is still there). Reported instead of DYN101."
        ),
        why_is_this_bad=(
            "Two concurrent requests read the same value, both add one, and both write the same result: "
            "one increment is lost. Under load a counter undercounts and a balance can be debited twice "
            "from the same starting value."
        ),
        example='''
item = table.get_item(Key={"page": page})["Item"]
table.update_item(Key={"page": page}, UpdateExpression="SET #v = :v",
                  ExpressionAttributeNames={"#v": "views"},
                  ExpressionAttributeValues={":v": item["views"] + 1})
''',
        use_instead='''
table.update_item(Key={"page": page}, UpdateExpression="ADD #v :one",
                  ExpressionAttributeNames={"#v": "views"},
                  ExpressionAttributeValues={":one": 1})
''',
        fix_safety=(
            "The fix rewrites the write as one atomic `update_item` that `ADD`s the delta (a missing counter "
            "counts from zero); a `put_item` of the whole item becomes an `update_item` that `ADD`s the counter "
            "and `SET`s the other attributes written. Every check the code made on the value read (`if balance "
            "< amount: refuse`, `if item[\"status\"] != \"OPEN\"`) becomes the update's `ConditionExpression`, "
            "the write is wrapped in `try`/`except ConditionalCheckFailedException` whose handler runs the "
            "code's refusal, and the variable holding the new total is read back from the write "
            "(`ReturnValues=\"UPDATED_NEW\"`). A check no condition can express (a call on the item, "
            "arithmetic, an either-or test) means no fix, and the finding says why. The fix is safe (marked "
            "`[*]`, applied by `dynolint check --fix`) only when it cannot raise, refuse or answer where the "
            "code did not: the counter is read as the number it is (`item[\"n\"]`; `int(item[\"n\"])` also "
            "reads a string, which an `ADD` fails on), each check reads the attribute plainly (a `.get()` "
            "default decides for items that lack it, the condition does not) and compares it with the delta or "
            "a value of known type (a float compared in Python is one boto3 refuses to send), a delta added "
            "with `+` is known to be a number (`+` also joins strings, which an `ADD` fails on), and the new "
            "total is read back. Otherwise it is offered as unsafe, and its title says why. A counter stored "
            "as a string (`str()` of the sum) gets no `ADD`. A PynamoDB `save()` after `get()` becomes `update()` with "
            "`Model.attr.add(n)` for the counter and `set` for the other attributes the code assigned, on the "
            "condition that the item still exists (unsafe: `update()` raises `UpdateError` where `save()` "
            "recreated a deleted item; a check on the counter before it is changed means no fix yet). Atomic "
            "is not idempotent: a retried request "
            "still counts twice."
        ),
        known_problems=(
            "Arithmetic is recognised on the value itself (`+ - * / // % **`, augmented assignment); a "
            "counter changed through a helper the analysis cannot follow is reported as DYN101 instead."
        ),
        references=(
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.SET.IncrementAndDecrement",
        ),
    )
    valid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("pages")

def count(page):
    table.get_item(Key={"page": page})
    table.update_item(Key={"page": page}, UpdateExpression="ADD views :one",
                      ExpressionAttributeValues={":one": 1})
'''),
    )
    invalid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("pages")

def count(page):
    item = table.get_item(Key={"page": page})["Item"]
    item["views"] += 1
    table.put_item(Item=item)  # expect: DYN102
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        for race in self.each(model.races()):
            if race.kind != "counter":
                continue
            line = model.line_ref(race.read.loc, race.write.loc)
            pins = race.write.guard.pins
            held = "hold" if len(race.unpinned) > 1 else "holds"
            unpinned = (f" (its condition checks {pins.text if pins is not None else 'something else'} but not "
                        f"that {', '.join(race.unpinned)} still {held} the value read)") if race.unpinned else ""
            message = (f"{describe_write(race)} writes back arithmetic on a value read at {line}{unpinned}: "
                       "concurrent updates lose increments; use an atomic ADD or SET x = x + :n")
            yield race_finding(model, race, self.code, self.name, message)
