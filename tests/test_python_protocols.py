"""Python protocols the interpreter follows into project code: a known tuple spread into a
call (``f(*parts)``), a thread's ``start()`` running its subclass's ``run()``, the iterator
protocol (``for x in obj`` calls ``obj.__iter__``), and a function annotated ``-> NoReturn``
ending its caller's path. Each positive was missed before (and the NoReturn one a false alarm)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in, triples

TABLE = '''import boto3

table = boto3.resource("dynamodb").Table("profiles")
'''


def run(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    (tmp_path / "app.py").write_text(TABLE + textwrap.dedent(source))
    return {(line, code) for _, line, code in triples(findings_in(tmp_path))}


def line_of(source: str, text: str) -> int:
    return (TABLE + textwrap.dedent(source)).splitlines().index(text) + 1


def test_a_known_tuple_spread_into_a_call_binds_its_elements_in_order(tmp_path: Path) -> None:
    source = '''

def save_as(target, key_name, item):
    target.put_item(Item=item)


def handler(event, context):
    profile = table.get_item(Key={"pk": event["pk"]})["Item"]
    profile["locale"] = event["locale"]
    parts = (table, "pk", profile)
    save_as(*parts)
'''
    assert run(tmp_path, source) == {(line_of(source, "    target.put_item(Item=item)"), "DYN101")}
    # the item in another position is not the one written
    swapped = source.replace('parts = (table, "pk", profile)', 'parts = (table, profile, {"pk": "new"})')
    assert run(tmp_path, swapped) == set()


def test_an_empty_tuple_forwarded_to_pynamodb_save_is_no_condition(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        from pynamodb.attributes import UnicodeAttribute
        from pynamodb.models import Model


        class Doc(Model):
            class Meta:
                table_name = "docs"

            doc_id = UnicodeAttribute(hash_key=True)
            title = UnicodeAttribute()

            def save(self, *args):
                return super().save(*args)


        def handler(event, context):
            doc = Doc.get(event["id"])
            doc.title = event["title"]
            doc.save()


        def guarded(event, context):
            doc = Doc.get(event["id"])
            doc.title = event["title"]
            doc.save(Doc.title == event["was"])
    '''))
    assert {(line, code) for _, line, code in triples(findings_in(tmp_path))} == {(14, "DYN101")}


def test_a_thread_subclass_started_runs_its_run_method(tmp_path: Path) -> None:
    source = '''
import threading


class Saver(threading.Thread):
    def __init__(self, item, guarded):
        super().__init__()
        self.item = item
        self.guarded = guarded

    def run(self):
        if self.guarded:
            table.put_item(Item=self.item, ConditionExpression="locale = :old",
                           ExpressionAttributeValues={":old": self.item["old"]})
        else:
            table.put_item(Item=self.item)


def handler(event, context):
    item = table.get_item(Key={"pk": event["pk"]})["Item"]
    item["old"], item["locale"] = item["locale"], event["locale"]
    Saver(item, event["safe"]).start()
'''
    assert run(tmp_path, source) == {(line_of(source, "            table.put_item(Item=self.item)"), "DYN101")}
    plain = source.replace("(threading.Thread)", "").replace("        super().__init__()\n", "")
    assert run(tmp_path, plain) == set()  # no thread: start() is not a method the class has


def test_for_over_an_instance_iterates_what_its_dunder_iter_gives(tmp_path: Path) -> None:
    source = '''

class AllProfiles:
    def __iter__(self):
        yield from table.scan()["Items"]


class Listing:
    def __init__(self, rows):
        self.rows = rows

    def __iter__(self):
        return iter(self.rows)


def reset(event, context):
    for profile in AllProfiles():
        profile["visits"] = 0
        table.put_item(Item=profile)


def mark(event, context):
    rows = [row for row in Listing(table.query(KeyConditionExpression="pk = :p")["Items"])]
    for row in rows:
        row["seen"] = True
        table.put_item(Item=row)


def fresh(event, context):
    for profile in Listing([{"pk": event["pk"], "visits": 0}]):
        table.put_item(Item=profile)
'''
    assert run(tmp_path, source) == {(line_of(source, "        table.put_item(Item=profile)"), "DYN101"),
                                     (line_of(source, "        table.put_item(Item=row)"), "DYN101")}


def test_a_call_annotated_no_return_ends_the_path_as_a_raise_does(tmp_path: Path) -> None:
    source = '''
from typing import NoReturn

import requests


def busy(key) -> NoReturn:
    raise RuntimeError(key)


def handler(event, context):
    key = event["k"]
    if "Item" in table.get_item(Key={"pk": key}):
        return None
    try:
        table.put_item(Item={"pk": key, "state": "PENDING"}, ConditionExpression="attribute_not_exists(pk)")
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        busy(key)
    value = requests.get("https://rates.example.com/" + key).json()
    table.put_item(Item={"pk": key, "state": "READY", "value": value})
    return value
'''
    assert run(tmp_path, source) == set()  # only the claim's winner gets past the except
    # with no annotation, a helper called for its effect that raises ends the path as well
    assert run(tmp_path, source.replace(" -> NoReturn", "")) == set()
    # a placeholder that raises NotImplementedError is taken as one the deployment replaces
    placeholder = source.replace(" -> NoReturn", "").replace("RuntimeError", "NotImplementedError")
    assert {code for _, code in run(tmp_path, placeholder)} == {"DYN104"}


def test_filter_decides_on_each_element_it_keeps_as_a_comprehension_does(tmp_path: Path) -> None:
    source = '''
import time


def stale(pk):
    item = table.get_item(Key={"pk": pk}).get("Item")
    return item is not None and item["expires"] < time.time()


def expire(event, context):
    rows = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": event["pk"]})["Items"]
    for row in filter(lambda r: r["expires"] < event["now"], rows):
        table.delete_item(Key={"pk": row["pk"], "sk": row["sk"]})


def sweep(event, context):
    for pk in filter(stale, event["pks"]):
        table.delete_item(Key={"pk": pk})


def truthy(event, context):
    rows = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": event["pk"]})["Items"]
    for row in filter(None, rows):
        table.delete_item(Key={"pk": row["pk"], "sk": row["sk"]})
'''
    assert run(tmp_path, source) == {
        (line_of(source, '        table.delete_item(Key={"pk": row["pk"], "sk": row["sk"]})'), "DYN101"),
        (line_of(source, '        table.delete_item(Key={"pk": pk})'), "DYN101")}


def test_a_decorator_registering_into_a_module_dict_at_import_fills_it(tmp_path: Path) -> None:
    source = '''
ROUTES = {}


def route(name):
    def register(fn):
        ROUTES[name] = fn
        return fn
    return register


@route("visit")
def visit(profile, n):
    table.put_item(Item={**profile, "visits": profile["visits"] + n})


@route("count")
def count(profile, n):
    table.update_item(Key={"pk": profile["pk"]}, UpdateExpression="ADD visits :n",
                      ExpressionAttributeValues={":n": n})


def handler(event, context):
    profile = table.get_item(Key={"pk": event["pk"]})["Item"]
    ROUTES[event["action"]](profile, event["arg"])
'''
    assert run(tmp_path, source) == {
        (line_of(source, '    table.put_item(Item={**profile, "visits": profile["visits"] + n})'), "DYN102")}


def test_arithmetic_made_on_listed_items_in_one_loop_is_seen_in_the_next(tmp_path: Path) -> None:
    source = '''

def restock(event, context):
    items = [table.get_item(Key={"pk": pk})["Item"] for pk in event["pks"]]
    for item in items:
        item["stock"] = item["stock"] + event["qty"]
    for item in items:
        table.put_item(Item=item)
'''
    assert run(tmp_path, source) == {(line_of(source, "        table.put_item(Item=item)"), "DYN102")}


ROUTES = '''import boto3

table = boto3.resource("dynamodb").Table("profiles")
ACTIONS = {}


def action(fn):
    ACTIONS[fn.__name__] = fn
    return fn


@action
def visit(item):
    item["visits"] += 1
    table.put_item(Item=item)
'''


def test_a_registry_of_another_module_is_one_object_by_any_name_until_rebound(tmp_path: Path) -> None:
    (tmp_path / "routes.py").write_text(ROUTES)
    write = ("routes.py", ROUTES.splitlines().index("    table.put_item(Item=item)") + 1, "DYN102")
    handler = '''
def handler(event, context):
    item = table.get_item(Key={"pk": event["pk"]})["Item"]
    return REGISTRY[event["op"]](item)
'''
    for importing, registry in [("from routes import ACTIONS", "ACTIONS"), ("import routes", "routes.ACTIONS")]:
        (tmp_path / "app.py").write_text(TABLE + importing + "\n" + handler.replace("REGISTRY", registry))
        assert set(triples(findings_in(tmp_path))) == {write}, importing
    # bound again below the import (a dict of its own), or below the registrations: none registered
    (tmp_path / "app.py").write_text(TABLE + "from routes import ACTIONS\nACTIONS = {}\n"
                                     + handler.replace("REGISTRY", "ACTIONS"))
    assert set(triples(findings_in(tmp_path))) == set()
    (tmp_path / "app.py").unlink()
    (tmp_path / "routes.py").write_text(ROUTES + "\n\nACTIONS = {}\n" + handler.replace("REGISTRY", "ACTIONS"))
    assert set(triples(findings_in(tmp_path))) == set()


def test_a_spread_binds_where_it_is_written_among_the_positional_arguments(tmp_path: Path) -> None:
    source = '''

def key(kind, ident):
    return {"pk": f"{kind}#{ident}"}


def close(event, context):
    head = ("ORDER",)
    item = table.get_item(Key=key(*head, event["id"]))["Item"]
    if item["status"] == "OPEN":
        table.put_item(Item={**key("ORDER", event["id"]), "status": "CLOSED"})


def other_item(event, context):
    rest = (event["id"],)
    item = table.get_item(Key=key(*rest, "ORDER"))["Item"]  # "<id>#ORDER": not the item written
    if item["status"] == "OPEN":
        table.put_item(Item={**key("ORDER", event["id"]), "status": "CLOSED"})
'''
    written = line_of(source, '        table.put_item(Item={**key("ORDER", event["id"]), "status": "CLOSED"})')
    assert run(tmp_path, source) == {(written, "DYN101")}
