"""dynolint on real code: the published wheels of moto 5.2.x and aws-lambda-powertools.
No internal error, no DYN000 for a file CPython compiles, and a short report of what it found
(``pytest -s`` prints it; it is also written under the test's tmp dir).

The wheels are downloaded with pip (skipped when the registry cannot be reached) and kept
in pytest's cache directory between runs (``pytest --cache-clear`` drops them)."""

from __future__ import annotations

import collections
import json
import re
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.network]

PACKAGES = {  # requirement -> (wheel file name prefix, the import package inside it)
    "moto>=5.2,<5.3": ("moto-5.2.", "moto"),
    "aws-lambda-powertools": ("aws_lambda_powertools-", "aws_lambda_powertools"),
}
UNREACHABLE = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
               "Name or service not known", "Network is unreachable", "Connection refused", "timed out",
               "ProxyError", "No route to host", "Could not fetch URL", "Max retries exceeded")


def _wheel(folder: Path, prefix: str) -> Path | None:
    found = sorted(folder.glob(f"{prefix}*-py3-none-any.whl")) + sorted(folder.glob(f"{prefix}*.whl"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def packages(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The import packages, unzipped, by name."""
    store = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    cache = Path(store.mkdir("dynolint-real-code-wheels")) if store is not None else tmp_path_factory.mktemp("w")
    missing = [req for req, (prefix, _) in PACKAGES.items() if _wheel(cache, prefix) is None]
    if missing:
        download = tmp_path_factory.mktemp("wheels")
        try:
            proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                                   "--disable-pip-version-check", "--timeout", "20", "--retries", "1",
                                   "-d", str(download), *missing], capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"pip download did not finish: {exc}")
        if proc.returncode != 0:
            if "No module named pip" in proc.stderr or any(word in proc.stderr for word in UNREACHABLE):
                pytest.skip("the package registry is unreachable: " + proc.stderr.strip().splitlines()[-1])
            pytest.fail(f"pip download failed:\n{proc.stderr}")
        for wheel in download.glob("*.whl"):
            os.replace(wheel, cache / wheel.name)
    unpacked = tmp_path_factory.mktemp("real-code")
    found = {}
    for req, (prefix, name) in PACKAGES.items():
        wheel = _wheel(cache, prefix)
        assert wheel is not None, f"no wheel for {req} in {cache}"
        target = unpacked / wheel.name.split("-")[0]
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
        found[name] = target / name
    return found


def _compiles(path: Path) -> bool:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def test_real_packages(packages: dict[str, Path], tmp_path: Path) -> None:
    lines: list[str] = []
    for name, package in packages.items():
        files = sorted(package.rglob("*.py"))
        assert len(files) > 100, f"{name}: the wheel holds only {len(files)} Python files"
        proc = subprocess.run([sys.executable, "-m", "dynolint", "check", "--include-tests", "--output-format",
                               "json", name], cwd=package.parent, capture_output=True, text=True, timeout=1800)
        assert proc.returncode in (0, 1), proc.stderr
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        findings = json.loads(proc.stdout)
        assert (proc.returncode == 1) == bool(findings)

        unparsable = [f for f in findings if f["code"] == "DYN000"]
        wrongly = [f"{f['path']}: {f['message']}" for f in unparsable if _compiles(package.parent / f["path"])]
        assert not wrongly, "DYN000 for files CPython compiles:\n" + "\n".join(wrongly)

        counted = subprocess.run([sys.executable, "-m", "dynolint", "check", "--include-tests", "--statistics",
                                  "--exit-zero", name], cwd=package.parent, capture_output=True, text=True,
                                 timeout=1800)
        assert counted.returncode == 0, counted.stderr
        taken = len(files) - counted.stderr.count("file skipped: ")  # over max-file-size: said, not taken
        analysed = re.search(rf"[( ]{taken} files( checked)?[).]", counted.stderr) is not None
        assert analysed, f"{name}: not every file was taken: {counted.stderr.strip()}"

        codes = collections.Counter(f["code"] for f in findings)
        lines.append(f"{name} ({package.parent.name}): {len(files)} Python files, {len(findings)} findings, "
                     f"exit {proc.returncode}")
        lines.extend(f"  {code}: {count}" for code, count in sorted(codes.items()))
        lines.extend(f"  {f['path']}:{f['line']} {f['code']} {f['message']}" for f in findings[:20])
        if len(findings) > 20:
            lines.append(f"  ... and {len(findings) - 20} more")
    report = tmp_path / "real-code-report.txt"
    report.write_text("\n".join(lines) + "\n")
    print(f"\n{report}:\n" + report.read_text())
