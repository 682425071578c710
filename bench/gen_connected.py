#!/usr/bin/env python3
"""Generate a deterministic, *connected* Python code base for the dynolint benchmark (issue 13).

Where ``gen_dense.py`` writes many modules that each stand mostly alone, this one writes code whose
functions call each other a lot, as a real service code base does, so that phase 2 (the
whole-project interpreter) has paths to follow:

- ``core/keys_NN.py``: deep chains of shared helpers (``part_00_j`` calls ``part_01_j`` ... down
  to ``keys_11``), used by every repository of every domain to build keys;
- ``core/io_NN.py``: DynamoDB helper chains (``load`` -> ``fetch`` -> ``get_item``, ``save`` ->
  ``put_item``, a guarded save with a ``ConditionExpression``, an atomic ``ADD``, an unconditional
  ``SET`` of values that may come from a read);
- ``core/db.py``: module-level factories (a cached ``boto3.resource``, ``make_table``);
- ``core/decorators.py``: ``traced``, ``retry(times)``, ``timed(metric)``, ``validated(*fields)``;
- ``core/base.py``: ``BaseRepo`` and ``BaseService``, whose methods call each other through ``self``
  (``BaseService.change`` reads through ``self.repo.get``, calls the overridable ``self.apply``,
  writes through ``self.repo.put``: a read-then-write across helpers, racy or guarded depending on
  which ``put`` the subclass has);
- per domain ``dNNN_<entity>/``: ``model.py`` (a record class and validators over the key chains),
  ``repo.py`` (a ``BaseRepo`` subclass overriding ``key`` and ``put``, guarded in some domains and
  not in others, an ``Archived...`` subclass overriding ``get`` and ``key``, a factory and
  module-level instances), ``service.py`` (a ``BaseService`` subclass overriding ``apply``, calling
  the services of the next domains of its cluster), ``handlers.py`` (decorated Lambda handlers) and
  ``jobs.py`` (batch code over services and helpers).

Domains form clusters of six; a service calls only the services after it in its cluster, so call
chains are deep (handler -> service -> next services -> repo -> base -> io chain -> boto3, and key
chains twelve calls deep) but there are no import cycles. Every variation comes from
``random.Random`` seeded by strings, per domain, so the same options give the same bytes everywhere.

    python bench/gen_connected.py --out bench/corpora/connected            # 80 domains, ~34k lines
    python bench/gen_connected.py --out bench/corpora/connected2 --double  # the same twice

``--copies K`` (``--double`` is ``--copies 2``) writes the same code base K times under the package
names ``app00``, ``app01``, ...: exactly K times the files, functions and lines (the names have the
same length), with the same call structure in each copy.
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import shutil
import sys
from pathlib import Path

ENTITIES = [
    "order", "invoice", "ticket", "booking", "cart", "account", "profile", "device", "shipment",
    "coupon", "listing", "review", "session", "lease", "payout", "refund", "course", "claim",
    "policy", "campaign", "donation", "playlist", "document", "workspace", "project", "task",
]
FIELDS = ["title", "notes", "status", "region", "currency", "label", "owner", "channel", "locale", "source"]
COUNTERS = ["views", "attempts", "stock", "points", "retries", "likes", "edits", "reminders"]
KEY_MODULES = 12  # the depth of the shared key-helper chains
KEY_WIDTH = 16  # parallel chains (functions per keys module)
IO_MODULES = 2  # the depth of the DynamoDB helper chains
DOMAINS = 80  # domains per copy by default: about 34k lines, 4,600 functions
CLUSTER = 6  # a service calls the services after it in its cluster of this many domains


def fill(template: str, **values: object) -> str:
    """``@name@`` placeholders (braces stay free for the generated code's dicts and f-strings)."""
    for name, value in values.items():
        template = template.replace(f"@{name}@", str(value))
    left = re.search(r"@\w+@", template)
    if left:
        raise ValueError(f"unfilled placeholder {left.group()} in template")
    return template


# ------------------------------------------------------------------------------------------
# core: shared by every domain of one copy
# ------------------------------------------------------------------------------------------

CONFIG = '''\
"""Settings read once from the environment."""
import os

REGION = os.environ.get("AWS_REGION", "eu-west-1")
STAGE = os.environ.get("STAGE", "dev")
PREFIX = os.environ.get("TABLE_PREFIX", "app")


def table_name(logical):
    """The physical table name of a logical one."""
    return f"{PREFIX}-{STAGE}-{logical}"


def flag(name, default=False):
    value = os.environ.get(f"FLAG_{name.upper()}")
    if value is None:
        return default
    return value.lower() in ("1", "true", "yes")
'''

DB = '''\
"""Module-level factories: one boto3 resource per process, tables built from it."""
import functools

import boto3

from . import config


@functools.lru_cache(maxsize=1)
def resource():
    return boto3.resource("dynamodb", region_name=config.REGION)


def make_table(logical):
    return resource().Table(config.table_name(logical))


def make_client():
    return boto3.client("dynamodb", region_name=config.REGION)


AUDIT = make_table("audit")
'''

DECORATORS = '''\
"""Decorators used by services and handlers."""
import functools
import logging
import time

LOG = logging.getLogger(__name__)


def traced(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        LOG.debug("enter %s", fn.__qualname__)
        try:
            return fn(*args, **kwargs)
        finally:
            LOG.debug("leave %s", fn.__qualname__)
    return wrapper


def retry(times=3, delay=0.05):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(times - 1):
                try:
                    return fn(*args, **kwargs)
                except ConnectionError:
                    time.sleep(delay * (attempt + 1))
            return fn(*args, **kwargs)
        return wrapper
    return decorate


def timed(metric):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                LOG.info("%s took %.3f s", metric, time.perf_counter() - started)
        return wrapper
    return decorate


def validated(*fields):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(event, context):
            body = event.get("body") or {}
            missing = [name for name in fields if name not in body]
            if missing:
                return {"statusCode": 400, "body": f"missing {', '.join(missing)}"}
            return fn(event, context)
        return wrapper
    return decorate
'''

KEY_FUNCTION = '''

def part_@m@_@j@(value, salt):
    """Step @m@ of key chain @j@."""
    text = str(value).strip().lower()
    if not text:
        raise ValueError("empty key part")
    mixed = @mix@
    return @next@
'''

MIXES = ['f"{salt}:{text}"', 'text.replace(" ", "-") + "#" + salt', '"/".join((salt, text))',
         'f"{text}.{len(salt)}"', 'salt[:3] + "_" + text', 'text + "@" + salt.upper()']

IO_TEMPLATES = {
    "load": ('''

def @name@(table, key):
    """Read one item (step @m@ of the read chain)."""
    if not key:
        raise ValueError("no key")
    return @next@
''', '''

def @name@(table, key):
    """Read one item, strongly consistent."""
    response = table.get_item(Key=key, ConsistentRead=True)
    return response.get("Item")
'''),
    "save": ('''

def @name@(table, item):
    """Write one item (step @m@ of the write chain)."""
    item = dict(item)
    return @next@
''', '''

def @name@(table, item):
    """Write one item, unconditionally."""
    table.put_item(Item=item)
    return item
'''),
    "save_if_version": ('''

def @name@(table, item, version):
    """Write one item if its version is still ``version`` (step @m@)."""
    return @next@
''', '''

def @name@(table, item, version):
    """Write one item only if nobody wrote it since ``version`` was read."""
    table.put_item(
        Item=item,
        ConditionExpression="attribute_not_exists(pk) OR #v = :v",
        ExpressionAttributeNames={"#v": "version"},
        ExpressionAttributeValues={":v": version},
    )
    return item
'''),
    "add_to": ('''

def @name@(table, key, field, amount):
    """Add to a counter (step @m@)."""
    return @next@
''', '''

def @name@(table, key, field, amount):
    """Add to a counter atomically."""
    table.update_item(
        Key=key,
        UpdateExpression="ADD #f :n",
        ExpressionAttributeNames={"#f": field},
        ExpressionAttributeValues={":n": amount},
    )
'''),
    "set_fields": ('''

def @name@(table, key, fields):
    """Set fields of an item (step @m@)."""
    return @next@
''', '''

def @name@(table, key, fields):
    """Set fields of an item, unconditionally."""
    names = {f"#f{index}": name for index, name in enumerate(fields)}
    values = {f":v{index}": value for index, value in enumerate(fields.values())}
    assignments = ", ".join(f"#f{index} = :v{index}" for index in range(len(fields)))
    table.update_item(
        Key=key,
        UpdateExpression="SET " + assignments,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
'''),
}
IO_ARGS = {"load": "table, key", "save": "table, item", "save_if_version": "table, item, version",
           "add_to": "table, key, field, amount", "set_fields": "table, key, fields"}

BASE = '''\
"""Base classes: repositories over one table, services over one repository."""
from . import db, io_00, keys_00


class BaseRepo:
    kind = "item"

    def __init__(self, table, kind=None):
        self.table = table
        if kind is not None:
            self.kind = kind

    def key(self, ident):
        return {"pk": keys_00.part_00_0(ident, self.kind), "sk": "META"}

    def get(self, ident):
        return io_00.load(self.table, self.key(ident))

    def put(self, item):
        return io_00.save(self.table, item)

    def exists(self, ident):
        return self.get(ident) is not None

    def bump(self, ident, field):
        item = self.get(ident) or {**self.key(ident), field: 0}
        item[field] = item.get(field, 0) + 1
        return self.put(item)

    def add(self, ident, field, amount=1):
        io_00.add_to(self.table, self.key(ident), field, amount)

    def patch(self, ident, fields):
        io_00.set_fields(self.table, self.key(ident), fields)


class BaseService:
    name = "base"

    def __init__(self, repo):
        self.repo = repo

    def load(self, ident):
        item = self.repo.get(ident)
        if item is None:
            raise KeyError(ident)
        return item

    def apply(self, item, change):
        item = dict(item)
        item.update(change)
        return item

    def change(self, ident, change):
        item = self.load(ident)
        updated = self.apply(item, change)
        self.repo.put(updated)
        self.audit(ident, "change")
        return updated

    def count(self, ident, field):
        self.repo.add(ident, field)

    def audit(self, ident, what):
        db.AUDIT.put_item(Item={"pk": f"{self.name}#{ident}", "sk": what})
'''


def core_files(rng: random.Random) -> dict[str, str]:
    files = {"__init__.py": '"""A generated connected code base (bench/gen_connected.py)."""\n',
             "core/__init__.py": "", "core/config.py": CONFIG, "core/db.py": DB,
             "core/decorators.py": DECORATORS, "core/base.py": BASE}
    for m in range(KEY_MODULES):
        last = m == KEY_MODULES - 1
        parts = [f'"""Key helpers, step {m} of {KEY_MODULES}."""\n']
        if not last:
            parts.append(f"from . import keys_{m + 1:02d}\n")
        for j in range(KEY_WIDTH):
            nxt = ("mixed" if last else f"keys_{m + 1:02d}.part_{m + 1:02d}_{j}(mixed, salt)")
            parts.append(fill(KEY_FUNCTION, m=f"{m:02d}", j=j, mix=rng.choice(MIXES), next=nxt))
        files[f"core/keys_{m:02d}.py"] = "".join(parts)
    for m in range(IO_MODULES):
        last = m == IO_MODULES - 1
        parts = [f'"""DynamoDB helpers, step {m} of {IO_MODULES}."""\n']
        if not last:
            parts.append(f"from . import io_{m + 1:02d}\n")
        for name, (middle, end) in IO_TEMPLATES.items():
            if last:
                parts.append(fill(end, name=name))
            else:
                parts.append(fill(middle, name=name, m=m, next=f"io_{m + 1:02d}.{name}({IO_ARGS[name]})"))
        files[f"core/io_{m:02d}.py"] = "".join(parts)
    return files


# ------------------------------------------------------------------------------------------
# one domain
# ------------------------------------------------------------------------------------------

MODEL_HEAD = '''\
"""The @entity@ record and its validators."""
from ..core import keys_00


class @Entity@:
    fields = (@field_tuple@)

    def __init__(self, ident, **values):
        self.ident = ident
        self.values = {name: values.get(name) for name in self.fields}

    @classmethod
    def from_item(cls, item):
        return cls(item["ident"], **{name: item.get(name) for name in cls.fields})

    def to_item(self):
        return {"ident": self.ident, **{k: v for k, v in self.values.items() if v is not None}}

    def merged(self, change):
        values = dict(self.values)
        values.update({k: v for k, v in change.items() if k in self.fields})
        return type(self)(self.ident, **values)
'''

MODEL_TAIL = '''

def describe(record):
    shown = ", ".join(f"{k}={v}" for k, v in sorted(record.values.items()) if v is not None)
    return f"@entity@ {record.ident}: {shown}"


def differences(old, new):
    changed = {}
    for name in @Entity@.fields:
        if old.values.get(name) != new.values.get(name):
            changed[name] = (old.values.get(name), new.values.get(name))
    return changed
'''

VALIDATOR = '''

def validate_@field@(value):
    if value is None:
        return None
    text = keys_00.part_00_@j@(value, "@field@")
    if len(text) > 200:
        raise ValueError("@field@ too long")
    return text
'''

REPO = '''\
"""The @entity@ repository: overrides of BaseRepo, a factory and module-level instances."""
from ..core import db, io_00, keys_00
from ..core.base import BaseRepo


class @Entity@Repo(BaseRepo):
    kind = "@entity@"

    def key(self, ident):
        return {"pk": keys_00.part_00_@j@(ident, self.kind), "sk": "@ENTITY@"}

@put@
    def find_many(self, idents):
        found = []
        for ident in idents:
            item = self.get(ident)
            if item is not None:
                found.append(item)
        return found


class Archived@Entity@Repo(@Entity@Repo):
    def key(self, ident):
        return {"pk": keys_00.part_00_@j2@(ident, self.kind), "sk": "ARCHIVE"}

    def get(self, ident):
        item = super().get(ident)
        if item is not None and item.get("purged"):
            return None
        return item


def make_repo(archived=False):
    cls = Archived@Entity@Repo if archived else @Entity@Repo
    return cls(db.make_table("@entity@"), "@entity@")


REPO = make_repo()
ARCHIVE = make_repo(archived=True)
'''

PUT_GUARDED = '''\
    def put(self, item):
        version = item.get("version", 0)
        item = {**item, "version": version + 1}
        return io_00.save_if_version(self.table, item, version)
'''
PUT_PLAIN = '''\
    def put(self, item):
        item = {**item, "kind": self.kind}
        return super().put(item)
'''

SERVICE_HEAD = '''\
"""The @entity@ service: overrides BaseService.apply, calls the next services of its cluster."""
from ..core.base import BaseService
from ..core.decorators import timed, traced
from . import model, repo
@imports@

class @Entity@Service(BaseService):
    name = "@entity@"

    def apply(self, item, change):
        record = model.@Entity@.from_item(item).merged(change)
        return super().apply(item, record.to_item())

    @traced
    def rename(self, ident, title):
        return self.change(ident, {"title": model.validate_@f0@(title)})

    @timed("@entity@.set_@f1@")
    def set_@f1@(self, ident, value):
        item = self.load(ident)
        item["@f1@"] = model.validate_@f1@(value)
        self.repo.put(item)
        return item

    def record_@c0@(self, ident):
        self.repo.bump(ident, "@c0@")

    def add_@c1@(self, ident, amount):
        self.repo.add(ident, "@c1@", amount)

    def patch_@f2@(self, ident, value):
        item = self.load(ident)
        self.repo.patch(ident, {"@f2@": value, "previous": item.get("@f2@")})

    def close(self, ident, reason):
        item = self.load(ident)
        if item.get("status") == "CLOSED":
            return item
        return self.change(ident, {"status": "CLOSED", "notes": reason})

    def archive(self, ident):
        item = self.load(ident)
        repo.ARCHIVE.put({**item, "archived": True})
        self.repo.patch(ident, {"status": "ARCHIVED"})
        return item

    def transfer_@c1@(self, source, target, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.repo.add(source, "@c1@", -amount)
        self.repo.add(target, "@c1@", amount)

    def summary(self, ident):
        record = model.@Entity@.from_item(self.load(ident))
        return model.describe(record)
'''

SERVICE_CALL = '''
    @traced
    def sync_from_@other@(self, ident):
        other = @other@_service.@instance@.load(ident)
        @other@_service.@instance@.record_@oc@(ident)
        return self.change(ident, {"@f@": other.get("@f@")})
'''

SERVICE_TAIL = '''

def service_for(archived=False):
    return @Entity@Service(repo.ARCHIVE if archived else repo.REPO)


SERVICE = service_for()
ARCHIVE_SERVICE = service_for(archived=True)
'''

HANDLERS_HEAD = '''\
"""Lambda handlers of the @entity@ API."""
import json

from ..core.decorators import retry, traced, validated
from .service import ARCHIVE_SERVICE, SERVICE, service_for


def _ident(event):
    return event["pathParameters"]["id"]


def _reply(status, body):
    return {"statusCode": status, "body": json.dumps(body, default=str)}
'''

HANDLER = '''

@traced
@retry(@times@)
def @name@(event, context):
    ident = _ident(event)
    result = @call@
    return _reply(200, result)
'''

HANDLER_VALIDATED = '''

@validated("title")
def create_title(event, context):
    ident = _ident(event)
    return _reply(200, SERVICE.rename(ident, event["body"]["title"]))
'''

JOBS_HEAD = '''\
"""Batch jobs over @entity@ records."""
from ..core import db, keys_00
from . import repo
from .service import SERVICE
'''

JOB = '''

def @name@(idents):
    done = 0
    for ident in idents:
        key = keys_00.part_00_@j@(ident, "@name@")
        @body@
        done += 1
    return done
'''
JOB_DIRECT = '''

def recount_@c@(ident):
    """Recount one item in place: a read-then-write of its own (@guard_doc@)."""
    table = db.make_table("@entity@")
    key = repo.REPO.key(ident)
    item = table.get_item(Key=key).get("Item") or {**key, "@c@": 0}
    item["@c@"] = item.get("@c@", 0) + 1
    table.put_item(Item=item@guard@)
    return item
'''
GUARD = (',\n                   ConditionExpression="attribute_not_exists(pk) OR #c = :c",'
         '\n                   ExpressionAttributeNames={"#c": "@c@"},'
         '\n                   ExpressionAttributeValues={":c": item["@c@"] - 1}')

JOB_BODIES = ['SERVICE.record_@c@(key)', 'SERVICE.close(key, "expired")', 'SERVICE.archive(key)', 'SERVICE.add_@c1@(key, 1)', 'repo.REPO.bump(key, "@c@")', 'repo.make_repo().bump(key, "@c@")',
              'SERVICE.rename(key, key.upper())', 'repo.ARCHIVE.get(key)', 'SERVICE.patch_@f2@(key, None)']


def domain_files(index: int, names: list[str], seed: int) -> dict[str, str]:
    """The five modules of domain ``index`` (its package is ``names[index]``)."""
    rng = random.Random(f"connected:{seed}:{index}")
    package = names[index]
    entity = package.split("_", 1)[1]
    cap = entity.capitalize()
    fields = ["title"] + rng.sample([f for f in FIELDS if f != "title"], 5)
    counters = rng.sample(COUNTERS, 2)
    j, j2 = rng.randrange(KEY_WIDTH), rng.randrange(KEY_WIDTH)
    common = {"entity": entity, "Entity": cap, "ENTITY": entity.upper(), "j": j, "j2": j2,
              "f0": fields[0], "f1": fields[1], "f2": fields[2], "c0": counters[0], "c1": counters[1]}

    model = [fill(MODEL_HEAD, field_tuple=", ".join(f'"{f}"' for f in fields) + ",", **common)]
    for field in fields:
        model.append(fill(VALIDATOR, field=field, j=rng.randrange(KEY_WIDTH)))
    model.append(fill(MODEL_TAIL, **common))

    guarded = rng.random() < 0.5
    repo = fill(REPO, put=PUT_GUARDED if guarded else PUT_PLAIN, **common)

    cluster_start = index - index % CLUSTER
    later = [n for n in range(index + 1, min(cluster_start + CLUSTER, len(names)))]
    others = rng.sample(later, min(len(later), 3))
    imports = "".join(f"from ..{names[o]} import service as {names[o].split('_', 1)[1]}_service\n"
                      for o in sorted(others))
    service = [fill(SERVICE_HEAD, imports=imports, **common)]
    for o in sorted(others):
        other_rng = random.Random(f"connected:{seed}:{o}")
        other_rng.sample([f for f in FIELDS if f != "title"], 5)
        other_counter = other_rng.sample(COUNTERS, 2)[0]
        instance = rng.choice(["SERVICE", "service_for()"])
        service.append(fill(SERVICE_CALL, other=names[o].split("_", 1)[1], oc=other_counter, instance=instance,
                            f=rng.choice(fields)))
    service.append(fill(SERVICE_TAIL, **common))

    calls = [("get_one", "SERVICE.load(ident)"), ("rename", 'SERVICE.rename(ident, event["body"]["title"])'),
             (f"set_{fields[1]}", f'SERVICE.set_{fields[1]}(ident, event["body"].get("value"))'),
             (f"record_{counters[0]}", f"SERVICE.record_{counters[0]}(ident)"),
             (f"add_{counters[1]}", f'SERVICE.add_{counters[1]}(ident, int(event["body"]["n"]))'),
             ("get_archived", "ARCHIVE_SERVICE.load(ident)"),
             ("restore", 'SERVICE.change(ident, ARCHIVE_SERVICE.load(ident))'),
             ("close", 'SERVICE.close(ident, event["body"].get("reason"))'),
             ("archive", "SERVICE.archive(ident)"), ("summary", "SERVICE.summary(ident)"),
             (f"transfer_{counters[1]}",
              f'SERVICE.transfer_{counters[1]}(ident, event["body"]["to"], int(event["body"]["n"]))')]
    calls += [(f"sync_{names[o].split('_', 1)[1]}", f"SERVICE.sync_from_{names[o].split('_', 1)[1]}(ident)")
              for o in sorted(others)]
    handlers = [fill(HANDLERS_HEAD, **common)]
    for name, call in calls:
        if rng.random() < 0.5:  # the module-level instance, or one built by the factory per call
            call = call.replace("ARCHIVE_SERVICE.", "service_for(archived=True).").replace(
                "SERVICE.", "service_for().")
        handlers.append(fill(HANDLER, name=name, call=call, times=rng.randint(2, 5)))
    handlers.append(HANDLER_VALIDATED)

    jobs = [fill(JOBS_HEAD, **common)]
    direct_guarded = rng.random() < 0.5
    jobs.append(fill(JOB_DIRECT, guard=fill(GUARD, c=counters[0]) if direct_guarded else "",
                     guard_doc="guarded by a condition" if direct_guarded else "racy", c=counters[0], **common))
    for number in range(rng.randint(6, 9)):
        body = fill(rng.choice(JOB_BODIES), c=counters[0], c1=counters[1], f2=fields[2])
        jobs.append(fill(JOB, name=f"job_{number}", j=rng.randrange(KEY_WIDTH), body=body))

    return {f"{package}/__init__.py": "", f"{package}/model.py": "".join(model),
            f"{package}/repo.py": repo, f"{package}/service.py": "".join(service),
            f"{package}/handlers.py": "".join(handlers), f"{package}/jobs.py": "".join(jobs)}


def domain_names(domains: int) -> list[str]:
    return [f"d{index:03d}_{ENTITIES[index % len(ENTITIES)]}" for index in range(domains)]


def build(domains: int = DOMAINS, copies: int = 1, seed: int = 0) -> dict[str, str]:
    """{relative path: source} of the whole corpus: ``copies`` identical code bases (``app00``,
    ``app01``, ...), each of the core and ``domains`` domains."""
    if not 1 <= domains <= 1000:
        raise ValueError("domains must be 1..1000 (three-digit package names)")
    one: dict[str, str] = core_files(random.Random(f"connected:{seed}:core"))
    names = domain_names(domains)
    for index in range(domains):
        one.update(domain_files(index, names, seed))
    files: dict[str, str] = {}
    for copy in range(copies):
        for rel, text in one.items():
            files[f"app{copy:02d}/{rel}"] = text
    files["pyproject.toml"] = '[project]\nname = "connected"\nversion = "0.1.0"\n'
    return files


def write(out: Path, files: dict[str, str]) -> None:
    if out.exists():
        shutil.rmtree(out)
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def stats(files: dict[str, str]) -> dict[str, int]:
    """Files, lines, functions (defs) and classes of the Python files."""
    python = {rel: text for rel, text in files.items() if rel.endswith(".py")}
    functions = classes = 0
    for text in python.values():
        for node in ast.walk(ast.parse(text)):
            functions += isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            classes += isinstance(node, ast.ClassDef)
    return {"files": len(python), "lines": sum(t.count("\n") for t in python.values()),
            "functions": functions, "classes": classes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--domains", type=int, default=DOMAINS, help=f"domains per copy (default {DOMAINS})")
    parser.add_argument("--copies", type=int, default=1, help="copies of the code base (default 1)")
    parser.add_argument("--double", action="store_true", help="two copies (= --copies 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = build(args.domains, 2 if args.double else args.copies, args.seed)
    write(args.out, files)
    s = stats(files)
    print(f"{args.out}: {s['files']} modules, {s['lines']} lines, {s['functions']} functions, "
          f"{s['classes']} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
