"""DYN104 cache-stampede."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Finding
from dynolint.rules._race import describe_write, race_finding
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


class CacheStampede(Rule):
    code = "DYN104"
    name = "cache-stampede"
    summary = "On a cache miss, costly work runs in every concurrent request before the key is written"
    docs = RuleDocs(
        what_it_does=(
            "Finds the cache-aside shape with no claim: a read misses (the code branches on the item's "
            "absence), costly work outside DynamoDB produces the value (an HTTP request, a call to another "
            "AWS service, or a project function that makes one), and the same key is then written with no "
            "claim taken before the work. Clock, uuid and formatting calls are not costly work. A value "
            "produced by a call dynolint cannot see into (a third-party SDK, a method of an injected client, "
            "a stub or a method whose body only raises) counts as work too, reported at medium confidence."
        ),
        why_is_this_bad=(
            "When the key is missing, every concurrent request misses, every one of them pays for the work "
            "(20 concurrent requests make 20 paid API calls instead of 1), and they all overwrite each "
            "other's result. Under load the stampede can exhaust a rate limit or an API budget."
        ),
        example='''
cached = table.get_item(Key={"city": city}).get("Item")
if cached:
    return cached["payload"]
payload = requests.get(API, params={"q": city}).json()
table.put_item(Item={"city": city, "payload": payload})
return payload
''',
        use_instead='''
cached = table.get_item(Key={"city": city}, ConsistentRead=True).get("Item")
if cached and cached.get("state") == "READY":
    return cached["payload"]
try:  # claim the key before the work, with a lease so a crashed worker cannot block it
    table.update_item(
        Key={"city": city},
        UpdateExpression="SET #st = :pending, #owner = :me, #lease = :until",
        ConditionExpression="attribute_not_exists(#pk) OR (#st = :pending AND #lease < :now)",
        ExpressionAttributeNames={"#pk": "city", "#st": "state", "#owner": "owner", "#lease": "lease_until"},
        ExpressionAttributeValues={":pending": "PENDING", ":me": me, ":until": now + 30, ":now": now},
    )
except table.meta.client.exceptions.ConditionalCheckFailedException:
    return wait_for_ready(city)  # bounded exponential backoff, then read the winner's result
payload = requests.get(API, params={"q": city}).json()
table.update_item(
    Key={"city": city}, UpdateExpression="SET #st = :ready, #p = :payload REMOVE #owner, #lease",
    ConditionExpression="#owner = :me",
    ExpressionAttributeNames={"#st": "state", "#p": "payload", "#owner": "owner", "#lease": "lease_until"},
    ExpressionAttributeValues={":ready": "READY", ":payload": payload, ":me": me},
)
''',
        fix_safety=(
            "`dynolint fix --unsafe-fixes --select DYN104` rewrites the function into the claim pattern "
            "shown above: a conditional claim with a lease before the work, a completion fenced on the "
            "claim, and losers that wait for the completed item as long as the lease they wait for (a crashed "
            "claimant's lease lapses and a waiter takes the work over). The statements from the miss test on, "
            "when they hold the completing write, run in `try: ... finally: claim.release()`: a path that "
            "leaves without the write (an error answer returned, never cached; an exception) gives the key "
            "back at once instead of making every caller wait out the lease; the release is a conditional "
            "write that does nothing once the completing write replaced the claim. The protocol is a helper module the "
            "fixed code imports, written once into the project (`dynolint_claim.py` beside the first fixed "
            "file, or where `claim-module` in the configuration says; a later run reuses it): "
            "`Claim(lease_seconds=30, max_wait_seconds=3 leases)`, defaults its `LEASE_SECONDS` and "
            "`MAX_WAIT_SECONDS` set for the whole project. On an async SDK (an awaited `get_item`: aioboto3's "
            "`Table`, an aiobotocore client with `TableName=`) the fixed code uses the same module's "
            "`AsyncClaim`: the same loop, with `await claim.take(...)` (the conditional `update_item`, awaited) "
            "and `await claim.wait(...)` (`asyncio.sleep`: a waiter never blocks the event loop), so concurrent "
            "tasks on one loop pay once too. A `dynolint_claim.py` the project already has without "
            "`AsyncClaim` (written by an older dynolint) is not used for an awaited read: that finding gets no "
            "fix until the file is deleted and the current one written; one without `release` gets fixes "
            "without it (the claim then keeps to its lease). A read whose `get_item` is not awaited "
            "in a statement that awaits something else gets no fix (which SDK it is cannot be told). It changes "
            "behaviour (a loser waits, and can time out), so it is unsafe."
        ),
        known_problems=(
            "Costly work is recognised for HTTP libraries (requests, httpx, urllib, aiohttp, urllib3), calls to "
            "other AWS services through boto3, and project functions that make them. Work done through other "
            "libraries (a database driver, a subprocess) is not recognised as such, but counts as work "
            "dynolint cannot see into (medium confidence). What is known to compute locally is a table "
            "(the standard library less its network modules, pure libraries such as pydantic, dateutil or "
            "orjson, string, date, hash and protocol-buffer methods); a class made by a library is not work "
            "until a method is called on it. `client.get(key)` on a library object is read as a lookup in a "
            "mapping, not as work; work done before the read, or once at import, does not count."
        ),
        references=(
            "https://dev.to/iamujjwalsinha/dynamodb-race-conditions-why-your-cache-is-burning-money-44c2",
        ),
    )
    valid = (
        example('''
import boto3, requests
table = boto3.resource("dynamodb").Table("cache")

def lookup(key):
    cached = table.get_item(Key={"k": key}).get("Item")
    if cached:
        return cached["v"]
    table.put_item(Item={"k": key, "state": "PENDING"}, ConditionExpression="attribute_not_exists(k)")
    value = requests.get("https://api.example.com", params={"q": key}).json()
    table.put_item(Item={"k": key, "v": value})
    return value
'''),
    )
    invalid = (
        example('''
import boto3, requests
table = boto3.resource("dynamodb").Table("cache")

def lookup(key):
    cached = table.get_item(Key={"k": key}).get("Item")
    if cached:
        return cached["v"]
    value = requests.get("https://api.example.com", params={"q": key}).json()
    table.put_item(Item={"k": key, "v": value})  # expect: DYN104
    return value
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        for race in self.each(model.races()):
            if race.kind != "stampede" or race.costly is None:
                continue
            read_line = model.line_ref(race.read.loc, race.write.loc)
            work_line = model.line_ref(race.costly.loc, race.write.loc)
            work = (f"{race.costly.what} ({work_line}), work dynolint cannot see into (it may be a paid "
                    "call)" if race.unseen else f"{race.costly.what} ({work_line})")
            message = (f"cache stampede: when the read at {read_line} misses, every concurrent request "
                       f"runs {work} before {describe_write(race)} writes the key with no claim taken first")
            yield race_finding(model, race, self.code, self.name, message)
