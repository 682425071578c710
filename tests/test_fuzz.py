"""Fuzzing the checker and the fixer.

1. Arbitrary Python (hypothesmith, from the grammar and from LibCST nodes), prefixed with a
   line that makes a DynamoDB handle so that the byte prefilter does not skip the file, and
   sometimes broken by a random edit: ``check_source`` never raises, reports no internal
   error, does not hang, and reports DYN000 exactly when CPython's ``compile()`` rejects the
   file.
2. DynamoDB-shaped programs built here (reads, writes, conditions, ifs, loops, helper
   calls, awaits): no internal error, no DYN000, and the fixes of the findings give code
   that compiles and that a second round of fixing leaves unchanged.

``make fuzz`` runs these with many more examples (tests/fuzzkit.py)."""

from __future__ import annotations

import ast
import time
import warnings

import hypothesmith
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from dynolint.api import Options, RunResult, check_source
from dynolint.config import Config, TableFacts
from dynolint.fixes import fix_source
from tests.fuzzkit import COUNTS, PROFILE, _report_counts, time_limit  # noqa: F401 - fixture

# hypothesmith compiles what it generates: "SyntaxWarning: 'int' object is not callable"...
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

PREFIX = 'import boto3\ntable = boto3.resource("dynamodb").Table("t")\n'
OPTIONS = Options(use_cache=False)


def check(data: bytes, path: str = "handler.py", config: Config | None = None, in_hypothesis: bool = True) -> RunResult:
    with time_limit():
        started = time.monotonic()
        result = check_source(data, path, config=config, options=OPTIONS)
        if in_hypothesis:
            note(f"checked in {time.monotonic() - started:.2f} s")
    return result


def cpython_rejects(data: bytes) -> bool:
    """The oracle for DYN000. CPython 3.11 does not decode comments, so it accepts a file
    whose comments are not UTF-8; the language (PEP 3120) and dynolint do not: a file that is
    not UTF-8 counts as rejected."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning: "'int' object is not callable"...
            compile(data, "handler.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return True
    return False


# -- 1. arbitrary Python -------------------------------------------------------------------

# Edits that often break a program, and sometimes do not (a statement keyword at the wrong
# place, an unbalanced bracket, a stray indentation, a line break inside an expression).
BREAKERS = ["(", ")", "[", "]", ":", "\n", "    ", "\t", "=", "'", '"', "\\", "return ", "await ",
            "yield ", "nonlocal x\n", "global x\n", "break\n", "lambda: ", "*", "**", "@", ",",
            "async ", "def ", "class ", "from __future__ import annotations\n", "del ", "f'{", "}"]


@st.composite
def broken(draw: st.DrawFn, program: str) -> str:
    """``program`` with up to three random edits (inserting a breaker, deleting a character)."""
    text = program
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        if text and draw(st.booleans()):
            position = min(position, len(text) - 1)
            text = text[:position] + text[position + 1:]
        else:
            text = text[:position] + draw(st.sampled_from(BREAKERS)) + text[position:]
    return text


def programs(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return base.flatmap(lambda code: st.one_of(st.just(code), broken(code)))


def parser_rejects(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        ast.parse(data)
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return True
    return False


def assert_dyn000_iff_rejected(code: str) -> None:
    data = (PREFIX + code).encode("utf-8", "surrogatepass")
    rejects = cpython_rejects(data)
    result = check(data)
    COUNTS["hypothesmith programs"] += 1
    COUNTS["hypothesmith programs CPython rejects"] += rejects
    # errors CPython finds only after parsing ('return' outside function, a late __future__
    # import, nonlocal at module level...): DYN000 too
    COUNTS["hypothesmith programs with a compile-time-only error"] += rejects and not parser_rejects(data)
    assert result.errors == []
    syntax = [f for f in result.findings if f.code == "DYN000"]
    note(f"CPython rejects: {rejects}; DYN000: {[f.message for f in syntax]}")
    assert bool(syntax) == rejects
    if syntax:
        assert [f.code for f in result.findings] == ["DYN000"]  # nothing else on an unparsable file
        assert all(1 <= f.line <= (PREFIX + code).count("\n") + 2 for f in syntax)


@PROFILE
@given(programs(st.deferred(hypothesmith.from_grammar)))  # deferred: built by the worker that draws
def test_grammar_programs(code: str) -> None:
    assert_dyn000_iff_rejected(code)


@PROFILE
@given(programs(st.deferred(hypothesmith.from_node)))
def test_node_programs(code: str) -> None:
    assert_dyn000_iff_rejected(code)


# -- 2. DynamoDB-shaped programs ------------------------------------------------------------

HEADER = PREFIX + """import asyncio
import requests
from boto3.dynamodb.conditions import Attr, Key

