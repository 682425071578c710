"""Who invokes each Lambda function, as the infrastructure declares it.

The parsers of ``infra.py`` (SAM/CloudFormation, serverless.yml, Terraform) and the CDK
reader (``cdk.py``) record, for every declared function, the kinds of its invokers:

- platform invokers, which carry no tenant's request: ``"custom-resource"`` (a CloudFormation
  custom resource's ``ServiceToken``, a CDK provider's ``on_event_handler``, a Terraform
  ``aws_lambda_invocation``), ``"event"`` (an EventBridge rule or schedule, EventBridge
  Scheduler), ``"state-machine"`` (a Step Functions definition), ``"authorizer"`` (an API
  Gateway Lambda authorizer);
- anything else that invokes it: ``"api"`` (API Gateway routes, integrations and their
  permissions), ``"url"`` (a function URL), ``"function"`` (another function given its name
  or ARN), ``"other:<source>"`` (queues, streams, topics, buckets, user pools, ...; a nested
  stack given the function, a template's or module's output exporting it: what another stack
  does with it is not seen).

A resource that only names a function (an IAM policy, an alarm, a log group) is not an
invoker. A function whose declared invokers are all platform ones gets them as roles
of its handler's analysis roots (:func:`assign_roles`): the evidence is "only the platform
invokes it", so one route, queue or URL next to a schedule keeps the handler data plane.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dynolint.model.events import RootInfo
    from dynolint.model.project import Project

PLATFORM_INVOKERS = frozenset({"custom-resource", "event", "state-machine", "authorizer"})
_API_PERMISSION = "api-permission"  # API Gateway may invoke it: a route, unless it is an authorizer
_PLATFORM_PRINCIPALS = ("events.amazonaws.com", "scheduler.amazonaws.com", "states.amazonaws.com",
                        "cloudformation.amazonaws.com")

# SAM ``Events`` types of a function
SAM_EVENTS = {"Schedule": "event", "ScheduleV2": "event", "EventBridgeRule": "event", "CloudWatchEvent": "event",
              "Api": "api", "HttpApi": "api"}
# serverless.yml ``events`` entries of a function
SERVERLESS_EVENTS = {"schedule": "event", "eventBridge": "event", "cloudwatchEvent": "event", "http": "api",
                     "httpApi": "api", "websocket": "api", "alb": "api"}
# CloudFormation resource types (by prefix) that invoke a function they name
_CFN_DATA_PLANE = (("AWS::ApiGateway::", "api"), ("AWS::ApiGatewayV2::", "api"), ("AWS::Serverless::Api", "api"),
                   ("AWS::Serverless::HttpApi", "api"), ("AWS::Lambda::Url", "url"),
                   ("AWS::Lambda::EventSourceMapping", "other:queue or stream"), ("AWS::SNS::", "other:sns"),
                   ("AWS::S3::", "other:s3"), ("AWS::Cognito::", "other:cognito"), ("AWS::AppSync::", "other:appsync"),
                   ("AWS::IoT::", "other:iot"), ("AWS::ElasticLoadBalancingV2::", "other:load balancer"),
                   ("AWS::Logs::SubscriptionFilter", "other:logs"), ("AWS::Pipes::", "other:pipe"),
                   ("AWS::Lex", "other:lex"), ("AWS::Connect::", "other:connect"),
                   # what another stack does with the function is not seen: not only the platform
                   ("AWS::CloudFormation::Stack", "other:nested stack"),
                   ("AWS::Serverless::Application", "other:nested stack"))
# Terraform resource types (by prefix) that invoke a function they name
_TF_INVOKERS = (("aws_cloudwatch_event_target", "event"), ("aws_scheduler_schedule", "event"),
                ("aws_sfn_state_machine", "state-machine"), ("aws_lambda_invocation", "custom-resource"),
                ("aws_api_gateway_authorizer", "authorizer"), ("aws_apigatewayv2_authorizer", "authorizer"),
                ("aws_api_gateway_", "api"), ("aws_apigatewayv2_", "api"), ("aws_lambda_function_url", "url"),
                ("aws_lambda_event_source_mapping", "other:queue or stream"), ("aws_sns_", "other:sns"),
                ("aws_s3_bucket_notification", "other:s3"), ("aws_cognito_", "other:cognito"),
                ("aws_appsync_", "other:appsync"), ("aws_lb_", "other:load balancer"),
                ("aws_cloudwatch_log_subscription_filter", "other:logs"), ("aws_iot_", "other:iot"),
                ("aws_pipes_", "other:pipe"), ("aws_lambda_function", "function"))
# CDK constructs (``module.Class``, or a module prefix ending in "." or "_") that invoke a
# function passed to them
_CDK_INVOKERS = (("aws_events_targets.LambdaFunction", "event"), ("aws_scheduler_targets", "event"),
                 ("custom_resources.Provider", "custom-resource"), ("CustomResource", "custom-resource"),
                 ("CfnCustomResource", "custom-resource"), ("triggers.Trigger", "custom-resource"),
                 ("aws_stepfunctions_tasks.LambdaInvoke", "state-machine"), ("aws_apigateway", "api"),
                 ("aws_lambda.FunctionUrl", "url"), ("aws_lambda.EventSourceMapping", "other:queue or stream"),
                 ("aws_sns_subscriptions.", "other:sns"), ("aws_s3_notifications.", "other:s3"),
                 ("aws_elasticloadbalancingv2_targets.", "other:load balancer"),
                 ("aws_logs_destinations.", "other:logs"), ("aws_appsync", "other:appsync"),
                 ("aws_cognito", "other:cognito"), ("aws_iot", "other:iot"), ("aws_pipes", "other:pipe"))
CDK_METHODS = {"add_event_source": "other:event source", "add_function_url": "url", "grant_invoke": "function",
               "grant_invoke_url": "url"}


def finish(kinds: Iterable[str]) -> frozenset[str]:
    """The invoker kinds of one function, with a permission for API Gateway read as a route
    unless the function is an authorizer or a known route already."""
    found = set(kinds)
    if _API_PERMISSION in found:
        found.discard(_API_PERMISSION)
        if not found & {"authorizer", "api"}:
            found.add("api")
    return frozenset(found)


def platform_roles(invokers: frozenset[str]) -> frozenset[str]:
    """The roles a handler takes from its function's invokers: all of them when every one is
    the platform, none when any is not (or none is declared)."""
    return invokers if invokers and invokers <= PLATFORM_INVOKERS else frozenset()


def assign_roles(project: Project, roots: Iterable[RootInfo]) -> None:
    """Give each handler root the platform roles its declared functions all agree on (a
    handler deployed twice, once behind a route, stays data plane)."""
    for root in roots:
        if root.module_root:
            continue
        functions = project.handler_functions(root.path, root.func)
        if not functions:
            continue
        roles = [platform_roles(f.invokers) for f in functions]
        if all(roles):
            root.roles.update(*roles)


# -- CloudFormation / SAM -------------------------------------------------------------------


def _references(value: Any, targets: set[str], path: tuple[str, ...] = (), depth: int = 0
                ) -> Iterator[tuple[tuple[str, ...], str]]:
    """(property path, function) for each ``Ref``, ``Fn::GetAtt`` or ``${X}``/``${X.Arn}`` of
    ``Fn::Sub`` inside ``value`` that names one of ``targets``."""
    if depth > 40:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str) and inner in targets:
                yield path, inner
            elif key == "Fn::GetAtt":
                name = inner[0] if isinstance(inner, list) and inner else \
                    inner.split(".", 1)[0] if isinstance(inner, str) else None
                if isinstance(name, str) and name in targets:
                    yield path, name
                    continue
            elif key == "Fn::Sub":
                template = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(template, str):
                    for match in re.finditer(r"\$\{([A-Za-z0-9_-]+)(?:\.[A-Za-z]+)?\}", template):
                        if match.group(1) in targets:
                            yield path, match.group(1)
            yield from _references(inner, targets, path + (str(key),), depth + 1)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner, targets, path, depth + 1)


def _cfn_kind(kind: str, properties: dict[str, Any], path: tuple[str, ...]) -> str | None:
    if kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
        return "custom-resource" if path[:1] == ("ServiceToken",) else None
    if kind == "AWS::Events::Rule":
        return "event" if path[:1] == ("Targets",) else None
    if kind == "AWS::Scheduler::Schedule":
        return "event"
    if kind in ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"):
        return "state-machine"
    if kind in ("AWS::ApiGateway::Authorizer", "AWS::ApiGatewayV2::Authorizer") or \
            kind.startswith("AWS::Serverless::") and "Authorizers" in path:
        return "authorizer"
    if kind == "AWS::Lambda::Permission":
        principal = properties.get("Principal")
        if not isinstance(principal, str):
            return "other:permission"
        if principal in _PLATFORM_PRINCIPALS:
            return None
        return _API_PERMISSION if principal.startswith("apigateway.") else f"other:{principal}"
    if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
        return "function" if "Environment" in path else None
    for prefix, found in _CFN_DATA_PLANE:
        if kind.startswith(prefix):
            return found
    return None


def cfn_invokers(resources: dict[str, Any], names: dict[str, str] | None = None,
                 outputs: Any = None) -> dict[str, set[str]]:
    """Invoker kinds by function logical id, from the other resources of a template (and, in
    ``names``, other spellings of a function's logical id: serverless' function keys). A
    function the template's ``Outputs`` export may be invoked by whatever stack reads them."""
    functions = {ident for ident, spec in resources.items()
                 if isinstance(spec, dict) and str(spec.get("Type")) in ("AWS::Serverless::Function",
                                                                          "AWS::Lambda::Function")}
    aliases = {**{ident: ident for ident in functions}, **(names or {})}
    found: dict[str, set[str]] = {}
    for ident, spec in resources.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("Properties"), dict):
            continue
        kind = str(spec.get("Type"))
        properties = spec["Properties"]
        for path, target in _references(properties, set(aliases)):
            function = aliases[target]
            if function == ident:
                continue
            invoker = _cfn_kind(kind, properties, path)
            if invoker is not None:
                found.setdefault(function, set()).add(invoker)
    for _, target in _references(outputs, set(aliases)):
        found.setdefault(aliases[target], set()).add("other:exported")
    return found


