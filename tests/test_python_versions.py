"""dynolint runs on Python 3.10 to 3.14. The install tests (tests/test_packaging.py, slow,
need the package registry) install and run it on the oldest supported Python; this quick
one compiles every module with that interpreter, without its dependencies, so syntax newer
than the oldest supported Python is caught by any test run."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO
from tests.pythons import find_python, oldest_supported

COMPILE_ALL = """
import pathlib, sys
failed = []
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        failed.append(f"{path}:{exc.lineno}: {exc.msg}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_compiles_on_the_oldest_supported_python() -> None:
    version = oldest_supported()
    python = find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} (the oldest supported) on this machine")
    for folder in ("dynolint", "scripts"):
        proc = subprocess.run([python, "-c", COMPILE_ALL, str(REPO / folder)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, f"Python {version} cannot compile:\n{proc.stdout}{proc.stderr}"

