"""A low-level counter written back as ``{"N": str(left - wanted)}`` and used after the write
(``return left - wanted``): the DYN102 fix made the write atomic but left ``left`` the stale value
read, so the caller was told a level never stored (the resource flavour read it back already).
The fix now reads the new value back (``ReturnValues="UPDATED_NEW"``) and rebinds the counter.
The race itself: tests/racelab/test_racelab_low_counter.py."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES


def test_the_counter_is_read_back_from_the_write(tmp_path: Path) -> None:
    project = tmp_path / "stock"
    shutil.copytree(FIXTURES / "racelab" / "stock_low", project)
    before = (project / "stock.py").read_text()
    config = discover(project, set(KNOWN_CODES))
    report = fix_paths([project], config, Options(use_cache=False), unsafe=False)  # a safe fix
    after = (project / "stock.py").read_text()
    assert [f.code for f in report.applied] == ["DYN102"]
    expected = before.replace('''    client.update_item(
        TableName=TABLE,
        Key={"sku": {"S": sku}},
        UpdateExpression="SET #left = :left",
        ExpressionAttributeNames={"#left": "left"},
        ExpressionAttributeValues={":left": {"N": str(left - wanted)}},
    )
''', '''    try:
        written = client.update_item(
            TableName=TABLE,
            Key={"sku": {"S": sku}},
            UpdateExpression="ADD #left :left",
            ExpressionAttributeNames={"#left": "left", "#dl_left": "left"},
            ExpressionAttributeValues={
                ":left": {"N": str(-(wanted))},
                ":dl_left": {"N": str(wanted)},
            },
            ConditionExpression="#dl_left >= :dl_left",
            ReturnValues="UPDATED_NEW",
        )
        left = int(written["Attributes"]["left"]["N"]) + (wanted)
    except client.exceptions.ConditionalCheckFailedException:
        return {"statusCode": 409, "body": json.dumps({"error": "not enough stock"})}
''')
    assert after == expected
    ast.parse(after)
    assert check_paths([project], config, Options(use_cache=False)).findings == []
    again = fix_paths([project], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (project / "stock.py").read_text() == after  # idempotent
