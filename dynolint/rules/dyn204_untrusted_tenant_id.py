"""DYN204 untrusted-tenant-id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Confidence, Finding, Severity
from dynolint.model.tenancy import scoping_use_counts
from dynolint.rules._tenant import AUTHORIZATION_DOC, TRUST_DOC
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.events import ScopingUse


class UntrustedTenantId(Rule):
    code = "DYN204"
    name = "untrusted-tenant-id"
    summary = "The tenant id that scopes access comes from client-controlled input"
    docs = RuleDocs(
        what_it_does=(
            "Finds a tenant id taken from client-controlled input (a request header, the query string, a "
            "path parameter, the body, or a JWT decoded without verifying its signature) that is then used "
            "to scope access: in STS session tags or policy, in a DynamoDB or S3 key, as an invoke's "
            "`TenantId`, or in an owner check of data read (`if item[\"org_id\"] != org_id`, a filter that keeps "
            "the rows of that tenant). Reported where the id is taken."
        ),
        why_is_this_bad=(
            "Whoever calls the API chooses the value: sending another tenant's id gets that tenant's "
            "credentials or items. Scoped credentials are only as good as the tenant id they are minted for."
        ),
        example='''
def handler(event, context):
    tenant = event["headers"]["x-tenant-id"]
    table = tenant_table(tenant)
''',
        use_instead='''
def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]  # verified by the authorizer
    table = tenant_table(tenant)
''',
        known_problems=(
            "Trusted sources are `context.tenant_id` and API Gateway authorizer output (`requestContext."
            "authorizer`, including JWT and Lambda authorizer context). A field of a direct-invoke payload or "
            "a queue message is not reported: the producer is usually internal. " + TRUST_DOC + " " +
            AUTHORIZATION_DOC + " An id read or used under a platform-administrator check is one the "
            "administrator names, by design; an id that is the whole key of a tenant's own record names the "
            "tenant operated on; an authorizer's lookups before it verifies the token are not reported "
            "(its STS session tags and policies are). Nor is an id in control-plane code: a custom resource, "
            "an EventBridge-, schedule- or Step Functions-invoked handler, known by the event it reads or by "
            "infrastructure that declares only platform invokers (see DYN202)."
        ),
        options="`isolation = \"application\"` (see DYN201) does not turn this rule off.",
        references=("https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html",),
    )
    invalid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("notes")

def handler(event, context):
    tenant = event["headers"]["x-tenant-id"]  # expect: DYN204
    return table.get_item(Key={"pk": tenant})
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        # one finding a line (``h.get("X-Tenant-Id") or h.get("x-tenant-id")`` takes one id): the
        # first id taken on it, at its first use that scopes access
        chosen: dict[tuple[str, int], ScopingUse] = {}
        for use in self.each(model.interp.scoping_uses):
            tenant = use.tenant
            if tenant.trust != "untrusted":
                continue
            where = (tenant.loc[0], model.line_of(tenant.loc))
            known = chosen.get(where)
            if (known is None or tenant.loc[1] < known.tenant.loc[1]) and scoping_use_counts(model, use):
                chosen[where] = use
        for use in chosen.values():
            tenant, used_at = use.tenant, use.loc
            line = model.line_ref(used_at, tenant.loc)
            message = (f"tenant id from {tenant.how} is client-controlled, and it scopes access at {line}: "
                       "a caller can name another tenant; take it from context.tenant_id or verified claims")
            yield model.finding(self.code, self.name, tenant.loc, message, Severity.ERROR, Confidence.HIGH,
                                [model.related(used_at, "used to scope access here")])
