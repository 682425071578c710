"""DYN202 tenant-unscoped-key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Confidence, Finding, Severity
from dynolint.model.tenancy import tenant_data_calls
from dynolint.rules._tenant import AUTHORIZATION_DOC, CONTROL_PLANE_DOC, source_related
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


class TenantUnscopedKey(Rule):
    code = "DYN202"
    name = "tenant-unscoped-key"
    summary = "Tenant-aware code reads or writes data whose key ignores the tenant, or scans a shared table"
    docs = RuleDocs(
        what_it_does=(
            "Finds DynamoDB and S3 calls in tenant-aware code, made without tenant-scoped credentials, whose "
            "key, key condition or prefix does not derive from the tenant id, and scans (or listings without "
            "a prefix) of shared tables and buckets. A helper the tenant id is not passed to is tenant-aware "
            "code where it reaches an item the request names (the handler read the caller's tenant, the "
            "request picked the item), except a tenant's own record on a table of tenants."
        ),
        why_is_this_bad=(
            "The execution role can read every tenant's data, and the key does not name the tenant: any "
            "caller who knows or guesses another tenant's item id reads that tenant's item. A scan's "
            "`FilterExpression` on the tenant runs after the items are read, so it is not scoping, and an "
            "IAM `dynamodb:LeadingKeys` condition does not constrain a scan at all."
        ),
        example='''
table = boto3.resource("dynamodb").Table("notes")

def handler(event, context):
    tenant = context.tenant_id
    return table.get_item(Key={"note_id": event["noteId"]})
''',
        use_instead='''
def handler(event, context):
    tenant = context.tenant_id
    table = tenant_session(tenant).resource("dynamodb").Table("notes")
    return table.get_item(Key={"pk": f"TENANT#{tenant}", "sk": f"NOTE#{event['noteId']}"})
''',
        known_problems=(
            "When the table's key schema is unknown (no `[tool.dynolint.tables]` entry, no IaC table), the "
            "attributes whose names look like keys (`pk`, `sk`, `id`, `*_id`) are taken as the key of a "
            "`put_item` item. An item named only by literals (a setting, the same for every tenant) is not "
            "reported. When one call is reached with the tenant in its key on some path, it is DYN201 there, "
            "never DYN202 too. " + AUTHORIZATION_DOC + " " + CONTROL_PLANE_DOC
        ),
        options="`isolation = \"application\"` (see DYN201) does not turn this rule off.",
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html",
        ),
    )
    valid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("todos")

def nightly(event, context):
    return table.scan()
'''),
    )
    invalid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("usage")

def handler(event, context):
    tenant = context.tenant_id
    return table.scan()  # expect: DYN202
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        for call, kind, source in self.each(tenant_data_calls(model)):
            if kind == "tenant-key":
                continue
            if kind == "scan":
                message = (f"{call.op} in tenant-aware code reads across every tenant with the execution role; "
                           "a filter on the tenant is not scoping")
            else:
                message = (f"{call.op} in tenant-aware code uses a key that does not derive from the tenant id, "
                           "with the execution role: any tenant can reach another tenant's data")
            yield model.finding(self.code, self.name, call.loc, message, Severity.ERROR, Confidence.MEDIUM,
                                source_related(model, source))
