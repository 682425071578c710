#!/usr/bin/env python3
"""Generate a deterministic, DynamoDB-dense Python corpus for the dynolint benchmark.

The corpus looks like a serverless monorepo: ``services/<context>_<entity>/`` packages, each of
eight modules (key helpers, PynamoDB models, a boto3 resource repository, Lambda API handlers,
low-level client operations with transactions and batches, tenant-aware code with assume_role
and /tmp writes, stream and batch jobs, and a read-through cache in front of HTTP calls), plus a
``template.yaml`` (SAM) and a ``dynolint.toml``. Modules import each other, within a package and
across packages, and mix racy and safe code, so that dynolint has real work: reads, writes,
helpers, imports and infrastructure.

Everything is drawn from ``random.Random`` seeded by strings, so the same options give the same
bytes on every machine and Python version.

    python bench/gen_dense.py --out bench/corpora/dense                 # 400 modules, ~100k lines
    python bench/gen_dense.py --out bench/corpora/dense2 --copies 2 --name-offset 1
                                                    # 800 modules: same structure, other names
    python bench/gen_dense.py --precommit --out bench/corpora/precommit  # the two pre-commit files

``--copies K`` repeats the same N-module structure K times under different names (the doubled
corpus of the scaling row); ``--name-offset B`` starts the names at block B, so that the doubled
corpus shares no file with the single one.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import string
import sys
import textwrap
from pathlib import Path

CONTEXTS = [
    "billing", "catalog", "shipping", "loyalty", "support", "booking", "inventory", "payments",
    "identity", "messaging", "analytics", "scheduling", "reviews", "subscriptions", "marketplace",
    "fleet", "clinic", "learning", "ticketing", "warehouse", "payroll", "insurance", "travel",
    "media", "fundraising",
]
ENTITIES = [
    ("order", "orders"), ("invoice", "invoices"), ("ticket", "tickets"), ("booking", "bookings"),
    ("reservation", "reservations"), ("cart", "carts"), ("account", "accounts"),
    ("profile", "profiles"), ("device", "devices"), ("shipment", "shipments"),
    ("coupon", "coupons"), ("voucher", "vouchers"), ("listing", "listings"),
    ("review", "reviews"), ("session", "sessions"), ("lease", "leases"), ("payout", "payouts"),
    ("refund", "refunds"), ("course", "courses"), ("enrollment", "enrollments"),
    ("appointment", "appointments"), ("claim", "claims"), ("policy", "policies"),
    ("campaign", "campaigns"), ("donation", "donations"), ("playlist", "playlists"),
    ("document", "documents"), ("workspace", "workspaces"), ("project", "projects"),
    ("task", "tasks"),
]
TEXT_FIELDS = ["notes", "title", "description", "label", "channel", "region", "currency", "source",
               "category", "reference", "locale", "summary"]
NUM_FIELDS = ["total", "amount", "quantity", "price", "weight", "duration", "capacity", "score",
              "discount", "deposit"]
COUNTERS = ["views", "attempts", "stock", "points", "downloads", "seats_taken", "retries", "likes",
            "reminders_sent", "edits"]
OWNERS = ["customer_id", "member_id", "user_id", "owner_id", "account_id", "merchant_id",
          "agent_id", "author_id"]
STATUSES = ["PENDING", "ACTIVE", "OPEN", "CONFIRMED", "PAID", "SHIPPED", "APPROVED", "SCHEDULED",
            "IN_PROGRESS", "DRAFT", "SUBMITTED", "RESERVED"]
FINAL = ["CLOSED", "COMPLETED", "ARCHIVED", "DELIVERED", "SETTLED", "FULFILLED", "RESOLVED"]
CANCEL = ["CANCELLED", "REJECTED", "VOIDED", "EXPIRED", "WITHDRAWN", "REVOKED"]
REGIONS = ["eu-west-1", "eu-west-3", "us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"]
PROVIDERS = ["geo.example.com", "rates.example.net", "api.partner.example", "scoring.example.org",
             "fx.example.io", "catalog.example.dev"]

KINDS = ["keys", "models", "store", "handlers", "client_ops", "tenant", "jobs", "cache"]

DOC_OPENERS = {
    "keys": ["Key builders and small helpers shared by the {es} service.",
             "Keys, identifiers and validation for {es}.",
             "Helpers for the {ctx} {es} table: keys, cursors and payload checks."],
    "models": ["PynamoDB models of the {ctx} {es}, and the operations that use them.",
               "Typed access to {es} through PynamoDB.",
               "{E} records as PynamoDB models, with the service's model-level operations."],
    "store": ["Repository over the {es} table (boto3 resource API).",
              "Persistence for {es}: the {E}Store and module-level shortcuts.",
              "Data access layer of the {ctx} service for {es}."],
    "handlers": ["Lambda handlers of the {es} HTTP API.",
                 "API Gateway routes for {es} ({ctx}).",
                 "HTTP entry points that read and change {es}."],
    "client_ops": ["Low-level DynamoDB client operations on {es}: transactions, batches, PartiQL.",
                   "Typed-attribute access to the {es} table for hot paths.",
                   "Client API helpers for {es} used by the workers of the {ctx} service."],
    "tenant": ["Tenant-aware access to {es}: scoped sessions, per-tenant exports, quotas.",
               "Multi-tenant entry points of the {ctx} {es} service.",
               "Per-tenant {es}: assume_role sessions and tenant scoped keys."],
    "jobs": ["Stream processors and batch jobs over {es}.",
             "Background work on {es}: DynamoDB Streams rollups, imports and expiry.",
             "Scheduled and event-driven jobs of the {ctx} {es} service."],
    "cache": ["Read-through caches in front of partner APIs, kept in the {es} table.",
              "Caching of remote lookups for {es}, with claims against stampedes.",
              "Partner API integration for {es}, cached in DynamoDB."],
}
DOC_DETAILS = [
    "Items are small; every write that depends on a read should carry a condition.",
    "Timestamps are ISO 8601 in UTC.",
    "Numbers are Decimal on the way in and out of DynamoDB.",
    "The table uses on-demand capacity; hot partitions are rare but possible.",
    "Errors are logged with the request id and re-raised unless noted.",
    "Some of this code predates the optimistic locking convention.",
    "Callers pass identifiers, never whole items, across service boundaries.",
    "",
]


class Namer:
    """Unique function names inside one module."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.used: set[str] = set(taken or ())

    def __call__(self, *candidates: str) -> str:
        for name in candidates:
            if name not in self.used:
                self.used.add(name)
                return name
        base, n = candidates[0], 2
        while f"{base}_{n}" in self.used:
            n += 1
        self.used.add(f"{base}_{n}")
        return f"{base}_{n}"


def T(text: str, d: dict[str, object], **extra: object) -> str:
    """Substitute ``${name}`` in a dedented template; a missing name is an error."""
    values = {**d, **extra}
    return textwrap.dedent(string.Template(text).substitute(values)).strip("\n") + "\n"


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


# --------------------------------------------------------------------------------------------
# the domain: names and structural choices of one service package
# --------------------------------------------------------------------------------------------

def make_domain(rng: random.Random, ctx: str, entity: tuple[str, str]) -> dict[str, object]:
    e, es = entity
    E = camel(e)
    fields = rng.sample(TEXT_FIELDS, 3)
    nums = rng.sample(NUM_FIELDS, 2)
    statuses = rng.sample(STATUSES, 2)
    d: dict[str, object] = {
        "ctx": ctx, "e": e, "es": es, "E": E, "EU": e.upper(), "pkg": f"{ctx}_{es}",
        "TABLE_ENV": f"{ctx.upper()}_{es.upper()}_TABLE", "table_default": f"{ctx}-{es}",
        "id": f"{e}_id", "idc": e + "Id", "owner": rng.choice(OWNERS),
        "f1": fields[0], "f2": fields[1], "f3": fields[2], "num": nums[0], "num2": nums[1],
        "counter": rng.choice(COUNTERS), "s0": statuses[0], "s1": statuses[1],
        "s2": rng.choice(FINAL), "s3": rng.choice(CANCEL), "region": rng.choice(REGIONS),
        "provider": rng.choice(PROVIDERS), "max_page": rng.choice([25, 50, 100, 200]),
        "ttl_days": rng.choice([7, 14, 30, 90]), "idlen": rng.choice([12, 16, 20, 32]),
        "single_table": rng.random() < 0.6, "versioned": rng.random() < 0.4,
        "res_var": rng.choice(["table", "_table", f"{es}_table", "TABLE"]),
        "log": rng.choice(["logger", "log", "LOG"]),
    }
    d["ES"] = es.upper()
    if d["single_table"]:
        d["pk_attr"], d["sk_attr"] = "pk", "sk"
        d["key_expr"] = '{"pk": f"%s#{%s}", "sk": "META"}' % (d["EU"], d["id"])
        d["typed_key"] = '{"pk": {"S": f"%s#{%s}"}, "sk": {"S": "META"}}' % (d["EU"], d["id"])
        d["tenant_key_expr"] = '{"pk": f"TENANT#{tenant_id}", "sk": f"%s#{%s}"}' % (d["EU"], d["id"])
    else:
        d["pk_attr"], d["sk_attr"] = d["id"], ""
        d["key_expr"] = '{"%s": %s}' % (d["id"], d["id"])
        d["typed_key"] = '{"%s": {"S": %s}}' % (d["id"], d["id"])
        d["tenant_key_expr"] = '{"tenant_id": tenant_id, "%s": %s}' % (d["id"], d["id"])
    return d


# --------------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------------

def docstring(kind: str, d: dict[str, object], rng: random.Random) -> str:
    opener = rng.choice(DOC_OPENERS[kind]).format(**d)
    detail = rng.choice(DOC_DETAILS)
    return f'"""{opener}\n\n{detail}\n"""' if detail else f'"""{opener}"""'


STD_IMPORTS = """\
from __future__ import annotations

import json
import logging
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
"""

AWS_IMPORTS = """\
import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
"""


def header(kind: str, d: dict[str, object], rng: random.Random, standalone: bool = False) -> str:
    parts = [docstring(kind, d, rng), "", STD_IMPORTS]
    extra_std = {
        "keys": ["import base64", "import functools", "import re"],
        "cache": ["import hashlib", "import urllib.parse", "import urllib.request"],
        "jobs": ["import csv", "import io", "import random"],
        "tenant": ["import tempfile", "from functools import lru_cache"],
        "client_ops": ["import itertools"],
    }.get(kind, [])
    if extra_std:
        parts[-1] = parts[-1] + "\n".join(extra_std) + "\n"
    parts.append("")
    if kind == "models":
        parts.append(T("""
            from pynamodb.attributes import (
                BooleanAttribute,
                ListAttribute,
                MapAttribute,
                NumberAttribute,
                UnicodeAttribute,
                UTCDateTimeAttribute,
                VersionAttribute,
            )
            from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
            from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
            from pynamodb.models import Model
            """, d))
    else:
        parts.append(AWS_IMPORTS)
        if kind == "client_ops":
            parts[-1] += "from boto3.dynamodb.types import TypeDeserializer, TypeSerializer\n"
    if standalone:
        return "\n".join(part.rstrip("\n") for part in parts) + "\n"
    local = {
        "store": "from .keys import ${e}_key, ${e}_table, can_transition, new_${e}_id, now_iso, to_decimal\n",
        "handlers": "from .keys import ${e}_key, ${e}_table, can_transition, new_${e}_id, now_iso\n"
                    "from .store import ${E}Store, load_${e}, save_${e}\n"
                    "from ..${o_pkg}.keys import ${o_key_import}, ${o_table_import}\n",
        "client_ops": "from .keys import TABLE_NAME, ${e}_table, new_${e}_id, now_iso\n",
        "tenant": "from .keys import TABLE_NAME, new_${e}_id, now_iso, tenant_${e}_key\n",
        "jobs": "from .keys import ${e}_key, ${e}_table, now_iso, to_decimal\n"
                "from .store import ${E}Store, load_${e}, save_${e}\n",
        "cache": "from .keys import ${e}_key, ${e}_table, now_iso\n"
                 "from services.${o_pkg}.store import ${o_load_import}\n",
        "models": "from .keys import new_${e}_id\n",
    }.get(kind)
    if local:
        parts += ["", T(local, d)]
    return "\n".join(part.rstrip("\n") for part in parts) + "\n"


