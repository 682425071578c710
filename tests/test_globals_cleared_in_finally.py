"""Module variables given tenant data for one request and emptied again in a ``finally``
(``CURRENT = None``, ``LINES = []``, ``LINES.clear()``), by the function that stored them or
around the helper that did, do not outlive the invocation: no DYN302. Emptied only in an
``except``, before the store, or in a function the request never runs, they do."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

SOURCE = '''
CURRENT = None
LINES = []


def note(text):
    LINES.append(f"{CURRENT}: {text}")


def reset():
    global CURRENT
    try:
        pass
    finally:
        CURRENT = None


def handler(event, context):
    global CURRENT
    CURRENT = context.tenant_id
    try:
        note(event["action"])
        return len(LINES)
    CLEANUP
'''


@pytest.mark.parametrize("cleanup", [
    "finally:\n        CURRENT = None\n        LINES.clear()",
    "finally:\n        CURRENT = ''\n        LINES = []",
    "finally:\n        LINES.clear()\n        CURRENT = None\n        print('done')",
])
def test_emptied_in_finally_is_per_request(tmp_path: Path, cleanup: str) -> None:
    source = textwrap.dedent(SOURCE).replace("CLEANUP", cleanup)
    if "LINES = []" in cleanup:
        source = source.replace("    global CURRENT\n    CURRENT = context", "    global CURRENT, LINES\n    CURRENT = context")
    (tmp_path / "app.py").write_text(source)
    assert triples(findings_in(tmp_path)) == set()


@pytest.mark.parametrize("cleanup, kept", [
    ("except KeyError:\n        CURRENT = None\n        LINES.clear()\n        raise", {7, 20}),
    ("finally:\n        LINES.clear()", {20}),
    ("finally:\n        CURRENT = None", {7}),
])
def test_not_emptied_on_every_path_is_kept(tmp_path: Path, cleanup: str, kept: set[int]) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(SOURCE).replace("CLEANUP", cleanup))
    assert triples(findings_in(tmp_path)) == {("app.py", line, "DYN302") for line in kept}


STATE_MODULE = '''
CURRENT = None
LINES = []


def begin(tenant):
    global CURRENT
    CURRENT = tenant
    LINES.append(tenant)


def end():
    global CURRENT
    RESET
'''

HANDLER = '''
from state import begin, end


def handler(event, context):
    begin(context.tenant_id)
    try:
        return 1
    finally:
        end()
'''


@pytest.mark.parametrize("reset, kept", [
    ("CURRENT = None\n    LINES.clear()", set()),
    ("CURRENT = None", {9}),
    ("LINES.clear()", {8}),
    ("pass", {8, 9}),
])
def test_a_reset_function_called_in_finally_empties_its_module(tmp_path: Path, reset: str, kept: set[int]) -> None:
    (tmp_path / "state.py").write_text(textwrap.dedent(STATE_MODULE).replace("RESET", reset))
    (tmp_path / "app.py").write_text(textwrap.dedent(HANDLER))
    assert triples(findings_in(tmp_path)) == {("state.py", line, "DYN302") for line in kept}
