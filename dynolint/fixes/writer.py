"""Write a fixed file safely: through a temporary file in the same directory and an atomic
rename, keeping the file's mode (and, where allowed, owner), never over a file that changed
since it was read.

At every moment the file is either the old text or the new one. A run killed while writing
(SIGKILL, power loss) can leave its temporary file behind: it is named
``.NAME.dynolint-PID-RANDOM.tmp`` (never ``*.py`` or an infrastructure file name, so no run
analyses it), and the next fix of a file in that directory removes it once its process is
gone or it is older than a minute. A symbolic link is written through: its target changes,
the link stays.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from pathlib import Path

TEMPORARY_SUFFIX = ".tmp"
STALE_AFTER = 60.0  # seconds: no write takes this long, so an older temporary file was abandoned
_TEMPORARY = re.compile(r"^\..+\.dynolint-(\d+)-[^.]+\.tmp$")


class ChangedOnDisk(Exception):
    """The file is not what was read any more; it is left alone."""


def temporary_prefix(name: str) -> str:
    return f".{name}.dynolint-{os.getpid()}-"


def is_temporary(name: str) -> bool:
    """Is this a file name the writer gives its temporary files?"""
    return _TEMPORARY.match(name) is not None


def _abandoned(path: Path, pid: int, now: float) -> bool:
    try:
        if now - path.lstat().st_mtime > STALE_AFTER:
            return True
    except OSError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    return False


def remove_abandoned(directory: Path) -> list[Path]:
    """Remove the temporary files that killed runs left in ``directory``; returns them."""
    removed: list[Path] = []
    now = time.time()
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TEMPORARY.match(name)
        if match is None:
            continue
        path = directory / name
        if _abandoned(path, int(match.group(1)), now):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def write_atomically(path: Path, expected_old: bytes, new: bytes) -> None:
    target = Path(os.path.realpath(path))  # through a symlink: replace the file it points to
    current = target.read_bytes()
    if current != expected_old:
        raise ChangedOnDisk(f"{path} changed on disk since it was read; not overwritten")
    directory = target.parent
    remove_abandoned(directory)
    before = target.stat()
    handle, temporary = tempfile.mkstemp(prefix=temporary_prefix(target.name), suffix=TEMPORARY_SUFFIX,
                                         dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(new)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(before.st_mode))
        if hasattr(os, "chown") and (before.st_uid, before.st_gid) != (os.stat(temporary).st_uid,
                                                                     os.stat(temporary).st_gid):
            try:
                os.chown(temporary, before.st_uid, before.st_gid)
            except OSError:
                pass  # not allowed to give the file away: it becomes ours, like any editor's save
        if target.read_bytes() != expected_old:
            raise ChangedOnDisk(f"{path} changed on disk while it was being fixed; not overwritten")
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
