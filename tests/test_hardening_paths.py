"""Hardening: dynolint survives odd paths. Symlink loops, unreadable files and directories,
a directory named like a module, FIFOs and sockets, files that vanish mid-run, file names
with newlines and non-ASCII (escaped correctly in every output format), the same file named
twice. The CLI runs in a subprocess with a timeout, so a hang fails the test."""

from __future__ import annotations

import base64
import ctypes
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote

import pytest

import dynolint.api as api_module
from dynolint.api import Options, check_paths, fix_paths
from dynolint.config import Config, discover
from dynolint.findings import Confidence, Finding, Related, Severity
from dynolint.rules import KNOWN_CODES
from tests.conftest import RACY_HANDLER

RACY = RACY_HANDLER
NOBODY = 65534
TIMEOUT = 60


def run(*args: str, cwd: Path, preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "dynolint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, preexec_fn=preexec_fn, errors="surrogateescape")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def check_json(cwd: Path, *args: str, preexec_fn: Callable[[], None] | None = None) -> tuple[int, list[dict]]:
    proc = run("check", "--no-cache", "--output-format", "json", *args, cwd=cwd, preexec_fn=preexec_fn)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def pairs(findings: list[dict]) -> list[tuple[str, str]]:
    return sorted((f["path"], f["code"]) for f in findings)


# ---------------------------------------------------------------------------------------
# symlinks


def test_symlink_loops_neither_hang_nor_crash(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    (tmp_path / "loop.py").symlink_to("loop1")
    (tmp_path / "self").symlink_to(".")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "up").symlink_to("..")
    (tmp_path / "again.py").symlink_to("pkg/../handler.py")  # sorts first, but is not the file itself
    status, findings = check_json(tmp_path, ".")
    assert status == 1
    # the directory symlinks are not followed, the file symlink to handler.py is the same file,
    # loop1 and loop2 are not Python files, loop.py cannot be opened
    assert pairs(findings) == [("handler.py", "DYN101"), ("loop.py", "DYN000")]
    [loop] = [f for f in findings if f["path"] == "loop.py"]
    assert "cannot read" in loop["message"] and "symbolic links" in loop["message"]


def test_symlink_loop_named_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    (tmp_path / "loop.py").symlink_to("loop1")
    status, findings = check_json(tmp_path, "loop.py", "handler.py", "loop1")
    assert status == 1
    assert pairs(findings) == [("handler.py", "DYN101"), ("loop.py", "DYN000"), ("loop1", "DYN000")]
    missing = run("check", "--no-cache", "loop.py", "handler.py", "self-missing.py", cwd=tmp_path)
    assert missing.returncode == 2 and "self-missing.py" in missing.stderr and missing.stdout == ""
    text = run("check", "--no-cache", "loop.py", cwd=tmp_path)
    assert text.returncode == 1 and text.stdout.startswith("loop.py:1:1: DYN000 cannot read: ")


def test_a_symlinked_file_named_explicitly_keeps_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "impl.py").write_bytes(RACY)
    (tmp_path / "handler.py").symlink_to("real/impl.py")
    assert pairs(check_json(tmp_path, "handler.py")[1]) == [("handler.py", "DYN101")]


# ---------------------------------------------------------------------------------------
# unreadable files and directories


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory an unprivileged user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="dynolint-hardening-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for root, dirs, _ in os.walk(path):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(path)


def _as_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _without_dac_capabilities() -> None:
    """Stay root but lose CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (also for the program
    about to be executed): file permission bits then apply to root too. For machines where
    the interpreter lives somewhere an unprivileged user cannot reach (a 0700 /root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, dac_override, dac_read_search = 24, 1, 2
    for cap in (dac_override, dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    keep = ~((1 << dac_override) | (1 << dac_read_search)) & 0xFFFFFFFF
    data[0].effective &= keep
    data[0].permitted &= keep
    data[0].inheritable &= keep
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


PROBE = """import os, sys, dynolint
for path in sys.argv[1:]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").close()
    except PermissionError:
        continue
    sys.exit(3)
