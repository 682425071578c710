"""Finding other Python interpreters on this machine (for the install tests): by name on
PATH (``python3.10``), then under pyenv's versions directory. Each candidate is run to
check that it is the version asked for (a pyenv shim for a version that is not enabled
exists on PATH but fails)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO


def oldest_supported() -> str:
    """The lower bound of ``requires-python`` in pyproject.toml, e.g. ``"3.10"``."""
    text = (REPO / "pyproject.toml").read_text()
    match = re.search(r'^requires-python\s*=\s*">=\s*(3\.\d+)', text, re.MULTILINE)
    assert match, "requires-python is not of the form \">=3.N\""
    return match.group(1)


def find_python(version: str) -> str | None:
    """The path of a working Python ``version`` ("3.10"), or None."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(path) for path in sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)]
    for candidate in filter(None, candidates):
        try:
            proc = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return candidate
    return None
