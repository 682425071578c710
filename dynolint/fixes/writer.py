"""Write a fixed file safely: through a temporary file in the same directory and an atomic
rename, keeping the file's mode, never over a file that changed since it was read."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class ChangedOnDisk(Exception):
    """The file is not what was read any more; it is left alone."""


def write_atomically(path: Path, expected_old: bytes, new: bytes) -> None:
    current = path.read_bytes()
    if current != expected_old:
        raise ChangedOnDisk(f"{path} changed on disk since it was read; not overwritten")
    directory = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dynolint-tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(new)
            stream.flush()
            os.fsync(stream.fileno())
        shutil.copymode(path, temporary)
        if path.read_bytes() != expected_old:
            raise ChangedOnDisk(f"{path} changed on disk while it was being fixed; not overwritten")
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