# --------------------------------------------------------------------------------------------
# keys.py
# --------------------------------------------------------------------------------------------

def keys_core(d, rng, n):
    n.used.update({f"{d['e']}_table", f"{d['e']}_key", f"tenant_{d['e']}_key", f"new_{d['e']}_id",
                   "now_iso", "to_decimal", "can_transition"})
    return [T("""
        TABLE_NAME = os.environ.get("${TABLE_ENV}", "${table_default}")
        REGION = os.environ.get("AWS_REGION", "${region}")
        ${EU}_PREFIX = "${EU}#"
        MAX_PAGE = ${max_page}
        TTL_DAYS = ${ttl_days}

        ${log} = logging.getLogger(__name__)
        _dynamodb = boto3.resource("dynamodb", region_name=REGION)

        ALLOWED_TRANSITIONS = {
            "${s0}": {"${s1}", "${s3}"},
            "${s1}": {"${s2}", "${s3}"},
            "${s2}": set(),
            "${s3}": set(),
        }
        """, d), T("""
        def ${e}_table():
            \"\"\"The ${es} table, from the resource shared by this execution environment.\"\"\"
            return _dynamodb.Table(TABLE_NAME)


        def ${e}_key(${id}: str) -> dict:
            if not ${id}:
                raise ValueError("${id} is required")
            return ${key_expr}


        def tenant_${e}_key(tenant_id: str, ${id}: str) -> dict:
            return ${tenant_key_expr}


        def new_${e}_id() -> str:
            return uuid.uuid4().hex[:${idlen}]


        def now_iso() -> str:
            return datetime.now(timezone.utc).isoformat()


        def to_decimal(value) -> Decimal:
            if isinstance(value, Decimal):
                return value
            if isinstance(value, float):
                return Decimal(str(value))
            if value in (None, ""):
                return Decimal(0)
            return Decimal(value)


        def can_transition(current: str, target: str) -> bool:
            return target in ALLOWED_TRANSITIONS.get(current, set())
        """, d)]


def k_cursor(d, rng, n):
    return T("""
        def ${enc}(last_evaluated_key: dict | None) -> str | None:
            \"\"\"An opaque page token for API clients.\"\"\"
            if not last_evaluated_key:
                return None
            raw = json.dumps(last_evaluated_key, default=str, sort_keys=True).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")


        def ${dec}(token: str | None) -> dict | None:
            if not token:
                return None
            padded = token + "=" * (-len(token) % 4)
            try:
                value = json.loads(base64.urlsafe_b64decode(padded.encode()))
            except (ValueError, json.JSONDecodeError):
                raise ValueError("bad page token") from None
            if not isinstance(value, dict):
                raise ValueError("bad page token")
            return value
        """, d, enc=n("encode_cursor", "encode_page_token"), dec=n("decode_cursor", "decode_page_token"))


def k_validate(d, rng, n):
    return T("""
        def ${fn}(payload: dict) -> dict:
            \"\"\"Check a client payload for a new or changed ${e}; return the cleaned copy.\"\"\"
            cleaned = {}
            errors = []
            for name, value in payload.items():
                if name == "${f1}":
                    if not isinstance(value, str) or len(value) > ${lim}:
                        errors.append("${f1} must be a string of at most ${lim} characters")
                    else:
                        cleaned[name] = value.strip()
                elif name == "${num}":
                    try:
                        amount = to_decimal(value)
                    except Exception:
                        errors.append("${num} must be a number")
                        continue
                    if amount < 0:
                        errors.append("${num} cannot be negative")
                    cleaned[name] = amount
                elif name == "${owner}":
                    if not re.fullmatch(r"[A-Za-z0-9_-]{3,64}", str(value)):
                        errors.append("bad ${owner}")
                    cleaned[name] = str(value)
                elif name in ("${f2}", "${f3}"):
                    cleaned[name] = str(value)[:256]
                else:
                    errors.append(f"unknown field {name}")
            if errors:
                raise ValueError("; ".join(errors))
            return cleaned
        """, d, fn=n(f"validate_{d['e']}", f"clean_{d['e']}_payload"), lim=rng.choice([80, 120, 200, 500]))


def k_pure_helpers(d, rng, n):
    return T("""
        def ${slug}(text: str) -> str:
            text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
            return text[:${lim}] or "${e}"


        def ${mask}(value: str, keep: int = 4) -> str:
            if len(value) <= keep:
                return "*" * len(value)
            return "*" * (len(value) - keep) + value[-keep:]


        def ${chunks}(items, size: int = 25):
            batch = []
            for item in items:
                batch.append(item)
                if len(batch) == size:
                    yield batch
                    batch = []
            if batch:
                yield batch
        """, d, slug=n("slugify", f"{d['e']}_slug"), mask=n("mask_identifier", "masked"),
        chunks=n("chunked", "in_batches"), lim=rng.choice([40, 60, 80]))


def k_update_expr(d, rng, n):
    return T("""
        def ${fn}(changes: dict, skip: tuple = ("${pk_attr}",)) -> tuple[str, dict, dict]:
            \"\"\"SET expression, names and values for a partial update of a ${e}.\"\"\"
            sets = []
            names = {}
            values = {}
            for index, (name, value) in enumerate(sorted(changes.items())):
                if name in skip:
                    continue
                names[f"#f{index}"] = name
                values[f":v{index}"] = value
                sets.append(f"#f{index} = :v{index}")
            if not sets:
                raise ValueError("nothing to update")
            return "SET " + ", ".join(sets), names, values
        """, d, fn=n("build_update", "update_expression_for"))


def k_retry(d, rng, n):
    return T("""
        def ${fn}(attempts: int = ${tries}, base_delay: float = ${delay}):
            \"\"\"Retry a function on throttling, with exponential backoff and jitter.\"\"\"

            def decorate(func):
                @functools.wraps(func)
                def wrapper(*args, **kwargs):
                    delay = base_delay
                    for attempt in range(1, attempts + 1):
                        try:
                            return func(*args, **kwargs)
                        except ClientError as exc:
                            code = exc.response.get("Error", {}).get("Code", "")
                            if code not in ("ProvisionedThroughputExceededException", "ThrottlingException"):
                                raise
                            if attempt == attempts:
                                raise
                            ${log}.warning("throttled (%s), retry %d", code, attempt)
                            time.sleep(delay)
                            delay *= 2
                    return None

                return wrapper

            return decorate
        """, d, fn=n("retry_throttled", "with_backoff"), tries=rng.choice([3, 4, 5]),
        delay=rng.choice(["0.05", "0.1", "0.2"]))


def k_dates(d, rng, n):
    return T("""
        def ${parse}(value: str | None) -> datetime | None:
            if not value:
                return None
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed


        def ${ttl}(days: int = TTL_DAYS) -> int:
            return int((datetime.now(timezone.utc) + timedelta(days=days)).timestamp())


        def ${expired}(item: dict, now: datetime | None = None) -> bool:
            now = now or datetime.now(timezone.utc)
            deadline = ${parse}(item.get("expires_at"))
            if deadline is None:
                return False
            return deadline <= now
        """, d, parse=n("parse_timestamp", "parse_iso"), ttl=n("ttl_epoch", "expiry_epoch"),
        expired=n("is_expired", f"{d['e']}_expired"))


def k_diff(d, rng, n):
    return T("""
        def ${fn}(before: dict, after: dict, ignore=("updated_at", "version")) -> dict:
            \"\"\"Fields of a ${e} that changed, as {name: (old, new)}.\"\"\"
            changed = {}
            for name in set(before) | set(after):
                if name in ignore:
                    continue
                old, new = before.get(name), after.get(name)
                if old != new:
                    changed[name] = (old, new)
            return changed


        def ${summ}(items: list[dict]) -> dict:
            by_status = {}
            total = Decimal(0)
            for item in items:
                status = item.get("status", "${s0}")
                by_status[status] = by_status.get(status, 0) + 1
                total += to_decimal(item.get("${num}", 0))
            return {"count": len(items), "by_status": by_status, "${num}": str(total)}
        """, d, fn=n("changed_fields", "diff_items"), summ=n(f"summarize_{d['es']}", "summary_of"))


def k_money(d, rng, n):
    return T("""
        def ${fn}(text: str, currency: str = "${cur}") -> tuple[Decimal, str]:
            \"\"\"Parse "12.50 EUR", "EUR 12.50" or "12.50" into (amount, currency).\"\"\"
            parts = text.replace(",", ".").split()
            amount = None
            for part in parts:
                if part.isalpha() and len(part) == 3:
                    currency = part.upper()
                    continue
                try:
                    amount = Decimal(part)
                except Exception:
                    raise ValueError(f"cannot read an amount from {text!r}") from None
            if amount is None:
                raise ValueError("no amount")
            return amount.quantize(Decimal("0.01")), currency
        """, d, fn=n("parse_money", "read_amount"), cur=rng.choice(["EUR", "USD", "GBP"]))


KEYS_FILLERS = [k_cursor, k_validate, k_pure_helpers, k_update_expr, k_retry, k_dates, k_diff, k_money]


# --------------------------------------------------------------------------------------------
# models.py (PynamoDB)
# --------------------------------------------------------------------------------------------

def models_core(d, rng, n):
    version = "version = VersionAttribute()" if d["versioned"] else "archived_reason = UnicodeAttribute(null=True)"
    n.used.update({"get_record"})
    return [T("""
        ${log} = logging.getLogger(__name__)


        class ${E}ByOwnerIndex(GlobalSecondaryIndex):
            class Meta:
                index_name = "${owner}-created-index"
                projection = AllProjection()

            ${owner} = UnicodeAttribute(hash_key=True)
            created_at = UTCDateTimeAttribute(range_key=True)


        class ${E}Details(MapAttribute):
            ${f1} = UnicodeAttribute(null=True)
            ${f2} = UnicodeAttribute(null=True)
            tags = ListAttribute(default=list)


        class ${E}Record(Model):
            \"\"\"One ${e}.\"\"\"

            class Meta:
                table_name = os.environ.get("${TABLE_ENV}", "${table_default}")
                region = os.environ.get("AWS_REGION", "${region}")

            ${id} = UnicodeAttribute(hash_key=True)
            ${owner} = UnicodeAttribute()
            status = UnicodeAttribute(default="${s0}")
            ${num} = NumberAttribute(default=0)
            ${counter} = NumberAttribute(default=0)
            ${f3} = UnicodeAttribute(null=True)
            details = ${E}Details(default=dict)
            archived = BooleanAttribute(default=False)
            created_at = UTCDateTimeAttribute(default=lambda: datetime.now(timezone.utc))
            updated_at = UTCDateTimeAttribute(null=True)
            ${version}
            by_owner = ${E}ByOwnerIndex()


        class ${E}Event(Model):
            \"\"\"Append-only history of a ${e}.\"\"\"

            class Meta:
                table_name = os.environ.get("${ES}_EVENTS_TABLE", "${table_default}-events")
                region = os.environ.get("AWS_REGION", "${region}")

            ${id} = UnicodeAttribute(hash_key=True)
            at = UnicodeAttribute(range_key=True)
            kind = UnicodeAttribute()
            payload = MapAttribute(default=dict)


        def get_record(${id}: str) -> ${E}Record | None:
            try:
                return ${E}Record.get(${id}, consistent_read=True)
            except DoesNotExist:
                return None
        """, d, version=version)]


