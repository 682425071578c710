"""A presigned POST grants an upload to its Key with the signer's credentials (issue 14, DYN2):
signed by the execution role in tenant-aware code it is DYN201 (key under the tenant) or DYN202
(a key that never names the tenant), as generate_presigned_url is; signed by tenant-scoped
credentials it is clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_in, write_project

HEAD = '''import boto3
s3 = boto3.client("s3")
sts = boto3.client("sts")

def handler(event, context):
    tenant = context.tenant_id
'''
SCOPED = '''    c = sts.assume_role(RoleArn="arn:aws:iam::1:role/t", RoleSessionName="t",
                        Tags=[{"Key": "TenantId", "Value": tenant}])["Credentials"]
    s3 = boto3.client("s3", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                      aws_session_token=c["SessionToken"])
'''


@pytest.mark.parametrize("call, found", [
    ('s3.generate_presigned_post("b", f"{tenant}/a.csv")', ["DYN201"]),
    ('s3.generate_presigned_post(Bucket="b", Key=f"{tenant}/a.csv")', ["DYN201"]),
    ('s3.generate_presigned_post("b", "intake/${filename}")', ["DYN202"]),
])
def test_a_presigned_post_signed_by_the_execution_role(tmp_path: Path, call: str, found: list[str]) -> None:
    write_project(tmp_path, {"app.py": HEAD + f"    return {call}\n"})
    assert [f.code for f in findings_in(tmp_path).findings] == found


def test_a_presigned_post_signed_with_tenant_credentials_is_clean(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": HEAD + SCOPED + '    return s3.generate_presigned_post("b", f"{tenant}/a")\n'})
    assert findings_in(tmp_path).findings == []
