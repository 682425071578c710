"""Who invokes each Lambda function, as the infrastructure declares it (model/invokers.py),
and how that decides the control plane of the tenant rules."""

from __future__ import annotations

import textwrap

from dynolint.model.infra import load_infra
from dynolint.model.invokers import cfn_invokers, finish, platform_roles
from tests.conftest import findings_in, triples


def _invokers(files: dict[str, str]) -> dict[str, frozenset[str]]:
    infra = load_infra({path: textwrap.dedent(text).encode() for path, text in files.items()}, [])
    assert not infra.errors
    return {function.ident: function.invokers for function in infra.functions}


def _fn(kind: str = "AWS::Lambda::Function") -> dict:
    return {"Type": kind, "Properties": {"Handler": "app.handler"}}


# -- CloudFormation / SAM ------------------------------------------------------------------


def test_custom_resource_service_token_is_an_invoker_other_properties_are_not() -> None:
    resources = {
        "Seeder": _fn(), "Settings": _fn(),
        "Seed": {"Type": "Custom::Seed", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Seeder", "Arn"]},
                                                        "Target": {"Ref": "Settings"}}},
        "Other": {"Type": "AWS::CloudFormation::CustomResource",
                  "Properties": {"ServiceToken": {"Fn::GetAtt": "Seeder.Arn"}}},
    }
    assert cfn_invokers(resources) == {"Seeder": {"custom-resource"}}


def test_rule_targets_schedules_and_state_machines() -> None:
    resources = {
        "Nightly": _fn(), "Step": _fn(), "Sched": _fn(),
        "Rule": {"Type": "AWS::Events::Rule",
                 "Properties": {"ScheduleExpression": "rate(1 day)",
                                "Targets": [{"Id": "t", "Arn": {"Fn::GetAtt": ["Nightly", "Arn"]}}]}},
        "Machine": {"Type": "AWS::StepFunctions::StateMachine",
                    "Properties": {"DefinitionString": {"Fn::Sub": '{"Resource": "${Step.Arn}"}'}}},
        "Scheduler": {"Type": "AWS::Scheduler::Schedule",
                      "Properties": {"Target": {"Arn": {"Fn::GetAtt": ["Sched", "Arn"]}}}},
    }
    assert cfn_invokers(resources) == {"Nightly": {"event"}, "Step": {"state-machine"}, "Sched": {"event"}}


def test_resources_that_only_name_a_function_are_not_invokers() -> None:
    resources = {
        "Fn": _fn(),
        "Role": {"Type": "AWS::IAM::Policy", "Properties": {"Resource": [{"Fn::GetAtt": ["Fn", "Arn"]}]}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${Fn}"}}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Dimensions": [{"Value": {"Ref": "Fn"}}]}},
        "Allow": {"Type": "AWS::Lambda::Permission",
                  "Properties": {"FunctionName": {"Ref": "Fn"}, "Principal": "events.amazonaws.com"}},
    }
    assert cfn_invokers(resources) == {}


def test_exported_or_passed_to_a_nested_stack_is_not_only_the_platform() -> None:
    resources = {
        "Cron": _fn("AWS::Serverless::Function"), "Shared": _fn("AWS::Serverless::Function"),
        "Nested": {"Type": "AWS::CloudFormation::Stack",
                   "Properties": {"Parameters": {"FnArn": {"Fn::GetAtt": ["Shared", "Arn"]}}}},
    }
    outputs = {"CronArn": {"Value": {"Fn::GetAtt": ["Cron", "Arn"]}}}
    assert cfn_invokers(resources, outputs=outputs) == {"Shared": {"other:nested stack"},
                                                        "Cron": {"other:exported"}}


def test_data_plane_invokers() -> None:
    resources = {
        "Api": _fn(), "Queue": _fn(), "Url": _fn(), "Callee": _fn(),
        "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {"Integration": {"Uri": {"Fn::Sub": (
            "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Api.Arn}/invocations")}}}},
        "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": {"Ref": "Queue"}}},
        "FnUrl": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Ref": "Url"}}},
        "Caller": {"Type": "AWS::Lambda::Function",
                   "Properties": {"Environment": {"Variables": {"CALLEE": {"Ref": "Callee"}}}}},
    }
    found = cfn_invokers(resources)
    assert found == {"Api": {"api"}, "Queue": {"other:queue or stream"}, "Url": {"url"}, "Callee": {"function"}}
    assert all(not platform_roles(frozenset(kinds)) for kinds in found.values())