def m_counter_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, by: int = 1) -> int:
            \"\"\"Count one more ${counter} on a ${e}.\"\"\"
            record = ${E}Record.get(${id})
            record.${counter} += by
            record.updated_at = datetime.now(timezone.utc)
            record.save()
            return record.${counter}
        """, d, fn=n(f"add_{d['counter']}", f"bump_{d['counter']}"))


def m_counter_atomic(d, rng, n):
    return T("""
        def ${fn}(${id}: str, by: int = 1) -> None:
            record = ${E}Record(${id})
            record.update(
                actions=[
                    ${E}Record.${counter}.add(by),
                    ${E}Record.updated_at.set(datetime.now(timezone.utc)),
                ]
            )
        """, d, fn=n(f"increment_{d['counter']}", f"record_{d['counter']}"))


def m_transition_cond(d, rng, n):
    return T("""
        def ${fn}(${id}: str, reason: str = "") -> bool:
            \"\"\"Move a ${e} from ${s0} to ${s3}; False when someone else moved it first.\"\"\"
            record = ${E}Record(${id})
            try:
                record.update(
                    actions=[
                        ${E}Record.status.set("${s3}"),
                        ${E}Record.${f3}.set(reason or None),
                        ${E}Record.updated_at.set(datetime.now(timezone.utc)),
                    ],
                    condition=(${E}Record.status == "${s0}"),
                )
            except UpdateError as exc:
                ${log}.info("cannot cancel %s: %s", ${id}, exc)
                return False
            ${E}Event(${id}, datetime.now(timezone.utc).isoformat(), kind="${s3}").save()
            return True
        """, d, fn=n(f"cancel_{d['e']}", f"void_{d['e']}"))


def m_transition_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, ${f1}: str | None = None) -> ${E}Record:
            record = get_record(${id})
            if record is None:
                raise LookupError(${id})
            if record.status != "${s0}":
                raise ValueError(f"${e} is {record.status}")
            record.status = "${s1}"
            if ${f1}:
                record.details.${f1} = ${f1}
            record.updated_at = datetime.now(timezone.utc)
            record.save()
            return record
        """, d, fn=n(f"activate_{d['e']}", f"confirm_{d['e']}"))


def m_create(d, rng, n):
    return T("""
        def ${fn}(${owner}: str, ${num}: Decimal, ${f1}: str | None = None) -> ${E}Record:
            record = ${E}Record(
                new_${e}_id(),
                ${owner}=${owner},
                ${num}=${num},
                details=${E}Details(${f1}=${f1}),
            )
            try:
                record.save(condition=${E}Record.${id}.does_not_exist())
            except PutError:
                ${log}.exception("id collision for a new ${e}")
                raise
            return record
        """, d, fn=n(f"create_{d['e']}", f"open_{d['e']}"))


def m_list_owner(d, rng, n):
    return T("""
        def ${fn}(${owner}: str, since: datetime | None = None, limit: int = ${lim}) -> list[dict]:
            condition = None
            if since is not None:
                condition = ${E}Record.created_at >= since
            out = []
            for record in ${E}Record.by_owner.query(${owner}, range_key_condition=condition, limit=limit):
                if record.archived:
                    continue
                out.append(
                    {
                        "${idc}": record.${id},
                        "status": record.status,
                        "${num}": str(record.${num}),
                        "${counter}": int(record.${counter}),
                    }
                )
                if len(out) >= limit:
                    break
            return out
        """, d, fn=n(f"list_{d['es']}_for_owner", f"{d['es']}_of"), lim=d["max_page"])


def m_archive_batch(d, rng, n):
    return T("""
        def ${fn}(${owner}: str) -> int:
            \"\"\"Archive every closed ${e} of an owner.\"\"\"
            archived = 0
            with ${E}Record.batch_write() as batch:
                for record in ${E}Record.by_owner.query(${owner}):
                    if record.status not in ("${s2}", "${s3}") or record.archived:
                        continue
                    record.archived = True
                    batch.save(record)
                    archived += 1
            ${log}.info("archived %d ${es} of %s", archived, ${owner})
            return archived
        """, d, fn=n(f"archive_closed_{d['es']}", "archive_closed"))


def m_delete_cond(d, rng, n):
    return T("""
        def ${fn}(${id}: str) -> bool:
            record = ${E}Record(${id})
            try:
                record.delete(condition=${E}Record.status.is_in("${s2}", "${s3}"))
            except DeleteError:
                return False
            return True
        """, d, fn=n(f"purge_{d['e']}", f"delete_{d['e']}"))


def m_amount_change(d, rng, n):
    return T("""
        def ${fn}(${id}: str, delta: Decimal) -> Decimal:
            \"\"\"Adjust the ${num} of a ${e} after a correction.\"\"\"
            record = get_record(${id})
            if record is None:
                raise LookupError(${id})
            new_value = Decimal(record.${num}) + delta
            if new_value < 0:
                raise ValueError("${num} would go negative")
            record.update(actions=[${E}Record.${num}.set(new_value)])
            ${E}Event(${id}, datetime.now(timezone.utc).isoformat(), kind="ADJUSTED",
                      payload={"delta": str(delta)}).save()
            return new_value
        """, d, fn=n(f"adjust_{d['num']}", f"correct_{d['num']}"))


def m_handler(d, rng, n):
    if _counter_function(d, n) is None:
        return m_counter_atomic(d, rng, n) + "\n\n" + m_handler(d, rng, n)
    return T("""
        def ${fn}(event, context):
            \"\"\"Lambda: POST /${es}/{${idc}}/${counter}\"\"\"
            ${id} = event["pathParameters"]["${idc}"]
            body = json.loads(event.get("body") or "{}")
            try:
                count = ${add}(${id}, int(body.get("by", 1)))
            except DoesNotExist:
                return {"statusCode": 404, "body": json.dumps({"message": "no such ${e}"})}
            return {"statusCode": 200, "body": json.dumps({"${counter}": count})}
        """, d, fn=n(f"{d['counter']}_handler", f"handle_{d['counter']}"),
        add=_counter_function(d, n))


def _counter_function(d, n):
    for name in (f"add_{d['counter']}", f"bump_{d['counter']}", f"increment_{d['counter']}",
                 f"record_{d['counter']}"):
        if name in n.used:
            return name
    return None


MODELS_FILLERS = [m_counter_racy, m_counter_atomic, m_transition_cond, m_transition_racy, m_create,
                  m_list_owner, m_archive_batch, m_delete_cond, m_amount_change, m_handler]


# --------------------------------------------------------------------------------------------
# store.py (boto3 resource)
# --------------------------------------------------------------------------------------------

def store_core(d, rng, n):
    n.used.update({f"load_{d['e']}", f"save_{d['e']}"})
    return [T("""
        ${log} = logging.getLogger(__name__)


        class ${E}Store:
            \"\"\"Reads and writes of ${es}; one instance per execution environment.\"\"\"

            def __init__(self, table=None):
                self._table = table or ${e}_table()

            def get(self, ${id}: str, consistent: bool = True) -> dict | None:
                response = self._table.get_item(Key=${e}_key(${id}), ConsistentRead=consistent)
                return response.get("Item")

            def create(self, item: dict) -> dict:
                item = {**item, "created_at": now_iso(), "status": item.get("status", "${s0}")}
                self._table.put_item(
                    Item=item,
                    ConditionExpression="attribute_not_exists(${pk_attr})",
                )
                return item

            def save(self, item: dict) -> None:
                item["updated_at"] = now_iso()
                self._table.put_item(Item=item)

            def set_status(self, ${id}: str, current: str, target: str) -> bool:
                if not can_transition(current, target):
                    raise ValueError(f"{current} -> {target} is not allowed")
                try:
                    self._table.update_item(
                        Key=${e}_key(${id}),
                        UpdateExpression="SET #s = :target, updated_at = :now",
                        ConditionExpression="#s = :current",
                        ExpressionAttributeNames={"#s": "status"},
                        ExpressionAttributeValues={":target": target, ":current": current, ":now": now_iso()},
                    )
                except ClientError as exc:
                    if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                        return False
                    raise
                return True

            def add_${counter}(self, ${id}: str, by: int = 1) -> int:
                response = self._table.update_item(
                    Key=${e}_key(${id}),
                    UpdateExpression="ADD ${counter} :by SET updated_at = :now",
                    ExpressionAttributeValues={":by": by, ":now": now_iso()},
                    ReturnValues="UPDATED_NEW",
                )
                return int(response["Attributes"]["${counter}"])

            def delete(self, ${id}: str) -> None:
                self._table.delete_item(
                    Key=${e}_key(${id}),
                    ConditionExpression="attribute_exists(${pk_attr}) AND #s IN (:done, :cancelled)",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":done": "${s2}", ":cancelled": "${s3}"},
                )


        _store = ${E}Store()


        def load_${e}(${id}: str) -> dict | None:
            return _store.get(${id})


        def save_${e}(item: dict) -> None:
            _store.save(item)
        """, d)]


def s_query_pages(d, rng, n):
    return T("""
        def ${fn}(${owner}: str, status: str | None = None, page_size: int = ${lim}):
            \"\"\"Every ${e} of an owner, page by page.\"\"\"
            table = ${e}_table()
            kwargs = {
                "IndexName": "${owner}-index",
                "KeyConditionExpression": Key("${owner}").eq(${owner}),
                "Limit": page_size,
            }
            if status:
                kwargs["FilterExpression"] = Attr("status").eq(status)
            while True:
                response = table.query(**kwargs)
                yield from response.get("Items", [])
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                kwargs["ExclusiveStartKey"] = last
        """, d, fn=n(f"iter_{d['es']}", f"{d['es']}_for_owner"), lim=d["max_page"])


