"""File-system access for a tree dynolint does not trust.

dynolint runs on pull requests from forks and on freshly cloned repositories: the files and
folders it reads were made by someone else, and any of them may be a symbolic link to a place
outside the tree, a FIFO, or a folder owned by another user. Everything dynolint *writes* in
such a tree (its cache, a baseline, a fixed source file) goes through this module:

- a folder dynolint keeps its own files in (the cache) is opened component by component with
  ``O_NOFOLLOW | O_DIRECTORY`` relative to its parent's descriptor, and must be a real
  directory owned by the user running dynolint; everything inside it is then read, written,
  listed and removed relative to that descriptor (``dir_fd``), so no symbolic link in the
  tree, dangling or not, can redirect a write or a removal elsewhere;
- a file is written by creating a new temporary file beside it (``O_CREAT | O_EXCL |
  O_NOFOLLOW``) and renaming it over the target: a rename replaces a symbolic link at the
  target with the new file instead of writing through it, and at every moment the target is
  either the old bytes or the new ones;
- a file is read only if it is a regular file, opened without blocking (a FIFO is never waited
  on), optionally without following a final symbolic link, and never past a size limit.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Callable

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
TEMPORARY_PREFIX = ".tmp-"


class TooLarge(OSError):
    """The file holds more bytes than the limit it was read with."""

    def __init__(self, path: Path | str, size: int, limit: int) -> None:
        super().__init__(_errno("EFBIG"), f"{size} bytes, over the limit of {limit}", str(path))
        self.size = size
        self.limit = limit


class UnsafeLocation(OSError):
    """A place dynolint will not write to: a symbolic link, not a directory, or another user's."""


def read_file(path: Path | str, *, follow: bool = True, limit: int | None = None,
              dir_fd: int | None = None) -> bytes:
    """The bytes of a regular file. Raises OSError when it is not one (``ELOOP`` for a symbolic
    link when ``follow`` is false) or cannot be read, and :class:`TooLarge` when it holds more
    than ``limit`` bytes (one that grows while it is read is cut at the limit and refused too). Opened without blocking and checked after opening, so a FIFO or a device put
    where a file was expected is never waited on or read."""
    flags = os.O_RDONLY | _NONBLOCK | _CLOEXEC | (0 if follow else _NOFOLLOW)
    fd = os.open(path, flags, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(_errno("EINVAL"), "not a regular file", str(path))
        if limit is not None and info.st_size > limit:
            raise TooLarge(path, info.st_size, limit)
        chunks = []
        remaining = limit + 1 if limit is not None else None
        while True:
            chunk = os.read(fd, 1 << 20 if remaining is None else min(1 << 20, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            if remaining is not None and limit is not None:  # both or neither
                remaining -= len(chunk)
                if remaining <= 0:
                    raise TooLarge(path, limit + 1, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _errno(name: str) -> int:
    import errno

    return int(getattr(errno, name))


def describe(exc: OSError) -> str:
    """A short reason for an OSError, naming a symbolic link as such."""
    import errno

    if exc.errno == errno.ELOOP:
        return "is a symbolic link (dynolint does not follow links for the files it writes or owns)"
    return exc.strerror or str(exc)


def write_new(directory_fd: int, name: str, data: bytes, mode: int = 0o666,
              temporary: str | None = None, prepare: Callable[[int], None] | None = None,
              before_rename: Callable[[], None] | None = None) -> None:
    """Replace ``name`` in the directory ``directory_fd`` by a file holding ``data``, through a
    temporary file and a rename (a symbolic link at ``name`` is replaced, never followed).
    ``mode`` is filtered by the umask, as for any new file. ``temporary`` names the temporary
    file (default ``.tmp-RANDOM.part``); ``prepare`` gets its descriptor once the data is written
    (to set its mode or owner), ``before_rename`` runs last before the rename (to check the
    target did not change); either may raise to leave the target alone."""
    temporary = temporary or f"{TEMPORARY_PREFIX}{secrets.token_hex(8)}.part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode, dir_fd=directory_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if prepare is not None:
                prepare(fd)
        finally:
            os.close(fd)
        if before_rename is not None:
            before_rename()
        os.replace(temporary, name, src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=directory_fd)
        except OSError:
            pass
        raise


def write_file(path: Path, data: bytes) -> None:
    """Write ``path`` (a file the user named, e.g. a baseline) through a temporary file and a
    rename in its folder: never through a symbolic link, never half-written."""
    directory = os.path.dirname(os.path.abspath(path)) or "/"
    fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        write_new(fd, os.path.basename(os.fspath(path)), data)
    finally:
        os.close(fd)


class OwnDirectory:
    """A real directory owned by this user, opened without following symbolic links; all
    access inside it is relative to its descriptor. Close it (or use ``with``) when done."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def open(cls, base: Path, parts: tuple[str, ...], create: bool = True) -> OwnDirectory:
        """``base/parts[0]/parts[1]/...``; ``base`` is the folder the user asked about (followed
        as given), every part below it must be a real directory owned by this user (created when
        missing and ``create``). Raises :class:`UnsafeLocation` or OSError."""
        fd = os.open(base, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        directory = cls(fd, Path(base))
        try:
            for part in parts:
                child = directory.child(part, create)
                directory.close()
                directory = child
        except BaseException:
            directory.close()
            raise
        return directory

    def child(self, name: str, create: bool = True) -> OwnDirectory:
        """The subdirectory ``name`` (made when missing and ``create``), checked like the root."""
        if create:
            try:
                os.mkdir(name, 0o755, dir_fd=self.fd)
            except FileExistsError:
                pass
        try:
            fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=self.fd)
        except OSError as exc:
            import errno

            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise UnsafeLocation(exc.errno, "is a symbolic link or not a directory",
                                     str(self.path / name)) from exc
            raise
        info = os.fstat(fd)
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            os.close(fd)
            raise UnsafeLocation(_errno("EPERM"), f"is owned by another user (uid {info.st_uid})",
                                 str(self.path / name))
        return OwnDirectory(fd, self.path / name)

    def read(self, name: str, limit: int | None = None) -> bytes | None:
        """The bytes of the regular file ``name`` here (never through a symbolic link); None
        when it is missing or anything else."""
        try:
            return read_file(name, follow=False, limit=limit, dir_fd=self.fd)
        except OSError:
            return None

    def write(self, name: str, data: bytes) -> None:
        write_new(self.fd, name, data)

    def remove(self, name: str) -> None:
        """Remove the entry ``name`` here (a symbolic link is removed itself, its target left)."""
        try:
            os.unlink(name, dir_fd=self.fd)
        except OSError:
            pass

    def entries(self) -> list[tuple[str, os.stat_result]]:
        """The regular files here with their ``lstat``; symbolic links and the rest are left out."""
        found = []
        try:
            with os.scandir(self.fd) as listing:
                for entry in listing:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISREG(info.st_mode):
                        found.append((entry.name, info))
        except OSError:
            pass
        return found

    def subdirectories(self) -> list[str]:
        """The names of the real (not linked) directories here."""
        names = []
        try:
            with os.scandir(self.fd) as listing:
                for entry in listing:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            names.append(entry.name)
                    except OSError:
                        continue
        except OSError:
            pass
        return names

    def touch(self, name: str) -> None:
        try:
            os.utime(name, dir_fd=self.fd, follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OwnDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except OSError:
            pass


__all__ = ["OwnDirectory", "TEMPORARY_PREFIX", "TooLarge", "UnsafeLocation", "describe", "read_file", "write_file",
           "write_new"]
