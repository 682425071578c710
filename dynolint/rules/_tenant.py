"""What the tenant rules share: related locations for a tenant source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.findings import Related

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.values import TenantIdV


def source_related(model: Model, source: TenantIdV | None) -> list[Related]:
    if source is None:
        return []
    return [model.related(source.loc, f"tenant id taken here, from {source.how}")]


# How the tenant-scoping rules tell the data plane from the control plane, and what they
# take as authorization and trust: part of each rule's documentation.
CONTROL_PLANE_DOC = (
    "Control plane is not tenant data access: a call is not reported when it runs under a platform-"
    "administrator check on the path (a call or name like `is_system_admin(...)`, `isSaaSProvider(...)`, "
    "`\"SystemAdmin\" in groups`, `role == \"platform_admin\"`), in an API Gateway Lambda authorizer (the "
    "function reads `methodArn`, `authorizationToken` or `routeArn`), in a CloudFormation custom resource "
    "(`ResourceProperties`, `RequestType`) or an EventBridge-invoked function (`event[\"detail\"]`), in a "
    "handler whose infrastructure declares only platform invokers (a custom resource's `ServiceToken`, a CDK "
    "`cr.Provider(on_event_handler=...)` or `CustomResource(service_token=fn.function_arn)`, a Terraform "
    "`aws_lambda_invocation`; SAM `Schedule`/`ScheduleV2`/`EventBridgeRule`/`CloudWatchEvent` events, an "
    "`AWS::Events::Rule` or EventBridge Scheduler target, serverless `schedule`/`eventBridge`/`cloudwatchEvent`, "
    "`targets.LambdaFunction(fn)`; a Step Functions definition or `tasks.LambdaInvoke(lambda_function=fn)`; an "
    "API Gateway authorizer): one API route, function URL, queue, stream, topic, a call from another function, "
    "a nested stack given the function or an output exporting it keeps the handler data plane, and so does "
    "one deployment of the same handler behind a route; in a "
    "handler named for an operation on tenants as objects (`create_tenant`, `provision_tenant`, "
    "`deactivate_tenant`, `create_tenant_admin_user`; not `get_tenant_orders`), or when its partition key "
    "is the bare tenant id in a table whose name (or the variable naming it) mentions tenants: a record "
    "kept per tenant, such as a tenant registry."
)
AUTHORIZATION_DOC = (
    "Authorization the code does is seen: after `if tenant_id != caller_tenant: return 403` (a tenant id "
    "compared with another one that is not client input, then a refusal), the path is authorized. "
    "Facts hold only when every path to the call established them."
)
TRUST_DOC = (
    "A tenant id is a field named `tenantId`, `tenant_id`, `custom:tenantId`, `x-tenant-id` or `tenant` "
    "(also with `key`, `uuid`, `slug`, `code`), not one that merely mentions tenants "
    "(`TenantDetailsTableName`, `tenantRegistrationData`, `tenantName`, `tenant_registration_id`); values in "
    "a custom resource's `ResourceProperties` are deploy-time configuration. A JWT read with "
    "`get_unverified_claims` after a signature verification succeeded on the same path "
    "(`if not key.verify(msg, sig): return`, `jws.verify(token, keys)`) is trusted."
)
ISOLATION_OPTION_DOC = (
    "`isolation` in `[tool.dynolint]`: `\"credentials\"` (the default) expects tenant-scoped credentials; "
    "`\"application\"` declares that the project keeps tenants apart with keys that include the tenant, by "
    "design: DYN201 is off, DYN202 and DYN204 still report."
)
