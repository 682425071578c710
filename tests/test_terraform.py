"""Terraform as model/terraform.py reads it: comments (never inside strings) and a function's
environment written out, as a ``local`` or as ``merge(...)`` of both."""

from __future__ import annotations

import textwrap

from dynolint.model.infra import load_infra
from dynolint.model.project import LambdaFunction


def _functions(text: str) -> dict[str, LambdaFunction]:
    infra = load_infra({"infra/main.tf": textwrap.dedent(text).encode()}, [])
    assert not infra.errors
    return {function.ident: function for function in infra.functions}


def test_a_url_in_a_string_is_no_comment() -> None:
    functions = _functions('''
        resource "aws_lambda_function" "api" {  # the shared API
          function_name = "api"
          handler       = "app.handler"
          environment {
            variables = { PAYMENTS = "https://pay.example.com/v1", TAG = "a#b" }  // inline
          }
        }
        /* the worker
           runs per tenant */
        resource "aws_lambda_function" "worker" {
          function_name = "worker"
          handler       = "worker.handler"
          tenancy_config {
            tenant_isolation_mode = "PER_TENANT"
          }
        }
    ''')
    assert not functions["api"].per_tenant and functions["worker"].per_tenant
    assert dict(functions["api"].env) == {"PAYMENTS": "lit:https://pay.example.com/v1", "TAG": "lit:a#b"}


def test_environment_from_locals_and_merge() -> None:
    functions = _functions('''
        locals {
          common = {
            TABLE = aws_dynamodb_table.orders.name
            STAGE = "prod"
          }
        }
        resource "aws_lambda_function" "dispatcher" {
          function_name = "dispatcher"
          handler       = "dispatch.handler"
          environment {
            variables = merge(local.common, {
              WORKER = aws_lambda_function.worker.function_name
            }, { STAGE = "dev" })
          }
        }
        resource "aws_lambda_function" "reader" {
          function_name = "reader"
          handler       = "read.handler"
          environment {
            variables = local.common
          }
        }
        resource "aws_lambda_function" "worker" {
          function_name = "worker"
          handler       = "worker.handler"
        }
    ''')
    assert dict(functions["dispatcher"].env) == {"TABLE": "fn:orders", "STAGE": "lit:dev", "WORKER": "fn:worker"}
    assert dict(functions["reader"].env) == {"TABLE": "fn:orders", "STAGE": "lit:prod"}
    assert functions["worker"].env == ()
