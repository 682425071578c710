"""Tables the deployment names (model/deployment.py): a table value built from environment
variables is the table the infrastructure fills them with, however it is spelled."""

from __future__ import annotations

import json
import textwrap

from dynolint.discovery import maybe_template
from dynolint.model.deployment import DeployedNames, cfn_text
from dynolint.model.infra import load_infra
from dynolint.model.values import ConstV, EnvV, StrV, Val
from tests.modelkit import model_of

PARAMS = frozenset({"App", "Stage"})


def _env(name: str) -> EnvV:
    return EnvV(ConstV(name), None)


def _infra(files: dict[str, str]):
    infra = load_infra({path: textwrap.dedent(text).encode() for path, text in files.items()}, [])
    assert not infra.errors
    return infra


def test_cloudformation_values_become_names_with_placeholders() -> None:
    assert cfn_text({"Ref": "App"}, PARAMS) == "${App}"
    assert cfn_text({"Ref": "AWS::Region"}, PARAMS) == "${AWS::Region}"
    assert cfn_text({"Fn::Sub": "${App}-${Stage}-jobs"}, PARAMS) == "${App}-${Stage}-jobs"
    assert cfn_text({"Fn::Sub": ["${Base}-jobs", {"Base": {"Ref": "App"}}]}, PARAMS) == "${App}-jobs"
    assert cfn_text({"Fn::Join": ["-", [{"Ref": "App"}, "jobs"]]}, PARAMS) == "${App}-jobs"
    # a resource's attribute, a resource's generated name, a lookup: not a name the code can build
    assert cfn_text({"Fn::GetAtt": ["Jobs", "Arn"]}, PARAMS) is None
    assert cfn_text({"Ref": "JobsTable"}, PARAMS) is None
    assert cfn_text({"Fn::FindInMap": ["M", "a", "b"]}, PARAMS) is None
    assert cfn_text({"Fn::Join": ["-", [{"Fn::GetAtt": ["Jobs", "Arn"]}, "x"]]}, PARAMS) is None


PARENT = """
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      ProductName: {Type: String}
      Stage: {Type: String}
    Resources:
      Data:
        Type: AWS::CloudFormation::Stack
        Properties:
          TemplateURL: !Sub "https://${Bucket}.s3.amazonaws.com/releases/data.template"
          Parameters:
            Product: !Ref ProductName
            Stage: !Ref Stage
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          Handler: app.handler
          Environment:
            Variables:
              JOBS: !GetAtt Data.Outputs.JobsName
              PRODUCT: !Ref ProductName
              STAGE: !Sub "${Stage}"
              MISSING: !GetAtt Data.Outputs.NoSuchOutput
"""

CHILD = json.dumps({
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Product": {"Type": "String"}, "Stage": {"Type": "String"}},
    "Resources": {"Jobs": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "TableName": {"Fn::Sub": "${Product}-${Stage}-jobs"},
        "KeySchema": [{"AttributeName": "job_id", "KeyType": "HASH"}]}}},
    "Outputs": {"JobsName": {"Value": {"Ref": "Jobs"}}},
})


def test_a_nested_stacks_output_is_its_table_named_in_the_parents_terms() -> None:
    infra = _infra({"template.yaml": PARENT, "nested/data.template": CHILD})
    env = dict(infra.functions[0].env)
    # the child's Product is the parent's ProductName: the name is in the parent's terms
    assert env["JOBS"] == "sub:${ProductName}-${Stage}-jobs"
    assert env["PRODUCT"] == "sub:${ProductName}" and env["STAGE"] == "sub:${Stage}"
    assert env["MISSING"] == "out:Data.NoSuchOutput"  # unresolved, and names nothing
    names = DeployedNames(infra)
    built = StrV((_env("PRODUCT"), ConstV("-"), _env("STAGE"), ConstV("-jobs")))
    assert names.names(_env("JOBS")) == names.names(built) == {"${ProductName}-${Stage}-jobs"}
    assert names.names(_env("MISSING")) == set()
    assert [decl.partition_key for decl in names.tables(names.names(_env("JOBS")))] == ["job_id"]


def test_a_variable_functions_disagree_on_names_nothing() -> None:
    infra = _infra({"template.yaml": """
        Resources:
          A: {Type: AWS::Lambda::Function, Properties: {Handler: a.h, Environment: {Variables: {T: !Ref Invoices, U: !Ref Invoices}}}}
          B: {Type: AWS::Lambda::Function, Properties: {Handler: b.h, Environment: {Variables: {T: !Ref Quotes}}}}
          Invoices: {Type: AWS::DynamoDB::Table, Properties: {KeySchema: [{AttributeName: id, KeyType: HASH}]}}
          Quotes: {Type: AWS::DynamoDB::Table, Properties: {KeySchema: [{AttributeName: id, KeyType: HASH}]}}
    """})
    names = DeployedNames(infra)
    assert names.names(_env("T")) == set()  # shared code cannot tell which function it runs in
    invoices = names.names(_env("U"))
    assert len(invoices) == 1 and next(iter(invoices)).startswith("<table ")  # the deployment names it


