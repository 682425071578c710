"""The two SARIF validators the tests use (and, re-exported from conftest, a way to run the CLI in-process).

- ``jsonschema`` against the official SARIF 2.1.0 schema, as shipped in the npm package
  ``@microsoft/jest-sarif`` (``lib/schemas/sarif-2.1.0-rtm.5.json``).
- Microsoft's SARIF Multitool (npm ``@microsoft/sarif-multitool``):
  ``validate --rule-kind "Gh;Sarif"``, whose findings are read from its own SARIF log.

The multitool is called as the native executable its npm package resolves to, not through
``node_modules/.bin/sarif-multitool``: that wrapper runs the tool through a shell with the
arguments unquoted, so ``--rule-kind "Gh;Sarif"`` is cut at the ``;`` (the shell then tries to
run a command named ``Sarif``) and the GitHub and SARIF rules would not run as asked.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import REPO, run_in, working_directory  # noqa: F401 - re-exported for the tests

SCHEMA = REPO / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / "sarif-2.1.0-rtm.5.json"
MISSING_NODE_TOOLS = "the SARIF validators are not installed: run `npm install` in the repository (make test does)"


def schema_errors(log: object) -> list[str]:
    import jsonschema

    assert SCHEMA.is_file(), MISSING_NODE_TOOLS
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def multitool() -> str:
    proc = subprocess.run(["node", "-p", "require('@microsoft/sarif-multitool')"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{MISSING_NODE_TOOLS}\n{proc.stderr}"
    executable = proc.stdout.strip()
    assert os.access(executable, os.X_OK), f"{executable} is not executable; {MISSING_NODE_TOOLS}"
    return executable


def multitool_results(files: list[Path], log: Path) -> list[dict[str, object]]:
    """Validate ``files`` with ``--rule-kind "Gh;Sarif"`` at every level; the tool's own
    findings, each with ``ruleId``, ``level`` and ``text`` (it exits 0 even when it finds
    errors, so its log is what counts)."""
    proc = subprocess.run([multitool(), "validate", *map(str, files), "--rule-kind", "Gh;Sarif",
                           "--level", "Error;Warning;Note", "--output", str(log), "--log", "ForceOverwrite"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and log.is_file(), f"the multitool failed:\n{proc.stdout}\n{proc.stderr}"
    data = json.loads(log.read_text(encoding="utf-8-sig"))
    [run] = data["runs"]
    notifications = [n for invocation in run.get("invocations", [])
                     for n in invocation.get("toolExecutionNotifications", [])
                     + invocation.get("toolConfigurationNotifications", [])
                     if n.get("level", "warning") in ("error", "warning")]
    assert not notifications, f"the multitool could not run as asked: {notifications}"
    found = []
    for result in run.get("results", []):
        message = result.get("message", {})
        text = " | ".join(str(a) for a in message.get("arguments", [])) or message.get("text", "")
        found.append({"ruleId": result.get("ruleId"), "id": message.get("id"), "level": result.get("level", "warning"),
                      "text": text,
                      "file": result.get("locations", [{}])[0].get("physicalLocation", {})
                      .get("artifactLocation", {}).get("uri", "")})
    return found
