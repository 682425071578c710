"""Fixes: before/after for each transformer, exactness (placeholders, merging, typed values,
skips with a reason), idempotence, and the result always parses."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.fixes import edits_between
from dynolint.rules import KNOWN_CODES
from tests.conftest import run_cli, write_project

RESOURCE = 'import boto3\ntable = boto3.resource("dynamodb").Table("links")\n\n\n'


def fixed(tmp_path: Path, source: str, extra: dict[str, str] | None = None, unsafe: bool = True) -> tuple[str, list]:
    write_project(tmp_path, {"app.py": source, **(extra or {})})
    report = fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=unsafe)
    return (tmp_path / "app.py").read_text(), report.skipped


def test_create_only_guard(tmp_path: Path) -> None:
    before = RESOURCE + '''def create(alias, url):
    if "Item" in table.get_item(Key={"pk": alias}):
        return 409
    table.put_item(Item={"pk": alias, "url": url})
'''
    after, _ = fixed(tmp_path, before)
    # past the line length (88, no [tool.ruff] here): one argument a line, as black lays it out
    assert after == before.replace(
        'table.put_item(Item={"pk": alias, "url": url})',
        'table.put_item(\n'
        '        Item={"pk": alias, "url": url},\n'
        '        ConditionExpression="attribute_not_exists(#dl_key)",\n'
        '        ExpressionAttributeNames={"#dl_key": "pk"},\n'
        '    )')
    # within the project's own line-length, the call stays on its line
    wide = tmp_path / "wide"
    after, _ = fixed(wide, before, {"pyproject.toml": "[tool.ruff]\nline-length = 200\n"
                                    "[tool.dynolint.tables.links]\npartition-key = \"pk\"\n"})
    assert after == before.replace(
        'table.put_item(Item={"pk": alias, "url": url})',
        'table.put_item(Item={"pk": alias, "url": url}, ConditionExpression="attribute_not_exists(#dl_key)", '
        'ExpressionAttributeNames={"#dl_key": "pk"})')


def test_update_after_existence_check_pins_what_it_tested(tmp_path: Path) -> None:
    before = RESOURCE + '''def rename(alias, url, who):
    item = table.get_item(Key={"pk": alias}).get("Item")
    if item is None or item["owner"] != who:
        return 404
    table.update_item(
        Key={"pk": alias},
        UpdateExpression="SET #u = :u",
        ExpressionAttributeNames={"#u": "url"},
        ExpressionAttributeValues={":u": url},
    )
'''
    after, _ = fixed(tmp_path, before)
    assert 'ConditionExpression="attribute_exists(#dl_key) AND #dl_seen = :dl_seen"' in after
    assert 'ExpressionAttributeNames={"#u": "url", "#dl_key": "pk", "#dl_seen": "owner"}' in after
    assert 'ExpressionAttributeValues={":u": url, ":dl_seen": item["owner"]}' in after


def test_version_guard_bumps_the_version(tmp_path: Path) -> None:
    before = RESOURCE + '''def retitle(alias, title):
    item = table.get_item(Key={"pk": alias})["Item"]
    item["title"] = title
    table.put_item(Item=item)
'''
    config = {"pyproject.toml": '[tool.dynolint.tables.links]\npartition-key = "pk"\nversion-attribute = "version"\n'}
    after, _ = fixed(tmp_path, before, config)
    assert ('    table.put_item(\n'
            '        Item={**item, "version": item.get("version", 0) + 1},\n'
            '        ConditionExpression="(attribute_not_exists(#dl_ver) OR #dl_ver = :dl_ver)",\n'
            '        ExpressionAttributeNames={"#dl_ver": "version"},\n'
            '        ExpressionAttributeValues={":dl_ver": item.get("version", 0)},\n'
            '    )\n' in after), after


def test_placeholders_never_collide_and_variables_are_spread(tmp_path: Path) -> None:
    before = RESOURCE + '''NAMES = {"#dl_key": "other"}


def close(alias):
    item = table.get_item(Key={"pk": alias}).get("Item")
    if not item:
        return
    table.update_item(Key={"pk": alias}, UpdateExpression="SET #dl_key = :v",
                      ExpressionAttributeNames=NAMES, ExpressionAttributeValues={":v": 1})
'''
    after, _ = fixed(tmp_path, before)
    assert 'ConditionExpression="attribute_exists(#dl_key_2)"' in after
    assert 'ExpressionAttributeNames={**NAMES, "#dl_key_2": "pk"}' in after


def test_low_level_version_values_are_attribute_values(tmp_path: Path) -> None:
    before = '''import boto3
client = boto3.client("dynamodb")


def bump(pk, title):
    item = client.get_item(TableName="docs", Key={"pk": {"S": pk}})["Item"]
    client.update_item(TableName="docs", Key={"pk": {"S": pk}}, UpdateExpression="SET title = :t",
                       ExpressionAttributeValues={":t": {"S": title + item["title"]["S"]}})
'''
    config = {"pyproject.toml": '[tool.dynolint.tables.docs]\npartition-key = "pk"\nversion-attribute = "v"\n'}
    after, _ = fixed(tmp_path, before, config)
    assert 'UpdateExpression="SET #dl_ver = :dl_ver_next, title = :t"' in after
    assert '":dl_ver_next": {"N": str(int(item.get("v", {"N": "0"})["N"]) + 1)}' in after
    assert '":dl_ver": item.get("v", {"N": "0"})' in after


def test_atomic_counter(tmp_path: Path) -> None:
    before = RESOURCE + '''def hit(alias):
    item = table.get_item(Key={"pk": alias})["Item"]
    clicks = item["clicks"] + 1
    table.update_item(Key={"pk": alias}, UpdateExpression="SET clicks = :c", ExpressionAttributeValues={":c": clicks})
'''
    after, _ = fixed(tmp_path, before, unsafe=True)
    assert 'UpdateExpression="ADD clicks :c",\n        ExpressionAttributeValues={":c": 1},\n' in after


def test_atomic_counter_is_safe_only_when_the_read_is_not_otherwise_used(tmp_path: Path) -> None:
    before = RESOURCE + '''def hit(alias):
    clicks = table.get_item(Key={"pk": alias})["Item"]["clicks"] - 2
    table.update_item(Key={"pk": alias}, UpdateExpression="SET clicks = :c", ExpressionAttributeValues={":c": clicks})
'''
    after, _ = fixed(tmp_path, before, unsafe=False)
    assert 'UpdateExpression="ADD clicks :c",\n        ExpressionAttributeValues={":c": -(2)},\n' in after


def test_claim_rewrite_parses_and_is_fenced(tmp_path: Path) -> None:
    before = '''import time
import boto3
import requests

cache = boto3.resource("dynamodb").Table("cache")


def lookup(city):
    cached = cache.get_item(Key={"city": city}).get("Item")
    if cached and cached["expires"] > time.time():
        return cached["payload"]
    payload = requests.get("https://api.example.com", params={"q": city}).json()
    cache.put_item(Item={"city": city, "payload": payload, "expires": int(time.time()) + 600})
    return payload
'''
    config = {"pyproject.toml": '[tool.dynolint.tables.cache]\npartition-key = "city"\n'}
    after, _ = fixed(tmp_path, before, config)
    ast.parse(after)
    # the claim helper is imported (first party: it is written at the project's root), not pasted
    assert after.startswith("import time\nimport boto3\nimport requests\n\nimport dynolint_claim\n\ncache = ")
    assert "def _dynolint_claim" not in after and "uuid" not in after
    assert (tmp_path / "dynolint_claim.py").read_text() == (Path(__file__).parents[1] / "dynolint" / "fixes"
                                                            / "claim_helper.py").read_text()
    assert "    _dl_claim = dynolint_claim.Claim()\n    _dl_claim_lost = False\n    while True:\n" in after
    # the first read as the code wrote it; a re-read after a lost claim consistent
    assert ('        cached = cache.get_item(\n            Key={"city": city},\n'
            '            ConsistentRead=_dl_claim_lost,\n        ).get("Item")\n') in after
    assert "        _dl_claim.wait(_dl_seen)\n        _dl_claim_lost = True\n" in after
    assert '"dl_generation": _dl_claim.owner,' in after and 'ConditionExpression="#dl_owner = :dl_owner",' in after
    assert check_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options()).findings == []


@pytest.mark.parametrize("source,reason", [
    (RESOURCE + 'def f(a, url):\n    if "Item" in table.get_item(Key={"pk": a}):\n        return\n'
     '    table.put_item(Item={"pk": a, "url": url}, Expected={})\n', "legacy Expected"),
    (RESOURCE + 'def f(a, url, extra):\n    if "Item" in table.get_item(Key={"pk": a}):\n        return\n'
     '    table.put_item(Item={"pk": a, "url": url}, **extra)\n', None),
])
def test_skips_say_why(tmp_path: Path, source: str, reason: str | None) -> None:
    after, skipped = fixed(tmp_path, source)
    assert after == source
    if reason is not None:
        assert any(reason in why for _, why in skipped)


def test_unknown_key_schema_names_the_config_key(tmp_path: Path) -> None:
    source = ('import boto3\ntable = boto3.resource("dynamodb").Table("links")\n\n'
              'def f(key, url):\n    if "Item" in table.get_item(Key=key):\n        return\n'
              '    table.put_item(Item={"url": url, **key})\n')
    after, skipped = fixed(tmp_path, source)
    assert after == source
    assert any("[tool.dynolint.tables.links] partition-key" in why for _, why in skipped)


def test_json_edits_reproduce_the_fix(tmp_path: Path) -> None:
    before = RESOURCE + '''def create(alias, url):
    if "Item" in table.get_item(Key={"pk": alias}):
        return 409
    table.put_item(
        Item={"pk": alias, "url": url},
    )
'''
    write_project(tmp_path, {"app.py": before})
    [finding] = json.loads(run_cli("check", "--output-format", "json", cwd=tmp_path).stdout)
    fix = finding["fix"]
    assert fix["applicability"] == "unsafe" and "ConditionalCheckFailedException" in fix["title"]
    from dynolint.findings import Edit
    from dynolint.fixes.edits import _apply_edits

    edits = [Edit(e["line"], e["column"], e["end_line"], e["end_column"], e["content"]) for e in fix["edits"]]
    fixed_text, _ = fixed(tmp_path, before)
    assert _apply_edits(before, edits) == fixed_text


def test_check_fix_applies_only_safe_fixes_and_fix_diff_writes_nothing(tmp_path: Path) -> None:
    before = RESOURCE + '''def create(alias, url):
    if "Item" in table.get_item(Key={"pk": alias}):
        return 409
    table.put_item(Item={"pk": alias, "url": url})
'''
    write_project(tmp_path, {"app.py": before})
    assert run_cli("check", "--fix", cwd=tmp_path).returncode == 1
    assert (tmp_path / "app.py").read_text() == before  # the only fix is unsafe
    diff = run_cli("fix", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert diff.returncode == 1 and "+++ b/app.py" in diff.stdout and "attribute_not_exists" in diff.stdout
    assert (tmp_path / "app.py").read_text() == before
    assert run_cli("fix", "--unsafe-fixes", cwd=tmp_path).returncode == 0
    assert "attribute_not_exists" in (tmp_path / "app.py").read_text()
    again = run_cli("fix", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == ""


def test_files_keep_newlines_encoding_and_mode(tmp_path: Path) -> None:
    source = ('# -*- coding: latin-1 -*-\r\nimport boto3\r\ntable = boto3.resource("dynamodb").Table("t")\r\n'
              'NOTE = "caf\xe9"\r\n\r\ndef create(a):\r\n    if "Item" in table.get_item(Key={"pk": a}):\r\n'
              '        return\r\n    table.put_item(Item={"pk": a})\r\n')
    path = tmp_path / "app.py"
    path.write_bytes(source.encode("latin-1"))
    path.chmod(0o750)
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=True)
    data = path.read_bytes()
    text = data.decode("latin-1")
    assert "attribute_not_exists" in text and 'NOTE = "caf\xe9"' in text
    assert text.count("\r\n") == text.count("\n")
    assert path.stat().st_mode & 0o777 == 0o750


def test_a_file_changed_on_disk_is_not_overwritten(tmp_path: Path) -> None:
    from dynolint.fixes import ChangedOnDisk, write_atomically

    path = tmp_path / "x.py"
    path.write_text("a = 1\n")
    with pytest.raises(ChangedOnDisk):
        write_atomically(path, b"a = 0\n", b"a = 2\n")
    assert path.read_text() == "a = 1\n"
    write_atomically(path, b"a = 1\n", b"a = 2\n")
    assert path.read_text() == "a = 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.py"]


def test_edits_between() -> None:
    edits = edits_between(b"a\nb\nc\n", b"a\nB\nc\nd\n")
    assert [(e.line, e.end_line, e.content) for e in edits] == [(2, 3, "B\n"), (4, 4, "d\n")]


def test_claim_fix_edits_reproduce_the_whole_file_fix(tmp_path: Path) -> None:
    from dynolint.findings import Edit
    from dynolint.fixes.edits import _apply_edits

    before = '''"""Weather cache."""
import time

import boto3
import requests

cache = boto3.resource("dynamodb").Table("cache")


def lookup(city):
    cached = cache.get_item(Key={"city": city}).get("Item")
    if cached and cached["expires"] > time.time():
        return cached["payload"]
    payload = requests.get("https://api.example.com", params={"q": city}).json()
    cache.put_item(Item={"city": city, "payload": payload, "expires": int(time.time()) + 600})
    return payload


def untouched():
    return 1
'''
    write_project(tmp_path, {"app.py": before, "pyproject.toml": '[tool.dynolint.tables.cache]\npartition-key = "city"\n'})
    [finding] = json.loads(run_cli("check", "--output-format", "json", cwd=tmp_path).stdout)
    edits = [Edit(e["line"], e["column"], e["end_line"], e["end_column"], e["content"]) for e in finding["fix"]["edits"]]
    fixed_text, _ = fixed(tmp_path, before)
    assert _apply_edits(before, edits) == fixed_text


def test_edits_keep_the_indentation_of_nested_code(tmp_path: Path) -> None:
    from dynolint.findings import Edit
    from dynolint.fixes.edits import _apply_edits

    before = '''import boto3


class Links:
    def __init__(self):
        self.table = boto3.resource("dynamodb").Table("links")

    def create(self, alias, url):
        if "Item" in self.table.get_item(Key={"pk": alias}):
            return 409
        for attempt in range(3):
            self.table.put_item(
                Item={"pk": alias, "url": url},
            )
            break
'''
    write_project(tmp_path, {"app.py": before})
    [finding] = json.loads(run_cli("check", "--output-format", "json", cwd=tmp_path).stdout)
    edits = [Edit(e["line"], e["column"], e["end_line"], e["end_column"], e["content"]) for e in finding["fix"]["edits"]]
    fixed_text, _ = fixed(tmp_path, before)
    assert _apply_edits(before, edits) == fixed_text
    assert '                ConditionExpression="attribute_not_exists(#dl_key)",\n' in fixed_text


def test_the_fixes_walk_meets_every_node_in_the_order_a_libcst_visitor_does() -> None:
    """The fixes scan functions with ``cstutil.walk`` instead of LibCST visitors (a few
    times cheaper): over every fixture and some awkward code, it yields every node, in the
    visitor's order (which decides, for example, which read a claim keys on)."""
    import libcst as cst

    from dynolint.fixes.cstutil import walk
    from tests.conftest import FIXTURES

    class Record(cst.CSTVisitor):
        def __init__(self) -> None:
            self.seen: list[cst.CSTNode] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            self.seen.append(node)
            return True

    sources = [path.read_bytes() for path in sorted(FIXTURES.rglob("*.py"))]
    sources.append(b"@d(a.get_item(Key=1))\nasync def f(x: int = g(), *a, k=h(), **kw) -> t[1]:\n"
                   b"    y = a.get_item() if b.get_item() else c[d](e)\n    del z[0]; w += [q for q in r if s(q)]\n"
                   b"    with m() as (n, o):\n        return {k: v for k, v in p.items()} | {**u}\n"
                   b"class C(B, metaclass=M):\n    x: int = lambda: (yield)\n")
    compared = 0
    for data in sources:
        module = cst.parse_module(data)
        recorder = Record()
        module.visit(recorder)
        walked = list(walk(module))
        assert len(walked) == len(recorder.seen)
        assert all(a is b for a, b in zip(walked, recorder.seen))
        compared += len(walked)
    assert compared > 50_000
