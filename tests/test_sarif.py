"""``--output-format sarif``: valid SARIF 2.1.0 for two real validators over the fixture
projects (every one with findings, and every fifth clean one: the logs of clean projects
differ only in their paths), and results that carry what code scanning needs: rule, level, region, related
locations linked from the message, fingerprints that survive unrelated edits, and fixes that
do what ``dynolint fix`` does."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from dynolint import __version__
from dynolint.meta import DOCUMENTED
from dynolint.reporters.sarif import FINGERPRINT_KEY
from dynolint.rules import REGISTRY
from tests.conftest import FIXTURES, REPO, write_project
from tests.sarif_tools import multitool_results, run_in, schema_errors
from tests.fuzzkit import sampled

ALL_CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if (p / "expect.json").is_file())
_CLEAN = [c for c in ALL_CASES if not json.loads((c / "expect.json").read_text())["findings"]]
CASES = [c for c in ALL_CASES if c not in _CLEAN] + _CLEAN[::5]

RACY = '''import boto3
table = boto3.resource("dynamodb").Table("notes")


def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)
'''

HELPERS = {
    "handler.py": '''from store import load, save


def handler(event, context):
    order = load(event["id"])
    order["status"] = "CANCELLED"
    save(order)
''',
    "store.py": '''import boto3
table = boto3.resource("dynamodb").Table("orders")


def load(order_id):
    return table.get_item(Key={"pk": order_id}).get("Item")


def save(order):
    table.put_item(Item=order)
''',
}

COUNTER = '''import boto3

table = boto3.resource("dynamodb").Table("counters")


def handler(event, context):
    n = table.get_item(Key={"pk": event["id"]})["Item"]["n"] + 1
    table.update_item(
        Key={"pk": event["id"]},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":n": n},
    )
'''


def sarif(directory: Path, *args: str) -> dict:
    status, out = run_in(directory, "check", "--output-format", "sarif", *(args or (".",)))
    assert status in (0, 1), out
    return json.loads(out)


def results(log: dict) -> list[dict]:
    return log["runs"][0]["results"]


SARIF_SAMPLE = 60  # fixture projects under `make test` (each run, then validated twice); all under `make fuzz`

@pytest.fixture(scope="module")
def fixture_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The SARIF of every fixture project (every fourth one under `make test`), dynolint run
    in the project's directory."""
    out = tmp_path_factory.mktemp("sarif")
    files = []
    for case in sampled(CASES, every=4, at_most=SARIF_SAMPLE):
        status, text = run_in(case, "check", "--output-format", "sarif", ".")
        assert status in (0, 1), (case.name, text)
        target = out / f"{case.name}.sarif"
        target.write_text(text, encoding="utf-8")
        files.append(target)
    return files


def broken_control(log: dict, directory: Path) -> Path:
    """A copy of ``log`` broken in ways both rule kinds must catch: a result message with
    no text (GitHub rules) and a region with no start line (SARIF rules)."""
    broken = copy.deepcopy(log)
    result = copy.deepcopy(results(log)[0])
    result["message"] = {"id": "default"}
    del result["locations"][0]["physicalLocation"]["region"]["startLine"]
    broken["runs"][0]["results"] = [result]
    target = directory / "broken-control.sarif"
    target.write_text(json.dumps(broken), encoding="utf-8")
    return target


def test_every_fixture_log_matches_the_official_schema(fixture_logs: list[Path]) -> None:
    assert len(fixture_logs) == len(sampled(CASES, every=4, at_most=SARIF_SAMPLE)) >= 40
    problems = {path.name: schema_errors(json.loads(path.read_text())) for path in fixture_logs}
    assert {name: errors for name, errors in problems.items() if errors} == {}
    assert sum(len(results(json.loads(p.read_text()))) for p in fixture_logs) >= 40


def test_every_fixture_log_passes_the_sarif_multitool_with_github_rules(fixture_logs: list[Path],
                                                                         tmp_path: Path) -> None:
    with_findings = next(p for p in fixture_logs if results(json.loads(p.read_text())))
    control = broken_control(json.loads(with_findings.read_text()), tmp_path)
    found = multitool_results([*fixture_logs, control], tmp_path / "validation.sarif")
    caught = {f["ruleId"] for f in found if f["file"].endswith(control.name) and f["level"] == "error"}
    assert any(r.startswith("GH") for r in caught) and any(r.startswith("SARIF") for r in caught), caught
    ours = [f for f in found if not f["file"].endswith(control.name)]
    # The one warning allowed: with no repository URL configured there is no page to name as
    # the tool's informationUri (SARIF2005 recommends one), and dynolint invents none.
    from dynolint.links import rules_index_url

    unlinked = rules_index_url() is None
    no_uri = ("SARIF2005", "Warning_ProvideToolnformationUri")
    ours = [f for f in ours if not (unlinked and (f["ruleId"], f["id"]) == no_uri)]
    assert [f for f in ours if f["level"] in ("error", "warning")] == []
    print(f"sarif-multitool over {len(fixture_logs)} fixture logs: 0 errors, 0 warnings, {len(ours)} notes "
          f"({', '.join(sorted({str(f['ruleId']) for f in ours}))})")


