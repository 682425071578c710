"""What a key value says on its own, whatever the reads: whether its partition key is the tenant
id, whether it names one item for everyone (literals), whether a value is the tenant id or the
part of the event that carries the caller's identity, and the key of a PynamoDB instance."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from dynolint.model.ddb_operations import OPERATIONS
from dynolint.model.event_fields import tenant_words
from dynolint.model.key_schema import keyish_names
from dynolint.model.values import (
    AttrV, CallV, ClientV, ConstV, CostlyV, DictV, ElemV, EventV, PynInstanceV, ReadItemV, SeqV, SubV, TenantIdV, Val,
    alts, children, const_str,
)

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


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
    the parameter, both a session tag and a cache key were taken from)? A literal is no such
    value: it is the same for every caller (``"hos"``, both a cache key and the Purpose tag)."""
    wanted = set(alts(key))
    if any(type(alt) is ConstV for alt in wanted):
        return False
    pending, seen = [scope], 0
    while pending and wanted and seen < 512:
        value = pending.pop()
        seen += 1
        wanted.discard(value)
        pending.extend(children(value))
    return not wanted


def names_tenant(key: Val, item_key: Callable[[Val, str], bool] | None = None) -> bool:
    """Does a tenant id reach ``key`` other than through the response of a DynamoDB read (an
    operation on a table the model did not resolve, whose request named the tenant), another
    service's call or paid work? What such a call gives back (the names of its attributes, its
    values) is data, as an item read through a resolved table is: it keys nothing by tenant.
    With ``item_key`` (is this attribute of this item one of its key attributes?), an
    attribute of an item read under the tenant's key is the tenant's only when it is a key
    attribute: ``permit.district`` is a code every tenant may have."""
    pending: list[tuple[Val, bool]] = [(key, False)]
    seen: set[tuple[int, bool]] = set()
    while pending and len(seen) < 4096:
        value, within = pending.pop()
        if (id(value), within) in seen:
            continue
        seen.add((id(value), within))
        if type(value) is TenantIdV:
            return True
        if type(value) is CostlyV or type(value) is CallV and value.recv is not None and (
                value.fn in OPERATIONS or any(type(r) is ClientV for r in alts(value.recv))):
            continue  # (what a service gave back, an SSM parameter's name under the tenant's path too)
        attr = value.name if type(value) is AttrV else const_str(value.index) if type(value) is SubV else None
        if item_key is not None and attr is not None and (type(value) is AttrV or type(value) is SubV) \
                and any(type(alt) in (PynInstanceV, ReadItemV) for alt in alts(value.base)) \
                and not item_key(value.base, attr):
            continue
        if type(value) is SubV and within:
            # a part of the entry a container holds under the tenant's id (``cache[tenant]["dates"]``):
            # that entry's data, not its key
            pending.append((value.base, True))
            continue
        # (the base of an attribute, entry or element taken from it: what it holds is data of it)
        into = attr is not None or type(value) is ElemV  # (a named entry or attribute, or an element)
        pending.extend((child, within or into and child is _base(value)) for child in children(value))
    return bool(pending)  # (too large to walk: as the taint says)


def _base(value: Val) -> Val | None:
    return value.base if type(value) is SubV or type(value) is AttrV else value.of if type(value) is ElemV else None


def item_key_attr(model: Model, item: Val, attr: str) -> bool:
    """Is ``attr`` a key attribute of the item ``item`` (a PynamoDB model's hash or range key,
    else a name that looks like a key's)?"""
    for alt in alts(item):
        if type(alt) is PynInstanceV:
            info = model.interp.pyn_info(alt.model)
            if attr in (info.hash_key, info.range_key):
                return True
        elif keyish_names([attr]):
            return True
    return False