def test_names_follow_literals_and_refuse_what_is_not_one_text() -> None:
    infra = _infra({"main.tf": """
        variable "prefix" { type = string }
        resource "aws_lambda_function" "f" {
          function_name = "f"
          handler = "app.handler"
          environment {
            variables = {
              SEATS = aws_dynamodb_table.seats.name
              PREFIX = var.prefix
              MODE = "strict"
            }
          }
        }
        resource "aws_dynamodb_table" "seats" {
          name = "${var.prefix}-seats"
          hash_key = "show_id"
        }
    """})
    names = DeployedNames(infra)
    assert names.names(_env("SEATS")) == names.names(StrV((_env("PREFIX"), ConstV("-seats")))) == {
        "${var.prefix}-seats"}
    assert names.names(_env("MODE")) == {"strict"}
    either: Val = StrV((_env("PREFIX"), _env("NOT_DECLARED")))
    assert names.names(either) == set()  # a part the deployment does not fill: no name


def _table_of_same_item(template: str, write_table: str) -> list[str]:
    model = model_of({"app.py": textwrap.dedent(f"""
        import os
        import boto3

        jobs = boto3.resource("dynamodb").Table(os.environ["JOBS"])
        other = boto3.resource("dynamodb").Table({write_table})

        def handler(event, context):
            job = jobs.get_item(Key={{"job_id": event["id"]}})["Item"]
            if job["state"] == "QUEUED":
                other.update_item(Key={{"job_id": event["id"]}}, UpdateExpression="SET #s = :s",
                                  ExpressionAttributeNames={{"#s": "state"}},
                                  ExpressionAttributeValues={{":s": "RUNNING"}})
    """)}, infra={"template.yaml": textwrap.dedent(template)})
    return sorted(race.kind for race in model.races())


TEMPLATE = """
    Parameters:
      App: {Type: String}
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Handler: app.handler
          Environment:
            Variables: {JOBS: !Ref Jobs, APP: !Ref App}
      Jobs:
        Type: AWS::DynamoDB::Table
        Properties:
          TableName: !Sub "${App}-jobs"
          KeySchema: [{AttributeName: job_id, KeyType: HASH}]
"""


def test_a_read_and_a_write_of_one_table_by_two_spellings_race() -> None:
    assert _table_of_same_item(TEMPLATE, 'f"{os.environ[\'APP\']}-jobs"')
    assert _table_of_same_item(TEMPLATE, 'os.environ["APP"] + "-jobs"')
    assert _table_of_same_item(TEMPLATE, '"-".join([os.environ["APP"], "jobs"])')


def test_another_table_built_from_the_same_parts_does_not() -> None:
    assert not _table_of_same_item(TEMPLATE, 'f"{os.environ[\'APP\']}-jobs-archive"')
    assert not _table_of_same_item(TEMPLATE, 'f"{os.environ[\'STAGE\']}-jobs"')  # a variable nobody sets


def test_cloudformation_templates_named_dot_template_are_looked_at() -> None:
    assert maybe_template("solution-data.template", "CFN-templates")
    assert maybe_template("stack.TEMPLATE", "deploy")
    assert not maybe_template("email.html", "templates")


def test_a_resource_is_the_one_of_the_functions_own_template() -> None:
    """Sibling projects each with an ``OrderTable`` of their own: ``!Ref OrderTable`` in one
    is not the other's table, so a variable both set names neither."""
    def lab(name: str, keys: str) -> str:
        return f"""
            Resources:
              Fn: {{Type: AWS::Lambda::Function, Properties: {{Handler: a.h, Environment: {{Variables: {{ORDERS: !Ref OrderTable}}}}}}}}
              OrderTable: {{Type: AWS::DynamoDB::Table, Properties: {{TableName: {name}, KeySchema: [{keys}]}}}}
        """
    one = {"lab1/template.yaml": lab("Order-Lab1", "{AttributeName: orderId, KeyType: HASH}")}
    two = {**one, "lab3/template.yaml": lab("Order-pooled", "{AttributeName: shardId, KeyType: HASH}")}
    assert DeployedNames(_infra(one)).names(_env("ORDERS")) == {"Order-Lab1"}
    assert DeployedNames(_infra(two)).names(_env("ORDERS")) == set()
