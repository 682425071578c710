"""DYN205 invoke-missing-tenant-id."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Confidence, Finding, Related, Severity
from dynolint.model.tenancy import invoke_target
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.fixes.plans import Skip, TenantIdPlan
    from dynolint.model.analysis import Model
    from dynolint.model.events import Invoke


class InvokeMissingTenantId(Rule):
    code = "DYN205"
    name = "invoke-missing-tenant-id"
    summary = "A Lambda function declared PER_TENANT is invoked without TenantId"
    docs = RuleDocs(
        what_it_does=(
            "Finds `lambda` client `invoke`, `invoke_async` and `invoke_with_response_stream` calls whose "
            "`FunctionName` resolves (a literal, an environment variable mapped by the infrastructure, an "
            "ARN) to a function that the project's SAM, CloudFormation, serverless.yml, CDK or Terraform "
            "declares with `TenantIsolationMode: PER_TENANT`, when the call passes no `TenantId`."
        ),
        why_is_this_bad=(
            "A PER_TENANT function needs the tenant to pick the tenant's execution environment. Invoked "
            "without it the call fails, or the work is not attributed to the tenant it belongs to."
        ),
        example='''
lambda_client.invoke(FunctionName=os.environ["EXPORT_FUNCTION"], InvocationType="Event", Payload=body)
''',
        use_instead='''
lambda_client.invoke(FunctionName=os.environ["EXPORT_FUNCTION"], InvocationType="Event", Payload=body,
                     TenantId=tenant_id)
''',
        fix_safety=(
            "`dynolint check --fix` passes `TenantId=` the variable of the invoking function that holds "
            "the tenant id it read (assigned once, before the call, from the event, a claim, a header, or a helper "
            "that returns the tenant id itself, not a value built from it). "
            "The fix is safe: without the tenant the invocation of a PER_TENANT function fails. With no such "
            "variable (the tenant id came from a caller, or was never kept in a variable) there is no fix and "
            "the finding says why: which tenant the work belongs to is the code's decision, not a guess."
        ),
        known_problems="Function names built at run time from values the analysis cannot resolve are not matched.",
        references=("https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html",),
    )
    invalid = (
        example('''
import boto3
client = boto3.client("lambda")

def handler(event, context):
    client.invoke(FunctionName="renderer", Payload=b"{}")  # expect: DYN205
''', extra={"template.yaml": """
Resources:
  Renderer:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: renderer
      Handler: app.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
"""}),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        seen = set()
        for invoke in self.each(model.interp.invokes):
            if invoke.has_tenant or invoke.loc in seen:
                continue
            target = invoke_target(model, invoke)
            if target is None or not target.per_tenant:
                continue
            seen.add(invoke.loc)
            name = target.name or target.ident
            message = (f"invokes {name}, declared PER_TENANT in {target.source}, without TenantId: "
                       "pass TenantId=<the tenant the work belongs to>")
            related = [Related(target.source, 1, 1, f"{name} declared PER_TENANT here")]
            finding = model.finding(self.code, self.name, invoke.loc, message, Severity.ERROR, Confidence.HIGH,
                                    related)
            yield replace(finding, plan=_plan(model, invoke, finding))


def _plan(model: Model, invoke: Invoke, finding: Finding) -> TenantIdPlan | Skip:
    """Pass the tenant id the invoking function read (the engine finds the variable)."""
    from dynolint.fixes.plans import Skip, TenantIdPlan

    frame = model.frame(invoke.frame)
    # where it read one, or called a helper that returned one (``tenant = tenant_of(event)``)
    places = [source.loc for source in frame.tenant_sources] + list(frame.tenant_calls)
    spans = tuple(sorted({(span.line, span.column) for span in
                          (model.span(loc) for loc in places if loc[0] == invoke.loc[0])}))
    if not spans:
        return Skip("the invoking function reads no tenant id of its own: pass TenantId= by hand")
    return TenantIdPlan(finding.line, finding.column, spans)
