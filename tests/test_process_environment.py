"""The process environment is state that outlives an invocation (issue 14, DYN2/DYN3): what a
function stores in ``os.environ`` (item, ``update``, ``setdefault``, ``os.putenv``, ``from os
import environ``) the next invocation of the process sees, whichever tenant it serves, unless
the code removes it again (``pop``, ``del``, ``os.unsetenv``); and what a helper reads back from
it is the value stored there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, write_project

HEAD = 'import os\nfrom os import environ\nimport boto3\ntable = boto3.resource("dynamodb").Table("orders")\n'


def codes(tmp_path: Path, source: str) -> list[tuple[int, str]]:
    write_project(tmp_path, {"app.py": source})
    return sorted((f.line, f.code) for f in findings_in(tmp_path).findings)


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


STORES = [
    'os.environ["TENANT_ID"] = tenant',
    'environ["TENANT_ID"] = tenant',
    'os.environ.update({"TENANT_ID": tenant})',
    'os.environ.update(TENANT_ID=tenant)',
    'os.environ.setdefault("TENANT_ID", tenant)',
    'os.putenv("TENANT_ID", tenant)',
]


def handler(store: str, after: str = "") -> str:
    return HEAD + f'''
def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["claims"]["custom:tenant_id"]
    {store}  # STORE
    try:
        return {{"ok": True}}
    finally:
        {after or "pass"}
'''


@pytest.mark.parametrize("store", STORES)
def test_a_tenant_id_stored_in_the_environment_outlives_the_invocation(tmp_path: Path, store: str) -> None:
    source = handler(store)
    assert codes(tmp_path, source) == [(line_of(source, "# STORE"), "DYN302")]


@pytest.mark.parametrize("removal", ['os.environ.pop("TENANT_ID", None)', 'del os.environ["TENANT_ID"]',
                                     'os.unsetenv("TENANT_ID")', 'environ.pop("TENANT_ID")'])
def test_an_entry_removed_again_lives_for_one_request(tmp_path: Path, removal: str) -> None:
    assert codes(tmp_path, handler('os.environ["TENANT_ID"] = tenant', removal)) == []


def test_removing_another_entry_does_not_help(tmp_path: Path) -> None:
    source = handler('os.environ["TENANT_ID"] = tenant', 'os.environ.pop("REQUEST_ID", None)')
    assert codes(tmp_path, source) == [(line_of(source, "# STORE"), "DYN302")]


def test_constants_and_import_time_settings_are_not_tenant_state(tmp_path: Path) -> None:
    source = HEAD + '''os.environ["POWERTOOLS_SERVICE_NAME"] = "orders"

def handler(event, context):
    tenant = context.tenant_id
    os.environ["LOG_LEVEL"] = "DEBUG"
    os.environ.setdefault("REGION", os.environ.get("AWS_REGION", "eu-west-1"))
    return {"tenant": tenant}
'''
    assert codes(tmp_path, source) == []


def test_what_a_helper_reads_back_is_the_tenant_id_stored(tmp_path: Path) -> None:
    source = HEAD + '''
def load():
    return table.get_item(Key={"pk": os.environ["TENANT_ID"]})  # DATA

def load_default():
    return table.get_item(Key={"pk": os.getenv("TENANT_ID", "none"), "sk": "profile"})  # DEFAULT

def handler(event, context):
    os.environ["TENANT_ID"] = context.tenant_id  # STORE
    return load(), load_default()
'''
    assert codes(tmp_path, source) == sorted([(line_of(source, "# STORE"), "DYN302"),
                                              (line_of(source, "# DATA"), "DYN201"),
                                              (line_of(source, "# DEFAULT"), "DYN201")])


def test_a_deploy_time_tenant_in_the_environment_is_still_configuration(tmp_path: Path) -> None:
    source = HEAD + '''
def handler(event, context):
    return table.get_item(Key={"pk": os.environ["TENANT_ID"]})
'''
    assert codes(tmp_path, source) == []


def test_tenant_credentials_put_in_the_environment_are_kept_in_module_state(tmp_path: Path) -> None:
    source = HEAD + '''sts = boto3.client("sts")

def handler(event, context):
    tenant = context.tenant_id
    c = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName="t",
                        Tags=[{"Key": "TenantId", "Value": tenant}])["Credentials"]
    os.environ["AWS_ACCESS_KEY_ID"] = c["AccessKeyId"]  # KEY
    os.environ.update(AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"], AWS_SESSION_TOKEN=c["SessionToken"])  # REST
    return {"ok": True}
'''
    assert codes(tmp_path, source) == sorted([(line_of(source, "# KEY"), "DYN203"),
                                              (line_of(source, "# REST"), "DYN203")])


CREDS_HANDLER = HEAD + '''sts = boto3.client("sts")

def handler(event, context):
    tenant = context.tenant_id
    c = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName="t",
                        Tags=[{{"Key": "TenantId", "Value": tenant}}])["Credentials"]
    os.environ.update(AWS_ACCESS_KEY_ID=c["AccessKeyId"],  # STORE
                      AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"], AWS_SESSION_TOKEN=c["SessionToken"])
    try:
        orders = {maker}.resource("dynamodb").Table("orders")
        return orders.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={{":p": event["id"]}})  # DATA
    finally:
        {after}
'''


@pytest.mark.parametrize("after,stored", [("pass", [("# STORE", "DYN203")]),
                                          ('[os.environ.pop(n) for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]', []),
                                          ('os.environ.pop("AWS_ACCESS_KEY_ID"); os.environ.pop("AWS_SECRET_ACCESS_KEY"); os.environ.pop("AWS_SESSION_TOKEN")', [])])
def test_a_new_session_reads_the_credentials_stored_in_the_environment(tmp_path: Path, after: str,
                                                                      stored: list[tuple[str, str]]) -> None:
    """botocore's first credential provider is the environment: a ``boto3.Session()`` made
    without credentials after the function put tenant-scoped ones there uses them, so its data
    calls are scoped (no DYN202); keeping them there is DYN203 unless they are removed again."""
    source = CREDS_HANDLER.format(maker="boto3.Session()", after=after)
    assert codes(tmp_path, source) == sorted((line_of(source, mark), code) for mark, code in stored)


@pytest.mark.parametrize("maker", ['boto3', 'boto3.Session(profile_name="ops")'])
def test_the_default_session_and_a_profile_do_not_read_the_stored_credentials(tmp_path: Path, maker: str) -> None:
    """boto3's default session (``boto3.resource``) resolves its credentials once, at import
    here (the module's client), and a named profile reads its own: both stay the execution role."""
    source = CREDS_HANDLER.format(maker=maker, after='os.environ.pop("AWS_ACCESS_KEY_ID"); '
                                  'os.environ.pop("AWS_SECRET_ACCESS_KEY"); os.environ.pop("AWS_SESSION_TOKEN")')
    assert codes(tmp_path, source) == [(line_of(source, "# DATA"), "DYN202")]


def test_a_session_made_at_import_resolved_the_execution_role_before_any_store(tmp_path: Path) -> None:
    source = CREDS_HANDLER.replace("import boto3\n", "import boto3\nSESSION = boto3.Session()\n", 1).format(
        maker="SESSION", after='os.environ.pop("AWS_ACCESS_KEY_ID"); os.environ.pop("AWS_SECRET_ACCESS_KEY"); '
        'os.environ.pop("AWS_SESSION_TOKEN")')
    assert codes(tmp_path, source) == [(line_of(source, "# DATA"), "DYN202")]