def sam_events(properties: dict[str, Any]) -> set[str]:
    """Invoker kinds from a SAM function's own ``Events`` and ``FunctionUrlConfig``."""
    kinds = set()
    events = properties.get("Events")
    for event in (events.values() if isinstance(events, dict) else ()):
        kind = event.get("Type") if isinstance(event, dict) else None
        kinds.add(SAM_EVENTS.get(kind, f"other:{kind}") if isinstance(kind, str) else "other:event")
    if properties.get("FunctionUrlConfig"):
        kinds.add("url")
    return kinds


def serverless_events(spec: dict[str, Any]) -> set[str]:
    """Invoker kinds from a serverless.yml function's ``events`` and ``url``."""
    kinds = set()
    for event in spec.get("events") or ():
        name = next(iter(event), None) if isinstance(event, dict) else event
        if isinstance(name, str):
            kinds.add(SERVERLESS_EVENTS.get(name, f"other:{name}"))
    if spec.get("url"):
        kinds.add("url")
    return kinds


def serverless_state_machines(document: dict[str, Any], names: dict[str, str]) -> dict[str, set[str]]:
    """Functions a serverless-step-functions ``stepFunctions`` definition invokes (by
    function key or logical id, through ``Fn::GetAtt``/``Ref``)."""
    found: dict[str, set[str]] = {}
    for _, target in _references(document.get("stepFunctions"), set(names)):
        found.setdefault(names[target], set()).add("state-machine")
    return found