def s_rename_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, ${f1}: str) -> dict:
            \"\"\"Change the ${f1} of a ${e}, keeping a history of old values.\"\"\"
            table = ${e}_table()
            item = table.get_item(Key=${e}_key(${id}))["Item"]
            history = list(item.get("${f1}_history", []))
            if item.get("${f1}"):
                history.append(item["${f1}"])
            table.update_item(
                Key=${e}_key(${id}),
                UpdateExpression="SET ${f1} = :v, ${f1}_history = :h, updated_at = :now",
                ExpressionAttributeValues={":v": ${f1}, ":h": history[-10:], ":now": now_iso()},
            )
            item["${f1}"] = ${f1}
            return item
        """, d, fn=n(f"rename_{d['e']}", f"set_{d['e']}_{d['f1']}"))


def s_versioned(d, rng, n):
    return T("""
        def ${fn}(${id}: str, changes: dict, attempts: int = 3) -> dict:
            \"\"\"Optimistic locking: retry when the version moved under us.\"\"\"
            table = ${e}_table()
            for attempt in range(attempts):
                item = table.get_item(Key=${e}_key(${id}), ConsistentRead=True).get("Item")
                if item is None:
                    raise LookupError(${id})
                version = int(item.get("version", 0))
                updated = {**item, **changes, "version": version + 1, "updated_at": now_iso()}
                try:
                    table.put_item(
                        Item=updated,
                        ConditionExpression="attribute_not_exists(version) OR version = :v",
                        ExpressionAttributeValues={":v": version},
                    )
                    return updated
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise
                    ${log}.info("version conflict on %s (attempt %d)", ${id}, attempt + 1)
            raise RuntimeError(f"gave up updating {${id}}")
        """, d, fn=n(f"update_{d['e']}_versioned", f"patch_{d['e']}"))


def s_transfer(d, rng, n):
    return T("""
        def ${fn}(source_id: str, target_id: str, amount: Decimal) -> None:
            \"\"\"Move ${num} between two ${es} in one transaction.\"\"\"
            table = ${e}_table()
            client = table.meta.client
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table.name,
                            "Key": ${e}_key(source_id),
                            "UpdateExpression": "SET ${num} = ${num} - :a",
                            "ConditionExpression": "${num} >= :a",
                            "ExpressionAttributeValues": {":a": amount},
                        }
                    },
                    {
                        "Update": {
                            "TableName": table.name,
                            "Key": ${e}_key(target_id),
                            "UpdateExpression": "SET ${num} = ${num} + :a",
                            "ConditionExpression": "attribute_exists(${pk_attr})",
                            "ExpressionAttributeValues": {":a": amount},
                        }
                    },
                ]
            )
        """, d, fn=n(f"transfer_{d['num']}", f"move_{d['num']}"))


def s_soft_delete_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, actor: str) -> bool:
            item = load_${e}(${id})
            if not item:
                return False
            if item.get("deleted"):
                return True
            item["deleted"] = True
            item["deleted_by"] = actor
            item["deleted_at"] = now_iso()
            save_${e}(item)
            return True
        """, d, fn=n(f"soft_delete_{d['e']}", f"hide_{d['e']}"))


def s_upsert(d, rng, n):
    return T("""
        def ${fn}(${id}: str, ${owner}: str, ${f2}: str | None = None) -> dict:
            \"\"\"Create the ${e} on first sight, otherwise only touch it.\"\"\"
            response = ${e}_table().update_item(
                Key=${e}_key(${id}),
                UpdateExpression=(
                    "SET ${owner} = if_not_exists(${owner}, :owner), "
                    "created_at = if_not_exists(created_at, :now), last_seen_at = :now, ${f2} = :f"
                ),
                ExpressionAttributeValues={":owner": ${owner}, ":now": now_iso(), ":f": ${f2}},
                ReturnValues="ALL_NEW",
            )
            return response["Attributes"]
        """, d, fn=n(f"upsert_{d['e']}", f"touch_{d['e']}"))


def s_batch_get(d, rng, n):
    return T("""
        def ${fn}(ids: list[str]) -> dict[str, dict]:
            resource = boto3.resource("dynamodb")
            found = {}
            pending = [${e}_key(i) for i in dict.fromkeys(ids)]
            while pending:
                chunk, pending = pending[:100], pending[100:]
                request = {TABLE: {"Keys": chunk}}
                while request:
                    response = resource.batch_get_item(RequestItems=request)
                    for item in response["Responses"].get(TABLE, []):
                        found[item["${pk_attr}"]] = item
                    request = response.get("UnprocessedKeys") or None
                    if request:
                        time.sleep(0.05)
            return found
        """, d, fn=n(f"get_many_{d['es']}", f"batch_load_{d['es']}"))


def s_merge_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, tags: list[str]) -> list[str]:
            store = ${E}Store()
            item = store.get(${id})
            if item is None:
                raise LookupError(${id})
            merged = sorted(set(item.get("tags", [])) | set(tags))
            if merged == item.get("tags"):
                return merged
            item["tags"] = merged
            store.save(item)
            return merged
        """, d, fn=n(f"tag_{d['e']}", f"merge_{d['e']}_tags"))


def s_recompute_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, lines: list[dict]) -> Decimal:
            \"\"\"Recompute the ${num} of a ${e} from its lines.\"\"\"
            table = ${e}_table()
            item = table.get_item(Key=${e}_key(${id}), ConsistentRead=True).get("Item") or {}
            total = sum((to_decimal(line.get("${num2}", 0)) for line in lines), Decimal(0))
            if item.get("status") in ("${s2}", "${s3}"):
                return to_decimal(item.get("${num}", 0))
            if total == to_decimal(item.get("${num}", 0)):
                return total
            table.update_item(
                Key=${e}_key(${id}),
                UpdateExpression="SET ${num} = :t, line_count = :n",
                ExpressionAttributeValues={":t": total, ":n": len(lines)},
            )
            return total
        """, d, fn=n(f"recompute_{d['num']}", f"refresh_{d['num']}"))


STORE_FILLERS = [s_query_pages, s_rename_racy, s_versioned, s_transfer, s_soft_delete_racy, s_upsert,
                 s_batch_get, s_merge_racy, s_recompute_racy]


def store_prelude(d):
    return T("""
        TABLE = os.environ.get("${TABLE_ENV}", "${table_default}")
        """, d)


# --------------------------------------------------------------------------------------------
# handlers.py (API Gateway)
# --------------------------------------------------------------------------------------------

def handlers_core(d, rng, n):
    n.used.update({"_response", "_body", "handler"})
    return [T("""
        ${log} = logging.getLogger()
        ${log}.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
        store = ${E}Store()


        def _response(status: int, body=None) -> dict:
            return {
                "statusCode": status,
                "headers": {"Content-Type": "application/json"},
                "body": "" if body is None else json.dumps(body, default=str),
            }


        def _body(event) -> dict:
            raw = event.get("body") or "{}"
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise ValueError("body is not JSON") from None
            if not isinstance(value, dict):
                raise ValueError("body must be an object")
            return value
        """, d)]


def h_cancel_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, reason: str) -> dict:
            ${e} = load_${e}(${id})
            if ${e} is None:
                raise LookupError(${id})
            if not can_transition(${e}["status"], "${s3}"):
                raise ValueError(f"cannot cancel a {${e}['status']} ${e}")
            ${e}["status"] = "${s3}"
            ${e}["${f3}"] = reason
            ${e}["cancelled_at"] = now_iso()
            save_${e}(${e})
            return ${e}
        """, d, fn=n(f"cancel_{d['e']}", f"withdraw_{d['e']}"))


def h_approve_safe(d, rng, n):
    return T("""
        def ${fn}(${id}: str, approver: str) -> bool:
            if not approver:
                raise ValueError("approver is required")
            if store.set_status(${id}, "${s0}", "${s1}"):
                ${log}.info("%s approved %s", approver, ${id})
                return True
            current = store.get(${id}, consistent=True)
            if current is None:
                raise LookupError(${id})
            return current.get("status") == "${s1}"
        """, d, fn=n(f"approve_{d['e']}", f"confirm_{d['e']}"))


def h_counter_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, quantity: int) -> int:
            table = ${e}_table()
            item = table.get_item(Key=${e}_key(${id}), ConsistentRead=True)["Item"]
            item["${counter}"] = item.get("${counter}", 0) + quantity
            table.put_item(Item=item)
            return item["${counter}"]
        """, d, fn=n(f"add_{d['counter']}", f"count_{d['counter']}"))


def h_create(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"POST /${es}\"\"\"
            try:
                payload = _body(event)
            except ValueError as exc:
                return _response(400, {"message": str(exc)})
            ${owner} = event["requestContext"]["authorizer"]["claims"]["sub"]
            item = {
                "${pk_attr}": ${e}_key(new_${e}_id())["${pk_attr}"],
                "${owner}": ${owner},
                "${f1}": payload.get("${f1}", ""),
                "${num}": Decimal(str(payload.get("${num}", 0))),
            }
            try:
                created = store.create(item)
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return _response(409, {"message": "already exists"})
                ${log}.exception("create failed")
                return _response(500, {"message": "internal error"})
            return _response(201, created)
        """, d, fn=n(f"create_{d['e']}", f"post_{d['e']}"))


def h_link_other(d, rng, n):
    return T("""
        def ${fn}(${id}: str, ${o_id}: str) -> dict:
            \"\"\"Attach a ${o_e} to a ${e}, copying what the ${e} page shows.\"\"\"
            other = ${o_table}().get_item(Key=${o_key}(${o_id})).get("Item")
            if other is None:
                raise LookupError(${o_id})
            ${e} = store.get(${id})
            if ${e} is None:
                raise LookupError(${id})
            links = dict(${e}.get("links", {}))
            links[${o_id}] = {"status": other.get("status"), "linked_at": now_iso()}
            ${e}["links"] = links
            store.save(${e})
            return links
        """, d, fn=n(f"link_{d['o_e']}", f"attach_{d['o_e']}"))


def h_get_list(d, rng, n):
    return T("""
        def ${get}(event, context):
            \"\"\"GET /${es}/{${idc}}\"\"\"
            ${id} = (event.get("pathParameters") or {}).get("${idc}")
            if not ${id}:
                return _response(400, {"message": "${idc} is required"})
            item = store.get(${id}, consistent=False)
            if item is None or item.get("deleted"):
                return _response(404, {"message": "not found"})
            return _response(200, item)


        def ${lst}(event, context):
            \"\"\"GET /${es}?status=...\"\"\"
            params = event.get("queryStringParameters") or {}
            ${owner} = event["requestContext"]["authorizer"]["claims"]["sub"]
            kwargs = {"KeyConditionExpression": Key("${owner}").eq(${owner}), "Limit": ${lim}}
            if params.get("status"):
                kwargs["FilterExpression"] = Attr("status").eq(params["status"])
            response = ${e}_table().query(IndexName="${owner}-index", **kwargs)
            return _response(200, {"items": response.get("Items", []), "more": "LastEvaluatedKey" in response})
        """, d, get=n(f"get_{d['e']}", f"show_{d['e']}"), lst=n(f"list_{d['es']}", f"index_{d['es']}"),
        lim=d["max_page"])


def h_bulk(d, rng, n):
    return T("""
        def ${fn}(ids: list[str], target: str) -> dict:
            \"\"\"Move many ${es} to a status; skip the ones that cannot move.\"\"\"
            moved, skipped, missing = [], [], []
            for ${id} in ids:
                item = store.get(${id})
                if item is None:
                    missing.append(${id})
                    continue
                current = item.get("status", "${s0}")
                if current == target:
                    skipped.append(${id})
                    continue
                if not can_transition(current, target):
                    skipped.append(${id})
                    continue
                if store.set_status(${id}, current, target):
                    moved.append(${id})
                else:
                    skipped.append(${id})
            return {"moved": moved, "skipped": skipped, "missing": missing}
        """, d, fn=n(f"bulk_move_{d['es']}", "bulk_transition"))


def h_webhook_claim(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"Partner webhook: process each delivery once.\"\"\"
            body = _body(event)
            delivery = body.get("deliveryId") or event["headers"].get("x-delivery-id")
            table = ${e}_table()
            try:
                table.put_item(
                    Item={"${pk_attr}": f"DELIVERY#{delivery}", "received_at": now_iso()},
                    ConditionExpression="attribute_not_exists(${pk_attr})",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return _response(200, {"duplicate": True})
                raise
            ${id} = body["${idc}"]
            store.add_${counter}(${id})
            return _response(202)
        """, d, fn=n("partner_webhook", f"{d['e']}_webhook"))


