"""Claim a DynamoDB item before costly work: concurrent cache misses pay once.

Written by ``dynolint fix`` (DYN104, cache stampede), once per project; the
fixed code imports it. It has no dependency but the standard library: the table
(a boto3 ``Table``) or the client (``boto3.client("dynamodb")``, with
``table_name=``) is passed in.

How the fixed code uses it::

    claim = dynolint_claim.Claim()  # or Claim(lease_seconds=..., ...)
    lost = False
    while True:
        item = table.get_item(Key=key, ConsistentRead=lost).get("Item")
        seen, item = item, dynolint_claim.unclaimed(item)
        hit = <item is a hit>  # the code's test, run once a read
        if hit or claim.take(table, key, "pk", seen):
            break
        claim.wait(seen)
        lost = True  # read again consistently: the winner's claim or result
    try:
        # ``if hit:`` where the code tested the item: run again, a test
        # that reads the clock could change its mind after the loop
        ...the costly work, then the write, fenced on ``claim.owner``...
    finally:
        claim.release()  # a path that leaves without the write frees the key

Exactly one of the concurrent callers takes the claim (a conditional write that
lands only if the item is still what that caller read: missing, a claim whose
lease has lapsed, or the same completed generation). The others wait, reading
again, until the winner's item is there; a waiter waits as long as the lease it
waits for (when a claimant dies, its lease lapses and a waiter takes the claim
over), up to ``max_wait_seconds`` in all. A claimant that leaves without
writing (an early return, an exception) releases its claim, so the next caller
claims the key at once instead of waiting for the lease to lapse; releasing is
best effort (the lease is the guarantee) and a no-op once the write replaced
the claim.

With an async SDK (aioboto3's ``Table``, aiobotocore's client: an awaited
``get_item``) the fixed code uses ``AsyncClaim`` the same way, awaiting
``take`` and ``wait`` (``wait`` sleeps with ``asyncio.sleep``)::

    claim = dynolint_claim.AsyncClaim()
    lost = False
    while True:
        item = (await table.get_item(Key=key, ConsistentRead=lost)).get("Item")
        seen, item = item, dynolint_claim.unclaimed(item)
        hit = <item is a hit>
        if hit or await claim.take(table, key, "pk", seen):
            break
        await claim.wait(seen)
        lost = True
    try:
        ...
    finally:
        await claim.release()

Defaults: ``LEASE_SECONDS`` (30), how long a claim holds the key, so the
longest a crashed claimant can block it: make it longer than the costly work
takes; ``MAX_WAIT_SECONDS`` (``None``: three leases), how long a caller waits
in all before ``TimeoutError``. Both are read when a ``Claim`` is made, so
setting them here changes every claim of the project."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

LEASE_SECONDS = 30
MAX_WAIT_SECONDS: float | None = None  # None: three leases
# the first wait between two reads; it doubles up to MAX_POLL_SECONDS
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 1.0

OWNER = "dl_lease_owner"
UNTIL = "dl_lease_until"
GENERATION = "dl_generation"


def unclaimed(item: Any) -> Any:
    """``item``, or None while it is only another caller's claim."""
    if item is not None and UNTIL in item:
        return None
    return item


