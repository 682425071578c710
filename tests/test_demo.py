"""``make demo``: no make error, nothing in the checkout written (it works on temporary
copies of fixtures/demo), and it ends with what to run next. Slow: the race part starts
dynalite and runs 20 concurrent requests twice (the cache stampede) and 20 concurrent spends
three times (the wallet: original, atomic ADD without the condition, fixed). The demo's exit
status says whether both fixed handlers behaved."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow


def tree_digest() -> dict[str, str]:
    demo = FIXTURES / "demo"
    return {str(path.relative_to(demo)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            for path in sorted(demo.rglob("*"))}


def test_the_demo_recipe_ignores_no_error() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    proc = subprocess.run(["make", "-n", "demo"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    recipe = (REPO / "Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert not any(line.startswith("\t-") for line in recipe.splitlines()), recipe  # "Error 1 (ignored)"


def test_the_demo_runs_on_a_copy_and_ends_with_next_steps() -> None:
    if not (REPO / "node_modules" / ".bin" / "dynalite").exists():
        pytest.skip("node_modules is not installed (make node_modules/.installed)")
    before = tree_digest()
    proc = subprocess.run([sys.executable, "scripts/demo.py"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tree_digest() == before  # not even a cache directory
    out = proc.stdout
    assert "src/orders/store.py:17:5: DYN101" in out and "Found 5 findings in 5 files" in proc.stderr
    assert "src/wallet/app.py:28:5: DYN102" in out
    wallet = out[out.index("spends of 1 from a wallet holding 10"):out.index("== Next steps")]
    assert "after dynolint fix                 10       10              0          no" in wallet
    assert out.rstrip().splitlines()[-1].startswith("  Configuration, baselines and pre-commit: README.md")
