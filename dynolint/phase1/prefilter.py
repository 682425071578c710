"""Does a file matter to dynolint? Decided from its bytes, before LibCST is imported: plain
substring tests first, a regular expression only where they are not enough."""

from __future__ import annotations

import functools
import re
from typing import Iterable

from dynolint.phase1.codetext import code_text

_DYNAMODB_WORDS = (b"pynamodb", b"mypy_boto3_dynamodb", b"types_boto3_dynamodb", b"types_aiobotocore_dynamodb",
                   b"types_aioboto3", b".Table(")
# ``resource.Table(name)``: a DynamoDB table handle takes one argument. SQLAlchemy's
# ``Table(name, metadata, *columns)`` (``sa.Table``, ``schema.Table``, Flask-SQLAlchemy's
# ``db.Table``) takes several, and is not one (its code and what imports it were parsed and
# interpreted for nothing: most of sqlalchemy and pandas in a site-packages).
_ONE_ARGUMENT_TABLE = re.compile(rb"\.Table\(\s*(?:[^(),\[\]]|\((?:[^()]|\([^()]*\))*\)|\[[^\[\]]*\])*,?\s*\)")
# boto3's item calls, with the operation's item parameter by keyword
_BOTO3_ITEM_CALL = re.compile(rb"\.(?:get|put|update|delete)_item\(\s*(?:\w+\s*=\s*[^(),]*,\s*)*(?:Key|Item)\s*=")
# ``pynamodb`` as the package, not as a module of another one (``myapp.model.pynamodb``)
_PYNAMODB = re.compile(rb"(?<![\w.])pynamodb\b")
# What gives a function an invocation to read tenant ids from (model/roots.py uses the same
# names): a parameter named as a Lambda handler's, a web route, Powertools' current event.
EVENT_PARAMS = ("event", "evt", "lambda_event")
CONTEXT_PARAMS = ("context", "ctx", "_context", "lambda_context", "_ctx")
ROUTE_METHODS = ("get", "post", "put", "delete", "patch", "route")
_ENTRY = re.compile(rb"def[ \t]+\w+[ \t]*\([^)]*?\b(?:" + b"|".join(n.encode() for n in EVENT_PARAMS + CONTEXT_PARAMS)
                    + rb")\b[ \t]*[,:=)]"
                    rb"|^[ \t]*@[\w.]*\.(?:" + b"|".join(n.encode() for n in ROUTE_METHODS) + rb")\("
                    rb"|current_event"
                    # AWS clients: credentials minted for a tenant (STS) need no invocation
                    rb"|(?<![\w.])(?:boto3|aioboto3|aiobotocore|botocore)\b", re.M)
_TENANCY_WORDS = (b"tenant", b"Tenant", b"TENANT", b"aws_cdk")
# /tmp writes matter only in code shared by tenants: reached from tenant-aware files (their
# imports are parsed), or anywhere when the config declares the project multi-tenant.
_SERVICE = re.compile(rb"""(?:client|resource|create_client)\(\s*(?:service_name\s*=\s*)?["'](dynamodb|lambda)["']""")


def _makes_client(data: bytes, service: bytes, bare: bytes | None = None) -> bool:
    """``client("dynamodb")`` / ``resource("dynamodb")`` (or lambda) somewhere in ``data``;
    with ``bare`` (``data`` with its strings blanked), only a call outside a string."""
    for quote in (b'"', b"'"):
        needle = quote + service + quote
        start = data.find(needle)
        while start >= 0:
            low = max(0, start - 48)
            match = _SERVICE.search(data[low:start + len(needle)])
            if match is not None and (bare is None or bare[low + match.start():low + match.start() + 1] != b" "):
                return True
            start = data.find(needle, start + 1)
    return False


# words without which no file is worth parsing (a coarse, fast test over all the sources: the
# selection itself is :func:`makes_dynamodb`, :func:`touches_tenancy` and their importers)
_ANY_WORDS = (b"dynamodb", b"_item(", b".Table(", b"tenant", b"Tenant", b"TENANT", b"aws_cdk")


def may_parse(sources: Iterable[bytes]) -> bool:
    """Might any of these files be worth parsing? False only when none can be."""
    return any(word in data for data in sources for word in _ANY_WORDS)


def makes_dynamodb(data: bytes) -> bool:
    """A DynamoDB handle is made or typed here (boto3/aioboto3/aiobotocore, a Table,
    PynamoDB, the stub types), or one the code was given is used in boto3's spelling
    (``table.put_item(Item=...)``: model/roots.py types the parameter by that use), in the
    code: comments, docstrings and words inside other strings (a message that quotes
    ``.Table(``) do not count."""
    item_call = b"_item(" in data
    if not (any(word in data for word in _DYNAMODB_WORDS) or item_call or _makes_client(data, b"dynamodb")):
        return False
    code, bare = code_text(data, False), code_text(data, True)
    return (any(word in bare for word in _DYNAMODB_WORDS[1:-1]) or _ONE_ARGUMENT_TABLE.search(bare) is not None
            or _PYNAMODB.search(bare) is not None or _makes_client(code, b"dynamodb", bare)
            or item_call and _BOTO3_ITEM_CALL.search(bare) is not None)


def touches_tenancy(data: bytes, names: tuple[str, ...] = ()) -> bool:
    """A tenant id, a CDK app or a Lambda client: where families 2 and 3 start (in the code,
    not in comments and docstrings; a string counts: ``event["tenantId"]``). ``names``: the
    project's other words for a tenant (the ``tenant-names`` setting, normalised)."""
    if b"def " not in data and b"aws_cdk" not in data:
        return False  # no function: nothing runs per invocation (module state is set at import);
        # a CDK app written at module level still declares the functions and their invokers
    own = _spellings(names)

    def mentions(text: bytes) -> bool:
        return any(word in text for word in _TENANCY_WORDS) or own is not None and own.search(text) is not None

    if not (mentions(data) or _makes_client(data, b"lambda")):
        return False
    code = code_text(data, False)
    return mentions(code) or _makes_client(code, b"lambda", code_text(data, True))


@functools.lru_cache(maxsize=64)
def _spellings(names: tuple[str, ...]) -> re.Pattern[bytes] | None:
    """The project's own words for a tenant (normalised: ``workspace``) as a file may spell them
    (``workspace``, ``WorkSpace``, ``work_space``, ``WORK-SPACE``)."""
    if not names:
        return None
    return re.compile(b"|".join(b"[_-]?".join(re.escape(bytes([c])) for c in name.encode()) for name in names),
                      re.IGNORECASE)


def makes_lambda_client(data: bytes) -> bool:
    """A Lambda client is made here (in the code): a file that may invoke functions."""
    return _makes_client(data, b"lambda") and _makes_client(code_text(data, False), b"lambda", code_text(data, True))


def has_entry(data: bytes) -> bool:
    """Can a function here start with an invocation (a handler's event or context, a web
    route, Powertools' current event), or is it CDK code or AWS client code (credentials
    minted for a tenant, a Lambda client)? A file that mentions tenants without any of these
    reads no tenant id and makes no tenant credentials of its own: it matters only where a
    caller's invocation reaches it. (In the code, not inside strings.)"""
    bare = code_text(data, True)
    return (_ENTRY.search(bare) is not None or b"aws_cdk" in bare
            or _makes_client(code_text(data, False), b"lambda", bare))
