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
    # Powertools' legacy alias of append_keys (with append=True; without, it replaces the keys: stored
    # all the same) and its thread-local keys (a module-level ContextVar never reset)
    "structure-logs-appended": ("", "logger.structure_logs(append=True, tenant_id=tenant)\n    return 1", {9}),
    "structure-logs-replaced": ("", "logger.structure_logs(tenant_id=tenant)\n    return 1", {9}),
    "thread-safe-appended": ("", "logger.thread_safe_append_keys(tenant_id=tenant)\n    return 1", {9}),
    "thread-safe-removed-in-finally": ("", "logger.thread_safe_append_keys(tenant_id=tenant)\n    try:\n"
                                           "        return 1\n    finally:\n        logger.thread_safe_clear_keys()",
                                       set()),
    "state-cleared-in-finally": ("", "logger.append_keys(tenant_id=tenant)\n    try:\n        return 1\n"
                                     "    finally:\n        logger.clear_state()", set()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_logger_keys(tmp_path: Path, name: str) -> None:
    decorator, body, lines = CASES[name]
    (tmp_path / "app.py").write_text(textwrap.dedent(HEAD).replace("DECORATOR", decorator) + "    " + body + "\n")
    assert {line for _, line, code in triples(findings_in(tmp_path)) if code == "DYN302"} == lines


# an object made for the request that holds the tenant in its attributes (a logging.Filter,
# a context object) is tenant data where module state keeps it
OBJECTS = '''
import logging

log = logging.getLogger("svc")


class Tag(logging.Filter):
    def __init__(self, tenant):
        super().__init__()
        self.tenant = tenant


class Ctx:
    def __init__(self, tenant):
        self.tenant = tenant


CURRENT = None
FIXED = Tag("platform")


def handler(event, context):
    global CURRENT
    tenant = context.tenant_id
    BODY
'''


@pytest.mark.parametrize("body, expected", [
    ("log.addFilter(Tag(tenant))", {25}),
    ("log.addHandler(Tag(tenant))", {25}),
    ("CURRENT = Ctx(tenant)", {25}),
    ("CURRENT = Ctx(Tag(tenant))", {25}),  # held one object further in
    ("tag = Tag(tenant)\n    log.addFilter(tag)\n    try:\n        pass\n    finally:\n        log.removeFilter(tag)",
     set()),
    ("log.addFilter(FIXED)", set()),  # made at import: the same object for every tenant
    ("CURRENT = Ctx('platform')", set()),
])
def test_objects_holding_the_tenant_in_module_state(tmp_path: Path, body: str, expected: set[int]) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(OBJECTS).replace("BODY", body))
    assert {line for _, line, code in triples(findings_in(tmp_path)) if code == "DYN302"} == expected
