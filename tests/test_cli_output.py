"""What ``dynolint check`` prints around the findings: statistics, colour only on a terminal,
progress only on a terminal and only for big runs, unused suppressions (DYN001), and
``--project`` (whole-project analysis, findings of the given files)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from dynolint.api import Options, check_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import run_cli, write_project
from tests.sarif_tools import working_directory

RACY = '''import boto3
table = boto3.resource("dynamodb").Table("notes")


def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)
'''

COUNTER = '''import boto3
table = boto3.resource("dynamodb").Table("pages")


def count(page):
    item = table.get_item(Key={"page": page})["Item"]
    item["views"] += 1
    table.put_item(Item=item)
'''

ATOMIC_COUNTER = '''import boto3
table = boto3.resource("dynamodb").Table("counters")


def handler(event, context):
    n = table.get_item(Key={"pk": event["id"]})["Item"]["n"] + 1
    table.update_item(Key={"pk": event["id"]}, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": n})
'''

CROSS_MODULE = {
    "handler.py": '''from store import load, save


def handler(event, context):
    order = load(event["id"])
    order["status"] = "CANCELLED"
    save(order)
''',
    "store.py": '''import boto3
table = boto3.resource("dynamodb").Table("orders")


def load(order_id):
    return table.get_item(Key={"pk": order_id}).get("Item")


def save(order):
    table.put_item(Item=order)
''',
    "other.py": "VALUE = 1\n",
}


def run_on_terminal(*args: str, cwd: Path, stdout_tty: bool = False, stderr_tty: bool = False,
                    env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI with stdout and/or stderr on a pseudo-terminal; (status, stdout, stderr)."""
    streams: dict[str, int] = {}
    masters: dict[str, int] = {}
    for name, wanted in (("stdout", stdout_tty), ("stderr", stderr_tty)):
        if wanted:
            masters[name], streams[name] = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "dynolint", *args], cwd=cwd,
                            stdout=streams.get("stdout", subprocess.PIPE),
                            stderr=streams.get("stderr", subprocess.PIPE),
                            env={**os.environ, **(env or {})})
    for fd in streams.values():
        os.close(fd)
    captured: dict[str, bytes] = {"stdout": b"", "stderr": b""}

    def drain(name: str, fd: int) -> None:
        chunks = []
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(fd)
        captured[name] = b"".join(chunks)

    readers = [threading.Thread(target=drain, args=(name, fd)) for name, fd in masters.items()]
    for name in ("stdout", "stderr"):
        if name not in masters:
            pipe = getattr(proc, name)
            readers.append(threading.Thread(target=lambda n=name, p=pipe: captured.__setitem__(n, p.read())))
    for reader in readers:
        reader.start()
    status = proc.wait(timeout=300)
    for reader in readers:
        reader.join(timeout=60)
    return status, captured["stdout"].decode(), captured["stderr"].decode()


