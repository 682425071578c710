"""The race lab harness itself: fresh imports, the barrier-started burst, the paid API.

These need no dynalite, so they carry no ``racelab`` mark.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from pathlib import Path

from .harness import PaidApi, copy_project, load_module, run_concurrently, unload


def _project(root: Path, answer: int) -> Path:
    root.mkdir()
    (root / "helper.py").write_text(f"ANSWER = {answer}\n")
    (root / "app.py").write_text("from helper import ANSWER\n\ndef handler():\n    return ANSWER\n")
    return root


def test_load_module_keeps_an_original_and_a_copy_apart(tmp_path: Path) -> None:
    original = _project(tmp_path / "original", 1)
    fixed = copy_project(original, tmp_path / "fixed")
    (fixed / "helper.py").write_text("ANSWER = 2\n")
    path_before = list(sys.path)

    a = load_module(original, "app")
    b = load_module(fixed, "app")
    a_again = load_module(original, "app")
    try:
        assert (a.handler(), b.handler(), a_again.handler()) == (1, 2, 1)
        assert a is not a_again  # fresh every time
        assert sys.path == path_before
        assert "app" not in sys.modules and "helper" not in sys.modules
        assert not list(tmp_path.rglob("__pycache__"))
    finally:
        for module in (a, b, a_again):
            unload(module)


def test_run_concurrently_starts_together_and_keeps_exceptions() -> None:
    inside = 0
    most_inside = 0
    lock = threading.Lock()
    release = threading.Event()

    def call(i: int) -> int:
        nonlocal inside, most_inside
        with lock:
            inside += 1
            most_inside = max(most_inside, inside)
            if inside == 8:
                release.set()
        release.wait(timeout=5)
        with lock:
            inside -= 1
        if i == 3:
            raise ValueError("three")
        return i * 10

    burst = run_concurrently(call, list(range(8)), threads=8)
    assert most_inside == 8  # all eight calls were in flight at once
    assert [o.result for o in burst if o.ok] == [0, 10, 20, 40, 50, 60, 70]
    assert isinstance(burst.outcomes[3].exception, ValueError)
    assert [o.index for o in burst.failed] == [3]


def test_paid_api_counts_and_numbers_calls() -> None:
    with PaidApi(delay=0.05) as api:
        bodies = [json.loads(urllib.request.urlopen(f"{api.url}/v3?q=oslo", timeout=5).read())
                  for _ in range(3)]
        assert api.calls == 3
    assert [b["n"] for b in bodies] == [1, 2, 3]
    assert bodies[0]["city"] == "oslo"