def test_api_gateway_permission_is_a_route_unless_the_function_is_an_authorizer() -> None:
    permission = {"Type": "AWS::Lambda::Permission",
                  "Properties": {"FunctionName": {"Ref": "Auth"}, "Principal": "apigateway.amazonaws.com"}}
    authorizer = {"Type": "AWS::ApiGateway::Authorizer",
                  "Properties": {"AuthorizerUri": {"Fn::Sub": "arn:...:functions/${Auth.Arn}/invocations"}}}
    alone = cfn_invokers({"Auth": _fn(), "Allow": permission})
    assert finish(alone["Auth"]) == {"api"}
    both = cfn_invokers({"Auth": _fn(), "Allow": permission, "Authz": authorizer})
    assert finish(both["Auth"]) == {"authorizer"}


def test_sam_events_and_referencing_resources_together() -> None:
    found = _invokers({"template.yaml": """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Cron:
            Type: AWS::Serverless::Function
            Properties:
              Handler: cron.handler
              Events:
                Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
          Both:
            Type: AWS::Serverless::Function
            Properties:
              Handler: both.handler
              Events:
                Tick: {Type: EventBridgeRule, Properties: {Pattern: {source: [x]}}}
                Get: {Type: HttpApi, Properties: {Path: /x, Method: get}}
          Queued:
            Type: AWS::Serverless::Function
            Properties:
              Handler: queued.handler
              Events:
                Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
          Plain:
            Type: AWS::Serverless::Function
            Properties:
              Handler: plain.handler
          Machine:
            Type: AWS::Serverless::StateMachine
            Properties:
              DefinitionUri: machine.asl.json
              DefinitionSubstitutions:
                PlainArn: !GetAtt Plain.Arn
    """})
    assert found == {"Cron": {"event"}, "Both": {"event", "api"}, "Queued": {"other:SQS"},
                     "Plain": {"state-machine"}}


# -- serverless.yml and Terraform ------------------------------------------------------------


def test_serverless_events_step_functions_and_resources() -> None:
    found = _invokers({"serverless.yml": """
        service: s
        provider: {name: aws}
        functions:
          tick: {handler: h.tick, events: [{schedule: rate(1 hour)}]}
          mixed: {handler: h.mixed, events: [{eventBridge: {pattern: {source: [a]}}}, {httpApi: GET /m}]}
          step: {handler: h.step}
          seeded: {handler: h.seeded}
          linked: {handler: h.linked, url: true}
        stepFunctions:
          stateMachines:
            m:
              definition:
                StartAt: A
                States: {A: {Type: Task, Resource: {Fn::GetAtt: [step, Arn]}, End: true}}
        resources:
          Resources:
            Seed:
              Type: Custom::Seed
              Properties:
                ServiceToken: {Fn::GetAtt: [SeededLambdaFunction, Arn]}
    """})
    assert found == {"TickLambdaFunction": {"event"}, "MixedLambdaFunction": {"event", "api"},
                     "StepLambdaFunction": {"state-machine"}, "SeededLambdaFunction": {"custom-resource"},
                     "LinkedLambdaFunction": {"url"}}


def test_terraform_resources_that_reference_a_function() -> None:
    found = _invokers({"main.tf": """
        resource "aws_lambda_function" "job" {
          function_name = "job"
          handler       = "job.handler"
        }
        resource "aws_lambda_function" "api" {
          function_name = "api"
          handler       = "api.handler"
          environment {
            variables = {
              JOB = aws_lambda_function.job.function_name
            }
          }
        }
        resource "aws_lambda_function" "flow" {
          function_name = "flow"
          handler       = "flow.handler"
        }
        resource "aws_cloudwatch_event_target" "t" {
          arn = aws_lambda_function.job.arn
        }
        resource "aws_apigatewayv2_integration" "i" {
          integration_uri = aws_lambda_function.api.invoke_arn
        }
        resource "aws_sfn_state_machine" "m" {
          definition = jsonencode({ States = { A = { Resource = aws_lambda_function.flow.arn } } })
        }
        resource "aws_iam_role_policy" "p" {
          policy = jsonencode({ Resource = aws_lambda_function.flow.arn })
        }
        resource "aws_lambda_function" "shared" {
          function_name = "shared"
          handler       = "shared.handler"
        }
        resource "aws_scheduler_schedule" "s" {
          target {
            arn = aws_lambda_function.shared.arn
          }
        }
        output "shared_arn" {
          value = aws_lambda_function.shared.arn
        }
    """})
    assert found == {"job": {"event", "function"}, "api": {"api"}, "flow": {"state-machine"},
                     "shared": {"event", "other:exported"}}


# -- end to end: the roles decide the control plane ------------------------------------------

