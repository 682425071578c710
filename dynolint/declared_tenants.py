"""The words a project uses for its tenants, read from what the project itself declares about
its isolation, so that a project that calls its tenants brands or portfolios needs no
``tenant-names`` setting to be seen as multi-tenant:

* the principal tag its IAM policies scope data by (``dynamodb:LeadingKeys`` of
  ``BRAND#${aws:PrincipalTag/BrandId}``, an S3 prefix ``${aws:PrincipalTag/PortfolioId}/*``):
  the value of that tag is what keeps one tenant's data from another's;
* the session tags of its STS ``assume_role`` calls (``Tags=[{"Key": "OrganizerId", ...}]``),
  and the variable a session policy it builds scopes items by (``"dynamodb:LeadingKeys":
  [f"MERCHANT#{merchant_id}*"]``): the credentials a token vending helper scopes to one tenant;
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
# a session policy the code builds that scopes items by a variable: ``"dynamodb:LeadingKeys":
# [f"MERCHANT#{merchant_id}*"]`` (the variable's word; an attribute's last name: ``{self.org_id}``)
_LEADING_KEYS = re.compile(
    rb"""dynamodb:LeadingKeys["']\s*:\s*\[?\s*f["'][^"'{}]*\{\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)\s*[}!:]""")
# an STS call, and the first session tag given to it
_ASSUME = re.compile(rb"\bassume_role(?:_with_web_identity)?\b")
# the first tag's key, written before or after its value (``{"Value": agency_id, "Key": "AgencyId"}``)
_SESSION_TAG = re.compile(rb"""\bTags\s*=\s*\[\s*\{\s*(?:["']Value["']\s*:\s*[^,{}]+,\s*)?["']Key["']\s*:\s*["']([A-Za-z][A-Za-z0-9_:-]*)["']""")
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
# a variable's name that says what it holds, not whose: no tenant word
_GENERIC = {
    "value", "val", "current", "result", "data", "item", "record", "payload", "arg", "args", "param", "ident",
    "identifier", "target", "source", "scope", "context", "ctx", "request", "body", "obj", "entity", "uid",
}
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
    folder's ``tenant-names`` (the root's when the files have no settings of their own). (A
    copy whatever was found, equal to ``config`` when nothing was: one shape of settings for
    the rest of the run.)"""
    found: dict[str, dict[str, None]] = {}
    for files, python in ((sources, True), (infra, False)):
        for path, data in files.items():
            words = _declared(data, python)
            if words:
                found.setdefault(config.folder_of(path), {}).update(dict.fromkeys(words))
    subprojects = tuple(
        SubProject(sub.folder, replace(sub.config, tenant_names=_added(sub.config.tenant_names, found.get(sub.folder))))
        if sub.config is not None else sub
        for sub in config.subprojects)
    return replace(config, tenant_names=_added(config.tenant_names, found.get("")), subprojects=subprojects)


def _added(names: tuple[str, ...], words: dict[str, None] | None) -> tuple[str, ...]:
    return names + tuple(word for word in words or () if word not in names)


def _declared(data: bytes, python: bool) -> list[str]:
    names: list[bytes] = [m.group(1) for m in _PRINCIPAL_TAG.finditer(data)]
    if python and names:  # a policy's text in a string the code uses, not in a docstring or comment
        prose = _code_spans(data, prose_only=True)
        names = [m.group(1) for m in _PRINCIPAL_TAG.finditer(data) if prose is not None and _in_code(m.start(), prose)]
    if python and b"LeadingKeys" in data:
        prose = _code_spans(data, prose_only=True)
        names.extend(m.group(1) for m in _LEADING_KEYS.finditer(data)
                     if _in_code(m.start(), prose) and word_of(m.group(1).decode("ascii", "replace")) not in _GENERIC)
    if python and (b"assume_role" in data or b"TenantId" in data or b"context.tenant_id" in data):
        code = _code_spans(data)  # (a docstring or comment that shows such a call declares nothing)
        if b"assume_role" in data:
            for call in _ASSUME.finditer(data):
                tag = _SESSION_TAG.search(data, call.end(), call.end() + _CALL_REACH)
                if tag is not None and _in_code(call.start(), code):
                    names.append(tag.group(1))
        # (a variable's name declares a word unless it names no entity: ``market``, ``job.store_id``,
        # not ``value`` or ``current``)
        variables: list[bytes] = []
        if b"TenantId" in data:
            variables.extend(m.group(1) or m.group(2) for m in _TENANT_ARGUMENT.finditer(data)
                             if _in_code(m.start(), code))
        if b"context.tenant_id" in data:
            variables.extend(_named_context_tenant(data, code))
        names.extend(name for name in variables if word_of(name.decode("ascii", "replace")) not in _GENERIC)
    words = (word_of(name.decode("ascii", "replace")) for name in names)
    return [word for word in words if word is not None]


def _code_spans(data: bytes, prose_only: bool = False) -> list[tuple[int, int]] | None:
    """The byte ranges of a module's strings and comments (None: it does not tokenize), so
    that a match inside one is no code; ``prose_only``: of its comments and of the strings
    that are statements of their own (docstrings), not those the code uses."""
    import io
    import tokenize

    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans: list[tuple[int, int]] = []
    statement_start = True  # (the next token starts a statement)
    try:
        for token in tokenize.tokenize(io.BytesIO(data).readline):
            literal = token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1)
            if token.type == tokenize.COMMENT or literal and (not prose_only or statement_start):
                (row, col), (end_row, end_col) = token.start, token.end
                spans.append((starts[row - 1] + col, starts[end_row - 1] + end_col))
            if token.type not in (tokenize.COMMENT, tokenize.NL):
                statement_start = token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
    except (tokenize.TokenError, SyntaxError, IndexError):
        return None
    return spans


def _in_code(offset: int, spans: list[tuple[int, int]] | None) -> bool:
    """Is the byte at ``offset`` code, not inside a string or comment? (Columns count
    characters, so a line with non-ASCII text before the match may shift: near enough.)"""
    return spans is not None and not any(start <= offset < end for start, end in spans)


def _named_context_tenant(data: bytes, code: list[tuple[int, int]] | None) -> list[bytes]:
    """The names assignments give Lambda's tenant id (``portfolio_id = context.tenant_id``)."""
    names: list[bytes] = []
    for line in _ASSIGNMENT.finditer(data):
        if not _in_code(line.start(1), code):
            continue
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
    if len(word) < 3 or not word[0].isalpha() or word in _NOT_TENANTS:  # (``at``, ``by``: no entity)
        return None
    return word


__all__ = ["declared_tenant_names", "word_of"]
