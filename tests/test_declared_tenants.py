"""The tenant words a project declares through its own isolation (dynolint/declared_tenants.py):
principal tags its policies scope data by, the session tags of its STS calls, what it passes
Lambda as TenantId and what it names Lambda's tenant id."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynolint.config import Config, SubProject
from dynolint.declared_tenants import declared_tenant_names, word_of
from tests.conftest import findings_in, triples


@pytest.mark.parametrize("name, word", [
    ("BrandId", "brand"), ("brand_id", "brand"), ("custom:portfolio_id", "portfolio"), ("x-gym-id", "gym"),
    ("CampaignOwnerKey", "campaignowner"), ("HOSPITAL_UUID", "hospital"), ("storeCode", "store"),
    ("TenantId", None), ("UserId", None), ("Environment", None), ("email", None), ("Id", None), ("2fa", None), ("by", None),
])
def test_the_word_a_field_names(name: str, word: str | None) -> None:
    assert word_of(name) == word


def _names(sources: dict[str, str], infra: dict[str, str] | None = None, config: Config | None = None) -> Config:
    return declared_tenant_names(config or Config(), {k: v.encode() for k, v in sources.items()},
                                 {k: v.encode() for k, v in (infra or {}).items()})


def test_each_declaration_names_the_word() -> None:
    assert _names({}, {"template.yaml": 'Condition: {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/ClinicId}"]}'}
                  ).tenant_names == ("clinic",)
    sts = ('creds = sts.assume_role(RoleArn=ARN, RoleSessionName="s",\n'
           '    Tags=[{"Key": "FleetId", "Value": fleet_id}])["Credentials"]\n')
    assert _names({"tvm.py": sts}).tenant_names == ("fleet",)
    assert _names({"jobs.py": "lam.invoke(FunctionName=F, TenantId=job.store_id, Payload=b)\n"}).tenant_names == ("store",)
    assert _names({"jobs.py": 'lam.invoke(FunctionName=F, TenantId=body["schoolId"])\n'}).tenant_names == ("school",)
    assert _names({"w.py": "    lab_id, started = context.tenant_id, time.time()\n"}).tenant_names == ("lab",)
    assert _names({"w.py": "    site_id: str = context.tenant_id\n"}).tenant_names == ("site",)


def test_a_docstring_or_comment_declares_nothing() -> None:
    prose = ('''"""Vends sessions: ``sts.assume_role(RoleArn=A, Tags=[{"Key": "BrandId", "Value": b}])``,
policy ``${aws:PrincipalTag/BrandId}``, then ``invoke(TenantId=job.store_id)``."""
# lam.invoke(FunctionName=F, TenantId=order.shop_id)
POLICY = {"Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/FarmId}"]}}}
''')
    assert _names({"tvm.py": prose}).tenant_names == ("farm",)  # the policy the code uses, not the prose


def test_what_declares_no_tenant_adds_nothing() -> None:
    # resource tags and a session tag that names a deployment; a tenant id passed on as it is named
    untouched = {
        "infra.py": 'table = ddb.create_table(TableName="t", Tags=[{"Key": "OwnerTeam", "Value": "x"}])\n',
        "tvm.py": 'sts.assume_role(RoleArn=A, RoleSessionName="s", Tags=[{"Key": "Environment", "Value": "prod"}])\n',
        "jobs.py": "lam.invoke(FunctionName=F, TenantId=tenant_id)\nuser_id = context.tenant_id.lower()\n",
        "more.py": "lam.invoke(FunctionName=F, TenantId=value)\ncurrent = context.tenant_id\n",  # no id named
    }
    config = Config()
    assert _names(untouched, config=config) == config


def test_the_words_go_to_the_settings_of_the_folder_that_declares_them() -> None:
    config = Config(tenant_names=("org",), subprojects=(SubProject("svc/a", Config(tenant_names=())), SubProject("svc/b")))
    found = _names({"svc/a/tvm.py": 'Tags=[{"Key": "x"}]\nsts.assume_role(RoleArn=A, Tags=[{"Key": "LabId", "Value": v}])\n',
                    "svc/b/w.py": "farm_id = context.tenant_id\n"}, config=config)
    assert found.tenant_names == ("org", "farm")  # svc/b has no settings of its own: the root's govern it
    assert found.for_path("svc/a/tvm.py").tenant_names == ("lab",)


def test_a_project_that_tags_sessions_by_its_word_is_multi_tenant(tmp_path: Path) -> None:
    tvm = '''
import boto3

sts = boto3.client("sts")


def session_for(studio_id):
    creds = sts.assume_role(RoleArn="arn:aws:iam::1:role/data", RoleSessionName=studio_id,
                            Tags=[{"Key": "StudioId", "Value": studio_id}])["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])
'''
    app = '''
import boto3

shared = boto3.resource("dynamodb").Table("bookings")


def handler(event, context):
    studio_id = event["requestContext"]["authorizer"]["claims"]["custom:studio_id"]
    return shared.get_item(Key={"pk": f"BOOKING#{event['pathParameters']['booking_id']}"}).get("Item")
'''
    (tmp_path / "app.py").write_text(app)
    assert triples(findings_in(tmp_path)) == set()  # a studio is ordinary data where nothing declares it a tenant
    (tmp_path / "tvm.py").write_text(tvm)
    assert triples(findings_in(tmp_path)) == {("app.py", 9, "DYN202")}
