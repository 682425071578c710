"""A module-level ``threading.local()`` is module state in Lambda (one thread runs an
environment's invocations one after another): the tenant data a request stores on it is DYN302,
unless a ``finally`` around the request removes it (``del LOCAL.attr``) or empties it
(``LOCAL.attr = None``), itself or through a project function it calls; one made inside the
handler is the request's own."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

HEAD = '''
import threading

LOCAL = threading.local()

def reset():
    LOCAL.tenant = None

def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
'''

CASES = {
    "kept": ("LOCAL.tenant = tenant\n    return LOCAL.tenant", {11}),
    "deleted-in-finally": ("LOCAL.tenant = tenant\n    try:\n        return LOCAL.tenant\n"
                           "    finally:\n        del LOCAL.tenant", set()),
    "emptied-in-finally": ("LOCAL.tenant = tenant\n    try:\n        return LOCAL.tenant\n"
                           "    finally:\n        LOCAL.tenant = None", set()),
    "emptied-by-a-helper": ("LOCAL.tenant = tenant\n    try:\n        return LOCAL.tenant\n"
                            "    finally:\n        reset()", set()),
    "another-attribute-emptied": ("LOCAL.tenant = tenant\n    try:\n        return LOCAL.tenant\n"
                                  "    finally:\n        LOCAL.user = None", {11}),
    "made-in-the-handler": ("mine = threading.local()\n    mine.tenant = tenant\n    return mine.tenant", set()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_thread_local(tmp_path: Path, name: str) -> None:
    body, lines = CASES[name]
    (tmp_path / "app.py").write_text(textwrap.dedent(HEAD) + "    " + body + "\n")
    assert {line for _, line, code in triples(findings_in(tmp_path)) if code == "DYN302"} == lines
