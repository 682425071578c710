"""Hostile inputs (issue 18, item 2): every read is bounded and non-blocking, and every
input dynolint parses (sources, TOML settings, JSON baselines, YAML and JSON templates) has
a size and a depth limit that ends in an error naming the file, never a hang or a traceback.

Each tree is generated in a temporary folder. What could hang runs in a child process with a
generous time bound (a hang fails the test instead of stopping the suite).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dynolint.baseline import BaselineError, load
from dynolint.config import discover
from dynolint.errors import ConfigError
from dynolint.rules import KNOWN_CODES
from tests.conftest import RACY_HANDLER, findings_in, run_cli

fifo_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def _dyn000(result, path: str) -> list[str]:
    return [f.message for f in result.findings if f.code == "DYN000" and f.path == path]


# -- sources ------------------------------------------------------------------------------------


@fifo_only
def test_a_source_that_became_a_fifo_after_discovery_is_reported_not_waited_on(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_bytes(RACY_HANDLER)
    (tmp_path / "late.py").write_bytes(RACY_HANDLER)
    script = textwrap.dedent(f"""
        import json, os
        from pathlib import Path
        import dynolint.api as api
        from dynolint.config import Config
        from dynolint.discovery import discover

        def racing(paths, config, include_tests):
            found = discover(paths, config, include_tests)
            late = Path({str(tmp_path / "late.py")!r})
            late.unlink()
            os.mkfifo(late)  # replaced between discovery and reading
            return found

        api.discover = racing
        root = Path({str(tmp_path)!r})
        result = api.check_paths([root], Config(root=root), api.Options(use_cache=False))
        print(json.dumps([(f.code, os.path.basename(f.path), f.message) for f in result.findings]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)
    assert ["DYN000", "late.py", "cannot read: not a regular file"] in findings
    assert any(code == "DYN101" and name == "app.py" for code, name, _ in findings)  # the rest is checked


def test_a_source_over_max_file_size_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.dynolint]\nmax-file-size = 2000\n")
    (tmp_path / "app.py").write_bytes(RACY_HANDLER)
    big = RACY_HANDLER + b"# padding\n" * 300
    (tmp_path / "big.py").write_bytes(big)
    result = findings_in(tmp_path)
    assert result.warnings == [f"big.py: file skipped: {len(big)} bytes, over the limit of 2000 (max-file-size)"]
    assert {(f.path, f.code) for f in result.findings} == {("app.py", "DYN101")}
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 1 and "big.py" not in proc.stdout
    assert "warning: big.py: file skipped" in proc.stderr and "over the limit of 2000" in proc.stderr


def test_the_default_size_limit_is_a_few_megabytes(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_bytes(b"x = 1\n" * (5 * 1024 * 1024 // 6))
    (tmp_path / "app.py").write_bytes(RACY_HANDLER)
    result = findings_in(tmp_path)
    [message] = result.warnings
    assert message.startswith("big.py: file skipped") and not _dyn000(result, "big.py")
    assert message.endswith(f"over the limit of {4 * 1024 * 1024} (max-file-size)")


@pytest.mark.parametrize("value", ['"4MB"', "0", "-1", "true", "1.5"])
def test_max_file_size_is_validated(tmp_path: Path, value: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.dynolint]\nmax-file-size = {value}\n")
    with pytest.raises(ConfigError) as raised:
        discover(tmp_path, set(KNOWN_CODES))
    assert raised.value.key == "tool.dynolint.max-file-size"
    assert raised.value.path == str(tmp_path.resolve() / "pyproject.toml")


# -- TOML settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("name, text", [
    ("pyproject.toml", "[tool.dynolint]\nselect = [\"DYN\"]\n[tool.other]\ndeep = " + "[" * 1000 + "]" * 1000),
    ("pyproject.toml", "[tool.dynolint]\nx = " + "{a = " * 1000 + "1" + "}" * 1000),
    ("dynolint.toml", "select = " + "[" * 1000 + "]" * 1000),
])
def test_deeply_nested_toml_is_a_config_error_naming_the_file(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text + "\n")
    (tmp_path / "app.py").write_bytes(RACY_HANDLER)
    with pytest.raises(ConfigError) as raised:
        discover(tmp_path, set(KNOWN_CODES))
    assert raised.value.path.endswith(name) and "nested too deeply" in str(raised.value)
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 2 and name in proc.stderr and "Traceback" not in proc.stderr


@fifo_only
def test_a_config_naming_a_fifo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "dynolint.toml")
    (tmp_path / "app.py").write_bytes(RACY_HANDLER)
    proc = run_cli("check", "--config", "dynolint.toml", "app.py", cwd=tmp_path)
    assert proc.returncode == 2 and "dynolint.toml: cannot read: not a regular file" in proc.stderr