# -- Terraform --------------------------------------------------------------------------------


def terraform_invokers(blocks: dict[tuple[str, str, str], str]) -> dict[str, set[str]]:
    """Invoker kinds by ``aws_lambda_function`` resource name, from the resources that
    reference ``aws_lambda_function.<name>`` (and the module's outputs: another module may
    route requests to what it exports)."""
    found: dict[str, set[str]] = {}
    for (block, rtype, name), body in blocks.items():
        if block == "output":
            for target in set(re.findall(r"aws_lambda_function\.([\w-]+)\b", body)):
                found.setdefault(target, set()).add("other:exported")
            continue
        if block != "resource":
            continue
        targets = set(re.findall(r"aws_lambda_function\.([\w-]+)\b", body))
        if rtype == "aws_lambda_function":
            targets.discard(name)
        if not targets:
            continue
        kind = None
        if rtype == "aws_lambda_permission":
            principal = re.search(r'^\s*principal\s*=\s*"([^"]+)"', body, re.MULTILINE)
            if principal is None:
                kind = "other:permission"
            elif principal.group(1) not in _PLATFORM_PRINCIPALS:
                kind = _API_PERMISSION if principal.group(1).startswith("apigateway.") else \
                    f"other:{principal.group(1)}"
        else:
            kind = next((found_kind for prefix, found_kind in _TF_INVOKERS if rtype.startswith(prefix)), None)
        if kind is not None:
            for target in targets:
                found.setdefault(target, set()).add(kind)
    return found


# -- CDK --------------------------------------------------------------------------------------


def cdk_construct_kind(short: str, keyword: str | None) -> str | None:
    """The invoker kind of a CDK construct (``module.Class`` after ``aws_cdk.``) that is
    given a function (as argument ``keyword``, None when positional)."""
    module, _, klass = short.rpartition(".")
    if module.startswith("aws_apigateway") and klass.endswith("Authorizer"):
        return "authorizer"
    if klass in ("CustomResource", "CfnCustomResource") and keyword != "service_token":
        return None
    for prefix, kind in _CDK_INVOKERS:
        if short == prefix or short.startswith(prefix) or klass == prefix:
            return kind
    return None
