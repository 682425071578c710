"""The words a project uses for its tenants, read from what the project itself declares about
its isolation, so that a project that calls its tenants brands or portfolios needs no
``tenant-names`` setting to be seen as multi-tenant:

* the principal tag its IAM policies scope data by (``dynamodb:LeadingKeys`` of
  ``BRAND#${aws:PrincipalTag/BrandId}``, an S3 prefix ``${aws:PrincipalTag/PortfolioId}/*``):
  the value of that tag is what keeps one tenant's data from another's;
* the session tags of its STS ``assume_role`` calls (``Tags=[{"Key": "OrganizerId", ...}]``):
  the credentials a token vending helper scopes to one tenant;
* what it passes Lambda as the tenant (``invoke(..., TenantId=current.portfolio_id)``) and
  what it calls Lambda's tenant (``portfolio_id = context.tenant_id``).

Each names a field (``BrandId``, ``portfolio_id``) whose word, without its ``Id``/``key``
ending, is a tenant word, exactly as if the ``tenant-names`` setting that governs the file gave
it. A word that names a person, a session or a deployment (``UserId``, ``Environment``) is
not a tenant. The scan reads bytes, as the file selection does: it runs before any parsing.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dynolint.config import Config, SubProject

# ``aws:PrincipalTag/BrandId`` in a policy (a template, a CDK stack, a policy a helper builds)
_PRINCIPAL_TAG = re.compile(rb"aws:PrincipalTag/([A-Za-z][A-Za-z0-9_-]*)")
# an STS call, and the first session tag given to it
_ASSUME = re.compile(rb"\bassume_role(?:_with_web_identity)?\b")
_SESSION_TAG = re.compile(rb"""\bTags\s*=\s*\[\s*\{\s*["']Key["']\s*:\s*["']([A-Za-z][A-Za-z0-9_:-]*)["']""")
# how far an STS call's arguments reach (bytes)
_CALL_REACH = 800
# ``TenantId=current.portfolio_id``, ``TenantId=event["brandId"]``
_TENANT_ARGUMENT = re.compile(
    rb"""\bTenantId\s*=\s*(?:[A-Za-z_][\w.]*\.)?(?:([A-Za-z_]\w*)\b(?!\s*[\[(])"""
    rb"""|\w+(?:\.get\(|\[)\s*["']([A-Za-z][\w:-]*)["'])""")
# ``portfolio_id = context.tenant_id`` (an annotation allowed; ``gym_id, at = context.tenant_id,
# now()`` too): the targets and the values of an assignment line that names Lambda's tenant
_ASSIGNMENT = re.compile(rb"^[ \t]*([A-Za-z_][\w \t,]*?)\s*(?::[^=\n]+)?=\s*([^=\n].*)$", re.MULTILINE)
_CONTEXT_TENANT = re.compile(rb"\w*context\.tenant_id")

# endings that make a field an identifier of what its word names
_ENDINGS = {"id", "ids", "key", "uuid", "guid", "slug", "code", "arn"}
# leading parts that say where a field came from, not what it names
_PREFIXES = {"custom", "x", "aws", "current", "the"}
# words that name no tenant: a person, a credential, a deployment
_NOT_TENANTS = {
    "tenant", "user", "username", "email", "sub", "subject", "principal", "session", "role", "identity",
    "environment", "env", "stage", "project", "application", "app", "service", "name", "owner",
    "region", "version", "team", "cost", "costcenter", "department", "purpose",
}


def declared_tenant_names(config: Config, sources: dict[str, bytes], infra: dict[str, bytes]) -> Config:
    """``config`` with the tenant words each settings folder's files declare added to that
    folder's ``tenant-names`` (the root's when the files have no settings of their own)."""
    found: dict[str, dict[str, None]] = {}
    for files, python in ((sources, True), (infra, False)):
        for path, data in files.items():
            words = _declared(data, python)
            if words:
                found.setdefault(config.folder_of(path), {}).update(dict.fromkeys(words))
    if not found:
        return config
    subprojects = tuple(
        SubProject(sub.folder, _with(sub.config, found.get(sub.folder, {})))
        if sub.config is not None else sub
        for sub in config.subprojects)
    return replace(_with(config, found.get("", {})), subprojects=subprojects)


def _with(config: Config, words: dict[str, None]) -> Config:
    added = tuple(word for word in words if word not in config.tenant_names)
    return replace(config, tenant_names=config.tenant_names + added) if added else config


def _declared(data: bytes, python: bool) -> list[str]:
    names: list[bytes] = [m.group(1) for m in _PRINCIPAL_TAG.finditer(data)]
    if python:
        if b"assume_role" in data:
            for call in _ASSUME.finditer(data):
                tag = _SESSION_TAG.search(data, call.end(), call.end() + _CALL_REACH)
                if tag is not None:
                    names.append(tag.group(1))
        if b"TenantId" in data:
            names.extend(m.group(1) or m.group(2) for m in _TENANT_ARGUMENT.finditer(data))
        if b"context.tenant_id" in data:
            names.extend(_named_context_tenant(data))
    words = (word_of(name.decode("ascii", "replace")) for name in names)
    return [word for word in words if word is not None]


def _named_context_tenant(data: bytes) -> list[bytes]:
    """The names assignments give Lambda's tenant id (``portfolio_id = context.tenant_id``)."""
    names: list[bytes] = []
    for line in _ASSIGNMENT.finditer(data):
        targets = [t.strip() for t in line.group(1).split(b",")]
        values = [v.strip() for v in line.group(2).split(b",")]
        if len(targets) == len(values):
            names.extend(t for t, v in zip(targets, values) if _CONTEXT_TENANT.fullmatch(v))
    return names


def word_of(name: str) -> str | None:
    """The tenant word a field name declares (``BrandId`` -> ``brand``,
    ``custom:campaign_owner_id`` -> ``campaignowner``), or None when it names no tenant."""
    parts = [p.lower() for p in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", name)]
    while parts and parts[0] in _PREFIXES:
        parts.pop(0)
    while parts and parts[-1] in _ENDINGS:
        parts.pop()
    word = "".join(parts)
    if not word or not word[0].isalpha() or word in _NOT_TENANTS:
        return None
    return word


__all__ = ["declared_tenant_names", "word_of"]
