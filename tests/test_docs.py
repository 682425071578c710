"""docs/rules/ is generated from the rules' own docs: it must be current, every rule must
have the required headings, only the fixed headings, in the fixed order; the GitHub Actions
example must be a workflow that uploads dynolint's SARIF."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from dynolint.docs import generate, render_rule, stale_pages
from dynolint.meta import DOCUMENTED
from dynolint.rules import REGISTRY
from dynolint.rules.base import DOC_HEADINGS
from tests.conftest import REPO, run_cli

RULE_DOCS = REPO / "docs" / "rules"
REQUIRED = ("What it does", "Why is this bad?", "Example", "Use instead")


def test_generated_pages_are_current() -> None:
    assert stale_pages(RULE_DOCS) == [], "docs/rules is stale: run `python -m dynolint.docs`"
    check = subprocess.run([sys.executable, "-m", "dynolint.docs", "--check", "--out", str(RULE_DOCS)],
                           capture_output=True, text=True, cwd=REPO)
    assert check.returncode == 0, check.stderr


def test_stale_pages_are_detected(tmp_path) -> None:
    out = tmp_path / "rules"
    assert subprocess.run([sys.executable, "-m", "dynolint.docs", "--out", str(out)], cwd=REPO).returncode == 0
    assert stale_pages(out) == []
    (out / "DYN101.md").write_text((out / "DYN101.md").read_text() + "edited\n")
    (out / "DYN999.md").write_text("# a rule that no longer exists\n")
    (out / "DYN205.md").unlink()
    assert stale_pages(out) == ["DYN101.md", "DYN205.md", "DYN999.md"]
    check = subprocess.run([sys.executable, "-m", "dynolint.docs", "--check", "--out", str(out)],
                           capture_output=True, text=True, cwd=REPO)
    assert check.returncode == 1 and "DYN101.md" in check.stderr


def test_every_rule_has_the_required_headings_in_the_fixed_order() -> None:
    assert {rule.code for rule in REGISTRY} <= {rule.code for rule in DOCUMENTED}
    for rule in DOCUMENTED:
        page = (RULE_DOCS / f"{rule.code}.md").read_text()
        headings = re.findall(r"^## (.+)$", page, flags=re.MULTILINE)
        assert set(REQUIRED) <= set(headings), (rule.code, headings)
        assert all(h in DOC_HEADINGS for h in headings), (rule.code, headings)
        assert headings == sorted(headings, key=DOC_HEADINGS.index), (rule.code, headings)
        assert page.startswith(f"# {rule.code} {rule.name}\n")


def test_pages_are_what_explain_prints() -> None:
    pages = generate()
    for rule in DOCUMENTED:
        assert pages[f"{rule.code}.md"] == render_rule(rule)
    for code in ("DYN101", "DYN302", "DYN000", "DYN001"):
        explained = run_cli("explain", code, cwd=REPO)
        assert explained.returncode == 0
        assert explained.stdout == (RULE_DOCS / f"{code}.md").read_text() + "\n"


def test_index_links_every_page() -> None:
    index = (RULE_DOCS / "README.md").read_text()
    linked = set(re.findall(r"\]\((DYN\d{3})\.md\)", index))
    assert linked == {rule.code for rule in DOCUMENTED}


CURRENT_ACTIONS = re.compile(r"^(actions/checkout@v[45]|actions/setup-python@v5|github/codeql-action/upload-sarif@v3)$")
THIS_ACTION = "<owner>/<repository>@<commit-sha>"  # the reader fills in where the repository is and a commit


def test_github_actions_examples_use_this_repository_and_current_actions() -> None:
    readme = (REPO / "README.md").read_text()
    assert "docs/github-actions.md" in readme
    text = (REPO / "docs" / "github-actions.md").read_text()
    workflow_block, steps_block = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    workflow = yaml.safe_load(workflow_block)
    assert workflow["permissions"]["security-events"] == "write"
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    [ours] = [step for step in steps if step.get("uses") == THIS_ACTION]
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert set(ours["with"]) <= set(action["inputs"]) and ours["with"]["upload-sarif"] is True
    assert all(CURRENT_ACTIONS.match(step["uses"]) for step in steps if "uses" in step and step is not ours)
    # the same without the action: pip install from the repository, then upload the SARIF
    steps = yaml.safe_load(steps_block)
    runs = " ".join(step.get("run", "") for step in steps)
    assert 'pip install "git+https://github.com/<owner>/<repository>@<commit-sha>"' in runs
    assert "--output-format sarif" in runs
    [upload] = [step for step in steps if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] in runs
    assert all(CURRENT_ACTIONS.match(step["uses"]) for step in steps if "uses" in step)


def test_no_page_names_a_package_index_entry_or_a_ref_that_does_not_exist() -> None:
    """dynolint is on no package index and this repository has no tags: the docs tell the
    reader to pick the repository's URL and a commit SHA (or a tag they made)."""
    pages = [REPO / "README.md", REPO / "action.yml", *sorted((REPO / "docs").rglob("*.md"))]
    for page in pages:
        text = page.read_text()
        for wrong in ("pip install dynolint", "pypi.org/project/dynolint", "OWNER/dynolint", "@v0.1.0", "rev: v0.1.0"):
            assert wrong not in text, f"{page.relative_to(REPO)} names {wrong!r}"
