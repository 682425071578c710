#!/usr/bin/env python3
"""Generate a deterministic monorepo for the discovery benchmark (issue 13).

``--projects N`` sub-projects under ``services/``, each with its own ``.gitignore`` (about 20
lines of what Python, SAM and CDK projects ignore, with negations, anchored, directory-only
and ``**`` patterns), a ``pyproject.toml``, a ``template.yaml`` and about five Python modules
(DynamoDB handlers), plus a few files each ``.gitignore`` leaves out (build output, generated
code, caches), so that ignoring has work to do. The root is a git repository when ``git`` is
there (``.git/info/exclude`` included).

    python bench/gen_monorepo.py --out bench/corpora/monorepo               # 300 sub-projects
    python bench/gen_monorepo.py --out /tmp/mono --projects 50 --time      # and time discovery

``--time`` prints how long dynolint's discovery takes on the tree (best of ``--runs``), the
number that the hand-written matcher made quadratic.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

IGNORE_LINES = [
    "__pycache__/", "*.py[cod]", "*.egg-info/", ".venv/", "build/", "dist/", ".pytest_cache/",
    ".coverage", "htmlcov/", ".env", "*.log", ".aws-sam/", "cdk.out/", "node_modules/", "/generated/",
    "!/generated/", "/generated/*", "!/generated/keep_*.py", "**/tmp/**", "*.sqlite3", ".idea/",
    ".DS_Store", "local_settings.py", "/scratch", "docs/_build/", "*.bak", "**/fixtures/large_*",
    "coverage.xml", ".mypy_cache/", "# editor files", "*.swp",
]
ROOT_IGNORE = "# the monorepo\n.venv/\n__pycache__/\n*.pyc\n/out/\nservices/*/secrets/\n"

HANDLER = '''\
"""{project}: {name}."""
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    item = TABLE.get_item(Key={{"pk": event["id"]}}).get("Item") or {{"pk": event["id"], "n": 0}}
    item["n"] = item["n"] + {step}
    TABLE.put_item(Item=item)
    return item
'''

TEMPLATE = '''\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Handler: src/{package}/handler_0.handler
      Runtime: python3.12
      CodeUri: .
'''


def generate(out: Path, projects: int, seed: int) -> int:
    """Write the tree; returns how many Python files it holds (ignored ones included)."""
    rng = random.Random(f"monorepo:{seed}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / ".gitignore").write_text(ROOT_IGNORE)
    wanted = 0
    for index in range(projects):
        project = out / "services" / f"svc{index:03d}"
        package = f"svc{index:03d}"
        lines = rng.sample(IGNORE_LINES, 20)
        (project / "src" / package).mkdir(parents=True)
        (project / ".gitignore").write_text("\n".join(lines) + "\n")
        (project / "pyproject.toml").write_text(f'[project]\nname = "{package}"\nversion = "0.1.0"\n')
        (project / "template.yaml").write_text(TEMPLATE.format(package=package))
        for number in range(rng.randint(4, 6)):
            (project / "src" / package / f"handler_{number}.py").write_text(
                HANDLER.format(project=package, name=f"handler {number}", step=number + 1))
            wanted += 1
        for rel in ("build/lib/copy.py", "generated/model.py", "generated/keep_types.py", "tmp/cache/x.py",
                    "src/tmp/scratch.py", "scratch/try.py", "local_settings.py"):
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_text("x = 1\n")
            wanted += 1
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(out)], check=True)
        (out / ".git" / "info").mkdir(exist_ok=True)
        (out / ".git" / "info" / "exclude").write_text("/out/\n*.orig\n")
    return wanted


def not_ignored_by_git(out: Path) -> int | None:
    """How many Python files git does not ignore (None without git)."""
    if not (out / ".git").is_dir():
        return None
    listed = subprocess.run(["git", "-c", "core.excludesFile=", "ls-files", "--others", "--exclude-standard"],
                            cwd=out, check=True, capture_output=True, text=True).stdout.split()
    return sum(1 for name in listed if name.endswith(".py"))


def time_discovery(out: Path, runs: int) -> tuple[float, int]:
    """(best wall seconds, Python files found) of dynolint's discovery on ``out``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from dynolint.config import Config
    from dynolint.discovery import discover

    best, found = float("inf"), 0
    for _ in range(runs):
        started = time.perf_counter()
        result = discover([out], Config(root=out), False)
        best = min(best, time.perf_counter() - started)
        found = len(result.python)
    return best, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time", action="store_true", help="time dynolint's discovery on the tree")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out = args.out.resolve()
    python_files = generate(out, args.projects, args.seed)
    print(f"{out}: {args.projects} sub-projects, {python_files} Python files, "
          f"{not_ignored_by_git(out)} of them not ignored by git")
    if args.time:
        seconds, found = time_discovery(out, args.runs)
        print(textwrap.dedent(f"""\
            discovery: {seconds:.3f} s (best of {args.runs}), {found} Python files found"""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
