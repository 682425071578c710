"""Does a file matter to dynolint? Decided from its bytes, before LibCST is imported: plain
substring tests first, a regular expression only where they are not enough."""

from __future__ import annotations

import re

_DYNAMODB_WORDS = (b"pynamodb", b"mypy_boto3_dynamodb", b"types_boto3_dynamodb", b"types_aiobotocore_dynamodb",
                   b"types_aioboto3", b".Table(")
_TENANCY_WORDS = (b"tenant", b"Tenant", b"TENANT", b"aws_cdk")
# /tmp writes matter only in code shared by tenants: reached from tenant-aware files (their
# imports are parsed), or anywhere when the config declares the project multi-tenant.
_SERVICE = re.compile(rb"""(?:client|resource|create_client)\(\s*(?:service_name\s*=\s*)?["'](dynamodb|lambda)["']""")


def _makes_client(data: bytes, service: bytes) -> bool:
    """``client("dynamodb")`` / ``resource("dynamodb")`` (or lambda) somewhere in ``data``."""
    for quote in (b'"', b"'"):
        needle = quote + service + quote
        start = data.find(needle)
        while start >= 0:
            window = data[max(0, start - 48):start + len(needle)]
            if _SERVICE.search(window):
                return True
            start = data.find(needle, start + 1)
    return False


def makes_dynamodb(data: bytes) -> bool:
    """A DynamoDB handle is made or typed here (boto3/aioboto3/aiobotocore, a Table,
    PynamoDB, the stub types)."""
    return any(word in data for word in _DYNAMODB_WORDS) or _makes_client(data, b"dynamodb")


def touches_tenancy(data: bytes) -> bool:
    """A tenant id, a CDK app or a Lambda client: where families 2 and 3 start."""
    if b"def " not in data:
        return False  # no function: nothing runs per invocation (module state is set at import)
    return any(word in data for word in _TENANCY_WORDS) or _makes_client(data, b"lambda")


