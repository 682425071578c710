"""``nonlocal`` names the enclosing function's variable: a nested function that rebinds it
changes the caller's name (which a summary would not replay, so such calls always run), and it
is never module state; ``global`` in a nested function still is."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in, triples


def _codes(tmp_path: Path, source: str) -> set[tuple[int, str]]:
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    return {(line, code) for _, line, code in triples(findings_in(tmp_path))}


def test_a_running_total_rebound_by_a_nested_function_carries_the_read(tmp_path: Path) -> None:
    assert _codes(tmp_path, '''
        import boto3
        table = boto3.resource("dynamodb").Table("counters")

        def handler(event, context):
            total = 0
            def add(n):
                nonlocal total
                total += n
            item = table.get_item(Key={"name": "x"})["Item"]
            add(item["n"])
            add(1)
            add(1)
            table.put_item(Item={"name": "x", "n": total})
    ''') == {(14, "DYN102")}


def test_a_nonlocal_holding_the_tenant_is_not_module_state(tmp_path: Path) -> None:
    assert _codes(tmp_path, '''
        import boto3
        table = boto3.resource("dynamodb").Table("docs")

        def handler(event, context):
            last = None
            def remember(value):
                nonlocal last
                last = value
            remember(context.tenant_id)
            return table.get_item(Key={"pk": last})
    ''') == {(11, "DYN201")}  # the key is the tenant's (through the nonlocal), no DYN302


def test_global_in_a_nested_function_is_still_module_state(tmp_path: Path) -> None:
    assert {code for _, code in _codes(tmp_path, '''
        LAST = None

        def handler(event, context):
            def remember(value):
                global LAST
                LAST = value
            remember(context.tenant_id)
            return {"ok": True}
    ''')} == {"DYN302"}