"""


def _make_unreadable(paths: list[Path], tree: Path) -> Callable[[], None] | None:
    """Make ``tree`` readable to all but ``paths``, and find how to run dynolint so that it
    cannot read them: as an unprivileged user when the tests run as root (or, when that user
    cannot run this interpreter, as root without the capabilities that bypass permissions),
    as the current user otherwise. Skips the test when none works."""
    for root, dirs, files in os.walk(tree):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    for path in paths:
        path.chmod(0)
    candidates = [_as_nobody, _without_dac_capabilities] if os.geteuid() == 0 else [None]
    problems = []
    for preexec in candidates:
        try:
            probe = subprocess.run([sys.executable, "-c", PROBE, *map(str, paths)], cwd=tree, capture_output=True,
                                   text=True, timeout=TIMEOUT, preexec_fn=preexec)
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(repr(exc))
            continue
        if probe.returncode == 0:
            return preexec
        problems.append(probe.stderr.strip()[-200:] or f"exit status {probe.returncode}")
    pytest.skip(f"cannot make files unreadable to the process running dynolint: {problems}")


def test_unreadable_file_and_directory_are_reported_and_the_run_goes_on(shared_dir: Path) -> None:
    (shared_dir / "handler.py").write_bytes(RACY)
    (shared_dir / "secret.py").write_bytes(RACY)
    (shared_dir / "locked").mkdir()
    (shared_dir / "locked" / "inner.py").write_bytes(RACY)
    preexec = _make_unreadable([shared_dir / "secret.py", shared_dir / "locked"], shared_dir)
    status, findings = check_json(shared_dir, ".", preexec_fn=preexec)
    assert status == 1
    assert pairs(findings) == [("handler.py", "DYN101"), ("locked", "DYN000"), ("secret.py", "DYN000")]
    assert all("Permission denied" in f["message"] for f in findings if f["code"] == "DYN000")
    # named on the command line: the same, not a usage error that stops the run
    status, findings = check_json(shared_dir, "secret.py", "handler.py", "locked", preexec_fn=preexec)
    assert status == 1
    assert pairs(findings) == [("handler.py", "DYN101"), ("locked", "DYN000"), ("secret.py", "DYN000")]


def test_unreadable_file_alone_exits_one_with_dyn000(shared_dir: Path) -> None:
    (shared_dir / "secret.py").write_bytes(RACY)
    preexec = _make_unreadable([shared_dir / "secret.py"], shared_dir)
    proc = run("check", "--no-cache", "secret.py", cwd=shared_dir, preexec_fn=preexec)
    assert proc.returncode == 1
    assert proc.stdout == "secret.py:1:1: DYN000 cannot read: Permission denied\n"


# ---------------------------------------------------------------------------------------
# entries that are not regular files


def test_directory_named_like_a_module_is_walked(tmp_path: Path) -> None:
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "handler.py").write_bytes(RACY)
    (tmp_path / "empty.py").mkdir()
    for args in ([], ["."], ["x.py", "empty.py"]):
        status, findings = check_json(tmp_path, *args)
        assert status == 1
        assert pairs(findings) == [("x.py/handler.py", "DYN101")], args


def _special_files(directory: Path) -> list[socket.socket]:
    """A FIFO and a UNIX socket with Python and configuration names; nothing ever writes to
    the FIFOs, so opening one for reading would block for ever."""
    os.mkfifo(directory / "fifo.py")
    os.mkfifo(directory / "template.yaml")
    (directory / "sub").mkdir()
    os.mkfifo(directory / "sub" / ".gitignore")  # read while walking, when it is a file
    os.mkfifo(directory / "sub" / "pyproject.toml")
    (directory / "sub" / "handler.py").write_bytes(RACY)
    sockets = []
    for name in ("sock.py", "sub/serverless.yml"):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(directory / name))
        sockets.append(server)
    return sockets


def test_fifos_and_sockets_in_a_walk_are_skipped_without_being_opened(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    sockets = _special_files(tmp_path)
    try:
        status, findings = check_json(tmp_path, ".")
        assert status == 1
        assert pairs(findings) == [("handler.py", "DYN101"), ("sub/handler.py", "DYN101")]
        status, findings = check_json(tmp_path / "sub", ".")
        assert pairs(findings) == [("handler.py", "DYN101")]
    finally:
        for server in sockets:
            server.close()


def test_fifos_and_sockets_named_explicitly_are_reported_not_read(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    sockets = _special_files(tmp_path)
    try:
        status, findings = check_json(tmp_path, "fifo.py", "sock.py", "template.yaml", "handler.py")
        assert status == 1
        assert pairs(findings) == [("fifo.py", "DYN000"), ("handler.py", "DYN101"), ("sock.py", "DYN000"),
                                   ("template.yaml", "DYN000")]
        assert all(f["message"] == "cannot read: not a regular file" for f in findings if f["code"] == "DYN000")
        # the outputs that read the flagged lines back (fingerprints) must not open the FIFO either
        sarif = run("check", "--no-cache", "--output-format", "sarif", "fifo.py", "handler.py", cwd=tmp_path)
        assert sarif.returncode == 1
        assert {r["ruleId"] for r in json.loads(sarif.stdout)["runs"][0]["results"]} == {"DYN000", "DYN101"}
        written = run("check", "--no-cache", "--write-baseline", "base.json", "fifo.py", "handler.py", cwd=tmp_path)
        assert written.returncode == 0 and (tmp_path / "base.json").is_file()
        again = run("check", "--no-cache", "--baseline", "base.json", "handler.py", "fifo.py", cwd=tmp_path)
        assert again.returncode in (0, 1) and "DYN101" not in again.stdout
    finally:
        for server in sockets:
            server.close()


# ---------------------------------------------------------------------------------------
# files that change under the run


def _config(root: Path) -> Config:
    return discover(root, set(KNOWN_CODES))


def test_file_deleted_between_discovery_and_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    (tmp_path / "gone.py").write_bytes(RACY)
    real = api_module.discover

    def discover_then_delete(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        assert any(path.name == "gone.py" for path in found.python)
        (tmp_path / "gone.py").unlink()
        return found

    monkeypatch.setattr(api_module, "discover", discover_then_delete)
    monkeypatch.chdir(tmp_path)
    result = check_paths([Path(".")], _config(tmp_path), Options(use_cache=False))
    assert result.errors == []
    assert sorted((f.path, f.code) for f in result.findings) == [("gone.py", "DYN000"), ("handler.py", "DYN101")]
    [gone] = [f for f in result.findings if f.path == "gone.py"]
    assert gone.message == "cannot read: No such file or directory"


def test_file_deleted_before_a_fix_is_written_is_not_recreated(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    real = api_module.check_paths

    def check_then_delete(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        if (tmp_path / "handler.py").exists():
            (tmp_path / "handler.py").unlink()
        return result

    monkeypatch.setattr(api_module, "check_paths", check_then_delete)
    monkeypatch.chdir(tmp_path)
    report = fix_paths([Path(".")], _config(tmp_path), Options(use_cache=False), unsafe=True)
    assert [path for path, _ in report.not_written] == ["handler.py"]
    assert report.changed == [] and not (tmp_path / "handler.py").exists()


# ---------------------------------------------------------------------------------------
# file names: escaped correctly in every output format

NAMES = ["ünï cödé.py", "new\nline.py", "cr\rname.py", "50%,a:b.py", "tab\tname.py", "back\\slash.py",
         "日本語/ハンドラ.py", "esc\x1b[31mred.py"]


def _unescape_text(path: str) -> str:
    names = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
    return re.sub(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt\\])",
                  lambda m: names.get(m[1]) or chr(int(m[1][1:], 16)), path)


@pytest.fixture
def named_tree(tmp_path: Path) -> Path:
    for name in NAMES:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(RACY)
    return tmp_path


def test_odd_names_in_json(named_tree: Path) -> None:
    status, findings = check_json(named_tree, ".")
    assert status == 1
    assert sorted(f["path"] for f in findings) == sorted(NAMES)
    assert all(f["related"][0]["path"] == f["path"] for f in findings)


def test_odd_names_in_text(named_tree: Path) -> None:
    proc = run("check", "--no-cache", ".", cwd=named_tree)
    assert proc.returncode == 1
    lines = proc.stdout.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(NAMES)  # one line per finding, whatever the name holds
    shown = []
    for line in lines[:-1]:
        assert all(ch.isprintable() for ch in line), repr(line)
        match = re.fullmatch(r"(.+):6:9: DYN101 put_item .*", line)
        assert match, repr(line)
        shown.append(match[1])
    assert sorted(_unescape_text(path) for path in shown) == sorted(NAMES)
    assert "ünï cödé.py" in shown and "日本語/ハンドラ.py" in shown  # printable names are printed as they are
    assert "new\\nline.py" in shown and "back\\\\slash.py" in shown


def test_odd_names_in_sarif(named_tree: Path) -> None:
    from tests.sarif_tools import schema_errors

    proc = run("check", "--no-cache", "--output-format", "sarif", ".", cwd=named_tree)
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    assert schema_errors(log) == []
    results = log["runs"][0]["results"]
    uris = []
    for result in results:
        locations = [result["locations"][0], *result["relatedLocations"]]
        for location in locations:
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%"
            uri = artifact["uri"]
            # RFC 3986: only unreserved characters, "/" and percent-escapes
            assert re.fullmatch(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+", uri), uri
        uris.append(unquote(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]))
    assert sorted(uris) == sorted(NAMES)


def _unescape_github(value: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def test_odd_names_in_github_annotations(named_tree: Path) -> None:
    proc = run("check", "--no-cache", "--output-format", "github", ".", cwd=named_tree)
    assert proc.returncode == 1
    lines = proc.stdout.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(NAMES)
    files = []
    for line in lines[:-1]:
        assert "\r" not in line
        match = re.fullmatch(r"::error (?P<props>[^:]*)::(?P<data>.*)", line)
        assert match, repr(line)
        props = dict(pair.split("=", 1) for pair in match["props"].split(","))
        assert set(props) == {"file", "line", "endLine", "col", "endColumn", "title"}
        # in a property value, % is only ever the start of one of the five escapes
        assert re.fullmatch(r"(?:[^%:,\r\n]|%(?:25|0D|0A|3A|2C))*", props["file"]), props["file"]
        files.append(_unescape_github(props["file"]))
        assert props["line"] == "6" and props["title"] == "DYN101 unguarded-write-after-read"
    assert sorted(files) == sorted(NAMES)


NON_UTF8 = "caf\udce9.py"  # the file name b"caf\xe9.py", as Python sees it


def test_name_that_is_not_utf8_in_each_reporter() -> None:
    """Lone surrogates (undecodable bytes of a file name) cannot be written as UTF-8: each
    format must still give valid output that names the file unambiguously."""
    from dynolint.reporters.github import render_github
    from dynolint.reporters.json_reporter import render_json
    from dynolint.reporters.sarif import render_sarif
    from dynolint.reporters.text import render_text

    finding = Finding("DYN101", "unguarded-write-after-read", NON_UTF8, 6, 9, 6, 57, "put_item overwrites",
                      Severity.ERROR, Confidence.HIGH, related=(Related(NON_UTF8, 4, 12, "item read here", 4, 20),))
    text = render_text([finding])
    assert text.encode("utf-8") and text.startswith("caf\\xe9.py:6:9: DYN101 ")
    github = render_github([finding])
    assert github.encode("utf-8") and "file=caf\\xe9.py," in github
    shown = json.loads(render_json([finding]))[0]  # valid UTF-8, the raw bytes kept aside
    assert shown["path"] == "caf\\xe9.py" and base64.b64decode(shown["path_bytes"]) == b"caf\xe9.py"
    assert shown["related"][0]["path"] == "caf\\xe9.py" and shown["related"][0]["path_bytes"] == shown["path_bytes"]
    sarif = json.loads(render_sarif([finding]))
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "caf%E9.py"


def test_name_that_is_not_utf8_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.py"), "wb") as handle:
        handle.write(RACY)
    proc = subprocess.run([sys.executable, "-m", "dynolint", "check", "--no-cache", "."], cwd=tmp_path,
                          capture_output=True, timeout=TIMEOUT)
    assert b"Traceback" not in proc.stderr and proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [line for line in proc.stdout.splitlines() if b" DYN101 " in line]
    assert sorted(line.split(b":")[0] for line in proc.stdout.splitlines()) == [b"caf\\xe9.py", b"handler.py"]


def test_fix_summary_escapes_the_name(tmp_path: Path) -> None:
    counter = RACY.replace(b'.get("Item")\n    if item is None:\n        table.put_item(Item={"pk": event["id"], "n": 1})',
                           b'["Item"]\n    item["n"] = item["n"] + 1\n    table.put_item(Item=item)')
    (tmp_path / "bad\nname.py").write_bytes(counter)
    proc = run("fix", "--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 1
    [skipped] = [line for line in proc.stderr.splitlines() if "not fixed" in line]
    assert skipped.startswith("bad\\nname.py:6:5: DYN102 not fixed: ")


# ---------------------------------------------------------------------------------------
# the same file more than once


@pytest.mark.parametrize("args", [
    ["handler.py", "handler.py"],
    ["handler.py", "./handler.py", "sub/../handler.py"],
    [".", "handler.py"],
    ["handler.py", "."],
    [".", "."],
    ["handler.py", "alias.py"],
    [".", "linked"],
], ids=lambda args: " ".join(args))
def test_the_same_file_given_twice_gives_one_finding(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "handler.py").write_bytes(RACY)
    (tmp_path / "sub").mkdir()
    (tmp_path / "alias.py").symlink_to("handler.py")
    (tmp_path / "linked").symlink_to(".")
    status, findings = check_json(tmp_path, *args)
    assert status == 1
    assert [f["code"] for f in findings] == ["DYN101"]
    assert findings[0]["path"] in ("handler.py", "alias.py")


def test_the_same_missing_file_given_twice_is_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the API (the command line refuses a path that does not exist, exit status 2)."""
    (tmp_path / "handler.py").write_bytes(RACY)
    monkeypatch.chdir(tmp_path)
    result = check_paths([Path("gone.py"), Path("./gone.py"), Path("handler.py")], Config(root=tmp_path),
                         Options(use_cache=False))
    assert sorted((f.path, f.code) for f in result.findings) == [("gone.py", "DYN000"), ("handler.py", "DYN101")]