def test_result_carries_rule_level_region_and_related_locations(tmp_path: Path) -> None:
    write_project(tmp_path, HELPERS)
    log = sarif(tmp_path)
    [result] = results(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert result["ruleId"] == "DYN101" and result["level"] == "error"
    assert driver["rules"][result["ruleIndex"]]["id"] == "DYN101"
    [location] = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "store.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 10, "startColumn": 5, "endLine": 10, "endColumn": 31}
    related = {(r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"],
                r["message"]["text"]) for r in result["relatedLocations"]}
    assert ("store.py", 6, "item read here") in related
    assert {("handler.py", 5), ("handler.py", 7)} <= {(uri, line) for uri, line, _ in related}
    ids = [r["id"] for r in result["relatedLocations"]]
    assert len(set(ids)) == len(ids)
    for related_location in result["relatedLocations"]:  # linked from the message, as GitHub shows them
        assert f"]({related_location['id']})" in result["message"]["text"]


def test_severity_maps_to_level_and_driver_lists_every_rule(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    driver = sarif(tmp_path)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "dynolint" and driver["version"] == __version__
    # no repository URL in the package metadata: no link, rather than one to a page that may not exist
    assert "informationUri" not in driver and not any("helpUri" in rule for rule in driver["rules"])
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    assert set(by_id) == {rule.code for rule in DOCUMENTED} >= {rule.code for rule in REGISTRY} | {"DYN000", "DYN001"}
    for rule in DOCUMENTED:
        descriptor = by_id[rule.code]
        assert descriptor["shortDescription"]["text"].startswith(rule.summary)
        assert descriptor["fullDescription"]["text"].startswith(rule.docs.what_it_does)
        assert "## What it does" in descriptor["help"]["markdown"] and descriptor["help"]["text"]
        level = {"error": "error", "warning": "warning", "info": "note"}[rule.severity.value]
        assert descriptor["defaultConfiguration"]["level"] == level


def test_warning_severity_gives_warning_level(tmp_path: Path) -> None:
    from dynolint.findings import Confidence, Finding, Severity
    from dynolint.reporters.sarif import render_sarif

    finding = Finding("DYN201", "shared-role-tenant-access", "h.py", 1, 1, 1, 2, "m", Severity.WARNING,
                      Confidence.LOW)
    [result] = results(json.loads(render_sarif([finding])))
    assert result["level"] == "warning"


def test_fingerprints_survive_unrelated_edits_and_tell_duplicates_apart(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    [before] = results(sarif(tmp_path))
    moved = RACY.replace("import boto3\n", "import boto3\nimport json\n\n\ndef unrelated():\n    return 1\n")
    moved = moved.replace("def rename(note_id, title):\n", "def rename(note_id, title):\n    # a comment\n")
    write_project(tmp_path, {"handler.py": moved})
    [after] = results(sarif(tmp_path))
    assert after["locations"][0]["physicalLocation"]["region"]["startLine"] != \
        before["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert after["partialFingerprints"] == before["partialFingerprints"]
    changed = RACY.replace("table.put_item(Item=note)", "table.put_item(Item=note, ReturnValues='ALL_OLD')")
    write_project(tmp_path, {"handler.py": changed})
    [edited] = results(sarif(tmp_path))
    assert edited["partialFingerprints"] != before["partialFingerprints"]
    twice = RACY + "    table.put_item(Item=note)\n"
    write_project(tmp_path, {"handler.py": twice})
    pair = results(sarif(tmp_path))
    assert len(pair) == 2
    first, second = (r["partialFingerprints"][FINGERPRINT_KEY] for r in pair)
    assert first != second and first.split(":")[0] == second.split(":")[0]


def test_fixes_replay_what_dynolint_fix_writes(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": COUNTER})
    [result] = results(sarif(tmp_path))
    [fix] = result["fixes"]
    assert fix["properties"]["applicability"] == "safe" and fix["description"]["text"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "handler.py"
    replayed = apply_replacements(COUNTER, change["replacements"])
    status, _ = run_in(tmp_path, "check", "--fix", ".")
    assert status == 0
    assert replayed == (tmp_path / "handler.py").read_text() != COUNTER


def test_findings_without_a_fix_have_no_fixes(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": "import boto3\nt = boto3.client('dynamodb')\nprint 'python 2'\n"})
    [result] = results(sarif(tmp_path))
    assert result["ruleId"] == "DYN000" and "fixes" not in result


def apply_replacements(text: str, replacements: list[dict]) -> str:
    """Apply SARIF replacements (1-based lines and columns, end exclusive) to ``text``."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    spans = sorted(((offset(r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
                     offset(r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"]),
                     r.get("insertedContent", {}).get("text", "")) for r in replacements), reverse=True)
    for start, end, inserted in spans:
        text = text[:start] + inserted + text[end:]
    return text


def test_uris_are_relative_and_percent_encoded(tmp_path: Path) -> None:
    names = ["my dir/ünïcode café.py", "new\nline.py", "50%#[x]:y.py"]
    write_project(tmp_path / "project", {name: RACY for name in names})
    (tmp_path / "outside.py").write_text(RACY)
    log = sarif(tmp_path / "project", ".", str(tmp_path / "outside.py"))
    assert schema_errors(log) == []
    locations = {}
    for result in results(log):
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        locations[artifact["uri"]] = artifact.get("uriBaseId")
    relative = {unquote(uri): base for uri, base in locations.items() if not uri.startswith("file:")}
    assert relative == {name: "%SRCROOT%" for name in names}
    for uri in locations:
        assert all(32 < ord(ch) < 127 for ch in uri) and not any(ch in uri for ch in " #[]"), uri
    [absolute] = [uri for uri in locations if uri.startswith("file:")]
    assert unquote(absolute) == "file://" + (tmp_path / "outside.py").resolve().as_posix()
    assert locations[absolute] is None


def test_sarif_for_source_on_stdin(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    proc = run_cli("check", "--output-format", "sarif", "--stdin-filename", "api/h.py", "-", cwd=tmp_path, stdin=RACY)
    assert proc.returncode == 1
    [result] = results(json.loads(proc.stdout))
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "api/h.py"
    write_project(tmp_path, {"api/h.py": RACY})
    [on_disk] = results(sarif(tmp_path))
    assert on_disk["partialFingerprints"] == result["partialFingerprints"]


def test_internal_errors_and_link_like_messages(tmp_path: Path) -> None:
    from dynolint.findings import Confidence, Finding, Related, Severity
    from dynolint.reporters.sarif import render_sarif

    finding = Finding("DYN101", "unguarded-write-after-read", "h.py", 2, 1, 2, 5, 'item["n"] and [not a link](1)',
                      Severity.ERROR, Confidence.HIGH, (Related("h.py", 1, 1, "item read here"),))
    log = json.loads(render_sarif([finding], errors=["internal error in rule DYN104: boom\ntraceback..."]))
    assert schema_errors(log) == []
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "DYN104" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    text = results(log)[0]["message"]["text"]
    assert "\\[not a link\\](1)" in text and text.endswith("[item read here](1).")


def test_links_to_the_rule_pages_only_when_the_repository_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a GitHub repository named in the package metadata ([project.urls] Repository), the
    driver and each rule link to docs/rules in it (pages this repository has); with another
    host, or none, there is no link."""
    import dynolint.links as links
    from dynolint.reporters.sarif import render_sarif

    for url, expected in (("https://github.com/example/dynolint.git", "https://github.com/example/dynolint"),
                          ("https://git.example.org/dynolint", None), (None, None)):
        monkeypatch.setattr(links, "repository_url", lambda url=url: url)
        driver = json.loads(render_sarif([]))["runs"][0]["tool"]["driver"]
        if expected is None:
            assert "informationUri" not in driver and not any("helpUri" in r for r in driver["rules"])
            continue
        assert driver["informationUri"] == f"{expected}/blob/HEAD/docs/rules/README.md"
        for rule in driver["rules"]:
            assert rule["helpUri"] == f"{expected}/blob/HEAD/docs/rules/{rule['id']}.md"
            assert (REPO / "docs" / "rules" / f"{rule['id']}.md").is_file()
    assert (REPO / "docs" / "rules" / "README.md").is_file()


