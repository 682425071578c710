"""A race told as two requests: SARIF ``codeFlows`` (two ``threadFlows`` whose steps
interleave) and ``check --explain`` in text, both from dynolint.reporters.interleaving.
The SARIF of every fixture project (races included) is validated in tests/test_sarif.py."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, write_project
from tests.sarif_tools import schema_errors
from tests.test_sarif import COUNTER, HELPERS, results, sarif

STAMPEDE = {
    "app.py": '''import boto3
import requests

table = boto3.resource("dynamodb").Table("rates")


def handler(event, context):
    key = {"pk": event["pair"]}
    item = table.get_item(Key=key).get("Item")
    if item is None:
        rate = requests.get("https://rates.example/" + event["pair"], timeout=5).json()["rate"]
        table.put_item(Item={**key, "rate": rate})
        return rate
    return item["rate"]
''',
}
TENANT = {
    "app.py": '''import boto3

table = boto3.resource("dynamodb").Table("notes")


def handler(event, context):
    tenant = context.tenant_id
    return table.get_item(Key={"pk": tenant + "#" + event["id"]})
''',
}


def _flow(result: dict) -> list[tuple[int, str, int, str]]:
    """(executionOrder, request, line, message) of every step, in execution order."""
    (code_flow,) = result["codeFlows"]
    steps = []
    for thread in code_flow["threadFlows"]:
        for step in thread["locations"]:
            location = step["location"]
            steps.append((step["executionOrder"], thread["id"],
                          location["physicalLocation"]["region"]["startLine"], location["message"]["text"]))
    return sorted(steps)


def _lines(directory: Path, result: dict) -> set[tuple[str, int]]:
    """Every (file, line) the result names: its location and its related locations."""
    named = {(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              result["locations"][0]["physicalLocation"]["region"]["startLine"])}
    for related in result.get("relatedLocations", []):
        named.add((related["physicalLocation"]["artifactLocation"]["uri"],
                   related["physicalLocation"]["region"]["startLine"]))
    return named


def test_a_lost_update_through_helpers_is_two_requests_interleaved(tmp_path: Path) -> None:
    write_project(tmp_path, HELPERS)
    log = sarif(tmp_path)
    (result,) = results(log)
    assert result["ruleId"] == "DYN101"
    steps = _flow(result)
    assert [order for order, *_ in steps] == list(range(1, len(steps) + 1))
    requests = [request for _, request, _, _ in steps]
    # A reaches and reads, B reaches and reads, then A writes, then B writes over it
    half = len(steps) // 2
    assert requests == ["request-A"] * (half // 2) + ["request-B"] * (half // 2) + \
        ["request-A"] * (half // 2) + ["request-B"] * (half // 2)
    read_line = 6  # store.py: table.get_item
    write_line = 10  # store.py: table.put_item
    assert [line for _, request, line, message in steps if "reads" in message] == [read_line, read_line]
    assert steps[-1][2] == write_line and "over A's write" in steps[-1][3]
    assert steps[-1 - half // 2][2] == write_line
    every_step = {(thread_location["location"]["physicalLocation"]["artifactLocation"]["uri"],
                   thread_location["location"]["physicalLocation"]["region"]["startLine"])
                  for thread in result["codeFlows"][0]["threadFlows"] for thread_location in thread["locations"]}
    assert every_step <= _lines(tmp_path, result)  # nothing invented
    assert ("handler.py", 5) in every_step and ("handler.py", 7) in every_step  # the calls towards read and write
    assert schema_errors(log) == []


def test_a_stampede_is_two_misses_two_payments_two_writes(tmp_path: Path) -> None:
    write_project(tmp_path, STAMPEDE)
    (result,) = results(sarif(tmp_path))
    assert result["ruleId"] == "DYN104"
    steps = _flow(result)
    assert [(request[-1], line) for _, request, line, _ in steps] == [
        ("A", 9), ("B", 9), ("A", 11), ("B", 11), ("A", 12), ("B", 12)]
    assert "finds no item" in steps[0][3] and "pays for" in steps[2][3] and "both requests paid" in steps[-1][3]


def test_a_counter_names_the_lost_change_and_tenancy_findings_have_no_flow(tmp_path: Path) -> None:
    write_project(tmp_path / "counter", {"app.py": COUNTER})
    (result,) = results(sarif(tmp_path / "counter"))
    assert result["ruleId"] == "DYN102"
    assert [line for _, _, line, _ in _flow(result)] == [7, 7, 8, 8]
    write_project(tmp_path / "tenant", TENANT)
    found = results(sarif(tmp_path / "tenant"))
    assert found and all(r["ruleId"].startswith("DYN2") for r in found)
    assert not any("codeFlows" in r for r in found)


def test_check_explain_prints_the_interleaving_under_each_race(tmp_path: Path) -> None:
    write_project(tmp_path, STAMPEDE)
    plain = run_cli("check", ".", cwd=tmp_path)
    explained = run_cli("check", "--explain", ".", cwd=tmp_path)
    assert plain.returncode == explained.returncode == 1
    extra = explained.stdout.splitlines()[1:]
    assert [line.split(":")[0:2] for line in extra] == [["    1. app.py", "9"], ["    2. app.py", "9"],
                                                       ["    3. app.py", "11"], ["    4. app.py", "11"],
                                                       ["    5. app.py", "12"], ["    6. app.py", "12"]]
    assert len(plain.stdout.splitlines()) == 1
