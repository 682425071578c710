"""Reading the files of an untrusted tree: regular files only, never blocking, never more
than a given number of bytes.

A FIFO, socket or device put where a file was expected (``/dev/zero`` as a baseline, a
source replaced by a FIFO between discovery and reading) is refused without waiting on it:
the file is opened non-blocking and checked after opening, so nothing can swap it between a
check and the read. A file larger than the limit is refused before it is read (and a file
that grows while it is read is cut at the limit and refused too).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# The default of ``max-file-size``: far above any hand-written module (the largest files of
# boto3, django or moto are under 1 MB), small enough that one file cannot exhaust memory.
DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
# A CloudFormation template can hold at most 1 MB (uploaded through S3; 51,200 bytes inline):
# YAML infrastructure files above it are skipped (PyYAML takes seconds per megabyte).
TEMPLATE_LIMIT = 1024 * 1024
# Inputs that are not project sources: configuration files and baselines.
CONFIG_LIMIT = 4 * 1024 * 1024
BASELINE_LIMIT = 256 * 1024 * 1024


class NotRegularFile(OSError):
    """The path names a FIFO, socket, device or directory, not a regular file."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(f"not a regular file: {path}")
        self.strerror = "not a regular file"


class TooLarge(OSError):
    """The file holds more bytes than the limit."""

    def __init__(self, path: Path | str, size: int, limit: int) -> None:
        super().__init__(f"{path}: {size} bytes, over the limit of {limit}")
        self.size = size
        self.limit = limit
        self.strerror = f"{size} bytes, over the limit of {limit}"


def read_bounded(path: Path | str, limit: int | None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (None: no limit).
    Raises ``NotRegularFile``, ``TooLarge`` or the ``OSError`` of opening or reading."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path)
        if limit is not None and info.st_size > limit:
            raise TooLarge(path, info.st_size, limit)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
        if limit is not None and len(data) > limit:  # it grew after fstat
            raise TooLarge(path, max(len(data), os.fstat(fd).st_size), limit)
        return data
    finally:
        os.close(fd)
