"""Values through project code (issue 14, class 4): handles handed down helper chains to any
depth, tables built by a factory while its module body is still running, handles cached
lazily in a module global or on a class."""

from __future__ import annotations

import pytest

from dynolint.config import Config
from dynolint.model.values import TableV, alts
from dynolint.engine.pipeline import select_files
from dynolint.phase1.reach import helper_chains
from tests.modelkit import model_of, race_kinds

_COUNTER = ('    item = {table}.get_item(Key={{"pk": k}})["Item"]\n'
            '    item["n"] = item["n"] + 1\n'
            '    {table}.put_item(Item=item)\n')


# -- phase 1: which helper modules are parsed ----------------------------------------------------
def test_every_module_of_a_pass_through_chain_is_parsed_and_unrelated_ones_are_not() -> None:
    sources = {
        "handler.py": b"import boto3\nimport mid\nT = boto3.resource('dynamodb').Table('t')\n"
                      b"def h(e, c):\n    mid.save(T, mid.load(T, {'pk': 1}))\n",
        "mid.py": b"import deeper\ndef load(t, k):\n    return deeper.load(t, k)\n"
                  b"def save(t, i):\n    return deeper.save(t, i)\n",
        "deeper.py": b"import low\ndef load(t, k):\n    return low.load(t, k)\ndef save(t, i):\n    return low.save(t, i)\n",
        "low.py": b"import text\ndef load(t, k):\n    return t.get_item(Key=k)['Item']\n"
                  b"def save(t, i):\n    t.put_item(Item=i)\n",
        "text.py": b"def upper(s):\n    return s.upper()\n",  # imported by low.py, has no item operation
        "unrelated.py": b"import text\ndef f(s):\n    return text.upper(s)\n",  # imported by nobody
        # calls named like item operations, but not in boto3's spelling (Key=, Item=): not DynamoDB
        "other.py": b"def get_item(x):\n    return x.get_item(1)\n",
    }
    selection = select_files(sources, Config())
    assert {"handler.py", "mid.py", "deeper.py", "low.py"} <= selection.parse
    assert "unrelated.py" not in selection.parse and "other.py" not in selection.parse
    # low.py uses the tables it is given in boto3's spelling: a root of its own (its callers may be
    # outside the project: model/roots.py types such parameters by that use), so its importers are
    # roots and what it imports is parsed
    assert selection.roots is not None and {"low.py", "mid.py", "deeper.py"} <= selection.roots
    assert "text.py" in selection.parse


def test_helper_chains_keeps_only_the_modules_on_a_shortest_path_to_item_operations() -> None:
    imports = {"root": {"a", "side"}, "a": {"b", "x"}, "b": {"ops"}, "side": {"leaf"}, "ops": {"root"},
               "x": {"y"}, "y": {"b"}}  # x -> y -> b is a detour back into the chain
    found = helper_chains(["root"], lambda p: imports.get(p, set()), lambda p: p == "ops")
    # not the root, not the branch without item operations, not the detour
    assert found == {"a", "b", "ops"}


# -- phase 2: values -----------------------------------------------------------------------------
def test_a_factory_called_while_its_module_body_runs_sees_the_globals_bound_so_far() -> None:
    source = ('import boto3\n'
              'def make_table(name):\n    return boto3.resource("dynamodb").Table(name)\n'
              'if True:\n    T = make_table("x")\n'
              'def h(k):\n' + _COUNTER.format(table="T"))
    model = model_of({"db.py": source})
    assert any(isinstance(a, TableV) for a in alts(model.interp.module_envs["db.py"]["T"]))
    assert race_kinds(model) == {9: "counter"}


def test_a_name_bound_after_the_call_is_not_seen_by_it() -> None:
    """Python's partly initialised module: the factory runs before ``boto3`` is imported."""
    source = ('def make_table(name):\n    return boto3.resource("dynamodb").Table(name)\n'
              'T = make_table("x")\n'
              'import boto3\n'
              'def h(k):\n' + _COUNTER.format(table="T"))
    model = model_of({"db.py": source})
    assert not any(isinstance(a, TableV) for a in alts(model.interp.module_envs["db.py"]["T"]))


def test_a_resource_cached_lazily_in_a_module_global_is_a_factory_at_import_and_per_call() -> None:
    db = ('import boto3\n_R = None\n'
          'def res():\n    global _R\n    if _R is None:\n        _R = boto3.resource("dynamodb")\n    return _R\n'
          'AUDIT = res().Table("audit")\n')
    handler = ('import db\n'
               'def a(k):\n' + _COUNTER.format(table="db.AUDIT")
               + 'def b(k):\n    t = db.res().Table("x")\n' + _COUNTER.format(table="t"))
    model = model_of({"db.py": db, "handler.py": handler})
    assert race_kinds(model) == {5: "counter", 10: "counter"}


def test_a_client_cached_on_the_class_by_a_classmethod_is_seen_by_later_calls() -> None:
    db = ('import boto3\nclass Db:\n    _res = None\n    @classmethod\n    def res(cls):\n'
          '        if cls._res is None:\n            cls._res = boto3.resource("dynamodb")\n'
          '        return cls._res\n')
    handler = 'from db import Db\ndef h(k):\n    t = Db.res().Table("x")\n' + _COUNTER.format(table="t")
    model = model_of({"db.py": db, "handler.py": handler})
    assert race_kinds(model) == {6: "counter"}
