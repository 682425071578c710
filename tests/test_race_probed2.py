"""Race shapes found by probing fresh DynamoDB code (session of 2026-12-06): keyword arguments
collected with ``**``, a ``Counter`` updated in place, futures iterated as they complete, and a
range condition that both writers of a lost update pass."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

REPO = '''import functools

import boto3

devices = boto3.resource("dynamodb").Table("devices")


def load(device_id):
    return devices.get_item(Key={"device_id": device_id})["Item"]


def store(**fields):
    devices.put_item(Item=fields)


def store_keyed(device_id, **rest):
    devices.put_item(Item={"device_id": device_id, **rest})
'''

HANDLER = '''from repo import functools, load, store, store_keyed


def update_firmware(event, context):
    device = load(event["device_id"])
    if device.get("status") == "retired":
        return {"ok": False}
    device["firmware"] = event["firmware"]
    CALL
    return {"ok": True}
'''


def project(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    for name, source in files.items():
        (tmp_path / name).write_text(textwrap.dedent(source))
    return triples(findings_in(tmp_path))


@pytest.mark.parametrize(("call", "line"), [
    ("store(**device)", 13),
    ("functools.partial(store, **device)()", 13),
    ("store_keyed(**device)", 17),
    ("store(**{**device, 'seen': True})", 13),
])
def test_an_item_spread_into_a_function_that_collects_keywords_is_the_item(tmp_path: Path, call: str,
                                                                            line: int) -> None:
    assert project(tmp_path, {"repo.py": REPO, "handler.py": HANDLER.replace("CALL", call)}) == {
        ("repo.py", line, "DYN101")}


def test_keywords_collected_from_values_the_request_gave_are_no_item_read(tmp_path: Path) -> None:
    call = 'store(**{"device_id": event["device_id"], "firmware": event["firmware"]})'
    assert project(tmp_path, {"repo.py": REPO, "handler.py": HANDLER.replace("CALL", call)
                              .replace('device = load(event["device_id"])', "device = {}")}) == set()


def test_a_dataclass_made_of_the_item_with_entries_changed_keeps_its_key(tmp_path: Path) -> None:
    found = project(tmp_path, {"parcels.py": '''
        from dataclasses import asdict, dataclass

        import boto3

        parcels = boto3.resource("dynamodb").Table("parcels")


        @dataclass
        class Parcel:
            parcel_id: str
            hub: str
            scans: int


        def scan_in(parcel_id, hub):
            seen = parcels.get_item(Key={"parcel_id": parcel_id})["Item"]
            parcel = Parcel(**{**seen, "hub": hub, "scans": seen["scans"] + 1})
            parcels.put_item(Item=asdict(parcel))
        '''})
    assert found == {("parcels.py", 19, "DYN102")}


@pytest.mark.parametrize(("method", "code"), [("update", "DYN102"), ("subtract", "DYN102")])
def test_a_counter_updated_in_place_is_arithmetic_on_the_counts_read(tmp_path: Path, method: str, code: str) -> None:
    found = project(tmp_path, {"words.py": f'''
        from collections import Counter

        import boto3

        stats = boto3.resource("dynamodb").Table("word-stats")


        def ingest(event, context):
            row = stats.get_item(Key={{"set": event["set"]}})["Item"]
            counts = Counter(row["counts"])
            counts.{method}(event["words"])
            row["counts"] = dict(counts)
            stats.put_item(Item=row)
        '''})
    assert found == {("words.py", 14, code)}


@pytest.mark.parametrize("module", ["concurrent.futures", "asyncio"])
def test_futures_iterated_as_they_complete_give_what_they_return(tmp_path: Path, module: str) -> None:
    if module == "asyncio":
        body = '''
        async def credit(event, context):
            tasks = [asyncio.create_task(load(m)) for m in event["members"]]
            for done in asyncio.as_completed(tasks):
                member = await done
                member["points"] += event["points"]
                members.put_item(Item=member)


        async def load(member_id):
            return members.get_item(Key={"member_id": member_id})["Item"]
        '''
    else:
        body = '''
        def credit(event, context):
            with ThreadPoolExecutor() as pool:
                futures = [pool.submit(members.get_item, Key={"member_id": m}) for m in event["members"]]
                for done in as_completed(futures):
                    member = done.result()["Item"]
                    member["points"] += event["points"]
                    members.put_item(Item=member)
        '''
    found = project(tmp_path, {"loyalty.py": '''
        import asyncio
        from concurrent.futures import ThreadPoolExecutor, as_completed

        import boto3

        members = boto3.resource("dynamodb").Table("members")
        ''' + body})
    assert {(path, code) for path, _, code in found} == {("loyalty.py", "DYN102")}


STOCK = '''import boto3

stock = boto3.resource("dynamodb").Table("stock")


def take(event, context):
    n = event["n"]
    item = stock.get_item(Key={"sku": event["sku"]})["Item"]
    stock.update_item(Key={"sku": event["sku"]}, UpdateExpression=UPDATE, ConditionExpression=CONDITION,
                      ExpressionAttributeValues={":left": item["qty"] - n, ":n": n, ":seen": item["qty"]})
'''


@pytest.mark.parametrize("condition", ['"qty >= :n"', '"qty > :n OR qty = :n"', 'Attr("qty").gte(n)',
                                       'Attr("qty").gt(n) | Attr("qty").eq(n)'])
def test_a_range_condition_both_writers_pass_leaves_the_value_read_open(tmp_path: Path, condition: str) -> None:
    source = STOCK.replace("UPDATE", '"SET qty = :left"').replace("CONDITION", condition)
    source = source.replace("import boto3", "import boto3\nfrom boto3.dynamodb.conditions import Attr")
    assert project(tmp_path, {"stock.py": source}) == {("stock.py", 10, "DYN102")}


@pytest.mark.parametrize(("update", "condition"), [
    ('"SET qty = :left"', '"qty = :seen"'),  # the value read, expected: a compare-and-set
    ('"SET qty = qty - :n"', '"qty >= :n"'),  # atomic: the range is the business rule
])
def test_an_equality_with_the_value_read_or_an_atomic_update_is_safe(tmp_path: Path, update: str,
                                                                     condition: str) -> None:
    source = STOCK.replace("UPDATE", update).replace("CONDITION", condition)
    assert project(tmp_path, {"stock.py": source}) == set()


def test_dict_of_a_pydantic_model_made_of_the_item_is_the_item(tmp_path: Path) -> None:
    found = project(tmp_path, {"members.py": '''
        import boto3
        from pydantic import BaseModel

        members = boto3.resource("dynamodb").Table("members")


        class Member(BaseModel):
            member_id: str
            tier: str


        def upgrade(event, context):
            member = Member(**members.get_item(Key={"member_id": event["member"]})["Item"])
            if member.tier == "gold":
                return
            member.tier = "gold"
            members.put_item(Item=dict(member))
        '''})
    assert found == {("members.py", 18, "DYN101")}


@pytest.mark.parametrize(("made", "take"), [
    ("[]", "pending.pop()"),
    ("collections.deque()", "pending.popleft()"),
    ("collections.deque()", "pending.pop()"),
])
def test_an_item_taken_back_out_of_a_list_or_deque_is_the_item_put_in(tmp_path: Path, made: str, take: str) -> None:
    found = project(tmp_path, {"expire.py": f'''
        import collections

        import boto3

        listings = boto3.resource("dynamodb").Table("listings")


        def expire(event, context):
            pending = {made}
            for listing_id in event["ids"]:
                listing = listings.get_item(Key={{"listing_id": listing_id}})["Item"]
                listing["state"] = "expired"
                pending.append(listing)
            while pending:
                listings.put_item(Item={take})
        '''})
    assert found == {("expire.py", 16, "DYN101")}


def test_heappop_takes_an_element_of_the_heap(tmp_path: Path) -> None:
    found = project(tmp_path, {"work.py": '''
        import heapq

        import boto3
        from boto3.dynamodb.conditions import Key

        work = boto3.resource("dynamodb").Table("work")


        def take_top(event, context):
            tasks = work.query(KeyConditionExpression=Key("queue").eq(event["queue"]))["Items"]
            heap = [(int(t["priority"]), t["task_id"], t) for t in tasks]
            heapq.heapify(heap)
            _, _, top = heapq.heappop(heap)
            top["state"] = "taken"
            work.put_item(Item=top)
        '''})
    assert found == {("work.py", 16, "DYN101")}


CACHED = '''import boto3
import requests
from boto3.dynamodb.conditions import Key

rates = boto3.resource("dynamodb").Table("rates")


def rate(event, context):
    pair = event["pair"]
    LOOKUP
    fresh = requests.get("https://fx.example.com/v1/rate", params={"pair": pair}, timeout=5).json()
    rates.put_item(Item={"pair": pair, "day": event["day"], "rate": fresh["rate"]})
    return fresh["rate"]
'''

LOOKUPS = {
    "KeyError of the response": ('resp = rates.get_item(Key={"pair": pair, "day": event["day"]})\n'
                                 '    try:\n        return resp["Item"]["rate"]\n    except KeyError:\n        pass',
                                 "DYN104"),
    "query of the one item, empty": ('rows = rates.query(KeyConditionExpression=Key("pair").eq(pair) '
                                     '& Key("day").eq(event["day"]))["Items"]\n'
                                     '    if rows:\n        return rows[0]["rate"]', "DYN104"),
}


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_a_miss_seen_another_way_is_still_a_cache_miss(tmp_path: Path, name: str) -> None:
    lookup, code = LOOKUPS[name]
    found = project(tmp_path, {"rates.py": CACHED.replace("LOOKUP", lookup)})
    assert found == {("rates.py", 12 + lookup.count("\n"), code)}


def test_a_query_of_a_partition_tested_empty_is_no_miss_of_one_item(tmp_path: Path) -> None:
    # ``pair`` alone is the partition: the rows of other days may be there, the put makes one more
    lookup = 'rows = rates.query(KeyConditionExpression=Key("pair").eq(pair))["Items"]\n' \
             '    if rows:\n        return rows[0]["rate"]'
    assert project(tmp_path, {"rates.py": CACHED.replace("LOOKUP", lookup)}) == set()
