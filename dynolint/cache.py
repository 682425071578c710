"""The summary cache: ``.dynolint_cache/`` in the project root.

An entry is a pickled :class:`FileSummary`, keyed by a hash of dynolint's build (its version
and its modules' sizes and times), the file's path in the project and its bytes
(configuration does not change a summary).

The cache lives in the analysed tree, so its bytes are not trusted:

- every entry is signed (HMAC-SHA256) with a key kept outside the tree, in the user's cache
  directory (``$XDG_CACHE_HOME/dynolint/cache-key``, else ``~/.cache/dynolint/cache-key``).
  An entry whose signature does not match (truncated, overwritten, written by another user or
  machine, or planted in a repository) is never unpickled: it is ignored and rebuilt. When no
  key can be kept, the caches are not used at all;
- a signed entry is still unpickled by an unpickler that builds only dynolint's own classes
  and plain containers, never an arbitrary callable.

Entries are written to a temporary file and renamed, so concurrent runs never see a half
entry. Old entries are removed when the cache holds many more entries than the project has
files; temporary files left by a run that was killed are removed once they are an hour old.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import io
import os
import pickle
import secrets
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dynolint import __version__

if TYPE_CHECKING:
    from dynolint import ir

FORMAT = "2"
DIRECTORY = ".dynolint_cache"
MAGIC = b"dynolint-cache\0" + FORMAT.encode() + b"\n"
_DIGEST = 32  # bytes of HMAC-SHA256
TEMPORARY_PREFIX = ".tmp-"
STALE_AFTER = 3600.0  # seconds: a temporary file this old was left by a killed run

_SAFE_BUILTINS = frozenset({"set", "frozenset", "list", "tuple", "dict", "str", "bytes", "bytearray", "int",
                            "float", "complex", "bool", "slice", "range", "object", "NoneType"})


_BUILD: str | None = None


def build_id() -> str:
    """dynolint's version and the size and time of each of its modules: a summary or a result
    made by other code (an upgrade, an edit in a development install) is never taken."""
    global _BUILD
    if _BUILD is None:
        digest = hashlib.blake2b(__version__.encode(), digest_size=16)
        package = Path(__file__).resolve().parent
        for module in sorted(package.rglob("*.py")):
            try:
                info = module.stat()
            except OSError:
                continue
            digest.update(f"{module.relative_to(package).as_posix()}\0{info.st_size}\0{info.st_mtime_ns}\1".encode())
        _BUILD = digest.hexdigest()
    return _BUILD


def _key(path: str, data: bytes) -> str:
    digest = hashlib.sha256()
    for part in (FORMAT, build_id(), path):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


_SECRET: bytes | None = None


def _secret_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dynolint" / "cache-key"


def _signing_key() -> bytes | None:
    """This user's key for signing cache entries, made on first use; None when it cannot be kept."""
    global _SECRET
    if _SECRET is not None:
        return _SECRET
    path = _secret_path()
    try:
        key = path.read_bytes()
    except OSError:
        key = b""
    if len(key) != 32:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(secrets.token_bytes(32))
                if key:  # unreadable or the wrong size: replace it
                    os.replace(temporary, path)
                else:
                    try:
                        os.link(temporary, path)  # atomic: the first of several runs wins
                    except FileExistsError:
                        pass
            finally:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
            key = path.read_bytes()
        except OSError:
            return None
        if len(key) != 32:
            return None
    _SECRET = key
    return key


class _Unpickler(pickle.Unpickler):
    """Builds dynolint's classes and plain containers; refuses every other global."""

    def find_class(self, module: str, name: str) -> object:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return getattr(builtins, name)
        if module == "dynolint" or module.startswith("dynolint."):
            value = super().find_class(module, name)
            if isinstance(value, type):
                return value
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def encode(value: object, key: bytes) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return MAGIC + hmac.new(key, payload, hashlib.sha256).digest() + payload


