"""Reading the files of an untrusted tree: regular files only, never blocking, never more
than a given number of bytes (``safefs.read_file`` does the reading), and the limits of the
inputs dynolint parses.

A FIFO, socket or device put where a file was expected (a source replaced by a FIFO between
discovery and reading) is refused without waiting on it: the file is opened non-blocking
and checked after opening, so nothing can swap it between a check and the read. A file
larger than the limit is refused before it is read, and one that grows while it is read is
cut at the limit and refused too.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from dynolint.safefs import read_file

# The default of ``max-file-size``: far above any hand-written module (the largest files of
# boto3, django or moto are under 1 MB), small enough that one file cannot exhaust memory.
DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
# A CloudFormation template can hold at most 1 MB (uploaded through S3; 51,200 bytes inline):
# YAML infrastructure files above it are skipped (PyYAML takes seconds per megabyte).
TEMPLATE_LIMIT = 1024 * 1024


class TooLarge(OSError):
    """The file holds more bytes than the limit."""

    def __init__(self, path: Path | str, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{size} bytes, over the limit of {limit}", str(path))
        self.size = size
        self.limit = limit


def read_bounded(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (symbolic links followed, as discovery takes
    them), at most ``limit`` of them. Raises ``TooLarge``, or the ``OSError`` of opening or
    reading (strerror "not a regular file" for a FIFO, socket, device or directory)."""
    try:
        return read_file(path, follow=True, limit=limit)
    except OSError as exc:
        if exc.errno != errno.EFBIG:
            raise
        try:
            size = os.stat(path).st_size  # for the message only: the read already refused it
        except OSError:
            size = limit + 1
        raise TooLarge(path, max(size, limit + 1), limit) from None
