"""Files and caches under stress: ``dynolint fix`` replaces a file atomically (mode, newlines
and symlinks kept; a SIGKILL at any moment leaves the old text or the new one, never a mix,
and no temporary file that a later run trips on); concurrent runs share ``.dynolint_cache/``
safely; a corrupt, truncated or planted cache entry is ignored and rebuilt."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dynolint.engine.cache import DIRECTORY, MAGIC, load_entry
from dynolint.fixes.writer import is_temporary
from tests.conftest import FIXTURES, REPO
from tests.fuzzkit import FUZZING, sampled

DYNOLINT = [sys.executable, "-m", "dynolint"]
HEADER = 'import boto3\ntable = boto3.resource("dynamodb").Table("links")\n'
HANDLER = '''

def create_{i}(alias, url):
    if "Item" in table.get_item(Key={{"pk": alias}}):
        return 409
    table.put_item(Item={{"pk": alias, "url": url, "n": {i}}})
'''


def racy_module(handlers: int, newline: str = "\n") -> bytes:
    text = HEADER + "".join(HANDLER.format(i=i) for i in range(handlers))
    return text.replace("\n", newline).encode()


def run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DYNOLINT, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=_env())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)  # the dynolint under test, whatever the working directory
    return env


def strays(directory: Path) -> list[str]:
    """Files in the tree that are neither the project's nor the cache's."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                  if DIRECTORY not in p.relative_to(directory).parts and p.is_file() and p.name != "app.py")


