"""A low-level client's decision on an attribute read with ``.get()`` (``item.get("status",
{}).get("S") == "closed"``) was dropped from the pinned guard: the fix guarded on the item existing
only, the finding stayed, and two closers both went through. The attribute is now pinned as read,
a missing one as ``{"NULL": True}`` (None is refused by the client). The race:
tests/racelab/test_racelab_low_pins.py."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import FIXTURES


def test_an_attribute_read_with_get_is_pinned_for_the_low_level_client(tmp_path: Path) -> None:
    project = tmp_path / "carts"
    shutil.copytree(FIXTURES / "racelab" / "cart_close_low", project)
    before = (project / "carts.py").read_text()
    config = discover(project, set(KNOWN_CODES))
    report = fix_paths([project], config, Options(use_cache=False), unsafe=True)
    after = (project / "carts.py").read_text()
    assert [f.code for f in report.applied] == ["DYN101"]
    assert after == before.replace('''        ExpressionAttributeNames={"#status": "status", "#by": "closed_by"},
        ExpressionAttributeValues={":closed": {"S": "closed"}, ":by": {"S": closer}},
''', '''        ExpressionAttributeNames={
            "#status": "status",
            "#by": "closed_by",
            "#dl_key": "cart_id",
            "#dl_seen": "status",
        },
        ExpressionAttributeValues={
            ":closed": {"S": "closed"},
            ":by": {"S": closer},
            ":dl_seen": item.get("status", {"NULL": True}),
        },
        ConditionExpression=(
            "attribute_exists(#dl_key) AND "
            "(attribute_not_exists(#dl_seen) OR #dl_seen = :dl_seen)"
        ),
''')
    ast.parse(after)
    assert check_paths([project], config, Options(use_cache=False)).findings == []
    again = fix_paths([project], config, Options(use_cache=False), unsafe=True)
    assert again.changed == [] and (project / "carts.py").read_text() == after  # idempotent
