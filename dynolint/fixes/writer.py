"""Write a fixed file safely: through a temporary file in the same directory and an atomic
rename, keeping the file's mode (and, where allowed, owner), never over a file that changed
since it was read.

At every moment the file is either the old text or the new one. A run killed while writing
(SIGKILL, power loss) can leave its temporary file behind: it is named
``.NAME.dynolint-PID-RANDOM.tmp`` (never ``*.py`` or an infrastructure file name, so no run
analyses it), and the next fix of a file in that directory removes it once its process is
gone or it is older than a minute.

The tree is not trusted: a symbolic link is written through (its target changes, the link
stays) only when the target is inside the project; a file reached through a link that leaves
the project, a read-only file, and a file whose owner or group could not be kept are refused
(:class:`Refused`) and left alone. The file is opened without following a link at its own
name, and the temporary file is created exclusively, never through a link.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

from dynolint.safefs import read_file, write_new

TEMPORARY_SUFFIX = ".tmp"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
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


class Refused(Exception):
    """dynolint will not write this file (it leaves the project through a symbolic link, is
    read-only, or would change owner); it is left alone and the run says why."""


def _writable(info: os.stat_result) -> bool:
    """May this file be rewritten? Its mode must grant a write bit (even to root: a 0444 file is
    read-only on purpose) and the user must be allowed to write it."""
    return bool(info.st_mode & 0o222)


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _read_nofollow(name: str, directory_fd: int) -> tuple[bytes, os.stat_result]:
    fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=directory_fd)
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise Refused("not a regular file")
    return read_file(name, follow=False, dir_fd=directory_fd), info


def write_atomically(path: Path, expected_old: bytes, new: bytes, root: Path | None = None) -> None:
    """Replace the contents of ``path`` (a file of the project at ``root``) by ``new``, if it
    still holds ``expected_old``. A symbolic link whose target stays inside ``root`` is written
    through (the target changes, the link stays); one that leaves ``root`` is refused, as are
    read-only files and files whose owner or group could not be kept. Mode, owner and group are
    kept; the bytes are exactly ``new``."""
    target = os.path.realpath(path)
    if root is not None and not _within(target, os.path.realpath(root)):
        raise Refused(f"{path} leads outside the project (to {target}) through a symbolic link; not fixed")
    directory, name = os.path.split(target)
    directory_fd = os.open(directory or "/", os.O_RDONLY | _DIRECTORY)
    try:
        _replace(path, name, directory, directory_fd, expected_old, new)
        try:  # make the rename itself durable
            os.fsync(directory_fd)
        except OSError:
            pass
    finally:
        os.close(directory_fd)


def _replace(path: Path, name: str, directory: str, directory_fd: int, expected_old: bytes, new: bytes) -> None:
    current, before = _read_nofollow(name, directory_fd)
    if current != expected_old:
        raise ChangedOnDisk(f"{path} changed on disk since it was read; not overwritten")
    if not _writable(before) or not os.access(name, os.W_OK, dir_fd=directory_fd):
        raise Refused(f"{path} is read-only; not fixed")
    remove_abandoned(Path(directory))

    def keep_metadata(handle: int) -> None:
        os.fsync(handle)
        os.fchmod(handle, stat.S_IMODE(before.st_mode))
        made = os.fstat(handle)
        if (made.st_uid, made.st_gid) != (before.st_uid, before.st_gid):
            try:
                os.fchown(handle, before.st_uid, before.st_gid)
            except OSError:
                raise Refused(f"{path} belongs to another owner or group that dynolint cannot keep; "
                              "not fixed") from None

    def unchanged() -> None:
        if _read_nofollow(name, directory_fd)[0] != expected_old:
            raise ChangedOnDisk(f"{path} changed on disk while it was being fixed; not overwritten")

    write_new(directory_fd, name, new, 0o600, f"{temporary_prefix(name)}{secrets.token_hex(6)}{TEMPORARY_SUFFIX}",
              prepare=keep_metadata, before_rename=unchanged)


def create_new(path: Path, data: bytes, root: Path | None = None) -> None:
    """Write a new file ``path`` (of the project at ``root``) holding ``data``: never over an
    existing file or link, never through a symbolic link that leaves ``root``; through a
    temporary file and a rename, so it is whole or absent."""
    directory = os.path.realpath(path.parent)
    if root is not None and not _within(directory, os.path.realpath(root)):
        raise Refused(f"{path} would be written outside the project (in {directory}); not created")
    target = os.path.join(directory, path.name)
    if os.path.lexists(target):
        raise ChangedOnDisk(f"{path} exists already; not overwritten")
    temporary = os.path.join(directory, temporary_prefix(path.name) + "new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, target)  # fails if the name was taken meanwhile, unlike a rename
    finally:
        os.unlink(temporary)