client = boto3.client("dynamodb")
CACHE = {}


def make_key(event):
    return {"pk": event["id"], "sk": "META"}


class Repo:
    def __init__(self, handle):
        self.table = handle

    def load(self, key):
        return self.table.get_item(Key=key).get("Item")

    def save(self, item, guarded=False):
        if guarded:
            return self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        return self.table.put_item(Item=item)
"""

INIT = ['n = 0', 'body = ""', 'items = []', 'resp = {}', 'tenant = "none"']

READS = [
    'item = table.get_item(Key=key).get("Item") or {}',
    'item = table.get_item(Key=key, ConsistentRead=True)["Item"]',
    'resp = table.get_item(Key=key)',
    'item = resp.get("Item", {})',
    'items = table.query(KeyConditionExpression=Key("pk").eq(key["pk"]))["Items"]',
    'item = items[0] if items else {}',
    'item = client.get_item(TableName="t", Key={"pk": {"S": key["pk"]}}).get("Item", {})',
    'item = CACHE.get(key["pk"]) or {}',
    'item = Repo(table).load(key) or {}',
    'item = table.meta.client.get_item(TableName="t", Key=key).get("Item", {})',
    'items = client.execute_statement(Statement="SELECT * FROM t WHERE pk = ?", '
    'Parameters=[{"S": key["pk"]}])["Items"]',
    'items = table.scan()["Items"]',
    'items = [dict(i, n=i.get("n", 0) + 1) for i in items]',
]
WRITES = [
    'table.put_item(Item=item)',
    'table.put_item(Item={**key, "n": n})',
    'table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists())',
    'table.put_item(Item=item, ConditionExpression="attribute_exists(pk) AND n = :old", '
    'ExpressionAttributeValues={":old": n})',
    'table.update_item(Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": n})',
    'table.update_item(Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": item.get("n", 0) + 1})',
    'table.update_item(Key=key, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": 1})',
    'table.delete_item(Key=key)',
    'table.delete_item(Key=key, ConditionExpression="attribute_exists(pk)")',
    'client.put_item(TableName="t", Item={"pk": {"S": key["pk"]}, "n": {"N": str(n)}})',
    'CACHE[key["pk"]] = item',
    'Repo(table).save(item)',
    'Repo(table).save(item, guarded=True)',
    'table.meta.client.put_item(TableName="t", Item=item)',
    'client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": key["pk"]}}}}])',
    'client.execute_statement(Statement="UPDATE t SET n = ? WHERE pk = ?", '
    'Parameters=[{"N": str(n)}, {"S": key["pk"]}])',
    'table.put_item(Item={**item, "version": item.get("version", 0) + 1}, '
    'ConditionExpression=Attr("version").eq(item.get("version", 0)))',
]
COMPUTE = [
    'n = item.get("n", 0) + 1',
    'item["n"] = n',
    'item["n"] = item.get("n", 0) + 1',
    'item["version"] = item.get("version", 0) + 1',
    'n -= 1',
    'item = dict(item, seen=True)',
    'key = make_key(event)',
    'del item["n"]',
    'item.update(event.get("changes", {}))',
    'key = {"pk": f"{tenant}#{event.get(\'id\', \'x\')}"}',
    'tenant = event["requestContext"]["authorizer"]["tenant_id"]',
    'body = requests.get("https://example.com/" + key["pk"], timeout=5).text',
    'item["body"] = body',
    'pass',
]
CONDITIONS = ['item is None', 'not item', 'n > 3', 'item.get("owner") == event.get("user")', '"pk" in item',
              'items', 'body']

Lines = list[tuple[int, str]]  # (indent level, text)


@st.composite
def statements(draw: st.DrawFn, functions: list[tuple[str, bool]], me: int, depth: int) -> Lines:
    """A block of one to five statements of function ``me`` (``functions``: name, async)."""
    is_async = functions[me][1]
    out: Lines = []
    for _ in range(draw(st.integers(1, 5 if depth == 0 else 3))):
        kinds = ["read", "write", "compute", "call"] + (
            ["if", "for", "while", "try", "batch", "match", "walrus", "nested", "each"] if depth < 3 else [])
        if is_async:
            kinds.append("await")
        kind = draw(st.sampled_from(kinds))
        if kind == "read":
            out.append((0, draw(st.sampled_from(READS))))
        elif kind == "write":
            out.append((0, draw(st.sampled_from(WRITES))))
        elif kind == "compute":
            out.append((0, draw(st.sampled_from(COMPUTE))))
        elif kind == "await":
            out.append((0, "await asyncio.sleep(0)"))
        elif kind == "call":
            target = draw(st.integers(0, len(functions) - 1))
            name, callee_async = functions[target]
            call = f"{name}(event, key, item)"
            if callee_async:
                call = f"await {call}" if is_async else f"asyncio.run({call})"
            out.append((0, f"item = {call}" if draw(st.booleans()) else call))
        elif kind == "if":
            out.append((0, f"if {draw(st.sampled_from(CONDITIONS))}:"))
            out.extend((level + 1, text) for level, text in draw(statements(functions, me, depth + 1)))
            if draw(st.booleans()):
                out.append((1, "return item"))
            if draw(st.booleans()):
                out.append((0, "else:"))
                out.extend((level + 1, text) for level, text in draw(statements(functions, me, depth + 1)))
        elif kind == "for":
            out.append((0, "for attempt in range(3):"))
            out.extend((level + 1, text) for level, text in draw(statements(functions, me, depth + 1)))
            if draw(st.booleans()):
                out.append((1, "break"))
        elif kind == "while":
            out.append((0, f"while {draw(st.sampled_from(CONDITIONS))}:"))
            out.extend((level + 1, text) for level, text in draw(statements(functions, me, depth + 1)))
            out.append((1, "n += 1"))
        elif kind == "try":
            out.append((0, "try:"))
            out.extend((level + 1, text) for level, text in draw(statements(functions, me, depth + 1)))
            out.append((0, "except client.exceptions.ConditionalCheckFailedException:"))
            out.append((1, "return None"))
        elif kind == "match":
            out.append((0, 'match event.get("op"):'))
            out.append((1, 'case "put" | "add":'))
            out.extend((level + 2, text) for level, text in draw(statements(functions, me, depth + 1)))
            out.append((1, "case _:"))
            out.extend((level + 2, text) for level, text in draw(statements(functions, me, depth + 1)))
        elif kind == "walrus":
            out.append((0, 'if (found := table.get_item(Key=key).get("Item")) is not None:'))
            out.append((1, "item = found"))
            out.extend((level + 1, text) for level, text in draw(statements(functions, me, depth + 1)))
        elif kind == "nested":
            out.append((0, f"{'async ' if is_async else ''}def inner(key=key):"))
            out.extend((level + 1, text) for level, text in draw(statements(functions, me, depth + 1)))
            out.append((1, "return item"))
            out.append((0, f"item = {'(await inner())' if is_async else 'inner()'} or item"))
        elif kind == "each":
            out.append((0, "for it in items:"))
            out.append((1, draw(st.sampled_from(["table.put_item(Item=it)", "Repo(table).save(it)",
                                                 'table.delete_item(Key={"pk": it["pk"]})']))))
        elif kind == "batch":
            out.append((0, "with table.batch_writer() as batch:"))
            out.append((1, draw(st.sampled_from(["batch.put_item(Item=item)", "batch.delete_item(Key=key)"]))))
    return out


@st.composite
def dynamo_programs(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 3))
    functions = [(f"step{i}", draw(st.booleans())) for i in range(count)]
    lines = [HEADER]
    for me, (name, is_async) in enumerate(functions):
        lines.append(f"\n\n{'async ' if is_async else ''}def {name}(event, key, item):")
        body = [(0, text) for text in INIT] + draw(statements(functions, me, 0)) + [(0, "return item")]
        lines.extend("    " * (level + 1) + text for level, text in body)
    lines.append("\n\ndef handler(event, context):")
    lines.append('    key = {"pk": event["id"]}')
    lines.append('    item = {}')
    for name, is_async in functions[:draw(st.integers(1, count))]:
        call = f"{name}(event, key, item)"
        lines.append(f"    item = {f'asyncio.run({call})' if is_async else call}")
    lines.append("    return item\n")
    return "\n".join(lines)


# With a version attribute for the table, more findings have a fix (a version guard).
CONFIGS = [Config(), Config(tables=(("t", TableFacts("pk", None, "version")),))]


def fixed(data: bytes, config: Config) -> tuple[bytes, RunResult]:
    """The file after applying every fix the check offers (safe and unsafe, as
    ``dynolint fix --unsafe-fixes`` does)."""
    result = check(data, config=config)
    assert result.errors == []
    fixable = [f for f in result.findings if f.fix is not None]
    if not fixable:
        return data, result
    with time_limit():
        outcome = fix_source(data, fixable)
    return outcome.source, result


@PROFILE
@given(dynamo_programs(), st.sampled_from(CONFIGS))
def test_dynamo_programs_fix_round_trip(code: str, config: Config) -> None:
    data = code.encode()
    compile(data, "handler.py", "exec")  # the generator makes valid Python
    once, result = fixed(data, config)
    COUNTS["generated DynamoDB programs"] += 1
    COUNTS["generated DynamoDB programs with findings"] += bool(result.findings)
    COUNTS["generated DynamoDB programs changed by fixes"] += once != data
    assert not [f for f in result.findings if f.code == "DYN000"]
    for finding in result.findings:
        assert 1 <= finding.line <= finding.end_line <= code.count("\n") + 1
    compile(once, "handler.py", "exec")
    twice, again = fixed(once, config)
    assert not [f for f in again.findings if f.code == "DYN000"]
    note(twice.decode())
    assert twice == once, "a second round of fixes changed the fixed file"


def test_oracle_and_time_limit() -> None:
    """The helpers above do what the properties rely on."""
    assert cpython_rejects(b"x = (\n")
    assert cpython_rejects(b"def f():\n    pass\nreturn 1\n")  # a compile-time, not a parse, error
    assert cpython_rejects(b"# \xc2\x0e\nx = 1\n")  # not UTF-8 (CPython 3.11 would accept it)
    assert not cpython_rejects(b"x = 1\n")
    with pytest.raises(Exception, match="hangs"):
        with time_limit(1):
            time.sleep(3)


# Errors CPython's compiler reports after parsing (symbol table, code generation): ``ast.parse``
# and LibCST accept these files. Found by test_grammar_programs / test_node_programs ('return ',
# 'yield ', 'nonlocal x', a late 'from __future__ import annotations'), which dynolint analysed
# as valid files until DYN000 took CPython as its oracle.
COMPILE_TIME_ERRORS = [
    "return 1\n",
    "yield 1\n",
    "await x\n",
    "nonlocal x\n",
    "from __future__ import annotations\n",  # after the prefix: not at the beginning
    "break\n",
    "def f(a, a):\n    pass\n",
    "f(a=1, a=2)\n",
    "def f():\n    from os import *\n",
    "def f():\n    x = 1\n    global x\n",
]


@pytest.mark.parametrize("code", COMPILE_TIME_ERRORS)
def test_compile_time_errors_are_dyn000(code: str) -> None:
    data = (PREFIX + code).encode()
    assert cpython_rejects(data) and not parser_rejects(data)
    result = check(data, in_hypothesis=False)
    assert result.errors == []
    assert [(f.code, f.line) for f in result.findings] == [("DYN000", _error_line(data))]


def _error_line(data: bytes) -> int:
    try:
        compile(data, "handler.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1
    raise AssertionError("compiles")


# Bytes that are not UTF-8. In a string literal CPython rejects them; in a comment CPython 3.11
# does not look (3.12 does), but the file is still not Python source (PEP 3120) and LibCST
# cannot read it. Either way it must be a DYN000 for that file, not an internal error.
UNDECODABLE = {
    "in a string": b'x = "\xed\xa0\x80"\n',
    "in a comment": b"# caf\xe9 (latin-1)\nx = 1\n",
}


@pytest.mark.parametrize("body", [
    UNDECODABLE["in a string"],
    UNDECODABLE["in a comment"],  # CPython 3.11 compiles it (comments are not decoded); PEP 3120 says no
], ids=list(UNDECODABLE))
def test_undecodable_file_is_dyn000(body: bytes) -> None:
    data = PREFIX.encode() + body
    assert cpython_rejects(data)
    result = check(data, in_hypothesis=False)
    assert result.errors == []
    assert [f.code for f in result.findings] == ["DYN000"]
