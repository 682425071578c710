"""The composite GitHub Action (action.yml), run here step by step as the Actions runner
would: its ``${{ }}`` expressions filled in from the inputs, ``if:`` conditions decided,
each ``run:`` script executed by ``bash -eo pipefail`` with ``GITHUB_ENV`` and
``GITHUB_OUTPUT`` files, from a checkout of this repository as the action's path. The two
``uses:`` steps are stood in for: setup-python gives this interpreter's path, and the
upload records which file it would upload. Slow: the install step builds dynolint with pip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import RACY_HANDLER, REPO
from tests.test_precommit import git

pytestmark = [pytest.mark.slow, pytest.mark.network]

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
CONDITION = re.compile(r"^inputs\.([\w-]+) == '([^']*)'$")


def test_the_action_is_composite_uses_current_majors_and_declares_what_it_reads() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert [step["uses"] for step in STEPS if "uses" in step] == [
        "actions/setup-python@v5", "github/codeql-action/upload-sarif@v3"]
    text = (REPO / "action.yml").read_text()
    read = set(re.findall(r"inputs\.([\w-]+)", text))
    assert read == set(ACTION["inputs"]), "every input is declared and used"
    assert "${{ github.action_path }}" in text  # installed from the action's own checkout
    for step in STEPS:
        if "run" in step:  # inputs reach the scripts as environment variables, never as code
            assert not EXPRESSION.search(step["run"]), step["name"]


class Runner:
    """Runs the action's steps with given inputs in ``workspace``."""

    def __init__(self, action_path: Path, temp: Path) -> None:
        self.action_path, self.temp = action_path, temp
        self.env: dict[str, str] = {}
        self.outputs: dict[str, dict[str, str]] = {}
        self.uploaded: list[dict[str, str]] = []

    def value(self, expression: str, inputs: dict[str, str]) -> str:
        if expression.startswith("inputs."):
            name = expression[len("inputs."):]
            return inputs.get(name, str(ACTION["inputs"][name].get("default", "")))
        if expression.startswith("steps."):
            step, _, name = expression[len("steps."):].partition(".outputs.")
            return self.outputs.get(step, {}).get(name, "")
        return {"github.action_path": str(self.action_path), "runner.temp": str(self.temp)}[expression]

    def fill(self, text: str, inputs: dict[str, str]) -> str:
        return EXPRESSION.sub(lambda match: self.value(match.group(1), inputs), str(text))

    def run(self, workspace: Path, inputs: dict[str, str], skip: tuple[str, ...] = ()) -> int:
        """The status of the step that failed, or 0."""
        for step in STEPS:
            if step["name"] in skip:
                continue
            condition = step.get("if")
            if condition is not None:
                match = CONDITION.match(condition)
                assert match, f"a condition this runner cannot decide: {condition}"
                if self.value(f"inputs.{match.group(1)}", inputs) != match.group(2):
                    continue
            with_ = {key: self.fill(value, inputs) for key, value in step.get("with", {}).items()}
            if step.get("uses", "").startswith("actions/setup-python@"):
                self.outputs[step["id"]] = {"python-path": sys.executable}
                continue
            if step.get("uses", "").startswith("github/codeql-action/upload-sarif@"):
                self.uploaded.append({**with_, "resolved": str(workspace / with_["sarif_file"])})
                continue
            status = self._script(step, workspace, inputs)
            if status:
                return status
        return 0

    def _script(self, step: dict[str, object], workspace: Path, inputs: dict[str, str]) -> int:
        env_file, output_file = self.temp / "github_env", self.temp / "github_output"
        env_file.write_text("")
        output_file.write_text("")
        env = {**os.environ, **self.env, "GITHUB_ENV": str(env_file), "GITHUB_OUTPUT": str(output_file),
               **{key: self.fill(value, inputs) for key, value in dict(step.get("env", {})).items()}}
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONPATH", None)
        cwd = workspace / self.fill(step.get("working-directory", "."), inputs)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", str(step["run"])],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        self.log = getattr(self, "log", "") + proc.stdout + proc.stderr
        self.last_stdout = proc.stdout
        self.env.update(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        if "id" in step:
            self.outputs[str(step["id"])] = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
        return proc.returncode


@pytest.fixture(scope="module")
def action_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's tracked and new files, as a fresh checkout of it holds them."""
    checkout = tmp_path_factory.mktemp("action") / "dynolint"
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink() and not name.startswith(("tests/", "fixtures/", "bench/")):
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    return checkout


def test_the_action_installs_dynolint_runs_it_and_uploads_the_sarif(action_path: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "app").mkdir(parents=True)
    (workspace / "app" / "handler.py").write_bytes(RACY_HANDLER)
    runner = Runner(action_path, tmp_path)
    status = runner.run(workspace, {"upload-sarif": "true", "paths": "app"})
    assert status == 1, runner.log  # findings fail the job...
    assert runner.outputs["check"] == {"exit-code": "1"}
    [annotation] = runner.last_stdout.splitlines()
    assert annotation.startswith("::error file=app/handler.py,line=6,") and "title=DYN101 " in annotation
    [upload] = runner.uploaded  # ...after the SARIF was uploaded
    assert upload["category"] == "dynolint"
    log = json.loads(Path(upload["resolved"]).read_text())
    assert log["version"] == "2.1.0"
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["DYN101"]
    # again with the installed dynolint: extra arguments, another format, no upload
    runner.uploaded.clear()
    status = runner.run(workspace, {"args": "--select DYN2 --exit-zero", "format": "json"},
                        skip=("Install dynolint",))
    assert status == 0 and json.loads(runner.last_stdout) == [] and runner.uploaded == []
    broken = runner.run(workspace, {"args": "--select NOPE", "upload-sarif": "true"}, skip=("Install dynolint",))
    assert broken == 2 and runner.uploaded == []  # a broken run stops before the upload
