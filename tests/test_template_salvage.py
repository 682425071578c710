"""A template with a line YAML cannot read (and AWS would refuse) is reported as DYN000 at that
line, and the rest of it is still read: its functions, their tenancy and their layers count."""

from __future__ import annotations

import pytest

from dynolint.model.infra import load_infra
from dynolint.model.template_text import SALVAGE_ROUNDS, TemplateError, read_yaml, read_yaml_salvaged

FUNCTION = """  {name}:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.{name}
      Events:
        Get:
          Type: Api
          Properties: {{ Path: /items/{{id}}, Method: get }}
"""
PER_TENANT = """  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.worker
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
"""


def _template(broken: int) -> str:
    return "Resources:\n" + "".join(FUNCTION.format(name=f"Api{n}") for n in range(broken)) + PER_TENANT


def test_the_rest_of_a_template_is_read_around_an_unreadable_line() -> None:
    infra = load_infra({"template.yaml": _template(2).encode()}, [])
    handlers = {f.handler: f.per_tenant for f in infra.functions}
    assert handlers == {"app.Api0": False, "app.Api1": False, "app.worker": True}, handlers
    lines = [line for _, line, _ in infra.errors]
    assert lines == [9, 17] and all("left out" in problem for _, _, problem in infra.errors), infra.errors


def test_a_readable_template_reads_as_it_did() -> None:
    text = _template(0)
    assert read_yaml_salvaged(text) == (read_yaml(text), [])


def test_past_the_rounds_the_template_is_left_out() -> None:
    with pytest.raises(TemplateError) as raised:
        read_yaml_salvaged(_template(SALVAGE_ROUNDS + 1))
    assert raised.value.line == 9  # the first problem, as before any was read around
    infra = load_infra({"template.yaml": _template(SALVAGE_ROUNDS + 1).encode()}, [])
    assert infra.functions == [] and [line for _, line, _ in infra.errors] == [9]
