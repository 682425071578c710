"""A logger a module holds (``logging.getLogger()``, Powertools' ``Logger``) is process state:
what a request adds to it (``append_keys(tenant_id=...)``, ``addHandler``) stays for the next
invocation (DYN302), unless Powertools clears it before each invocation
(``@logger.inject_lambda_context(clear_state=True)``) or a ``finally`` takes it away again
(``remove_keys``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import findings_in, triples

HEAD = '''
from aws_lambda_powertools import Logger

logger = Logger(service="svc")

DECORATOR
def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
'''

CASES = {
    "appended": ("", "logger.append_keys(tenant_id=tenant)\n    return 1", {9}),
    "cleared-by-powertools": ("@logger.inject_lambda_context(clear_state=True)",
                              "logger.append_keys(tenant_id=tenant)\n    return 1", set()),
    "decorated-without-clear-state": ("@logger.inject_lambda_context",
                                      "logger.append_keys(tenant_id=tenant)\n    return 1", {9}),
    "removed-in-finally": ("", "logger.append_keys(tenant_id=tenant)\n    try:\n        return 1\n"
                               "    finally:\n        logger.remove_keys(['tenant_id'])", set()),
    "constant-keys": ("", "logger.append_keys(service_tier='gold')\n    return tenant", set()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_logger_keys(tmp_path: Path, name: str) -> None:
    decorator, body, lines = CASES[name]
    (tmp_path / "app.py").write_text(textwrap.dedent(HEAD).replace("DECORATOR", decorator) + "    " + body + "\n")
    assert {line for _, line, code in triples(findings_in(tmp_path)) if code == "DYN302"} == lines
