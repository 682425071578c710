"""`make demo`: dynolint on the bundled example project (fixtures/demo), then two of the races
it finds, fixed and shown live (scripts/demo_race.py: the cache stampede and the wallet), then
what to run on your own code.

Everything runs on temporary copies of fixtures/demo: no file in the checkout is written,
not even a cache.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "fixtures" / "demo"

NEXT_STEPS = """\
== Next steps: dynolint on your own code
  .venv/bin/dynolint check path/to/your/project          # the findings (exit status 1 if any)
  .venv/bin/dynolint check --diff path/to/your/project   # the safe fixes, as a diff; nothing is written
  .venv/bin/dynolint fix path/to/your/project            # apply the safe fixes (--unsafe-fixes: the rest)
  .venv/bin/dynolint explain DYN104                      # what a rule finds and why it matters
  Configuration, baselines and pre-commit: README.md; CI and code scanning: docs/github-actions.md
"""


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dynolint-demo-") as scratch:
        project = Path(scratch) / "demo"
        shutil.copytree(DEMO, project, ignore=shutil.ignore_patterns("__pycache__", ".dynolint_cache"))
        print("== dynolint check fixtures/demo  (on a temporary copy)", flush=True)
        check = subprocess.run([sys.executable, "-m", "dynolint", "check", "--no-cache", "."], cwd=project)
        if check.returncode not in (0, 1):  # 1: findings, as expected here; 2: something broke
            print(f"dynolint check failed (exit status {check.returncode})", file=sys.stderr)
            return check.returncode
    print(flush=True)
    race = subprocess.run([sys.executable, str(REPO / "scripts" / "demo_race.py")])
    print()
    print(NEXT_STEPS, end="")
    return race.returncode


if __name__ == "__main__":
    sys.exit(main())
