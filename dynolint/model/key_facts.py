"""What a key value says on its own, whatever the reads: whether its partition key is the tenant
id, whether it names one item for everyone (literals), whether a value is the tenant id or the
part of the event that carries the caller's identity, and the key of a PynamoDB instance."""

from __future__ import annotations

import re

from dynolint.model.event_fields import tenant_words
from dynolint.model.values import (
    CallV, ConstV, DictV, EventV, PynInstanceV, SeqV, TenantIdV, Val, alts, children, const_str,
)


def tenants_table(label: str, names: tuple[str, ...] = ()) -> bool:
    """Is the table (by the name or variable that labels it) one of tenants, whose items are
    the tenants themselves (a tenant registry, tenant details)? ``names``: the project's other
    words for a tenant (the ``tenant-names`` setting)."""
    label = re.sub(r"[^a-z0-9]", "", label.lower())
    return any(word in label for word in tenant_words(names))


def leading_key_is_tenant(key: Val, whole: bool = False) -> bool:
    """Is the partition key (the first key attribute, as DynamoMixin.key_part gives them)
    the bare tenant id on every path? On a table of tenants that is a record kept per
    tenant; with ``whole``, the key must be the tenant id alone: the item is the tenant."""
    options = list(alts(key))
    for alt in options:
        if isinstance(alt, SeqV) and (not alt.elts or whole and len(alt.elts) > 1):
            return False
        leading = alt.elts[0] if isinstance(alt, SeqV) else alt
        if isinstance(leading, CallV) and leading.fn == "eq" and len(leading.args) == 1 and \
                isinstance(leading.recv, CallV) and leading.recv.fn.endswith("Key"):
            leading = leading.args[0]  # a query's key condition Key(partition).eq(value)
        if not all(isinstance(part, TenantIdV) for part in alts(leading)):
            return False
    return bool(options)


def constant_key(key: Val) -> bool:
    """Is every attribute of the key a literal on every path (one global item, the same
    for every tenant: a setting, not a tenant's data)? A dict of literals (an S3 copy's
    ``{"Bucket": ..., "Key": ...}`` source) is one too."""
    options = list(alts(key))
    for alt in options:
        parts = alt.elts if isinstance(alt, SeqV) else tuple(v for _, v in alt.items) \
            if isinstance(alt, DictV) and not alt.spreads else (alt,)
        if not parts or not all(const_str(part) is not None or isinstance(part, ConstV)
                                for elt in parts for part in alts(elt)):
            return False
    return bool(options)


def pyn_key(instance: PynInstanceV) -> Val:
    names = ("__hash__", "__range__")
    return DictV(tuple((ConstV(names[i]), part) for i, part in enumerate(instance.key[:2])))


def is_tenant_id(value: Val) -> bool:
    """Is ``value`` a tenant id as a whole (``str(...)`` of one included), not a value built
    from one (a key, a path)? Every alternative must be."""
    options = list(alts(value))
    if not options:
        return False
    for alt in options:
        if isinstance(alt, CallV) and alt.fn in ("str", "strip") and len(alt.args) <= 1:
            inner = alt.args[0] if alt.args else alt.recv
            if inner is None or not is_tenant_id(inner):
                return False
        elif not isinstance(alt, TenantIdV):
            return False
    return True


_IDENTITY_PATHS = ((), ("requestContext",), ("requestContext", "authorizer"))


def carries_identity(value: Val) -> bool:
    """Is ``value`` the invocation's event, its request context or its authorizer context (where
    the caller's identity, and so the tenant id, is read from)?"""
    return any(isinstance(alt, EventV) and alt.path in _IDENTITY_PATHS for alt in alts(value))


def made_of(key: Val, scope: Val) -> bool:
    """Is every alternative of ``key`` one of the values ``scope`` is made of (the claims object,
    the parameter, both a session tag and a cache key were taken from)?"""
    wanted = set(alts(key))
    pending, seen = [scope], 0
    while pending and wanted and seen < 512:
        value = pending.pop()
        seen += 1
        wanted.discard(value)
        pending.extend(children(value))
    return not wanted
