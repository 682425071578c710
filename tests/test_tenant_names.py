"""The ``tenant-names`` setting: the project's own words for a tenant. A field or table named by
one of them is a tenant's, in the files of the configuration that says so; elsewhere the same
word is ordinary data. (The fixture cases tenant-names-* check the rules end to end.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dynolint.rules import KNOWN_CODES
from dynolint.config import discover
from dynolint.errors import ConfigError
from dynolint.model.event_fields import norm_key, tenant_key
from dynolint.model.key_facts import tenants_table
from dynolint.phase1.prefilter import touches_tenancy
from tests.conftest import findings_in, triples, write_project

HANDLER = '''import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["T"])


def handler(event, context):
    org = event["headers"]["x-org-id"]
    return TABLE.get_item(Key={"pk": f"ORG#{org}"}).get("Item")
'''


def _settings(tmp_path: Path, line: str):
    (tmp_path / "pyproject.toml").write_text(f"[tool.dynolint]\n{line}\n")
    return discover(tmp_path, set(KNOWN_CODES))


def test_the_setting_is_normalised_as_field_names_are(tmp_path: Path) -> None:
    config = _settings(tmp_path, 'tenant-names = ["Lessee", "work-space", "org_unit", "lessee"]')
    assert config.tenant_names == ("lessee", "workspace", "orgunit")


@pytest.mark.parametrize("value", ['"lessee"', '["lessee id"]', '["1st"]', '[""]', "[3]"])
def test_anything_but_a_list_of_words_is_an_error_naming_the_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        _settings(tmp_path, f"tenant-names = {value}")
    assert error.value.key == "tool.dynolint.tenant-names"


def test_a_field_named_by_a_word_holds_a_tenant_id_and_a_field_merely_mentioning_it_does_not() -> None:
    pattern = tenant_key(("lessee", "org"))
    for field in ("custom:lessee_id", "lesseeId", "x-lessee-id", "LESSEE", "orgId", "org_slug", "tenantId"):
        assert pattern.search(norm_key(field)), field
    for field in ("lesseeName", "lessee_registration_id", "orgChart", "tenantName"):
        assert not pattern.search(norm_key(field)), field
    assert not tenant_key(()).search(norm_key("custom:lessee_id"))  # without the setting: data


def test_a_table_named_by_a_word_is_a_table_of_tenants() -> None:
    assert tenants_table("TenantDetails") and tenants_table("lessees", ("lessee",))
    assert tenants_table("LESSEE_TABLE", ("lessee",)) and not tenants_table("lessees")


def test_a_file_that_names_tenants_only_by_a_word_is_a_tenancy_file_with_the_setting() -> None:
    data = b'def handler(event, context):\n    return event["headers"]["x-lessee-id"]\n'
    assert not touches_tenancy(data) and touches_tenancy(data, ("lessee",))
    # a word the setting normalised (``work-space``) in any spelling a file gives it
    for spelled in (b"work_space_id", b"WorkSpaceId", b"WORK-SPACE"):
        assert touches_tenancy(b'def handler(event, context):\n    return event["' + spelled + b'"]\n', ("workspace",))
    # the word in a comment or a docstring is not code that reads a tenant id
    assert not touches_tenancy(b'def handler(event, context):\n    """For a lessee."""\n    return 1  # lessee\n',
                               ("lessee",))


def test_each_sub_project_reads_its_own_words(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "pyproject.toml": '[project]\nname = "mono"\n',
        "portal/pyproject.toml": '[project]\nname = "portal"\n[tool.dynolint]\ntenant-names = ["org"]\n',
        "portal/app.py": HANDLER,
        "books/pyproject.toml": '[project]\nname = "books"\n',
        "books/app.py": HANDLER,
    })
    found = triples(findings_in(tmp_path))
    assert {(path, code) for path, _, code in found} == {("portal/app.py", "DYN204"), ("portal/app.py", "DYN201")}


def test_a_cached_run_sees_the_setting_change(tmp_path: Path) -> None:
    """The files' scans are kept between runs by their digest: a scan made without the words
    is not the answer with them, nor the other way round."""
    write_project(tmp_path, {"app.py": HANDLER, "pyproject.toml": '[project]\nname = "p"\n'})

    def codes() -> list[str]:
        out = subprocess.run([sys.executable, "-m", "dynolint", "check", "--output-format", "json", "app.py"],
                             cwd=tmp_path, capture_output=True, text=True, check=False)
        return sorted(f'"code": "{code}"' for code in ("DYN201", "DYN204") if f'"code": "{code}"' in out.stdout)

    assert codes() == []
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n[tool.dynolint]\ntenant-names = ["org"]\n')
    assert codes() == ['"code": "DYN201"', '"code": "DYN204"']
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    assert codes() == []
