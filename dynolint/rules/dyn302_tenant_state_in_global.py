"""DYN302 tenant-state-in-global."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Confidence, Finding, Severity
from dynolint.model.looked import conversion_of
from dynolint.model.values import ConstV, CostlyV, StrV, SubV, Val, alts, const_str
from dynolint.model.tenancy import (
    keyed_by_tenant, per_request, read_by_request, read_under_tenant, returned_by_root, root_source, root_tenancy,
    tenant_aware_root,
)
from dynolint.rules._tenant import source_related
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.events import GlobalStore


class TenantStateInGlobal(Rule):
    code = "DYN302"
    name = "tenant-state-in-global"
    summary = "Tenant data stored in module-level state, not keyed by tenant, in a function shared by tenants"
    docs = RuleDocs(
        what_it_does=(
            "Finds tenant-derived data (derived from the tenant id, or request data in tenant-aware code) "
            "stored from function code into module-level mutable state: a `global` assignment, an item or "
            "method call on a module-level container (`update`, `setdefault`, `append`, ...), an entry of the "
            "process environment (`os.environ[...] = ...`, `os.putenv`), the headers, cookies, auth or default "
            "parameters of an HTTP session kept at module level (`SESSION.headers[...] = ...` on a "
            "`requests.Session`, `httpx.Client` or `aiohttp.ClientSession`, also one a cached factory returns), or the cache of an `lru_cache`d function, when the key does not derive from the tenant id and the function is "
            "shared by tenants. Also state each invocation advances (`COUNT += 1` through `global`) that the "
            "function returns to its caller, even though it holds no tenant's data: it tells each tenant what "
            "other tenants did in the same execution environment."
        ),
        why_is_this_bad=(
            "Module state survives into the next invocation, which in a shared function can be another "
            "tenant's: it sees the first tenant's branding, settings or user, or appends to the first "
            "tenant's buffer."
        ),
        example='''
_cache = {}

def handler(event, context):
    if "branding" not in _cache:
        _cache["branding"] = load_branding(context.tenant_id)
''',
        use_instead='''
_cache = {}

def handler(event, context):
    tenant = context.tenant_id
    if tenant not in _cache:
        _cache[tenant] = load_branding(tenant)
''',
        known_problems=(
            "A per-request `ContextVar` (set and reset by the code) is not module state; one set and never reset is. Module state written only at import time "
            "(configuration loaded at init) is not reported: the tenant id is not known then. An environment "
            "entry or session header the code removes again anywhere (`os.environ.pop`, `del os.environ[...]`, "
            "`os.unsetenv`, `SESSION.headers.pop(...)`) is taken to be removed after each request."
        ),
        references=("https://docs.aws.amazon.com/lambda/latest/operatorguide/global-scope.html",),
    )
    invalid = (
        example('''
_cache = {}

def handler(event, context):
    if "branding" not in _cache:
        _cache["branding"] = {"tenant": context.tenant_id}  # expect: DYN302
    return _cache["branding"]
'''),
    )
    valid = (
        example('''
_cache = {}

def handler(event, context):
    tenant = context.tenant_id
    if tenant not in _cache:
        _cache[tenant] = {"tenant": tenant}
    return _cache[tenant]
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        seen = set()
        for store in self.each(model.interp.global_stores):
            if store.loc in seen or store.owner_checked or per_request(model, store) \
                    or keyed_by_tenant(model, store.key, path=store.loc[0]):
                continue
            taint = model.taint(store.value)
            if any(c.kind == "scoped" for c in taint.creds) or store.holds_creds:
                continue  # DYN203
            root = model.root(store.root)
            if store.accumulates and root_tenancy(model, store.root) == "shared" and \
                    returned_by_root(model, store.root, store.value):
                seen.add(store.loc)
                message = (f"module-level {store.name} advances with every invocation and is returned to the "
                           "caller: in a function shared by tenants each tenant learns how many invocations "
                           "other tenants made in the same execution environment")
                yield model.finding(self.code, self.name, store.loc, message, Severity.ERROR, Confidence.MEDIUM,
                                    source_related(model, root_source(model, store.root)))
                continue
            reads = taint.read_ids() | store.holds_reads
            tenant_data = bool(taint.tenants) or store.holds_tenant or read_under_tenant(model, reads) \
                or (taint.event or read_by_request(model, reads)) and tenant_aware_root(model, root)
            if not tenant_data or root_tenancy(model, store.root) != "shared" or made_of_its_key(model, store):
                continue
            seen.add(store.loc)
            message = (f"tenant data is stored in module-level {store.name} without the tenant in its key: in a "
                       "function shared by tenants the next tenant's invocation sees it")
            yield model.finding(self.code, self.name, store.loc, message, Severity.ERROR, Confidence.MEDIUM,
                                source_related(model, root_source(model, store.root)))


def made_of_its_key(model: Model, store: GlobalStore) -> bool:
    """Is what a cached function keeps, or a container entry holds, made only of its key (the
    function's arguments; the entry's name: ``_LIMITS[plan] = fetch_limit(plan)``), and of
    literals and files the code ships (``json.load(open(f"catalog/{version}.json"))``)? Then
    another tenant gets it only by asking with the same key, which would make it again."""
    if store.kind not in ("cache", "item") or store.key is None or store.holds_tenant or store.holds_reads:
        return False
    made, key = model.taint(store.value), model.taint(store.key)
    if not (made.tenants <= key.tenants and made.read_ids() <= key.read_ids() and (key.event or not made.event)):
        return False
    # (an entry is computed in the caller's scope from anything there, not from arguments alone: only
    # a service's answer to a request made of its name counts, ``int(ssm.get_parameter(Name=f"/plans/{plan}")...)``)
    return store.kind == "cache" or answer_to(model, store.value, store.key)


def answer_to(model: Model, value: Val, key: Val) -> bool:
    """Is ``value`` what another service answered to a request made only of literals and
    ``key`` (converted, or a part of the answer taken), in each of its alternatives?"""
    for alt in alts(value):
        for _ in range(8):
            if (converted := conversion_of(alt)) is not None:
                alt = converted
            elif type(alt) is SubV and const_str(alt.index) is not None:
                alt = alt.base
            else:
                break
        if type(alt) is not CostlyV or not alt.deps:
            return False
        parts = [part for dep in alt.deps for part in (dep.parts if type(dep) is StrV else (dep,))]
        if not all(type(part) is ConstV or model.index.equal(part, key) for part in parts):
            return False
    return True
