"""Records: an item loaded into a dataclass, attrs class, namedtuple or pydantic model, and
the object turned back into a dict to write, is the item read (model/records.py)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEADER = '''import uuid
import dataclasses
from collections import namedtuple
from dataclasses import asdict, dataclass

import attrs
import boto3
import dacite
from pydantic import BaseModel

t = boto3.resource("dynamodb").Table("n")


class Order(BaseModel):
    pk: str
    status: str
    views: int = 0


@dataclass
class Ticket:
    pk: str
    status: str
    views: int = 0


@attrs.define
class Note:
    pk: str
    status: str


Row = namedtuple("Row", "pk status")


def read(k):
    return t.get_item(Key={"pk": k})["Item"]


def store(pk, status, views=0):
    t.put_item(Item={"pk": pk, "status": status, "views": views})


'''

ROUND_TRIPS = {
    "pydantic init, model_dump": 'o = Order(**read(k))\n    o.status = "PAID"\n    t.put_item(Item=o.model_dump())',
    "pydantic model_validate, dict()": 'o = Order.model_validate(read(k))\n    t.put_item(Item=o.dict())',
    "pydantic parse_obj": 'o = Order.parse_obj(read(k))\n    t.put_item(Item=o.model_dump())',
    "dataclass init, asdict": 't.put_item(Item=asdict(Ticket(**read(k))))',
    "dataclasses.asdict by module": 'x = Ticket(**read(k))\n    x.status = "DONE"\n    t.put_item(Item=dataclasses.asdict(x))',
    "dacite.from_dict": 'x = dacite.from_dict(data_class=Ticket, data=read(k))\n    t.put_item(Item=asdict(x))',
    "attrs": 'x = Note(**read(k))\n    t.put_item(Item=attrs.asdict(x))',
    "namedtuple _asdict": 'x = Row(**read(k))\n    t.put_item(Item=x._asdict())',
    "spread into a function's parameters": 'store(**read(k))',
    "vars of a record": 'x = Ticket(**read(k))\n    t.put_item(Item=vars(x))',
    "dataclasses.replace of another field": 'x = dataclasses.replace(Ticket(**read(k)), status="X")\n    t.put_item(Item=asdict(x))',
    "namedtuple _replace": 'x = Row(**read(k))._replace(status="X")\n    t.put_item(Item=x._asdict())',
    "pydantic model_copy(update=)": 'o = Order(**read(k)).model_copy(update={"status": "X"})\n'
                                    '    t.put_item(Item=o.model_dump())',
    "dataclass of the entries under the fields' names": 'i = read(k)\n'
        '    x = Ticket(**{f.name: i[f.name] for f in dataclasses.fields(Ticket) if f.name in i})\n'
        '    t.put_item(Item=asdict(x))',
}

COUNTERS = {
    "pydantic field incremented": 'o = Order(**read(k))\n    o.views = o.views + 1\n    t.put_item(Item=o.model_dump())',
    "dataclass field incremented": 'x = Ticket(**read(k))\n    x.views += 1\n    t.put_item(Item=asdict(x))',
}

NOT_THE_ITEM = {
    "a record of the request": 'o = Order(pk=k, status="NEW")\n    t.put_item(Item=o.model_dump())',
    "a copy under a fresh key": 'x = Ticket(**read(k))\n    t.put_item(Item={**asdict(x), "pk": str(uuid.uuid4())})',
    "dataclasses.replace of the key": 'x = dataclasses.replace(Ticket(**read(k)), pk=str(uuid.uuid4()))\n'
                                      '    t.put_item(Item=asdict(x))',
    "model_copy with a fresh key": 'o = Order(**read(k)).model_copy(update={"pk": str(uuid.uuid4())})\n'
                                   '    t.put_item(Item=o.model_dump())',
    "a fresh key given to the record": 'o = Order(**{**read(k), "pk": str(uuid.uuid4())})\n    t.put_item(Item=o.model_dump())',
}


def kinds(body: str, extra: str = "") -> list[str]:
    return list(race_kinds(model_of({"r.py": HEADER + extra + "def f(k):\n    " + body + "\n"})).values())


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_a_record_made_from_the_item_and_written_back_is_the_item(name: str) -> None:
    assert kinds(ROUND_TRIPS[name]) == ["overwrite"]


@pytest.mark.parametrize("name", sorted(COUNTERS))
def test_arithmetic_on_a_field_is_a_counter(name: str) -> None:
    assert kinds(COUNTERS[name]) == ["counter"]


@pytest.mark.parametrize("name", sorted(NOT_THE_ITEM))
def test_a_record_of_another_item_is_not(name: str) -> None:
    assert kinds(NOT_THE_ITEM[name]) == []


def test_a_method_the_class_defines_is_the_project_code_not_the_library_row() -> None:
    """``model_dump`` overridden to write a fresh key: the class's own method runs."""
    extra = '''class Draft(BaseModel):
    pk: str
    status: str

    def model_dump(self):
        return {"pk": str(uuid.uuid4()), "status": self.status}


'''
    assert kinds('d = Draft(**read(k))\n    t.put_item(Item=d.model_dump())', extra) == []
    assert kinds('d = Draft(**read(k))\n    t.put_item(Item={"pk": d.pk, "status": "X"})', extra) == ["overwrite"]


def test_a_record_made_at_import_keeps_its_literal_defaults() -> None:
    """``CFG = KeyNames()`` while the module body runs: the record's fields are its defaults
    (a literal default is that literal), so ``Key={CFG.partition: k}`` names the attribute."""
    source = '''from typing import NamedTuple
import boto3

t = boto3.resource("dynamodb").Table("n")


class KeyNames(NamedTuple):
    partition: str = "pk"


CFG = KeyNames()


def f(k):
    item = t.get_item(Key={CFG.partition: k})["Item"]
    t.put_item(Item={"pk": k, "v": item["v"] + 1})
'''
    assert list(race_kinds(model_of({"c.py": source})).values()) == ["counter"]


def test_a_field_a_helper_makes_has_what_its_factory_gives() -> None:
    """``fn: str = _env("WORKER")`` where ``_env`` returns ``field(default_factory=lambda:
    os.environ.get(name, default))``: the record's field is that environment variable."""
    from dynolint.model.values import EnvV, alts, const_str

    source = '''import os
from dataclasses import dataclass, field

import boto3


def _env(name, default=None):
    return field(default_factory=lambda: os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    worker: str = _env("WORKER_FN")
    region: str = _env("REGION", "eu-west-1")
    retries: int = 3


settings = Settings()
lam = boto3.client("lambda")


def f(event, context):
    lam.invoke(FunctionName=settings.worker, Payload=b"{}")
    lam.invoke(FunctionName=settings.region, Payload=b"{}")
    lam.invoke(FunctionName=settings.retries, Payload=b"{}")
'''
    invokes = sorted(model_of({"s.py": source}).interp.invokes, key=lambda i: i.loc)
    named = [{(const_str(a.name), const_str(a.default)) for a in alts(i.function) if isinstance(a, EnvV)}
             for i in invokes]
    assert named[:3] == [{("WORKER_FN", None)}, {("REGION", "eu-west-1")}, set()]