def test_explicit_symlink_loop_through_the_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API too: a loop named explicitly (relative to the working directory) is a DYN000,
    not an exception."""
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    (tmp_path / "handler.py").write_bytes(RACY)
    monkeypatch.chdir(tmp_path)
    result = check_paths([Path("a.py"), Path("handler.py")], Config(root=tmp_path), Options(use_cache=False))
    assert sorted((f.path, f.code) for f in result.findings) == [("a.py", "DYN000"), ("handler.py", "DYN101")]


def test_project_mode_with_a_symlink_loop_and_a_symlinked_file(tmp_path: Path) -> None:
    """pre-commit passes file names; a loop among them must not crash the run, and a file
    passed under a symlink's name still selects its findings."""
    (tmp_path / "handler.py").write_bytes(RACY)
    (tmp_path / "alias.py").symlink_to("handler.py")
    (tmp_path / "loop.py").symlink_to("loop.py")
    for given in ("alias.py", "handler.py"):  # the walk reports the file under its own name
        status, findings = check_json(tmp_path, "--project", ".", "loop.py", given)
        assert status == 1
        assert pairs(findings) == [("handler.py", "DYN101"), ("loop.py", "DYN000")]
    status, findings = check_json(tmp_path, "--project", ".", "loop.py")
    assert pairs(findings) == [("loop.py", "DYN000")]


def test_fix_through_a_symlink_named_explicitly_fixes_the_target(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "impl.py").write_bytes(RACY)
    (tmp_path / "handler.py").symlink_to("real/impl.py")
    proc = run("fix", "--unsafe-fixes", "--no-cache", "handler.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "handler.py").is_symlink()
    assert b"ConditionExpression" in (tmp_path / "real" / "impl.py").read_bytes()