def decode(data: bytes, key: bytes) -> object:
    """The value of an entry's bytes; ValueError when they are not an intact entry signed with ``key``."""
    header = len(MAGIC) + _DIGEST
    if len(data) <= header or not data.startswith(MAGIC):
        raise ValueError("not a dynolint cache entry")
    signature, payload = data[len(MAGIC):header], data[header:]
    if not hmac.compare_digest(signature, hmac.new(key, payload, hashlib.sha256).digest()):
        raise ValueError("the entry's signature does not match: corrupt, or not written by this user")
    try:
        return _Unpickler(io.BytesIO(payload)).load()
    except Exception as exc:  # noqa: BLE001 - signed but unreadable (another dynolint build)
        raise ValueError(f"the entry does not load: {exc!r}") from exc


def load_entry(entry: Path) -> object:
    """The value stored in one entry file (raises OSError or ValueError). For tests and tools."""
    key = _signing_key()
    if key is None:
        raise ValueError("no signing key")
    return decode(entry.read_bytes(), key)


def _read(entry: Path, key: bytes) -> object | None:
    try:
        data = entry.read_bytes()
    except OSError:  # missing (the usual miss), or unreadable
        return None
    try:
        value = decode(data, key)
    except ValueError:
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


def _write(entry: Path, value: object, key: bytes) -> None:
    temporary = None
    try:
        data = encode(value, key)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=TEMPORARY_PREFIX, suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, entry)
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _entries(directory: Path, pattern: str) -> list[Path]:
    return [p for p in directory.glob(pattern) if not p.name.startswith(TEMPORARY_PREFIX)]


def _remove_stale_temporaries(directory: Path, pattern: str) -> None:
    cutoff = time.time() - STALE_AFTER
    try:
        stale = list(directory.glob(pattern))
    except OSError:
        return
    for path in stale:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


class SummaryCache:
    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self.signing_key = key

    @classmethod
    def for_root(cls, root: Path) -> SummaryCache | None:
        key = _signing_key()
        if key is None:
            return None  # entries could not be trusted: run without a cache
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
        return cls(directory, key)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pickle"

    def get(self, path: str, data: bytes) -> ir.FileSummary | None:
        summary = _read(self._path(_key(path, data)), self.signing_key)
        if summary is None:
            return None
        from dynolint import ir

        if not isinstance(summary, ir.FileSummary) or summary.path != path:
            return None
        return summary

    def put(self, path: str, data: bytes, summary: ir.FileSummary) -> None:
        entry = self._path(_key(path, data))
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        _write(entry, summary, self.signing_key)

    def tidy(self, keep: int) -> None:
        """Drop the least recently used entries once there are over ``2 * keep + 256``, and
        temporary files left by killed runs."""
        _remove_stale_temporaries(self.directory, f"*/{TEMPORARY_PREFIX}*")
        try:
            entries = _entries(self.directory, "*/*.pickle")
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


class ResultCache:
    """Whole-run results, keyed by everything that can change them: dynolint's build,
    every source and infrastructure file's bytes, the configuration, the selected rules and
    the options, and the working directory (paths are shown relative to it). A run whose
    inputs are all unchanged is answered from here without parsing or analysing anything;
    any change reruns the analysis (its parsing still comes from the summary cache)."""

    KEEP = 8

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self.signing_key = key

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
        return cls(directory, summaries.signing_key)

    @staticmethod
    def key(parts: list[bytes], sources: dict[str, bytes], infra: dict[str, bytes]) -> str:
        digest = hashlib.blake2b(digest_size=24)
        for part in (FORMAT.encode(), build_id().encode(), *parts):
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
        return _read(self.directory / f"{key}.pickle", self.signing_key)

    def put(self, key: str, value: object) -> None:
        _write(self.directory / f"{key}.pickle", value, self.signing_key)

        def used(path: Path) -> float:
            try:
                return path.stat().st_mtime
            except OSError:
                return 0.0
        try:
            entries = sorted(_entries(self.directory, "*.pickle"), key=used)
        except OSError:
            return
        for old in entries[:-self.KEEP]:
            try:
                old.unlink()
            except OSError:
                pass
        _remove_stale_temporaries(self.directory, f"{TEMPORARY_PREFIX}*")