def h_webhook_racy(d, rng, n):
    return T("""
        def ${fn}(event, context):
            body = _body(event)
            ${id} = body["${idc}"]
            item = load_${e}(${id})
            if item is None:
                return _response(404)
            seen = set(item.get("events_seen", []))
            if body["eventId"] in seen:
                return _response(200, {"duplicate": True})
            seen.add(body["eventId"])
            item["events_seen"] = sorted(seen)[-50:]
            item["status"] = body.get("status", item["status"])
            save_${e}(item)
            return _response(202)
        """, d, fn=n("provider_callback", f"{d['e']}_callback"))


def h_dispatch(d, rng, n):
    # the main handler: if/elif dispatch over routes, calling what the module defines
    return T("""
        def handler(event, context):
            \"\"\"One Lambda for the /${es} routes.\"\"\"
            method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
            path = event.get("resource") or event.get("rawPath", "")
            ${id} = (event.get("pathParameters") or {}).get("${idc}")
            try:
                body = _body(event) if method in ("POST", "PUT", "PATCH") else {}
            except ValueError as exc:
                return _response(400, {"message": str(exc)})
            try:
                if method == "GET" and ${id}:
                    item = store.get(${id}, consistent=False)
                    return _response(200, item) if item else _response(404)
                elif method == "POST" and path.endswith("/cancel"):
                    item = load_${e}(${id})
                    if item is None:
                        return _response(404)
                    item["status"] = "${s3}"
                    save_${e}(item)
                    return _response(200, item)
                elif method == "POST" and path.endswith("/${counter}"):
                    return _response(200, {"${counter}": store.add_${counter}(${id}, int(body.get("by", 1)))})
                elif method == "DELETE":
                    store.delete(${id})
                    return _response(204)
                else:
                    return _response(405, {"message": f"{method} {path} is not supported"})
            except LookupError:
                return _response(404)
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code == "ConditionalCheckFailedException":
                    return _response(409, {"message": "conflict"})
                ${log}.exception("DynamoDB error %s", code)
                return _response(503, {"message": "try again"})
        """, d)


HANDLERS_FILLERS = [h_cancel_racy, h_approve_safe, h_counter_racy, h_create, h_link_other, h_get_list,
                    h_bulk, h_webhook_claim, h_webhook_racy]


# --------------------------------------------------------------------------------------------
# client_ops.py (low-level client)
# --------------------------------------------------------------------------------------------

def client_core(d, rng, n):
    n.used.update({"_to_item", "_from_item"})
    return [T("""
        ${log} = logging.getLogger(__name__)
        _client = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "${region}"))
        _serializer = TypeSerializer()
        _deserializer = TypeDeserializer()


        def _to_item(data: dict) -> dict:
            return {name: _serializer.serialize(value) for name, value in data.items() if value is not None}


        def _from_item(item: dict | None) -> dict | None:
            if item is None:
                return None
            return {name: _deserializer.deserialize(value) for name, value in item.items()}
        """, d)]


def c_get_put_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, note: str) -> dict:
            response = _client.get_item(TableName=TABLE_NAME, Key=${typed_key}, ConsistentRead=True)
            item = _from_item(response.get("Item"))
            if item is None:
                raise LookupError(${id})
            notes = list(item.get("notes_log", []))
            notes.append({"at": now_iso(), "text": note})
            item["notes_log"] = notes[-20:]
            _client.put_item(TableName=TABLE_NAME, Item=_to_item(item))
            return item
        """, d, fn=n(f"append_note_{d['e']}", f"annotate_{d['e']}"))


def c_update_cond(d, rng, n):
    return T("""
        def ${fn}(${id}: str, expected_version: int, ${f2}: str) -> bool:
            try:
                _client.update_item(
                    TableName=TABLE_NAME,
                    Key=${typed_key},
                    UpdateExpression="SET ${f2} = :v, version = :next",
                    ConditionExpression="version = :expected",
                    ExpressionAttributeValues={
                        ":v": {"S": ${f2}},
                        ":next": {"N": str(expected_version + 1)},
                        ":expected": {"N": str(expected_version)},
                    },
                )
            except _client.exceptions.ConditionalCheckFailedException:
                return False
            return True
        """, d, fn=n(f"set_{d['f2']}", f"change_{d['f2']}"))


def c_transact_guarded(d, rng, n):
    return T("""
        def ${fn}(${id}: str, ${owner}: str, ${num}: Decimal) -> str:
            \"\"\"Create a ${e} and count it on its owner, atomically.\"\"\"
            event_id = new_${e}_id()
            _client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": TABLE_NAME,
                            "Item": _to_item({"${pk_attr}": ${id}, "${owner}": ${owner}, "${num}": ${num},
                                              "status": "${s0}", "event_id": event_id}),
                            "ConditionExpression": "attribute_not_exists(${pk_attr})",
                        }
                    },
                    {
                        "Update": {
                            "TableName": TABLE_NAME,
                            "Key": {"${pk_attr}": {"S": f"OWNER#{${owner}}"}},
                            "UpdateExpression": "ADD open_count :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ],
                ClientRequestToken=event_id,
            )
            return event_id
        """, d, fn=n(f"open_{d['e']}_counted", f"register_{d['e']}"))


def c_transact_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, ${owner}: str) -> None:
            \"\"\"Hand a ${e} over to another owner.\"\"\"
            table = ${e}_table()
            item = table.get_item(Key=${key_expr}, ConsistentRead=True).get("Item")
            if item is None:
                raise LookupError(${id})
            previous = item.get("${owner}")
            item["${owner}"] = ${owner}
            item["handed_over_at"] = now_iso()
            table.meta.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table.name, "Item": item}},
                    {
                        "Update": {
                            "TableName": table.name,
                            "Key": {"${pk_attr}": f"OWNER#{previous}"},
                            "UpdateExpression": "ADD open_count :minus",
                            "ExpressionAttributeValues": {":minus": -1},
                        }
                    },
                ]
            )
        """, d, fn=n(f"hand_over_{d['e']}", f"reassign_{d['e']}"))


def c_batch_write(d, rng, n):
    return T("""
        def ${fn}(rows: list[dict], max_attempts: int = ${tries}) -> int:
            \"\"\"Write rows 25 at a time, retrying what DynamoDB leaves unprocessed.\"\"\"
            written = 0
            iterator = iter(rows)
            while True:
                chunk = list(itertools.islice(iterator, 25))
                if not chunk:
                    break
                request = {TABLE_NAME: [{"PutRequest": {"Item": _to_item(row)}} for row in chunk]}
                for attempt in range(max_attempts):
                    response = _client.batch_write_item(RequestItems=request)
                    unprocessed = response.get("UnprocessedItems") or {}
                    if not unprocessed:
                        break
                    request = unprocessed
                    time.sleep(0.05 * (2 ** attempt))
                else:
                    raise RuntimeError("batch write did not complete")
                written += len(chunk)
            return written
        """, d, fn=n(f"import_{d['es']}", f"load_{d['es']}_bulk"), tries=rng.choice([4, 5, 6]))


def c_partiql(d, rng, n):
    return T("""
        def ${sel}(${owner}: str, status: str = "${s0}") -> list[dict]:
            statement = f'SELECT * FROM "{TABLE_NAME}" WHERE ${owner} = ? AND status = ?'
            items, token = [], None
            while True:
                kwargs = {"Statement": statement, "Parameters": [{"S": ${owner}}, {"S": status}]}
                if token:
                    kwargs["NextToken"] = token
                response = _client.execute_statement(**kwargs)
                items.extend(_from_item(item) for item in response.get("Items", []))
                token = response.get("NextToken")
                if not token:
                    return items


        def ${close}(${id}: str) -> None:
            _client.execute_statement(
                Statement=f'UPDATE "{TABLE_NAME}" SET status = ? WHERE ${pk_attr} = ? AND status = ?',
                Parameters=[{"S": "${s2}"}, {"S": ${id}}, {"S": "${s1}"}],
            )
        """, d, sel=n(f"select_{d['es']}", f"find_{d['es']}"), close=n(f"close_{d['e']}", f"finish_{d['e']}"))


def c_paginator(d, rng, n):
    return T("""
        def ${fn}(${owner}: str) -> Decimal:
            paginator = _client.get_paginator("query")
            total = Decimal(0)
            pages = paginator.paginate(
                TableName=TABLE_NAME,
                IndexName="${owner}-index",
                KeyConditionExpression="${owner} = :o",
                ExpressionAttributeValues={":o": {"S": ${owner}}},
                ProjectionExpression="${num}, status",
            )
            for page in pages:
                for raw in page["Items"]:
                    item = _from_item(raw)
                    if item.get("status") == "${s3}":
                        continue
                    total += Decimal(item.get("${num}", 0))
            return total
        """, d, fn=n(f"total_{d['num']}_for_owner", f"sum_{d['num']}"))


def c_delete_return(d, rng, n):
    return T("""
        def ${fn}(${id}: str) -> dict | None:
            try:
                response = _client.delete_item(
                    TableName=TABLE_NAME,
                    Key=${typed_key},
                    ConditionExpression="attribute_exists(${pk_attr}) AND status <> :active",
                    ExpressionAttributeValues={":active": {"S": "${s1}"}},
                    ReturnValues="ALL_OLD",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    ${log}.warning("refusing to delete active ${e} %s", ${id})
                    return None
                raise
            return _from_item(response.get("Attributes"))
        """, d, fn=n(f"remove_{d['e']}", f"drop_{d['e']}"))