class _Lease:
    """What a claim and its async twin share: the lease, the conditional
    write that takes it, and how long to wait before reading again."""

    def __init__(
        self,
        lease_seconds: float | None = None,
        max_wait_seconds: float | None = None,
    ) -> None:
        self.lease_seconds = (
            LEASE_SECONDS if lease_seconds is None else lease_seconds
        )
        wait = (
            max_wait_seconds
            if max_wait_seconds is not None
            else MAX_WAIT_SECONDS
        )
        self.max_wait_seconds = (
            3 * self.lease_seconds if wait is None else wait
        )
        self.owner = uuid.uuid4().hex
        self._started: float | None = None
        self._polls = 0
        # what ``take`` claimed: the table, the key, the table name (a
        # client's) and whether the item was only the claim
        self._held: tuple[Any, dict[str, Any], str | None, bool] | None = None

    def _request(
        self,
        key: dict[str, Any],
        key_attribute: str,
        seen: Any,
        table_name: str | None,
    ) -> dict[str, Any]:
        """The update_item arguments that claim ``key`` if the item is
        still ``seen`` (with ``table_name``: a low-level client's, typed)."""
        low = table_name is not None
        now = int(time.time())
        names = {"#dl_owner": OWNER, "#dl_until": UNTIL}
        values: dict[str, Any] = {
            ":dl_owner": self._typed(self.owner, low),
            ":dl_until": self._typed(now + int(self.lease_seconds), low),
        }
        if seen is None:
            condition = "attribute_not_exists(#dl_key)"
            names["#dl_key"] = key_attribute
        elif UNTIL in seen:
            condition = "#dl_until = :dl_seen AND #dl_until < :dl_now"
            values.update(
                {":dl_seen": seen[UNTIL], ":dl_now": self._typed(now, low)}
            )
        elif GENERATION in seen:
            condition = "attribute_not_exists(#dl_until) AND #dl_gen = :dl_gen"
            names["#dl_gen"] = GENERATION
            values[":dl_gen"] = seen[GENERATION]
        else:
            condition = (
                "attribute_not_exists(#dl_until) AND "
                "attribute_not_exists(#dl_gen)"
            )
            names["#dl_gen"] = GENERATION
        return {
            **({"TableName": table_name} if low else {}),
            "Key": key,
            "UpdateExpression": (
                "SET #dl_owner = :dl_owner, #dl_until = :dl_until"
            ),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def _held_request(self) -> tuple[str, dict[str, Any]] | None:
        """The conditional write that gives the key back (None: nothing
        held): a delete when the item was only the claim, else the lease
        attributes removed; either only while this caller's claim is there."""
        if self._held is None:
            return None
        table, key, table_name, claim_only = self._held
        low = table_name is not None
        request: dict[str, Any] = {
            **({"TableName": table_name} if low else {}),
            "Key": key,
            "ConditionExpression": "#dl_owner = :dl_owner",
            "ExpressionAttributeNames": {"#dl_owner": OWNER},
            "ExpressionAttributeValues": {
                ":dl_owner": self._typed(self.owner, low)
            },
        }
        if claim_only:
            return "delete_item", request
        request["UpdateExpression"] = "REMOVE #dl_owner, #dl_until"
        request["ExpressionAttributeNames"]["#dl_until"] = UNTIL
        return "update_item", request

    def _holding(
        self,
        table: Any,
        key: dict[str, Any],
        seen: Any,
        table_name: str | None,
    ) -> None:
        """Remember the claim just taken: on ``seen`` (the item as read), or
        on nothing but a lapsed claim (then releasing deletes the item)."""
        claim_only = seen is None or set(seen) <= set(key) | {OWNER, UNTIL}
        self._held = (table, dict(key), table_name, claim_only)

    def _delay(self, seen: Any) -> float:
        """How long to wait before reading again: a backoff that doubles,
        never past the moment the lease in ``seen`` lapses (then this caller
        may take the claim over). TimeoutError once it has waited
        ``max_wait_seconds``."""
        now = time.time()
        if self._started is None:
            self._started = now
        waited = now - self._started
        if waited >= self.max_wait_seconds:
            raise TimeoutError(
                "another request still holds the claim on this key after "
                f"{waited:.1f} s (dynolint DYN104 fix)"
            )
        delay: float = min(
            FIRST_POLL_SECONDS * 2**self._polls, MAX_POLL_SECONDS
        )
        until = _lease_until(seen)
        if until is not None:
            # its lease lapses then: this caller may take the claim over
            delay = min(delay, max(until + 1 - now, FIRST_POLL_SECONDS))
        self._polls += 1
        return min(delay, max(self.max_wait_seconds - waited, 0.0))

    @staticmethod
    def _typed(value: Any, low: bool) -> Any:
        if not low:
            return value
        return (
            {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        )


class Claim(_Lease):
    """One caller's claim on one key: take it, or wait for its holder."""

    def take(
        self,
        table: Any,
        key: dict[str, Any],
        key_attribute: str,
        seen: Any,
        table_name: str | None = None,
    ) -> bool:
        """Claim ``key`` if the item is still ``seen`` (as this caller read
        it); True if taken. With ``table_name``, ``table`` is a low-level
        client and the values are typed."""
        try:
            table.update_item(
                **self._request(key, key_attribute, seen, table_name)
            )
        except Exception as error:  # a refused claim; anything else goes on
            if _refused(error):
                return False
            raise
        self._holding(table, key, seen, table_name)
        return True

    def release(self) -> None:
        """Give the key back if this caller still holds the claim (it left
        without writing): the next caller claims it at once. Best effort: a
        failure here leaves the lease to lapse, and never hides the error the
        caller is leaving with."""
        held, request = self._held, self._held_request()
        self._held = None
        if held is None or request is None:
            return
        try:
            getattr(held[0], request[0])(**request[1])
        except Exception:  # noqa: BLE001 - the lease lapses instead
            pass

    def wait(self, seen: Any) -> None:
        """Wait before reading again: a backoff that doubles, never past the
        moment the lease in ``seen`` lapses (then this caller may take the
        claim over). TimeoutError once it has waited ``max_wait_seconds``."""
        time.sleep(self._delay(seen))


class AsyncClaim(_Lease):
    """``Claim`` for an async SDK (aioboto3, aiobotocore): ``take`` awaits
    the conditional write, ``wait`` sleeps without blocking the event loop."""

    async def take(
        self,
        table: Any,
        key: dict[str, Any],
        key_attribute: str,
        seen: Any,
        table_name: str | None = None,
    ) -> bool:
        """Claim ``key`` if the item is still ``seen`` (as this caller read
        it); True if taken. With ``table_name``, ``table`` is a low-level
        client and the values are typed."""
        try:
            await table.update_item(
                **self._request(key, key_attribute, seen, table_name)
            )
        except Exception as error:  # a refused claim; anything else goes on
            if _refused(error):
                return False
            raise
        self._holding(table, key, seen, table_name)
        return True

    async def release(self) -> None:
        """``Claim.release``, awaited."""
        held, request = self._held, self._held_request()
        self._held = None
        if held is None or request is None:
            return
        try:
            await getattr(held[0], request[0])(**request[1])
        except Exception:  # noqa: BLE001 - the lease lapses instead
            pass

    async def wait(self, seen: Any) -> None:
        """Wait before reading again, as ``Claim.wait`` does, with
        ``asyncio.sleep``."""
        await asyncio.sleep(self._delay(seen))


def _refused(error: BaseException) -> bool:
    """Did DynamoDB refuse the conditional write? Told by the error's code
    (botocore's ``ClientError.response``), not by its class: botocore makes a
    client's exception classes on first use, and threads racing there (an
    async SDK's, or the caller's) can each make their own, so a class looked
    up here may not be the one raised."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = (response.get("Error") or {}).get("Code")
    return code == "ConditionalCheckFailedException"


def _lease_until(seen: Any) -> float | None:
    """The end of the lease in an item as read (a number, or ``{"N": ...}``
    from a client)."""
    if not seen or UNTIL not in seen:
        return None
    value = seen[UNTIL]
    if isinstance(value, dict):
        value = value.get("N")
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
