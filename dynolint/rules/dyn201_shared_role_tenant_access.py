"""DYN201 shared-role-tenant-access."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Confidence, Finding, Severity
from dynolint.model.tenancy import tenant_data_calls
from dynolint.rules._tenant import CONTROL_PLANE_DOC, ISOLATION_OPTION_DOC, source_related
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


class SharedRoleTenantAccess(Rule):
    code = "DYN201"
    name = "shared-role-tenant-access"
    summary = "Tenant-aware data access through the execution role: only application code keeps tenants apart"
    severity = Severity.WARNING
    docs = RuleDocs(
        what_it_does=(
            "Finds DynamoDB and S3 calls in tenant-aware code (code that takes a tenant id from the "
            "invocation, and what it calls with that id) made through a client built on the function's own "
            "execution role, where the key or prefix does include the tenant id. Reported at each such call, "
            "with where the tenant id came from as a related location; a project that keeps tenants apart by "
            "keys by design says so with `isolation = \"application\"`, which turns the rule off."
        ),
        why_is_this_bad=(
            "Every tenant of the function shares one execution role, and that role can read every tenant's "
            "items. The key that includes the tenant is the only boundary: one bug in building a key, one "
            "missing prefix, and a tenant reads another tenant's data. Lambda's tenant isolation mode "
            "(PER_TENANT) isolates compute, not data access: the role is still shared."
        ),
        example='''
table = boto3.resource("dynamodb").Table("notes")

def handler(event, context):
    return table.get_item(Key={"pk": f"TENANT#{context.tenant_id}", "sk": event["id"]})
''',
        use_instead='''
def handler(event, context):
    table = tenant_session(context.tenant_id).resource("dynamodb").Table("notes")  # assume_role with
    return table.get_item(Key={"pk": f"TENANT#{context.tenant_id}", "sk": event["id"]})  # tenant tags
''',
        known_problems=(
            "Credentials are recognised as tenant-scoped when they come from STS `assume_role` whose `Tags`, "
            "`Policy` or `PolicyArns` are built from values (not constants), directly or through project "
            "helpers, decorators and ContextVars. Credentials obtained another way (an external token vending "
            "service) are treated as not scoped only when they are the default chain. When the same call "
            "uses tenant-scoped credentials on one side of a branch on deployment settings only (`if "
            "os.environ[\"IS_POOLED\"] == \"true\": ... else: ...`), the execution-role side is the silo "
            "stack's and is not reported; a branch on request data is. " + CONTROL_PLANE_DOC
        ),
        options=ISOLATION_OPTION_DOC,
        references=(
            "https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html",
            "https://aws.amazon.com/blogs/apn/isolating-saas-tenants-with-dynamically-generated-iam-policies/",
        ),
    )
    valid = (
        example('''
import boto3
sts = boto3.client("sts")

def handler(event, context):
    tenant = context.tenant_id
    creds = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName=tenant,
                            Tags=[{"Key": "TenantId", "Value": tenant}])["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    return session.resource("dynamodb").Table("notes").get_item(Key={"pk": f"TENANT#{tenant}"})
'''),
    )
    invalid = (
        example('''
import boto3
table = boto3.resource("dynamodb").Table("notes")

def handler(event, context):
    return table.get_item(Key={"pk": f"TENANT#{context.tenant_id}"})  # expect: DYN201
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        if all(each.isolation == "application" for each in model.config.all()):
            return  # the project keeps tenants apart by keys, by design
        for call, kind, source in self.each(tenant_data_calls(model)):
            if kind != "tenant-key" or model.config.for_path(call.loc[0]).isolation == "application":
                continue
            service = "DynamoDB" if call.service == "dynamodb" else "S3"
            where = "the key includes" if call.container is None else \
                f"the {'table' if call.service == 'dynamodb' else 'bucket'} is named after"
            message = (f"{call.op} reaches {service} with the function's execution role: {where} the tenant id, "
                       "but nothing outside this code stops it reading another tenant's data; use tenant-scoped "
                       "credentials")
            yield model.finding(self.code, self.name, call.loc, message, self.severity, Confidence.MEDIUM,
                                source_related(model, source))
