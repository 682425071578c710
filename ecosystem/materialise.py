"""Materialise a repository's tree at one commit from a git mirror, blob by blob.

The mirrors the search tool's ``fetch`` leaves lack the largest files (4 MiB and more), so
``git archive`` fails on them. Here every entry of ``git ls-tree -r -z COMMIT`` is written from
``git cat-file --batch``, a missing blob is skipped and counted, and nothing is ever written
outside the destination: symbolic links and submodules are skipped, and a path that is
absolute or has an empty, ``.``, ``..`` or ``.git`` component is refused.

The tree is built in a sibling folder and renamed into place when complete; a file
``.ecosystem-commit`` inside records the commit, so a tree already materialised at the right
commit is reused and a half-written one never is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

MARKER = ".ecosystem-commit"
_REGULAR_MODES = {b"100644": 0o644, b"100755": 0o755, b"100664": 0o644}


@dataclass
class Materialised:
    """What materialising one tree did."""

    path: Path
    reused: bool = False
    written: int = 0
    missing: int = 0  # blobs the mirror does not hold (large files)
    skipped: int = 0  # symbolic links, submodules, unknown modes
    refused: list[str] | None = None  # paths that would leave the destination


@dataclass(frozen=True)
class Entry:
    """One ``git ls-tree`` row."""

    mode: bytes
    kind: bytes
    sha: str
    path: bytes


def parse_ls_tree(output: bytes) -> Iterator[Entry]:
    """The rows of ``git ls-tree -r -z`` output: ``MODE TYPE SHA<TAB>PATH<NUL>``."""
    for record in output.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, sha = meta.split(b" ")
        yield Entry(mode, kind, sha.decode("ascii"), path)


def safe_parts(path: bytes) -> list[str] | None:
    """The components of a tree path, or None when it could leave the destination."""
    if not path or path.startswith(b"/") or b"\\" in path:
        return None
    parts = path.split(b"/")
    if any(part in (b"", b".", b"..") or part.lower() == b".git" for part in parts):
        return None
    try:
        return [os.fsdecode(part) for part in parts]
    except UnicodeDecodeError:
        return None


def committed(dest: Path) -> str | None:
    """The commit a complete tree at ``dest`` was materialised from, if any."""
    try:
        return (dest / MARKER).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def materialise(git_dir: Path, commit: str, dest: Path) -> Materialised:
    """Write the tree of ``commit`` in ``git_dir`` at ``dest`` (reused when already there)."""
    if committed(dest) == commit:
        return Materialised(dest, reused=True)
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--full-tree", commit],
                             capture_output=True, check=True).stdout
    staging = dest.with_name(dest.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    result = Materialised(dest, refused=[])
    wanted: list[tuple[Entry, list[str]]] = []
    for entry in parse_ls_tree(listing):
        parts = safe_parts(entry.path)
        if parts is None:
            result.refused.append(os.fsdecode(entry.path))  # type: ignore[union-attr]
        elif entry.kind != b"blob" or entry.mode not in _REGULAR_MODES:
            result.skipped += 1  # symbolic link (120000), submodule (160000)
        else:
            wanted.append((entry, parts))
    with subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as batch:
        assert batch.stdin is not None and batch.stdout is not None
        for entry, parts in wanted:
            batch.stdin.write(entry.sha.encode("ascii") + b"\n")
            batch.stdin.flush()
            data = _read_object(batch.stdout)
            if data is None:
                result.missing += 1
                continue
            try:
                _write_file(staging, parts, data, _REGULAR_MODES[entry.mode])
            except OSError:  # a path that clashes with one written before (a hostile tree)
                result.refused.append(os.fsdecode(entry.path))  # type: ignore[union-attr]
                continue
            result.written += 1
        batch.stdin.close()
    (staging / MARKER).write_text(commit + "\n", encoding="ascii")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(staging, dest)
    return result


def _read_object(stream: IO[bytes]) -> bytes | None:
    """One ``git cat-file --batch`` answer: the content, or None for ``<sha> missing``."""
    header = stream.readline().split()
    if len(header) != 3:  # "<sha> missing" (or "ambiguous")
        return None
    size = int(header[2])
    data = stream.read(size)
    stream.read(1)  # the newline after the content
    return data


def _write_file(root: Path, parts: list[str], data: bytes, mode: int) -> None:
    """Create ``root/parts...`` as a new regular file, following no symbolic link."""
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise OSError(f"refusing to write under {folder}: not a plain folder")
        folder.mkdir(exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(folder / parts[-1], flags, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