def c_counter_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str) -> int:
            current = _client.get_item(
                TableName=TABLE_NAME, Key=${typed_key}, ProjectionExpression="${counter}"
            ).get("Item", {})
            value = int(current.get("${counter}", {"N": "0"})["N"]) + 1
            _client.update_item(
                TableName=TABLE_NAME,
                Key=${typed_key},
                UpdateExpression="SET ${counter} = :v",
                ExpressionAttributeValues={":v": {"N": str(value)}},
            )
            return value
        """, d, fn=n(f"next_{d['counter']}", f"bump_{d['counter']}"))


CLIENT_FILLERS = [c_get_put_racy, c_update_cond, c_transact_guarded, c_transact_racy, c_batch_write,
                  c_partiql, c_paginator, c_delete_return, c_counter_racy]


# --------------------------------------------------------------------------------------------
# tenant.py
# --------------------------------------------------------------------------------------------

def tenant_core(d, rng, n):
    n.used.update({"_scoped_session", "_tenant_table"})
    return [T("""
        ${log} = logging.getLogger(__name__)
        _sts = boto3.client("sts")
        TENANT_ROLE_ARN = os.environ["${ES}_TENANT_ROLE_ARN"]
        EXPORT_BUCKET = os.environ.get("${ES}_EXPORT_BUCKET", "${table_default}-exports")
        shared_table = boto3.resource("dynamodb").Table(TABLE_NAME)


        @lru_cache(maxsize=128)
        def _scoped_session(tenant_id: str, window: int) -> boto3.Session:
            \"\"\"Credentials limited to one tenant's items (session tags drive the policy).\"\"\"
            creds = _sts.assume_role(
                RoleArn=TENANT_ROLE_ARN,
                RoleSessionName=f"${ctx}-{tenant_id}-{window}"[:64],
                Tags=[{"Key": "TenantId", "Value": tenant_id}],
                DurationSeconds=900,
            )["Credentials"]
            return boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )


        def _tenant_table(tenant_id: str):
            session = _scoped_session(tenant_id, int(time.time() // 600))
            return session.resource("dynamodb").Table(TABLE_NAME)
        """, d), t_shared_role(d, rng, n)]


def t_shared_role(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"GET /${es}/{${idc}} for the calling tenant.\"\"\"
            tenant_id = context.tenant_id
            ${id} = event["pathParameters"]["${idc}"]
            item = shared_table.get_item(Key=tenant_${e}_key(tenant_id, ${id})).get("Item")
            if item is None:
                return {"statusCode": 404, "body": json.dumps({"message": "not found"})}
            return {"statusCode": 200, "body": json.dumps(item, default=str)}
        """, d, fn=n(f"get_tenant_{d['e']}", f"show_tenant_{d['e']}"))


def t_scoped(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"POST /${es} for the calling tenant, through tenant-scoped credentials.\"\"\"
            tenant_id = context.tenant_id
            body = json.loads(event.get("body") or "{}")
            ${id} = new_${e}_id()
            table = _tenant_table(tenant_id)
            table.put_item(
                Item={**tenant_${e}_key(tenant_id, ${id}), "${f1}": body.get("${f1}", ""), "created_at": now_iso()},
                ConditionExpression="attribute_not_exists(${pk_attr})",
            )
            return {"statusCode": 201, "body": json.dumps({"${idc}": ${id}})}
        """, d, fn=n(f"create_tenant_{d['e']}", f"add_tenant_{d['e']}"))


def t_untrusted(d, rng, n):
    return T("""
        def ${fn}(event, context):
            body = json.loads(event.get("body") or "{}")
            tenant_id = body.get("tenantId") or event["headers"].get("x-tenant-id")
            if not tenant_id:
                return {"statusCode": 400, "body": json.dumps({"message": "tenantId is required"})}
            table = _tenant_table(tenant_id)
            response = table.query(KeyConditionExpression=Key("pk").eq(f"TENANT#{tenant_id}"), Limit=${lim})
            return {"statusCode": 200, "body": json.dumps(response["Items"], default=str)}
        """, d, fn=n(f"list_tenant_{d['es']}", f"tenant_{d['es']}_index"), lim=d["max_page"])


def t_creds_global(d, rng, n):
    return T("""
        _CREDENTIALS = {}


        def ${fn}(tenant_id: str):
            \"\"\"A DynamoDB resource for the tenant, kept warm between invocations.\"\"\"
            if "session" not in _CREDENTIALS:
                creds = _sts.assume_role(
                    RoleArn=TENANT_ROLE_ARN,
                    RoleSessionName=f"cached-{tenant_id}"[:64],
                    Tags=[{"Key": "TenantId", "Value": tenant_id}],
                )["Credentials"]
                _CREDENTIALS["session"] = boto3.Session(
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                )
            return _CREDENTIALS["session"].resource("dynamodb")
        """, d, fn=n("tenant_resource", "cached_tenant_resource"))


def t_tmp_export(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"Export the calling tenant's ${es} as CSV to S3.\"\"\"
            tenant_id = context.tenant_id
            table = _tenant_table(tenant_id)
            path = f"/tmp/${es}-export-{tenant_id}.csv"
            count = 0
            with open(path, "w", encoding="utf-8") as out:
                out.write("${id},status,${num}\\n")
                kwargs = {"KeyConditionExpression": Key("pk").eq(f"TENANT#{tenant_id}")}
                while True:
                    page = table.query(**kwargs)
                    for item in page["Items"]:
                        out.write(f"{item.get('sk', '')},{item.get('status', '')},{item.get('${num}', 0)}\\n")
                        count += 1
                    if "LastEvaluatedKey" not in page:
                        break
                    kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            boto3.client("s3").upload_file(path, EXPORT_BUCKET, f"{tenant_id}/${es}.csv")
            return {"exported": count}
        """, d, fn=n(f"export_{d['es']}", f"dump_{d['es']}"))


def t_tmp_safe(d, rng, n):
    return T("""
        def ${fn}(event, context):
            tenant_id = context.tenant_id
            with tempfile.TemporaryDirectory() as workdir:
                target = os.path.join(workdir, "report.json")
                items = _tenant_table(tenant_id).query(
                    KeyConditionExpression=Key("pk").eq(f"TENANT#{tenant_id}"), Limit=${lim}
                )["Items"]
                with open(target, "w", encoding="utf-8") as out:
                    json.dump(items, out, default=str)
                boto3.client("s3").upload_file(target, EXPORT_BUCKET, f"{tenant_id}/report.json")
            return {"count": len(items)}
        """, d, fn=n(f"report_{d['es']}", f"snapshot_{d['es']}"), lim=d["max_page"])


def t_global_state(d, rng, n):
    return T("""
        _last_seen = {}


        def ${fn}(event, context):
            tenant_id = context.tenant_id
            ${id} = event["${idc}"]
            _last_seen["tenant"] = tenant_id
            _last_seen["${e}"] = ${id}
            item = _tenant_table(tenant_id).get_item(Key=tenant_${e}_key(tenant_id, ${id})).get("Item")
            return {"found": item is not None}
        """, d, fn=n(f"peek_{d['e']}", f"probe_{d['e']}"))


def t_scan_unscoped(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"Nightly: count the calling tenant's open ${es}.\"\"\"
            tenant_id = context.tenant_id
            table = _tenant_table(tenant_id)
            count, kwargs = 0, {"FilterExpression": Attr("status").eq("${s0}")}
            while True:
                page = table.scan(**kwargs)
                count += page["Count"]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            ${log}.info("tenant %s has %d open ${es}", tenant_id, count)
            return {"open": count}
        """, d, fn=n(f"count_open_{d['es']}", f"open_{d['es']}_total"))


def t_invoke(d, rng, n):
    return T("""
        def ${fn}(event, context):
            tenant_id = context.tenant_id
            payload = {"${idc}": event["${idc}"], "requested_at": now_iso()}
            boto3.client("lambda").invoke(
                FunctionName=os.environ["${ES}_WORKER_FUNCTION"],
                InvocationType="Event",
                Payload=json.dumps(payload).encode(),
                TenantId=tenant_id,
            )
            return {"queued": True}
        """, d, fn=n(f"queue_{d['e']}_work", f"enqueue_{d['e']}"))


TENANT_FILLERS = [t_shared_role, t_scoped, t_untrusted, t_creds_global, t_tmp_export, t_tmp_safe,
                  t_global_state, t_scan_unscoped, t_invoke]


# --------------------------------------------------------------------------------------------
# jobs.py
# --------------------------------------------------------------------------------------------

def jobs_core(d, rng, n):
    n.used.update({"_image"})
    return [T("""
        ${log} = logging.getLogger(__name__)
        store = ${E}Store()
        ROLLUP_TABLE = os.environ.get("${ES}_ROLLUP_TABLE", "${table_default}-rollups")
        rollups = boto3.resource("dynamodb").Table(ROLLUP_TABLE)


        def _image(record: dict, which: str = "NewImage") -> dict:
            raw = record.get("dynamodb", {}).get(which) or {}
            out = {}
            for name, value in raw.items():
                (kind, inner), = value.items()
                if kind == "N":
                    out[name] = to_decimal(inner)
                elif kind in ("S", "BOOL"):
                    out[name] = inner
                elif kind == "NULL":
                    out[name] = None
                else:
                    out[name] = inner
            return out
        """, d)]


def j_rollup_racy(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"DynamoDB Streams: keep per-day totals of ${num}.\"\"\"
            for record in event["Records"]:
                if record["eventName"] != "INSERT":
                    continue
                image = _image(record)
                day = str(image.get("created_at", now_iso()))[:10]
                key = {"pk": f"ROLLUP#{day}", "sk": "${num}"}
                current = rollups.get_item(Key=key).get("Item") or {**key, "total": Decimal(0), "count": 0}
                current["total"] = to_decimal(current["total"]) + to_decimal(image.get("${num}", 0))
                current["count"] = int(current["count"]) + 1
                rollups.put_item(Item=current)
        """, d, fn=n("rollup_handler", f"{d['num']}_rollup"))


def j_rollup_safe(d, rng, n):
    return T("""
        def ${fn}(event, context):
            failures = []
            for record in event["Records"]:
                try:
                    image = _image(record)
                    status = image.get("status", "${s0}")
                    rollups.update_item(
                        Key={"pk": "STATUS", "sk": status},
                        UpdateExpression="ADD #n :one",
                        ExpressionAttributeNames={"#n": "count"},
                        ExpressionAttributeValues={":one": 1},
                    )
                except ClientError:
                    ${log}.exception("rollup failed for %s", record.get("eventID"))
                    failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            return {"batchItemFailures": failures}
        """, d, fn=n("status_counts_handler", "count_statuses"))


def j_import(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"S3 upload of a CSV: load every row.\"\"\"
            s3 = boto3.client("s3")
            table = ${e}_table()
            imported = skipped = 0
            for record in event["Records"]:
                bucket = record["s3"]["bucket"]["name"]
                key = record["s3"]["object"]["key"]
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig")
                with table.batch_writer(overwrite_by_pkeys=["${pk_attr}"]) as batch:
                    for row in csv.DictReader(io.StringIO(body)):
                        if not row.get("${id}"):
                            skipped += 1
                            continue
                        item = {**${e}_key(row["${id}"]), "${num}": to_decimal(row.get("${num}")),
                                "${f2}": row.get("${f2}", ""), "imported_from": key}
                        batch.put_item(Item=item)
                        imported += 1
            return {"imported": imported, "skipped": skipped}
        """, d, fn=n(f"import_{d['es']}_csv", "csv_import_handler"))


def j_expire(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"Scheduled: expire ${es} left in ${s0} for more than ${ttl_days} days.\"\"\"
            table = ${e}_table()
            cutoff = (datetime.now(timezone.utc) - timedelta(days=${ttl_days})).isoformat()
            kwargs = {"FilterExpression": Attr("status").eq("${s0}") & Attr("created_at").lt(cutoff)}
            expired = 0
            while True:
                page = table.scan(**kwargs)
                for item in page["Items"]:
                    try:
                        table.update_item(
                            Key={k: item[k] for k in ${e}_key("x")},
                            UpdateExpression="SET #s = :expired",
                            ConditionExpression="#s = :pending",
                            ExpressionAttributeNames={"#s": "status"},
                            ExpressionAttributeValues={":expired": "${s3}", ":pending": "${s0}"},
                        )
                        expired += 1
                    except ClientError as exc:
                        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                            raise
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            return {"expired": expired}
        """, d, fn=n(f"expire_{d['es']}", "expiry_job"))


def j_reconcile_racy(d, rng, n):
    return T("""
        def ${fn}(${id}: str, ledger: list[dict]) -> dict:
            \"\"\"Bring a ${e} in line with the ledger.\"\"\"
            item = load_${e}(${id})
            if item is None:
                ${log}.warning("nothing to reconcile for %s", ${id})
                return {}
            expected = sum((to_decimal(entry["amount"]) for entry in ledger), Decimal(0))
            if to_decimal(item.get("${num}", 0)) == expected:
                return item
            item["${num}"] = expected
            item["reconciled_at"] = now_iso()
            save_${e}(item)
            return item
        """, d, fn=n(f"reconcile_{d['e']}", f"fix_{d['e']}_{d['num']}"))


def j_retry(d, rng, n):
    return T("""
        def ${fn}(${id}: str, attempts: int = 5) -> int:
            \"\"\"Count a ${counter} with jittered retries on throttling.\"\"\"
            delay = 0.05
            for attempt in range(attempts):
                try:
                    return store.add_${counter}(${id})
                except ClientError as exc:
                    code = exc.response["Error"]["Code"]
                    if code not in ("ProvisionedThroughputExceededException", "ThrottlingException"):
                        raise
                    time.sleep(delay + random.random() * delay)
                    delay = min(delay * 2, 1.0)
            raise RuntimeError(f"{${id}}: still throttled after {attempts} attempts")
        """, d, fn=n(f"count_{d['counter']}_with_retry", f"retry_{d['counter']}"))


def j_remove_events(d, rng, n):
    return T("""
        def ${fn}(event, context):
            \"\"\"Streams REMOVE: archive deleted ${es} to the rollup table.\"\"\"
            with rollups.batch_writer() as batch:
                for record in event["Records"]:
                    if record["eventName"] != "REMOVE":
                        continue
                    old = _image(record, "OldImage")
                    if not old:
                        continue
                    batch.put_item(Item={"pk": "ARCHIVE#${e}", "sk": str(old.get("${pk_attr}")), **old})
        """, d, fn=n("archive_removed", f"archive_removed_{d['es']}"))


JOBS_FILLERS = [j_rollup_racy, j_rollup_safe, j_import, j_expire, j_reconcile_racy, j_retry, j_remove_events]


# --------------------------------------------------------------------------------------------
# cache.py
# --------------------------------------------------------------------------------------------

def cache_core(d, rng, n):
    n.used.update({"_fetch_json", "_cache_key"})
    return [T("""
        ${log} = logging.getLogger(__name__)
        cache = ${e}_table()
        API_BASE = os.environ.get("${ES}_PARTNER_URL", "https://${provider}")
        CACHE_SECONDS = ${secs}


        def _fetch_json(path: str, params: dict) -> dict:
            url = f"{API_BASE}/{path}?{urllib.parse.urlencode(params)}"
            request = urllib.request.Request(url, headers={"Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())


        def _cache_key(kind: str, value: str) -> dict:
            digest = hashlib.sha256(value.encode()).hexdigest()[:24]
            return {"${pk_attr}": f"CACHE#{kind}#{digest}"${sk_part}}
        """, d, secs=rng.choice([300, 600, 3600, 86400]),
        sk_part=(', "sk": "VALUE"' if d["single_table"] else ""))]


def ca_stampede(d, rng, n):
    return T("""
        def ${fn}(query: str) -> dict:
            \"\"\"Partner lookup, cached; on a miss every concurrent caller pays for the call.\"\"\"
            key = _cache_key("${kind}", query)
            cached = cache.get_item(Key=key).get("Item")
            if cached and cached.get("expires_at", 0) > time.time():
                return cached["value"]
            value = _fetch_json("${kind}", {"q": query})
            cache.put_item(Item={**key, "value": value, "expires_at": int(time.time()) + CACHE_SECONDS})
            return value
        """, d, fn=n(f"lookup_{d['f1']}", f"resolve_{d['f1']}"), kind=d["f1"])


def ca_claim(d, rng, n):
    return T("""
        def ${fn}(query: str, wait: float = 0.2) -> dict | None:
            \"\"\"Cached partner lookup where one caller claims the refresh and the others wait.\"\"\"
            key = _cache_key("${kind}", query)
            cached = cache.get_item(Key=key, ConsistentRead=True).get("Item")
            if cached and cached.get("value") is not None and cached.get("expires_at", 0) > time.time():
                return cached["value"]
            try:
                cache.put_item(
                    Item={**key, "claimed_at": int(time.time())},
                    ConditionExpression="attribute_not_exists(claimed_at) OR claimed_at < :stale",
                    ExpressionAttributeValues={":stale": int(time.time()) - 30},
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                time.sleep(wait)
                again = cache.get_item(Key=key, ConsistentRead=True).get("Item") or {}
                return again.get("value")
            value = _fetch_json("${kind}", {"q": query})
            cache.update_item(
                Key=key,
                UpdateExpression="SET #v = :v, expires_at = :e REMOVE claimed_at",
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={":v": value, ":e": int(time.time()) + CACHE_SECONDS},
            )
            return value
        """, d, fn=n(f"lookup_{d['f2']}", f"resolve_{d['f2']}"), kind=d["f2"])


def ca_enrich(d, rng, n):
    return T("""
        def ${fn}(${id}: str) -> dict:
            \"\"\"Add partner data to a ${e} (and the ${o_e} it points at).\"\"\"
            table = ${e}_table()
            item = table.get_item(Key=${e}_key(${id})).get("Item")
            if item is None:
                raise LookupError(${id})
            related = ${o_load}(item["${o_id}"]) if item.get("${o_id}") else None
            if item.get("enriched_at"):
                return item
            extra = _fetch_json("enrich", {"id": ${id}, "${f3}": item.get("${f3}", "")})
            table.put_item(
                Item={**item, "partner": extra, "related_status": (related or {}).get("status"),
                      "enriched_at": now_iso()}
            )
            return item
        """, d, fn=n(f"enrich_{d['e']}", f"decorate_{d['e']}"))


def ca_rate_limit(d, rng, n):
    return T("""
        def ${fn}(caller: str, limit: int = ${lim}) -> bool:
            \"\"\"Fixed-window rate limit per caller, counted atomically.\"\"\"
            window = int(time.time() // 60)
            try:
                cache.update_item(
                    Key={"${pk_attr}": f"RATE#{caller}#{window}"${sk_part}},
                    UpdateExpression="ADD hits :one SET expires_at = :ttl",
                    ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                    ExpressionAttributeValues={":one": 1, ":limit": limit, ":ttl": (window + 2) * 60},
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return False
                raise
            return True
        """, d, fn=n("allow_request", "within_rate_limit"), lim=rng.choice([30, 60, 120, 600]),
        sk_part=(', "sk": "RATE"' if d["single_table"] else ""))


def ca_rate_racy(d, rng, n):
    return T("""
        def ${fn}(caller: str, limit: int = ${lim}) -> bool:
            key = {"${pk_attr}": f"QUOTA#{caller}"${sk_part}}
            item = cache.get_item(Key=key).get("Item") or {**key, "used": 0, "day": ""}
            today = datetime.now(timezone.utc).date().isoformat()
            if item["day"] != today:
                item["day"], item["used"] = today, 0
            if item["used"] >= limit:
                return False
            item["used"] = item["used"] + 1
            cache.put_item(Item=item)
            return True
        """, d, fn=n("consume_quota", "take_quota"), lim=rng.choice([100, 1000, 5000]),
        sk_part=(', "sk": "QUOTA"' if d["single_table"] else ""))


def ca_tmp_file_cache(d, rng, n):
    return T("""
        def ${fn}(name: str) -> dict:
            \"\"\"Reference data, downloaded once per execution environment into /tmp.\"\"\"
            path = os.path.join("/tmp", f"${e}-ref-{name}.json")
            if os.path.exists(path) and time.time() - os.path.getmtime(path) < CACHE_SECONDS:
                with open(path, encoding="utf-8") as handle:
                    return json.load(handle)
            data = _fetch_json("reference", {"name": name})
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            return data
        """, d, fn=n("reference_data", "load_reference"))


def ca_http_handler(d, rng, n):
    first = next((f for f in (f"lookup_{d['f1']}", f"resolve_{d['f1']}") if f in n.used), None)
    if first is None:
        return ca_stampede(d, rng, n) + "\n\n" + ca_http_handler(d, rng, n)
    return T("""
        def ${fn}(event, context):
            \"\"\"GET /${es}/lookup?q=...\"\"\"
            query = (event.get("queryStringParameters") or {}).get("q", "").strip()
            if not query:
                return {"statusCode": 400, "body": json.dumps({"message": "q is required"})}
            try:
                value = ${first}(query)
            except urllib.error.URLError as exc:
                ${log}.warning("partner unavailable: %s", exc)
                return {"statusCode": 502, "body": json.dumps({"message": "partner unavailable"})}
            return {"statusCode": 200, "body": json.dumps(value, default=str)}
        """, d, fn=n("lookup_handler", f"{d['f1']}_handler"), first=first)


CACHE_FILLERS = [ca_stampede, ca_claim, ca_enrich, ca_rate_limit, ca_rate_racy, ca_tmp_file_cache,
                 ca_http_handler]


CORES = {"keys": keys_core, "models": models_core, "store": store_core, "handlers": handlers_core,
         "client_ops": client_core, "tenant": tenant_core, "jobs": jobs_core, "cache": cache_core}
FILLERS = {"keys": KEYS_FILLERS, "models": MODELS_FILLERS, "store": STORE_FILLERS,
           "handlers": HANDLERS_FILLERS, "client_ops": CLIENT_FILLERS, "tenant": TENANT_FILLERS,
           "jobs": JOBS_FILLERS, "cache": CACHE_FILLERS}


# --------------------------------------------------------------------------------------------
# assembling modules
# --------------------------------------------------------------------------------------------

def fill(blocks: list[str], fillers, d, rng, namer, target: int) -> list[str]:
    """Append fillers (each once per round, in a shuffled order) until ``target`` lines."""
    lines = sum(block.count("\n") + 2 for block in blocks)
    while lines < target:
        order = list(fillers)
        rng.shuffle(order)
        for filler in order:
            block = filler(d, rng, namer)
            blocks.append(block)
            lines += block.count("\n") + 2
            if lines >= target:
                break
    return blocks


def module_text(kind: str, d: dict[str, object], rng: random.Random, target: int) -> str:
    namer = Namer()
    head = header(kind, d, rng)
    blocks = list(CORES[kind](d, rng, namer))
    if kind == "store":
        blocks.insert(0, store_prelude(d))
    target -= head.count("\n") + 8  # the header, and about half a block of overshoot
    if kind == "handlers":
        blocks = fill(blocks, FILLERS[kind], d, rng, namer, target - 45)
        blocks.append(h_dispatch(d, rng, namer))
    else:
        blocks = fill(blocks, FILLERS[kind], d, rng, namer, target)
    return prune_imports(head + "\n\n" + "\n\n".join(blocks))


def prune_imports(text: str) -> str:
    """Drop the standard-library and third-party imports a module does not use (local imports,
    which make the links between modules, are kept)."""
    tree = ast.parse(text)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    lines = text.split("\n")
    for node in reversed(tree.body):
        if isinstance(node, ast.Import):
            keep = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
            new = [f"import {a.name}" + (f" as {a.asname}" if a.asname else "") for a in keep]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__" \
                and not (node.module or "").startswith("services."):
            keep = [a for a in node.names if (a.asname or a.name) in used]
            names = [a.name + (f" as {a.asname}" if a.asname else "") for a in keep]
            one = f"from {node.module} import {', '.join(names)}"
            if not names:
                new = []
            elif len(one) <= 100:
                new = [one]
            else:
                new = [f"from {node.module} import ("] + [f"    {n}," for n in names] + [")"]
        else:
            continue
        lines[node.lineno - 1:node.end_lineno] = new
        at = node.lineno - 1
        if not new and 0 < at < len(lines) and lines[at] == "" and lines[at - 1] == "":
            del lines[at]  # a whole group went: no double blank line among the imports
    return "\n".join(lines)


def domain_for(seed: int, index: int, names: list[tuple[str, tuple[str, str]]], domains: int,
               block: int) -> dict[str, object]:
    rng = random.Random(f"dense:{seed}:domain:{index}")
    ctx, entity = names[block * domains + index]
    d = make_domain(rng, ctx, entity)
    # the package this one imports from: a structural choice, so the same in every copy
    other = random.Random(f"dense:{seed}:other:{index}").randrange(domains - 1) if domains > 1 else 0
    if domains > 1 and other >= index:
        other += 1
    octx, oentity = names[block * domains + other]
    link_other(d, f"{octx}_{oentity[1]}", oentity[0])
    return d


def link_other(d: dict[str, object], pkg: str, entity: str) -> None:
    """Names for what a module imports from another package (aliased when the entity is the same)."""
    same = entity == d["e"]
    d["o_pkg"], d["o_e"] = pkg, entity
    prefix = "linked_" if same else ""
    d["o_id"] = f"{prefix}{entity}_id"
    for what, name in (("key", f"{entity}_key"), ("table", f"{entity}_table"), ("load", f"load_{entity}")):
        d[f"o_{what}"] = prefix + name
        d[f"o_{what}_import"] = f"{name} as {prefix}{name}" if same else name


def name_blocks(seed: int) -> list[tuple[str, tuple[str, str]]]:
    combos = [(c, e) for c in CONTEXTS for e in ENTITIES]
    random.Random(f"dense:{seed}:names").shuffle(combos)
    return combos


def generate(out: Path, modules: int, seed: int, copies: int = 1, name_offset: int = 0,
             lines_per_module: int = 250) -> dict[str, object]:
    names = name_blocks(seed)
    domains = -(-modules // len(KINDS))
    if (name_offset + copies) * domains > len(names):
        raise SystemExit(f"not enough distinct names for {copies} copies of {modules} modules")
    if out.exists():
        shutil.rmtree(out)
    (out / "services").mkdir(parents=True)
    files: dict[str, str] = {}
    functions_yaml: list[str] = []
    tables_toml: list[str] = []
    for copy in range(copies):
        block = name_offset + copy
        made = 0
        for index in range(domains):
            d = domain_for(seed, index, names, domains, block)
            for kind in KINDS:
                if made == modules:
                    break
                rng = random.Random(f"dense:{seed}:module:{index}:{kind}")
                target = rng.randint(lines_per_module - 40, lines_per_module + 40)
                text = module_text(kind, d, rng, target)
                rel = f"services/{d['pkg']}/{kind}.py"
                files[rel] = text
                made += 1
            functions_yaml.append(sam_function(d, index))
            if index % 2 == 0:
                tables_toml.append(T("""
                    [tables.${table_default}]
                    partition-key = "${pk_attr}"
                    """, d) + (f'sort-key = "{d["sk_attr"]}"\n' if d["sk_attr"] else "")
                    + ('version-attribute = "version"\n' if d["versioned"] else ""))
    total_lines = total_bytes = 0
    for rel, text in sorted(files.items()):
        try:
            ast.parse(text, filename=rel)
        except SyntaxError as exc:  # a generator bug: fail loudly
            raise SystemExit(f"generated invalid Python in {rel}: {exc}") from None
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        total_lines += text.count("\n")
        total_bytes += len(text.encode())
    (out / "template.yaml").write_text(SAM_HEAD + "".join(functions_yaml), encoding="utf-8")
    (out / "dynolint.toml").write_text("# generated by bench/gen_dense.py\n\n" + "\n".join(tables_toml),
                                       encoding="utf-8")
    manifest = {"generator": "bench/gen_dense.py", "seed": seed, "modules": len(files), "copies": copies,
                "name_offset": name_offset, "lines": total_lines, "bytes": total_bytes}
    (out / "corpus.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


SAM_HEAD = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: Generated DynamoDB-dense monorepo (bench/gen_dense.py)

Globals:
  Function:
    Runtime: python3.12
    Timeout: 15
    MemorySize: 512

Resources:
"""


def sam_function(d: dict[str, object], index: int) -> str:
    name = camel(str(d["pkg"]))
    tenancy = ("    TenancyConfig:\n      TenantIsolationMode: PER_TENANT\n" if index % 3 == 0 else "")
    return textwrap.indent(T("""
          ${name}Table:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: ${table_default}
              BillingMode: PAY_PER_REQUEST
              AttributeDefinitions:
                - AttributeName: ${pk_attr}
                  AttributeType: S
              KeySchema:
                - AttributeName: ${pk_attr}
                  KeyType: HASH

          ${name}Api:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: services/${pkg}/
              Handler: handlers.handler
              Environment:
                Variables:
                  ${TABLE_ENV}: !Ref ${name}Table

          ${name}Tenant:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: services/${pkg}/
              Handler: tenant.${tenant_handler}
        """, d, name=name, tenant_handler="get_tenant_" + str(d["e"])) + tenancy, "  ") + "\n"


# --------------------------------------------------------------------------------------------
# the two pre-commit files
# --------------------------------------------------------------------------------------------

def precommit_ddb(seed: int, target: int = 315) -> str:
    """One ~300-line module that uses DynamoDB: a store and its handlers in one file."""
    rng = random.Random(f"dense:{seed}:precommit")
    d = make_domain(rng, "checkout", ("basket", "baskets"))
    link_other(d, "catalog_listings", "listing")
    namer = Namer()
    blocks = [store_prelude(d)] + keys_core(d, rng, namer)[:2] + store_core(d, rng, namer)
    blocks += handlers_core(d, rng, namer)[0:1]
    fillers = [h_cancel_racy, h_approve_safe, h_counter_racy, h_create, h_bulk, h_webhook_racy,
               s_rename_racy, s_transfer, s_versioned]
    head = header("handlers", d, rng, standalone=True)
    blocks = fill(blocks, fillers, d, rng, namer, target - 45 - head.count("\n") - 8)
    blocks.append(h_dispatch(d, rng, namer))
    text = prune_imports(head + "\n\n" + "\n\n".join(blocks))
    return text


PLAIN = '''\
"""Plain text reports: read CSV exports, group and total them, render Markdown or HTML.

Nothing here talks to a network or a database.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

DEFAULT_COLUMNS = ("date", "category", "label", "amount")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

'''


def precommit_plain(seed: int, target: int = 300) -> str:
    """One ~300-line module that touches neither DynamoDB nor tenants nor temporary files."""
    rng = random.Random(f"dense:{seed}:plain")
    blocks = [PLAIN_BLOCKS[0]]
    rest = PLAIN_BLOCKS[1:]
    lines = PLAIN.count("\n") + blocks[0].count("\n")
    variant = 0
    while lines < target:
        for block in rest:
            suffix = "" if variant == 0 else f"_{variant + 1}"
            text = block.replace("__S__", suffix)
            blocks.append(text)
            lines += text.count("\n") + 2
            if lines >= target:
                break
        variant += 1
    rng.shuffle(blocks[1:])
    text = PLAIN + "\n\n".join(blocks)
    ast.parse(text)
    return text


PLAIN_BLOCKS = [
    '''\
@dataclass
class Row:
    day: date
    category: str
    label: str
    amount: Decimal
    tags: list[str] = field(default_factory=list)


@dataclass
class Report:
    title: str
    rows: list[Row]
    generated_at: datetime = field(default_factory=datetime.now)

    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal(0))

    def by_category(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for row in self.rows:
            totals[row.category] += row.amount
        return dict(sorted(totals.items(), key=lambda pair: (-pair[1], pair[0])))
''',
    '''\
def parse_rows__S__(text: str, columns=DEFAULT_COLUMNS) -> tuple[list[Row], list[str]]:
    """Rows of a CSV export, and the problems found on the way."""
    rows, problems = [], []
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in columns if name not in (reader.fieldnames or [])]
    if missing:
        return [], [f"missing columns: {', '.join(missing)}"]
    for number, raw in enumerate(reader, start=2):
        try:
            day = date.fromisoformat(raw["date"].strip())
        except ValueError:
            problems.append(f"line {number}: bad date {raw['date']!r}")
            continue
        try:
            amount = Decimal(raw["amount"].replace(",", "."))
        except InvalidOperation:
            problems.append(f"line {number}: bad amount {raw['amount']!r}")
            continue
        tags = [tag.strip() for tag in raw.get("tags", "").split(";") if tag.strip()]
        rows.append(Row(day, raw["category"].strip() or "other", raw["label"].strip(), amount, tags))
    return rows, problems
''',
    '''\
def monthly_totals__S__(rows: list[Row]) -> list[tuple[str, Decimal, int]]:
    buckets: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    for row in rows:
        buckets[(row.day.year, row.day.month)].append(row.amount)
    out = []
    for (year, month), amounts in sorted(buckets.items()):
        out.append((f"{MONTHS[month - 1]} {year}", sum(amounts, Decimal(0)), len(amounts)))
    return out
''',
    '''\
def outliers__S__(rows: list[Row], factor: float = 3.0) -> list[Row]:
    """Rows whose amount is far from the median of their category."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.category].append(row)
    found = []
    for category, members in groups.items():
        if len(members) < 4:
            continue
        values = [float(row.amount) for row in members]
        median = statistics.median(values)
        spread = statistics.median(abs(value - median) for value in values) or 1.0
        for row, value in zip(members, values):
            if abs(value - median) / spread > factor:
                found.append(row)
    return found
''',
    '''\
def render_markdown__S__(report: Report, limit: int = 20) -> str:
    lines = [f"# {report.title}", "", f"Generated {report.generated_at:%Y-%m-%d %H:%M}.", ""]
    lines += ["| category | total |", "|---|---:|"]
    for category, total in list(report.by_category().items())[:limit]:
        lines.append(f"| {category} | {total:.2f} |")
    lines += ["", f"**Total: {report.total():.2f}**", ""]
    common = Counter(tag for row in report.rows for tag in row.tags).most_common(5)
    if common:
        lines.append("Most used tags: " + ", ".join(f"{tag} ({count})" for tag, count in common))
    return "\\n".join(lines) + "\\n"
''',
    '''\
def render_html__S__(report: Report) -> str:
    parts = [f"<h1>{html.escape(report.title)}</h1>", "<ol class='rows'>"]
    for row in sorted(report.rows, key=lambda r: (r.day, r.category)):
        parts.append(
            "<li>"
            f"<time>{row.day.isoformat()}</time> "
            f"<b>{html.escape(row.category)}</b> "
            f"{html.escape(row.label)} "
            f"<span class='num'>{row.amount:.2f}</span>"
            "</li>"
        )
    parts.append("</ol>")
    return "\\n".join(parts)
''',
    '''\
def main__S__(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Summarise a CSV export.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--title", default="Expenses")
    parser.add_argument("--html", action="store_true")
    args = parser.parse_args(argv)
    try:
        text = args.path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"cannot read {args.path}: {exc}", file=sys.stderr)
        return 2
    rows, problems = parse_rows(text)
    for problem in problems:
        print(problem, file=sys.stderr)
    report = Report(args.title, rows)
    sys.stdout.write(render_html(report) if args.html else render_markdown(report))
    return 1 if problems else 0
''',
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory (replaced)")
    parser.add_argument("--modules", type=int, default=400, help="modules per copy (default 400)")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed")
    parser.add_argument("--copies", type=int, default=1,
                        help="repeat the structure K times under other names (the doubled corpus: 2)")
    parser.add_argument("--name-offset", type=int, default=0,
                        help="first block of names to use (a doubled corpus disjoint from the single one: 1)")
    parser.add_argument("--lines", type=int, default=250, help="mean lines per module (default 250)")
    parser.add_argument("--precommit", action="store_true",
                        help="write the two pre-commit files (ddb_handler.py, plain_report.py) instead")
    args = parser.parse_args(argv)
    if args.precommit:
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.mkdir(parents=True)
        for name, text in (("ddb_handler.py", precommit_ddb(args.seed)),
                           ("plain_report.py", precommit_plain(args.seed))):
            (args.out / name).write_text(text, encoding="utf-8")
            print(f"{args.out / name}: {text.count(chr(10))} lines")
        return 0
    manifest = generate(args.out, args.modules, args.seed, args.copies, args.name_offset, args.lines)
    print(f"{args.out}: {manifest['modules']} modules, {manifest['lines']} lines, "
          f"{manifest['bytes'] / 1e6:.2f} MB (seed {manifest['seed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