_HANDLER = """\
import boto3

table = boto3.resource("dynamodb").Table("settings")


def handler(event, context):
    tenant = event["tenantId"]
    table.put_item(Item={"pk": f"TENANT#{tenant}", "on": True})
"""


def test_service_token_only_handler_is_control_plane(project) -> None:
    root = project({"seed.py": _HANDLER, "template.yaml": textwrap.dedent("""\
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          SeedFn:
            Type: AWS::Lambda::Function
            Properties: {Handler: seed.handler, Runtime: python3.12}
          Seed:
            Type: Custom::TenantSeed
            Properties: {ServiceToken: !GetAtt SeedFn.Arn}
        """)})
    assert not {t for t in triples(findings_in(root)) if t[2].startswith("DYN2")}


def test_one_handler_deployed_twice_stays_data_plane_when_one_function_has_a_route(project) -> None:
    root = project({"seed.py": _HANDLER, "template.yaml": textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Nightly:
            Type: AWS::Serverless::Function
            Properties:
              Handler: seed.handler
              Events: {Tick: {Type: Schedule, Properties: {Schedule: rate(1 day)}}}
          Public:
            Type: AWS::Serverless::Function
            Properties:
              Handler: seed.handler
              FunctionUrlConfig: {AuthType: NONE}
        """)})
    assert ("seed.py", 8, "DYN201") in triples(findings_in(root))


def test_cdk_custom_resource_service_token_and_provider(project) -> None:
    app = textwrap.dedent("""\
        import aws_cdk as cdk
        from aws_cdk import aws_lambda as lambda_, custom_resources as cr

        app = cdk.App()
        stack = cdk.Stack(app, "s")
        direct = lambda_.Function(stack, "Direct", handler="seed.handler", runtime=lambda_.Runtime.PYTHON_3_12,
                                  code=lambda_.Code.from_asset("."))
        cdk.CustomResource(stack, "Seed", service_token=direct.function_arn)
        app.synth()
        """)
    root = project({"seed.py": _HANDLER, "app.py": app})
    assert not {t for t in triples(findings_in(root)) if t[2].startswith("DYN2")}
    no_iac = project({"app.py": "print('no stack')\n"})
    assert ("seed.py", 8, "DYN201") in triples(findings_in(no_iac))


def test_cdk_route_through_an_alias_keeps_a_scheduled_handler_data_plane(project) -> None:
    app = textwrap.dedent("""\
        import aws_cdk as cdk
        from aws_cdk import aws_apigateway as apigw, aws_events as events, aws_events_targets as targets
        from aws_cdk import aws_lambda as lambda_

        app = cdk.App()
        stack = cdk.Stack(app, "s")
        fn = lambda_.Function(stack, "Fn", handler="seed.handler", runtime=lambda_.Runtime.PYTHON_3_12,
                              code=lambda_.Code.from_asset("."))
        events.Rule(stack, "Tick", schedule=events.Schedule.rate(cdk.Duration.hours(1)),
                    targets=[targets.LambdaFunction(fn)])
        apigw.LambdaRestApi(stack, "Api", handler=fn.add_alias("live"))
        app.synth()
        """)
    root = project({"seed.py": _HANDLER, "app.py": app})
    assert ("seed.py", 8, "DYN201") in triples(findings_in(root))
    (root / "app.py").write_text(app.replace('apigw.LambdaRestApi(stack, "Api", handler=fn.add_alias("live"))\n', ""))
    assert not {t for t in triples(findings_in(root)) if t[2].startswith("DYN2")}


_PER_TENANT_WORKER = """\
Resources:
  Dispatcher:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: dispatch.handler, Runtime: python3.12}
  RenderWorker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: render-worker
      CodeUri: .
      Handler: worker.handler
      Runtime: python3.12
      TenancyConfig: {TenantIsolationMode: PER_TENANT}
"""


def test_an_invoke_through_another_modules_helper_is_analysed_from_its_caller(project) -> None:
    # neither module mentions tenants: the caller names the PER_TENANT function, the helper
    # in another module invokes it; the caller is analysed because it imports a Lambda client's module
    clients = ('import boto3\nlam = boto3.client("lambda")\n\n\ndef submit(name, body):\n'
               '    return lam.invoke(FunctionName=name, InvocationType="Event", Payload=body)\n')
    caller = 'from clients import submit\n\n\ndef handler(event, context):\n    submit("{}", event["body"])\n'
    root = project({"template.yaml": _PER_TENANT_WORKER, "clients.py": clients,
                    "dispatch.py": caller.format("render-worker")})
    assert triples(findings_in(root)) == {("clients.py", 6, "DYN205")}
    project({"dispatch.py": caller.format("audit-log")})
    assert triples(findings_in(root)) == set()
