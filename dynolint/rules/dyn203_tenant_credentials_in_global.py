"""DYN203 tenant-credentials-in-global."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Confidence, Finding, Severity
from dynolint.model.tenancy import keyed_by_tenant, per_request, root_tenancy
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


class TenantCredentialsInGlobal(Rule):
    code = "DYN203"
    name = "tenant-credentials-in-global"
    summary = "Tenant-scoped credentials, sessions, clients or tables kept in module state not keyed by tenant"
    docs = RuleDocs(
        what_it_does=(
            "Finds tenant-scoped credentials (from STS `assume_role` with tenant tags or policy), and the "
            "sessions, clients, resources and tables built from them, stored in module-level state: a global "
            "variable, a module-level container under a key that does not derive from the tenant id, or the "
            "cache of an `lru_cache`d (or `cachetools.cached`) function whose cache key (its arguments, or what "
            "the decorator's `key=` function makes of them) does not include the tenant."
        ),
        why_is_this_bad=(
            "Module state outlives the invocation. In a function shared by tenants the next invocation, for "
            "another tenant, finds the first tenant's credentials and uses them: tenant B reads tenant A's "
            "data, with credentials that IAM rightly allows to read it."
        ),
        example='''
_table = None

def tenant_table(tenant_id):
    global _table
    if _table is None:
        _table = tenant_session(tenant_id).resource("dynamodb").Table("notes")
    return _table
''',
        use_instead='''
_tables = {}

def tenant_table(tenant_id):
    if tenant_id not in _tables:
        _tables[tenant_id] = tenant_session(tenant_id).resource("dynamodb").Table("notes")
    return _tables[tenant_id]
''',
        known_problems="A `ContextVar` set and reset around each invocation is per-request state and is not reported; "
                       "nor is module state of a function declared PER_TENANT, whose execution environments each "
                       "serve one tenant.",
        references=("https://docs.aws.amazon.com/lambda/latest/operatorguide/global-scope.html",),
    )
    invalid = (
        example('''
import boto3
sts = boto3.client("sts")
_session = None

def session_for(tenant_id):
    global _session
    if _session is None:
        creds = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName=tenant_id,
                                Tags=[{"Key": "TenantId", "Value": tenant_id}])["Credentials"]
        _session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],  # expect: DYN203
                                 aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"])
    return _session
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        seen = set()
        for store in self.each(model.interp.global_stores):
            if store.loc in seen:
                continue
            taint = model.taint(store.value)
            scoped = any(c.kind == "scoped" for c in taint.creds) or bool(store.holds_creds)
            if not scoped or store.owner_checked or per_request(model, store) \
                    or root_tenancy(model, store.root) == "per-tenant" \
                    or keyed_by_tenant(model, store.key, store.value, store.holds_creds, store.loc[0]):
                continue
            seen.add(store.loc)
            where = {"cache": "the cache of a function whose cache key does not include the tenant",
                     "assign": f"the module global {store.name}"}.get(store.kind, f"module-level {store.name}")
            message = (f"tenant-scoped credentials are kept in {where}, not keyed by tenant: a later invocation "
                       "for another tenant reuses them")
            yield model.finding(self.code, self.name, store.loc, message, Severity.ERROR, Confidence.HIGH)
