"""The install path as a user meets it: ``python -m build`` makes a wheel and an sdist that
``twine check`` accepts, and each installs into a fresh virtual environment on the oldest
supported Python and the newest one here, and runs (entry point, configuration read with
tomllib or its backport, a finding); the sdist is installed on the oldest. Slow (pip downloads the dependencies; skipped when the
package registry cannot be reached, or when an interpreter is not installed)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dynolint import __version__
from tests.conftest import RACY_HANDLER, REPO
from tests.pythons import find_python, oldest_supported
from tests.test_real_code import UNREACHABLE

pytestmark = [pytest.mark.slow, pytest.mark.network]

NEWEST = ("3.14", "3.13")  # the newest supported version this machine has is installed too


def _run(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def _skip_if_offline(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0:
        if any(word in proc.stdout + proc.stderr for word in UNREACHABLE):
            pytest.skip(f"{what}: the package registry is unreachable")
        pytest.fail(f"{what} failed:\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and the sdist ``python -m build`` makes from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    proc = _run(sys.executable, "-m", "build", "--outdir", str(out), str(REPO), cwd=out)
    _skip_if_offline(proc, "python -m build")
    [wheel] = out.glob("dynolint-*.whl")
    [sdist] = out.glob("dynolint-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_twine_accepts_the_wheel_and_the_sdist(dist: dict[str, Path]) -> None:
    proc = _run(sys.executable, "-m", "twine", "check", "--strict", str(dist["wheel"]), str(dist["sdist"]),
                cwd=dist["wheel"].parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_the_wheel_holds_the_whole_package(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"dynolint-{__version__}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"dynolint-{__version__}.dist-info/entry_points.txt").decode()
    package = {path.relative_to(REPO).as_posix() for path in (REPO / "dynolint").rglob("*.py")}
    assert package | {"dynolint/py.typed"} == {name for name in names if name.startswith("dynolint/")}
    assert f"Requires-Python: >={oldest_supported()}" in metadata
    assert 'Requires-Dist: tomli>=1.1; python_version < "3.11"' in metadata
    assert "dynolint = dynolint.engine.fastpath:main" in entry_points


PROJECT = {
    "pyproject.toml": '[tool.dynolint]\nignore = ["DYN2"]\n\n[tool.dynolint.tables.t]\npartition-key = "pk"\n',
    "handler.py": RACY_HANDLER.decode(),
}


def _check_installed(venv: Path, project: Path) -> None:
    bin_dir = venv / "bin"
    where = _run(str(bin_dir / "python"), "-c", "import dynolint; print(dynolint.__file__)", cwd=project)
    assert where.returncode == 0 and where.stdout.startswith(str(venv)), where.stdout + where.stderr
    version = _run(str(bin_dir / "dynolint"), "--version", cwd=project)
    assert version.returncode == 0 and __version__ in version.stdout, version.stderr
    found = _run(str(bin_dir / "dynolint"), "check", "--no-cache", ".", cwd=project)
    assert found.returncode == 1 and found.stdout.startswith("handler.py:6:9: DYN101 "), found.stdout + found.stderr
    (project / "pyproject.toml").write_text('[tool.dynolint]\nignroe = ["DYN2"]\n')
    typo = _run(str(bin_dir / "dynolint"), "check", "--no-cache", ".", cwd=project)
    assert typo.returncode == 2 and "did you mean 'ignore'?" in typo.stderr, typo.stderr
    (project / "pyproject.toml").write_text(PROJECT["pyproject.toml"])


@pytest.mark.parametrize("which", ["oldest", "newest"])
def test_installs_into_a_fresh_virtualenv_and_runs(which: str, dist: dict[str, Path], tmp_path: Path) -> None:
    versions = (oldest_supported(),) if which == "oldest" else NEWEST
    python = next(filter(None, map(find_python, versions)), None)
    if python is None:
        pytest.skip(f"no Python {' or '.join(versions)} on this machine")
    venv = tmp_path / "venv"
    made = _run(python, "-m", "venv", str(venv), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if which == "oldest":  # the sdist too (it builds the wheel itself); once is enough
        _skip_if_offline(_run(*pip, str(dist["sdist"]), cwd=tmp_path), "pip install the sdist")
        _check_installed(venv, project)
        pip += ["--force-reinstall", "--no-deps"]
    _skip_if_offline(_run(*pip, str(dist["wheel"]), cwd=tmp_path), "pip install the wheel")
    _check_installed(venv, project)
