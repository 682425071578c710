"""The summary cache: ``.dynolint_cache/`` in the project root.

An entry is a pickled :class:`FileSummary`, keyed by a hash of dynolint's version, the
file's path in the project and its bytes (configuration does not change a summary).
Entries are written to a temporary file and renamed, so concurrent runs never see a half
entry; an entry that does not load is ignored and rewritten. Old entries are removed when
the cache holds many more entries than the project has files.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dynolint import __version__

if TYPE_CHECKING:
    from dynolint import ir

FORMAT = "1"
DIRECTORY = ".dynolint_cache"


def _key(path: str, data: bytes) -> str:
    digest = hashlib.sha256()
    for part in (FORMAT, __version__, path):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


class SummaryCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_root(cls, root: Path) -> SummaryCache | None:
        directory = root / DIRECTORY / f"v{FORMAT}"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tag = root / DIRECTORY / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# dynolint's cache\n")
            gitignore = root / DIRECTORY / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
        except OSError:
            return None  # a read-only tree: run without a cache
        return cls(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pickle"

    def get(self, path: str, data: bytes) -> ir.FileSummary | None:
        entry = self._path(_key(path, data))
        try:
            with entry.open("rb") as handle:
                summary = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - corrupt, truncated or from another version: rebuild it
            try:
                entry.unlink()
            except OSError:
                pass
            return None
        from dynolint import ir

        if not isinstance(summary, ir.FileSummary) or summary.path != path:
            return None
        try:
            os.utime(entry)
        except OSError:
            pass
        return summary

    def put(self, path: str, data: bytes, summary: ir.FileSummary) -> None:
        entry = self._path(_key(path, data))
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(summary, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except (OSError, pickle.PicklingError, RecursionError):
            try:
                os.unlink(temporary)
            except (OSError, UnboundLocalError):
                pass

    def tidy(self, keep: int) -> None:
        """Drop the least recently used entries once there are over ``2 * keep + 256``."""
        try:
            entries = [p for p in self.directory.glob("*/*.pickle")]
        except OSError:
            return
        limit = 2 * keep + 256
        if len(entries) <= limit:
            return
        def used(path: Path) -> float:
            try:
                return path.stat().st_mtime
            except OSError:
                return 0.0
        for path in sorted(entries, key=used)[:len(entries) - limit]:
            try:
                path.unlink()
            except OSError:
                pass
        cutoff = time.time() - 3600
        for stale in self.directory.glob("*/.tmp-*"):
            try:
                if stale.stat().st_mtime < cutoff:
                    stale.unlink()
            except OSError:
                pass


class ResultCache:
    """Whole-run results, keyed by everything that can change them: dynolint's version,
    every source and infrastructure file's bytes, the configuration, the selected rules and
    the options, and the working directory (paths are shown relative to it). A run whose
    inputs are all unchanged is answered from here without parsing or analysing anything;
    any change reruns the analysis (its parsing still comes from the summary cache)."""

    KEEP = 8

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_root(cls, root: Path) -> ResultCache | None:
        summaries = SummaryCache.for_root(root)
        if summaries is None:
            return None
        directory = summaries.directory / "results"
        try:
            directory.mkdir(exist_ok=True)
        except OSError:
            return None
        return cls(directory)

    @staticmethod
    def key(parts: list[bytes], sources: dict[str, bytes], infra: dict[str, bytes]) -> str:
        digest = hashlib.blake2b(digest_size=24)
        for part in (FORMAT.encode(), __version__.encode(), *parts):
            digest.update(part)
            digest.update(b"\0")
        for files in (sources, infra):
            for path in sorted(files):
                digest.update(path.encode("utf-8", "surrogateescape"))
                digest.update(b"\0")
                digest.update(hashlib.blake2b(files[path], digest_size=16).digest())
            digest.update(b"\1")
        return digest.hexdigest()

    def get(self, key: str) -> object | None:
        entry = self.directory / f"{key}.pickle"
        try:
            with entry.open("rb") as handle:
                value = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - corrupt or from another version: recompute
            try:
                entry.unlink()
            except OSError:
                pass
            return None
        try:
            os.utime(entry)
        except OSError:
            pass
        return value

    def put(self, key: str, value: object) -> None:
        entry = self.directory / f"{key}.pickle"
        try:
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except (OSError, pickle.PicklingError, RecursionError):
            try:
                os.unlink(temporary)
            except (OSError, UnboundLocalError):
                pass
            return
        try:
            entries = sorted(self.directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
            for old in entries[:-self.KEEP]:
                old.unlink()
        except OSError:
            pass
