"""The pre-commit hooks, run by the real pre-commit in throwaway git repositories.

pre-commit installs the hooks' repository with pip (it needs PyPI, or the configured index,
for libcst and click), once per repository and commit, as for a user. The hooks' repository is
a snapshot of this checkout as it is on disk (tracked and untracked, not ignored files),
committed in a temporary repository, and each project pins it at that commit.
Slow: deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dynolint.rules.dyn101_unguarded_write_after_read import UnguardedWriteAfterRead
from tests.conftest import REPO

pytestmark = pytest.mark.slow

GIT_ENV = {"GIT_AUTHOR_NAME": "dynolint tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
           "GIT_COMMITTER_NAME": "dynolint tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

# DYN101's own documented example, made a runnable module
RACY = "import boto3\ntable = boto3.resource(\"dynamodb\").Table(\"notes\")\n\n\n" + \
    UnguardedWriteAfterRead.docs.example.strip("\n").replace("def rename(table, note_id, title):",
                                                             "def rename(note_id, title):") + "\n"

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


def git(*args: str, cwd: Path) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def commit_all(repo: Path, message: str) -> None:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", message, cwd=repo)


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's files as they are on disk, committed in a repository of their own."""
    snapshot = tmp_path_factory.mktemp("hooks") / "dynolint"
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git("init", "-q", cwd=snapshot)
    commit_all(snapshot, "snapshot of the dynolint checkout")
    assert (snapshot / ".pre-commit-hooks.yaml").is_file()
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    return repo


def hook_env(home: Path) -> dict[str, str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    return env


def run_hook(project: Path, hooks_repo: Path, home: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit run HOOK`` with the hooks' repository pinned at its commit, as a user's
    configuration does. (``pre-commit try-repo`` would install the hooks' environment again on
    every call: pinned, pre-commit builds it once per home and reuses it, as for a user.)"""
    config = project / ".pre-commit-config.yaml"
    if not config.exists():
        head = git("rev-parse", "HEAD", cwd=hooks_repo).strip()
        config.write_text(f"repos:\n  - repo: {hooks_repo}\n    rev: {head}\n"
                          "    hooks:\n      - id: dynolint\n      - id: dynolint-fix\n")
        git("add", config.name, cwd=project)
        commit_all(project, "pre-commit configuration")
    selection = ["--files", *files] if files else ["--all-files"]
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", hook, *selection],
                          cwd=project, capture_output=True, text=True, env=hook_env(home), timeout=900)


def test_fix_hook_applies_the_safe_fix_and_then_the_check_passes(project: Path, hooks_repo: Path,
                                                                 pre_commit_home: Path) -> None:
    (project / "counter.py").write_text(COUNTER)
    commit_all(project, "a racy counter")
    failed = run_hook(project, hooks_repo, pre_commit_home, "dynolint")
    assert failed.returncode == 1 and "DYN102" in failed.stdout, failed.stdout + failed.stderr
    fixed = run_hook(project, hooks_repo, pre_commit_home, "dynolint-fix")
    assert fixed.returncode == 1, fixed.stdout  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in fixed.stdout, fixed.stdout
    assert 'UpdateExpression="ADD #n :n"' in (project / "counter.py").read_text()
    commit_all(project, "apply dynolint's fix")
    passed = run_hook(project, hooks_repo, pre_commit_home, "dynolint")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    again = run_hook(project, hooks_repo, pre_commit_home, "dynolint-fix")
    assert again.returncode == 0, again.stdout + again.stderr


def test_hook_sees_the_whole_project_but_reports_only_what_involves_the_changed_files(
        project: Path, hooks_repo: Path, pre_commit_home: Path) -> None:
    (project / "handler.py").write_text(
        'from store import load, save\n\n\ndef handler(event, context):\n    order = load(event["id"])\n'
        '    order["status"] = "CANCELLED"\n    save(order)\n')
    (project / "store.py").write_text(
        'import boto3\ntable = boto3.resource("dynamodb").Table("orders")\n\n\ndef load(order_id):\n'
        '    return table.get_item(Key={"pk": order_id}).get("Item")\n\n\ndef save(order):\n'
        '    table.put_item(Item=order)\n')
    (project / "unrelated.py").write_text("VALUE = 1\n")
    commit_all(project, "a race across modules")
    via_handler = run_hook(project, hooks_repo, pre_commit_home, "dynolint", "handler.py")
    assert via_handler.returncode == 1 and "store.py:10:5: DYN101" in via_handler.stdout, via_handler.stdout
    unrelated = run_hook(project, hooks_repo, pre_commit_home, "dynolint", "unrelated.py")
    assert unrelated.returncode == 0, unrelated.stdout + unrelated.stderr


def readme_config() -> str:
    """The .pre-commit-config.yaml the README shows."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    return block


def test_the_readme_configuration_works_as_written(project: Path, hooks_repo: Path, pre_commit_home: Path) -> None:
    """The README's snippet, with its two placeholders filled in as it says (the repository
    and a commit SHA of it), installed with ``pre-commit install``: a commit of a racy
    handler is refused, and goes through once the race is suppressed. (pre-commit clones
    the hooks' repository at that commit, as it would from GitHub.)"""
    config = readme_config()
    assert re.findall(r"<[\w-]+>", config) == ["<url-of-the-dynolint-repository>", "<commit-sha-or-tag>"]
    head = git("rev-parse", "HEAD", cwd=hooks_repo).strip()
    (project / ".pre-commit-config.yaml").write_text(
        config.replace("<url-of-the-dynolint-repository>", str(hooks_repo)).replace("<commit-sha-or-tag>", head))
    env = hook_env(pre_commit_home)
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=project, capture_output=True,
                               text=True, env=env, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (project / "notes.py").write_text(RACY)
    git("add", "-A", cwd=project)
    refused = subprocess.run(["git", "commit", "-q", "-m", "a racy handler"], cwd=project, capture_output=True,
                             text=True, env=env, timeout=900)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "notes.py:" in refused.stdout + refused.stderr and "DYN101" in refused.stdout + refused.stderr
    (project / "notes.py").write_text(RACY.replace(
        "table.put_item(Item=note)", "table.put_item(Item=note)  # dynolint: ignore[DYN101] -- last writer wins"))
    git("add", "-A", cwd=project)
    accepted = subprocess.run(["git", "commit", "-q", "-m", "accept the race"], cwd=project, capture_output=True,
                              text=True, env=env, timeout=900)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