# -- JSON baselines -----------------------------------------------------------------------------


def _baseline_document(count: str) -> str:
    return ('{"tool": "dynolint", "version": 1, "findings": [{"fingerprint": "' + "a" * 64
            + f'", "count": {count}}}]}}')


@pytest.mark.parametrize("text, problem", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"tool": "dynolint", "version": 1, "findings": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    (_baseline_document("9" * 5000), "digits"),
])
def test_a_hostile_baseline_is_a_baseline_error_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text)
    with pytest.raises(BaselineError) as raised:
        load(path)
    assert raised.value.path == str(path) and problem in str(raised.value)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_as_baseline_is_refused_without_reading_it(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    with pytest.raises(BaselineError, match="not a regular file") as raised:
        load(Path(device))
    assert raised.value.path == device


@fifo_only
def test_a_fifo_as_baseline_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "baseline.json")
    (tmp_path / "app.py").write_bytes(RACY_HANDLER)
    proc = run_cli("check", "--baseline", "baseline.json", "app.py", cwd=tmp_path)
    assert proc.returncode == 2 and "baseline.json" in proc.stderr and "not a regular file" in proc.stderr


def test_a_plain_baseline_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(_baseline_document("3"))
    assert load(path).counts["a" * 64] == 3


# -- YAML and JSON infrastructure ----------------------------------------------------------------

TEMPLATE = """\
Resources:
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: .
"""


def _with_template(tmp_path: Path, name: str, data: bytes) -> list[tuple[str, int, str]]:
    (tmp_path / "app.py").write_bytes(RACY_HANDLER)
    (tmp_path / name).write_bytes(data)
    result = findings_in(tmp_path)
    assert ("app.py", "DYN101") in {(f.path, f.code) for f in result.findings}  # the sources still count
    return [(f.path, f.line, f.message) for f in result.findings if f.code == "DYN000"]


@pytest.mark.parametrize("name, data, line, problem", [
    ("template.yaml", b"Resources:\n  Handler:\n    Type: [unclosed\n", 4, "not valid YAML"),
    ("template.yaml", b"Resources:\n  Handler: {a: 1\n  Other: x\n", 3, "not valid YAML"),
    ("template.yaml", TEMPLATE.encode() + b"---\nsecond: document\n", 7, "not valid YAML"),
    ("serverless.yml", b"service: x\nfunctions:\n  f:\n   handler: [\n", 5, "not valid YAML"),
    ("template.json", b'{"Resources": {"Handler": }}', 1, "not valid JSON"),
    ("template.yaml", b"Resources: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", 1, "nest"),
    ("template.yaml", ("Resources:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 300))
                       + " " * 300 + "x: 1\n").encode(), 101, "nested more than 100 levels deep"),
    ("template.json", b'{"Resources": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 1, "nested too deeply"),
])
def test_a_broken_template_is_a_finding_naming_it(tmp_path: Path, name: str, data: bytes, line: int,
                                                   problem: str) -> None:
    [(path, at, message)] = _with_template(tmp_path, name, data)
    assert (path, at) == (name, line) and problem in message, message
    assert "left out" in message


def test_a_template_over_a_megabyte_is_skipped_with_a_warning(tmp_path: Path) -> None:
    body = "".join(f"  Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.h{i}\n"
                   for i in range(20_000))
    data = ("Resources:\n" + body).encode()
    assert len(data) > 1024 * 1024
    assert _with_template(tmp_path, "template.yaml", data) == []
    [message] = findings_in(tmp_path).warnings
    assert message.startswith(f"template.yaml: file skipped: {len(data)} bytes, over the limit of {1024 * 1024}")


def test_a_good_template_gives_no_finding_of_its_own(tmp_path: Path) -> None:
    assert _with_template(tmp_path, "template.yaml", TEMPLATE.encode()) == []