def test_statistics_count_per_code(tmp_path: Path) -> None:
    write_project(tmp_path, {"a.py": RACY, "b.py": RACY, "c.py": COUNTER,
                             "old.py": "import boto3\nt = boto3.client('dynamodb')\nprint 'x'\n"})
    proc = run_cli("check", "--statistics", ".", cwd=tmp_path)
    assert proc.returncode == 1
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert [(int(count), code) for count, code, *_ in rows] == [(2, "DYN101"), (1, "DYN000"), (1, "DYN102")]
    assert rows[0][2].endswith("unguarded-write-after-read")
    data = json.loads(run_cli("check", "--statistics", "--output-format", "json", ".", cwd=tmp_path).stdout)
    assert {row["code"]: row["count"] for row in data} == {"DYN101": 2, "DYN000": 1, "DYN102": 1}
    assert all(set(row) == {"code", "name", "count", "fixable"} for row in data)
    # [*]: a safe fix exists; text judges it from the plans, JSON from the rendered fixes: they agree
    assert {row[1]: row[2].startswith("[*] ") for row in rows} == {row["code"]: row["fixable"] for row in data}
    atomic_project = write_project(tmp_path.parent / f"{tmp_path.name}-atomic", {"counter.py": ATOMIC_COUNTER})
    atomic = run_cli("check", "--statistics", ".", cwd=atomic_project)
    assert atomic.stdout == "1\tDYN102\t[*] non-atomic-counter\n", atomic.stdout
    assert run_cli("check", "--statistics", "--output-format", "sarif", ".", cwd=tmp_path).returncode == 2
    write_project(tmp_path, {"a.py": "", "b.py": "", "c.py": "", "old.py": ""})
    clean = run_cli("check", "--statistics", ".", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == ""


def test_colour_only_on_a_terminal(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    status, out, _ = run_on_terminal("check", ".", cwd=tmp_path, stdout_tty=True, env={"NO_COLOR": ""})
    assert status == 1 and "\x1b[" in out and "DYN101" in out
    for args, env in ((("--no-color",), {"NO_COLOR": ""}), ((), {"NO_COLOR": "1"})):
        status, out, _ = run_on_terminal("check", *args, ".", cwd=tmp_path, stdout_tty=True, env=env)
        assert status == 1 and "DYN101" in out and "\x1b[" not in out, (args, env)
    piped = run_cli("check", ".", cwd=tmp_path)
    assert "DYN101" in piped.stdout and "\x1b[" not in piped.stdout
    # an error in red, a warning (DYN001) in yellow, not red
    write_project(tmp_path, {"handler.py": RACY.replace("note = ", "note = 1  # dynolint: ignore[DYN101]\n    note = ")})
    status, out, _ = run_on_terminal("check", "--report-unused-suppressions", ".", cwd=tmp_path, stdout_tty=True,
                                     env={"NO_COLOR": ""})
    assert status == 1 and "\x1b[1;31mDYN101\x1b[0m" in out and "\x1b[1;33mDYN001\x1b[0m" in out, out
    status, out, _ = run_on_terminal("check", "--output-format", "json", ".", cwd=tmp_path, stdout_tty=True)
    assert "\x1b[" not in out and json.loads(out)[0]["code"] == "DYN101"


def test_progress_only_on_a_terminal_and_for_big_runs(tmp_path: Path) -> None:
    # progress counts the files that are parsed: each of these makes a DynamoDB client
    files = {f"pkg/module_{index:03}.py": f"import boto3\nCLIENT_{index} = boto3.client('dynamodb')\n"
             for index in range(320)}
    write_project(tmp_path / "big", {**files, "pkg/handler.py": RACY})
    write_project(tmp_path / "small", {"handler.py": RACY})
    status, out, err = run_on_terminal("check", ".", cwd=tmp_path / "big", stderr_tty=True)
    assert status == 1 and "DYN101" in out
    assert "321/321 files" in err and "\r" in err
    assert "321/321" not in out  # progress never goes to stdout
    status, _, err = run_on_terminal("check", "--quiet", ".", cwd=tmp_path / "big", stderr_tty=True)
    assert status == 1 and "files" not in err.replace("\x1b[K", "")
    status, _, err = run_on_terminal("check", ".", cwd=tmp_path / "small", stderr_tty=True)
    assert status == 1 and "/1 files" not in err
    piped = run_cli("check", ".", cwd=tmp_path / "big")
    assert piped.returncode == 1 and "/321" not in piped.stderr


def test_api_progress_callback(tmp_path: Path) -> None:
    write_project(tmp_path, {f"m{index}.py": "import boto3\nX = boto3.client('dynamodb')\n" for index in range(5)})
    calls: list[tuple[int, int]] = []
    with working_directory(tmp_path):
        result = check_paths([Path(".")], discover(Path("."), set(KNOWN_CODES)), Options(),
                             progress=lambda done, total: calls.append((done, total)))
    assert result.files == 5
    assert calls == [(done, 5) for done in range(1, 6)]


SUPPRESSIONS = '''import boto3
table = boto3.resource("dynamodb").Table("notes")


def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)  # dynolint: ignore[DYN101] -- idempotent by design


def other():
    unused = 1  # dynolint: ignore[DYN101] -- was a race once
    bare = 2  # dynolint: ignore
    tenant = 3  # dynolint: ignore[DYN202]
    flake = 4  # noqa: DYN101
'''


def test_unused_suppressions_are_reported_only_when_asked(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": SUPPRESSIONS})
    assert run_cli("check", ".", cwd=tmp_path).returncode == 0
    proc = run_cli("check", "--report-unused-suppressions", "--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1
    found = json.loads(proc.stdout)
    assert {(f["code"], f["name"], f["line"]) for f in found} == {
        ("DYN001", "unused-suppression", 12), ("DYN001", "unused-suppression", 13),
        ("DYN001", "unused-suppression", 14)}
    first = next(f for f in found if f["line"] == 12)
    line = SUPPRESSIONS.splitlines()[11]
    assert line[first["column"] - 1:first["end_column"] - 1] == "# dynolint: ignore[DYN101] -- was a race once"


def test_unused_suppressions_respect_which_rules_ran_and_ignore(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": SUPPRESSIONS})
    only_races = run_cli("check", "--report-unused-suppressions", "--select", "DYN1", "--output-format", "json", ".",
                         cwd=tmp_path)
    # DYN202 did not run, so its comment cannot be judged; a bare comment needs every rule
    assert [f["line"] for f in json.loads(only_races.stdout)] == [12]
    ignored = run_cli("check", "--report-unused-suppressions", "--ignore", "DYN001", ".", cwd=tmp_path)
    assert ignored.returncode == 0 and ignored.stdout == ""
    (tmp_path / "pyproject.toml").write_text('[tool.dynolint]\nignore = ["DYN001"]\n')
    assert run_cli("check", "--report-unused-suppressions", ".", cwd=tmp_path).returncode == 0


def test_dyn001_is_documented_listed_and_selectable(tmp_path: Path) -> None:
    explained = run_cli("explain", "DYN001", cwd=tmp_path)
    assert explained.returncode == 0 and "## What it does" in explained.stdout
    assert run_cli("explain", "DYN000", cwd=tmp_path).returncode == 0
    listing = run_cli("rules", "--output-format", "json", cwd=tmp_path)
    assert {"DYN000", "DYN001"} <= {rule["code"] for rule in json.loads(listing.stdout)}
    write_project(tmp_path, {"handler.py": RACY})
    assert run_cli("check", "--select", "DYN001", ".", cwd=tmp_path).returncode == 0
    (tmp_path / "dynolint.toml").write_text('ignore = ["DYN001"]\n')
    assert run_cli("check", ".", cwd=tmp_path).returncode == 1


def test_project_reports_findings_that_involve_the_given_files(tmp_path: Path) -> None:
    write_project(tmp_path, CROSS_MODULE)
    alone = run_cli("check", "--output-format", "json", "handler.py", cwd=tmp_path)
    assert json.loads(alone.stdout) == []  # the write is in store.py: one file is not enough
    via_caller = run_cli("check", "--output-format", "json", "--project", ".", "handler.py", cwd=tmp_path)
    assert via_caller.returncode == 1
    assert [(f["path"], f["line"]) for f in json.loads(via_caller.stdout)] == [("store.py", 10)]
    unrelated = run_cli("check", "--project", ".", "other.py", cwd=tmp_path)
    assert unrelated.returncode == 0 and unrelated.stdout == ""
    everything = run_cli("check", "--output-format", "json", "--project", ".", cwd=tmp_path)
    assert len(json.loads(everything.stdout)) == 1


def test_project_with_a_folder_reports_the_findings_under_it(tmp_path: Path) -> None:
    write_project(tmp_path, {f"app/{name}": text for name, text in CROSS_MODULE.items()})
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "noop.py").write_text("X = 1\n")
    for folder in ("app", "app/", "."):
        shown = run_cli("check", "--output-format", "json", "--project", ".", folder, cwd=tmp_path)
        assert [(f["path"], f["line"]) for f in json.loads(shown.stdout)] == [("app/store.py", 10)], folder
    elsewhere = run_cli("check", "--output-format", "json", "--project", ".", "tools", cwd=tmp_path)
    assert json.loads(elsewhere.stdout) == []


def test_project_fix_touches_only_the_given_files(tmp_path: Path) -> None:
    counter = '''import boto3

table = boto3.resource("dynamodb").Table("counters")


def handler(event, context):
    n = table.get_item(Key={"pk": event["id"]})["Item"]["n"] + 1
    table.update_item(
        Key={"pk": event["id"]},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":n": n},
    )
'''
    write_project(tmp_path, {"a.py": counter, "b.py": counter})
    proc = run_cli("check", "--fix", "--project", ".", "a.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "ADD #n :n" in (tmp_path / "a.py").read_text()
    assert (tmp_path / "b.py").read_text() == counter


def test_full_output_shows_code_frames_of_the_write_the_read_and_the_calls(tmp_path: Path) -> None:
    """``--output-format full``: as ruff's full output, the flagged code with a caret line, then each
    related location (read site, calls between) with its message; other files named with ':::'."""
    from tests.conftest import run_cli, write_project
    from tests.test_sarif import HELPERS

    write_project(tmp_path, HELPERS)
    concise = run_cli("check", ".", cwd=tmp_path)
    full = run_cli("check", "--output-format", "full", ".", cwd=tmp_path)
    assert concise.returncode == full.returncode == 1
    lines = full.stdout.splitlines()
    assert lines[0] == concise.stdout.splitlines()[0]
    assert "  10 |     table.put_item(Item=order)" in lines
    assert any(line.strip() == "|     ^^^^^^^^^^^^^^^^^^^^^^^^^^" for line in lines)
    read = lines.index('  6 |     return table.get_item(Key={"pk": order_id}).get("Item")')
    assert lines[read + 1].endswith("^ item read here")
    assert "  ::: handler.py:5:13" in lines and "  ::: handler.py:7:5" in lines
    assert lines[lines.index("  ::: handler.py:7:5") + 2].endswith("^^^^^^^^^^^ called here")