# ---------------------------------------------------------------------------- the writer


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_fix_replaces_the_file_by_rename_keeping_mode_and_newlines(tmp_path: Path, newline: str) -> None:
    original = racy_module(3, newline)
    app = tmp_path / "app.py"
    app.write_bytes(original)
    app.chmod(0o751)
    witness = tmp_path / "witness"
    os.link(app, witness)  # a hard link keeps the old inode's bytes only if the file was renamed over
    inode = app.stat().st_ino

    proc = run("fix", "--unsafe-fixes", "app.py", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    fixed = app.read_bytes()
    assert fixed != original and fixed.count(b"ConditionExpression=") == 3
    assert app.stat().st_ino != inode, "the file was rewritten in place, not replaced by a rename"
    assert witness.read_bytes() == original
    assert app.stat().st_mode & 0o7777 == 0o751
    if newline == "\r\n":
        assert fixed.count(b"\n") == fixed.count(b"\r\n") > 0
    else:
        assert b"\r" not in fixed
    assert strays(tmp_path) == ["witness"]


def test_fix_writes_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "app.py"
    target.write_bytes(racy_module(1))
    target.chmod(0o640)
    link = tmp_path / "link.py"
    link.symlink_to("real/app.py")

    proc = run("fix", "--unsafe-fixes", "link.py", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == "real/app.py"
    assert b"ConditionExpression=" in target.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_file_changed_while_being_fixed_is_left_alone(tmp_path: Path) -> None:
    from dynolint.fixes.writer import ChangedOnDisk, write_atomically

    app = tmp_path / "app.py"
    app.write_bytes(b"theirs\n")
    with pytest.raises(ChangedOnDisk):
        write_atomically(app, b"what we read\n", b"ours\n")
    assert app.read_bytes() == b"theirs\n"
    assert os.listdir(tmp_path) == ["app.py"]


KILL_AT = '''
import os, signal, sys
from pathlib import Path
import dynolint.fixes.writer as writer

point = sys.argv[1]
real = {"fsync": os.fsync, "fchmod": os.fchmod, "replace": os.replace}[point]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

setattr(writer.os, point, die)
app = Path(sys.argv[2])
writer.write_atomically(app, app.read_bytes(), Path(sys.argv[3]).read_bytes())
'''


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("point", ["fsync", "fchmod", "replace"])
def test_a_write_killed_at_each_step_leaves_the_old_file_and_a_temporary_the_next_fix_removes(
        tmp_path: Path, point: str) -> None:
    original = racy_module(2)
    fixed_text = tmp_path / "new.bin"
    fixed_text.write_bytes(b"# not what the fix writes\n")
    script = tmp_path / "kill.py"
    script.write_text(KILL_AT)
    tmp_path = tmp_path / "project"
    tmp_path.mkdir()
    app = tmp_path / "app.py"
    app.write_bytes(original)
    app.chmod(0o751)

    proc = subprocess.run([sys.executable, str(script), point, str(app), str(fixed_text)],
                          capture_output=True, text=True, timeout=60, env=_env())

    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert app.read_bytes() == original
    left = strays(tmp_path)
    assert len(left) == 1 and is_temporary(left[0]) and left[0].startswith(".app.py.dynolint-"), left
    assert not left[0].endswith(".py")

    # a later check does not see it...
    checked = run("check", "--output-format", "json", "--no-cache", ".", cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    assert {f["path"] for f in json.loads(checked.stdout)} == {"app.py"}

    # ...and a later fix removes it (its process is gone), but not a live writer's fresh one
    live = tmp_path / f".app.py.dynolint-{os.getpid()}-live1234.tmp"
    live.write_bytes(b"a concurrent writer's half-written file")
    dead = tmp_path / f".other.py.dynolint-{_dead_pid()}-dead1234.tmp"
    dead.write_bytes(b"left by a killed run")
    old = tmp_path / f".third.py.dynolint-{os.getpid()}-old12345.tmp"
    old.write_bytes(b"left long ago")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    fixed = run("fix", "--unsafe-fixes", "--no-cache", ".", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert app.read_bytes().count(b"ConditionExpression=") == 2
    assert app.stat().st_mode & 0o7777 == 0o751
    assert strays(tmp_path) == [live.name]


def test_sigkill_during_fix_never_leaves_a_partial_file(tmp_path: Path) -> None:
    """Kill a real ``dynolint fix --unsafe-fixes`` at many moments: spread over the run, and
    the moment its temporary file appears (the write itself)."""
    handlers = 80 if FUZZING else 30  # a run long enough to be killed at several moments
    original = racy_module(handlers)
    app = tmp_path / "app.py"

    def reset() -> None:
        app.write_bytes(original)
        app.chmod(0o751)

    reset()
    started = time.monotonic()
    full = run("fix", "--unsafe-fixes", ".", cwd=tmp_path)
    duration = time.monotonic() - started
    assert full.returncode == 0, full.stderr
    fixed = app.read_bytes()
    assert fixed.count(b"ConditionExpression=") == handlers

    rng = random.Random(7)
    # `make test` kills 3 times spread over the run and 3 times at the write; `make fuzz`
    # (DYNOLINT_FUZZ_EXAMPLES) 11 and 8 times.
    spread, at_write = (11, 8) if FUZZING else (3, 3)
    moments: list[float | None] = [duration * k / (spread - 1) for k in range(spread)]  # start-up to the end
    moments += [None] * at_write  # kill the moment a temporary file shows up
    outcomes = {"old": 0, "new": 0}
    caught_writing = 0
    for moment in moments:
        reset()
        process = subprocess.Popen([*DYNOLINT, "fix", "--unsafe-fixes", "."], cwd=tmp_path, env=_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        begun = time.monotonic()
        if moment is None:
            while process.poll() is None and time.monotonic() - begun < 4 * duration + 30:
                if any(is_temporary(name) for name in os.listdir(tmp_path)):
                    time.sleep(rng.random() / 2000)
                    caught_writing += 1
                    break
                time.sleep(0.0002)
        else:
            time.sleep(max(0.0, moment - (time.monotonic() - begun)))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)

        now = app.read_bytes()
        assert now in (original, fixed), f"partial file after a kill at {moment}"
        outcomes["old" if now == original else "new"] += 1
        assert app.stat().st_mode & 0o7777 == 0o751
        assert all(is_temporary(name) for name in strays(tmp_path)), strays(tmp_path)

        # the next run is not disturbed by anything the killed one left behind
        after = run("fix", "--unsafe-fixes", ".", cwd=tmp_path)
        assert after.returncode == 0, after.stderr
        assert app.read_bytes() == fixed
        assert strays(tmp_path) == []
    print(f"kills: {outcomes}, {caught_writing} while the temporary file existed")
    assert outcomes["old"] > 0 and outcomes["new"] + outcomes["old"] == len(moments)
    assert caught_writing > 0


# ---------------------------------------------------------------------------- the cache


def _corpus(tmp_path: Path) -> Path:
    """The fixture projects as one tree (every third one under `make test`, all under `make fuzz`)."""
    root = tmp_path / "corpus"
    for case in sampled(sorted((FIXTURES / "cases").iterdir()), every=3, at_most=120):
        if (case / "expect.json").is_file():
            shutil.copytree(case, root / case.name.replace("-", "_"), ignore=shutil.ignore_patterns("expect.json"))
    return root


CHECK = ("check", "--output-format", "json", "--include-tests", ".")


def _json(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    assert proc.returncode in (0, 1), proc.stderr
    assert "internal error" not in proc.stderr
    return json.loads(proc.stdout)


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / DIRECTORY).rglob("*.pickle"))


def test_concurrent_runs_share_the_cache_safely(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    expected = _json(run(*CHECK, "--no-cache", cwd=root))
    assert len(expected) > 50
    assert not (root / DIRECTORY).exists()
    for repetition in range(4 if FUZZING else 2):  # an empty cache filled at once, then a warm one
        if repetition % 2 == 0:
            shutil.rmtree(root / DIRECTORY, ignore_errors=True)  # both runs fill an empty cache at once
        runs = [subprocess.Popen([*DYNOLINT, *CHECK, *(["--jobs", "1"] if n else [])], cwd=root, env=_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(2)]
        for process in runs:
            out, err = process.communicate(timeout=300)
            assert _json(subprocess.CompletedProcess(process.args, process.returncode, out, err)) == expected, \
                f"repetition {repetition}"
    entries = _entries(root)
    assert len(entries) > 20
    for entry in entries:
        load_entry(entry)  # raises on a bad entry
    assert not [p for p in (root / DIRECTORY).rglob("*") if p.is_file() and p.name.startswith(".tmp-")]


def _corruptions(data: bytes, index: int, rng: random.Random) -> bytes:
    kind = index % 7
    if kind == 0:
        return data[: len(data) // 2]  # truncated
    if kind == 1:
        return b""  # truncated to nothing
    if kind == 2:  # a byte flipped in the pickled payload
        position = rng.randrange(len(MAGIC) + 32, len(data))
        return data[:position] + bytes([data[position] ^ 0x41]) + data[position + 1:]
    if kind == 3:  # a byte flipped in the header
        return data[:3] + bytes([data[3] ^ 0x01]) + data[4:]
    if kind == 4:
        return bytes(rng.randrange(256) for _ in range(len(data)))  # garbage of the same size
    if kind == 5:
        return data[: len(data) - 1]  # one byte short
    return data + b"\0trailing"  # extra bytes


def test_corrupt_and_truncated_entries_are_ignored_and_rebuilt(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    expected = _json(run(*CHECK, "--no-cache", cwd=root))
    assert _json(run(*CHECK, cwd=root)) == expected
    entries = _entries(root)
    assert len(entries) > 20 and any(p.parent.name == "results" for p in entries)
    rng = random.Random(3)
    for index, entry in enumerate(entries):
        entry.write_bytes(_corruptions(entry.read_bytes(), index, rng))
        with pytest.raises(ValueError):
            load_entry(entry)

    assert _json(run(*CHECK, cwd=root)) == expected
    for entry in entries:  # every entry was rewritten, at the same place, and loads again
        load_entry(entry)
    assert _json(run(*CHECK, cwd=root)) == expected


def test_an_entry_edited_so_it_still_unpickles_is_not_believed(tmp_path: Path) -> None:
    """Overwritten bytes inside a string still unpickle: only the signature notices."""
    root = _corpus(tmp_path)
    expected = _json(run(*CHECK, cwd=root))
    edited = 0
    for entry in _entries(root):
        data = entry.read_bytes()
        if b"ConditionExpression" in data:
            entry.write_bytes(data.replace(b"ConditionExpression", b"XonditionExpression"))
            edited += 1
    assert edited > 0
    assert _json(run(*CHECK, cwd=root)) == expected


def test_cache_temporaries_left_by_a_killed_run_are_removed(tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    expected = _json(run(*CHECK, cwd=root))
    version = next((root / DIRECTORY).glob("v*"))
    old = time.time() - 7200
    left = [version / "ab" / ".tmp-killed.part", version / "results" / ".tmp-killed.part"]
    for path in left:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"half an entry")
        os.utime(path, (old, old))
    fresh = version / "results" / ".tmp-in-progress.part"
    fresh.write_bytes(b"another run is writing this")
    (root / "touched.py").write_text("import boto3\n")  # a change: the run writes to the cache
    assert _json(run(*CHECK, cwd=root)) == expected
    assert not any(path.exists() for path in left)
    assert fresh.exists()  # another run's temporary file is not pulled from under it


def test_entries_made_by_another_build_of_dynolint_are_not_taken(tmp_path: Path) -> None:
    """The keys include dynolint's build: editing a module (or upgrading) makes old entries misses."""
    copy = tmp_path / "site"
    shutil.copytree(REPO / "dynolint", copy / "dynolint", ignore=shutil.ignore_patterns("__pycache__"))
    probe = [sys.executable, "-c", "from dynolint.engine.cache import build_id, _key; print(build_id(), _key('a.py', b''))"]
    env = dict(os.environ, PYTHONPATH=str(copy))

    def ids() -> list[str]:
        return subprocess.run(probe, cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.split()

    first = ids()
    assert ids() == first
    summarize = copy / "dynolint" / "phase1" / "summarize.py"  # a module of a sub-package
    summarize.write_bytes(summarize.read_bytes() + b"\n# changed\n")
    changed = ids()
    assert changed[0] != first[0] and changed[1] != first[1]
