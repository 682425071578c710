"""PynamoDB ``refresh()`` loads the item into the instance in place: what follows reads the
instance as the item read (arithmetic on it written back is DYN102, a decision on it then an
unconditioned save DYN101), and an atomic update after it races with nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

class Counter(Model):
    class Meta:
        table_name = "counters"
    name = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(default=0)
    state = UnicodeAttribute(default="OPEN")

def handler(event, context):
    c = Counter(event["name"])
    c.refresh()
    BODY
'''


@pytest.mark.parametrize(("body", "expected"), [
    ("c.n = c.n + 1\n    c.save()", {(16, "DYN102")}),
    ("if c.state != 'OPEN':\n        return\n    c.state = 'CLOSED'\n    c.save()", {(18, "DYN101")}),
    ("c.update(actions=[Counter.n.add(1)])", set()),
])
def test_refresh_loads_the_instance(tmp_path: Path, body: str, expected: set[tuple[int, str]]) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("BODY", body))
    assert {(line, code) for _, line, code in triples(findings_in(tmp_path))} == expected
