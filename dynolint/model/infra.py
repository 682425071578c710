"""Infrastructure as code: Lambda functions (handler, code, tenancy, environment) and
DynamoDB tables (key schema) from SAM/CloudFormation, serverless.yml, Terraform and CDK."""

from __future__ import annotations

from dynolint import ir
from dynolint.model.project import Infra


def load_infra(files: dict[str, bytes], summaries: list[ir.FileSummary]) -> Infra:
    return Infra()
