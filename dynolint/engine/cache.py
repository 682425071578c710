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

- the folders are not trusted either: every folder of the cache must be a real directory owned
  by this user, opened without following symbolic links, and everything in it is read, written,
  listed and removed relative to that folder's descriptor (:mod:`dynolint.safefs`). A cache
  folder shipped as a symbolic link (to make dynolint delete or create files elsewhere) is
  ignored with a warning; links inside it are never followed, only replaced or removed.

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
from dynolint.safefs import TEMPORARY_PREFIX, OwnDirectory, UnsafeLocation

if TYPE_CHECKING:
    from dynolint.phase1 import ir
# 3: the IR moved to dynolint.phase1.ir (pickles name their classes); 4: a property's setter and
# deleter are functions of their own (``Order.status.setter``), ``del obj.attr`` is ir.Delete
FORMAT = "4"
DIRECTORY = ".dynolint_cache"
MAGIC = b"dynolint-cache\0" + FORMAT.encode() + b"\n"
_DIGEST = 32  # bytes of HMAC-SHA256
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
        package = Path(__file__).resolve().parent.parent  # the whole dynolint package
        for module in sorted(package.rglob("*.py")):
            try:
                info = module.stat()
            except OSError:
                continue
            digest.update(f"{module.relative_to(package).as_posix()}\0{info.st_size}\0{info.st_mtime_ns}\1".encode())
        _BUILD = digest.hexdigest()
    return _BUILD


def _key(path: str, data: bytes, variant: str = "") -> str:
    digest = hashlib.sha256()
    for part in (FORMAT, build_id(), path, variant):
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


def _read(directory: OwnDirectory, name: str, key: bytes) -> object | None:
    data = directory.read(name)  # never through a symbolic link, never a FIFO
    if data is None:  # missing (the usual miss), unreadable, or not a regular file
        return None
    try:
        value = decode(data, key)
    except ValueError:
        directory.remove(name)
        return None
    directory.touch(name)
    return value


def _write(directory: OwnDirectory, name: str, value: object, key: bytes) -> None:
    try:
        data = encode(value, key)
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return
    try:
        directory.write(name, data)  # a temporary file renamed over the entry: never half an entry
    except OSError:
        pass


def _remove_stale_temporaries(directory: OwnDirectory) -> None:
    cutoff = time.time() - STALE_AFTER
    for name, info in directory.entries():
        if name.startswith(TEMPORARY_PREFIX) and info.st_mtime < cutoff:
            directory.remove(name)


def _remove_least_used(directory: OwnDirectory, entries: list[tuple[str, os.stat_result]], keep: int) -> None:
    """Remove all but the ``keep`` most recently used of ``entries`` (regular files of ``directory``)."""
    entries = sorted(entries, key=lambda entry: entry[1].st_mtime)
    for name, _ in entries[:max(len(entries) - keep, 0)]:
        directory.remove(name)


def _cache_entries(directory: OwnDirectory) -> list[tuple[str, os.stat_result]]:
    return [(name, info) for name, info in directory.entries()
            if name.endswith(".pickle") and not name.startswith(TEMPORARY_PREFIX)]


def open_directory(root: Path) -> tuple[OwnDirectory | None, str | None]:
    """The cache's folder for this format (``root/.dynolint_cache/v2``), made when missing, and
    why it cannot be used when it cannot. Every folder below ``root`` must be a real directory
    owned by this user: a cache folder a repository ships as a symbolic link (or another user's)
    is ignored with a warning, so a checkout can never make dynolint write or delete files
    outside it. A read-only tree runs without a cache and without a warning."""
    try:
        top = OwnDirectory.open(root, (DIRECTORY,))
    except UnsafeLocation as exc:
        return None, f"{exc.filename}: {exc.strerror}; running without a cache"
    except OSError:
        return None, None
    with top:
        for name, text in (("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# dynolint's cache\n"),
                           (".gitignore", "*\n")):
            if top.read(name) is None:
                try:
                    top.write(name, text.encode())
                except OSError:
                    pass
        try:
            return top.child(f"v{FORMAT}"), None
        except UnsafeLocation as exc:
            return None, f"{exc.filename}: {exc.strerror}; running without a cache"
        except OSError:
            return None, None


class SummaryCache:
    def __init__(self, directory: OwnDirectory, key: bytes) -> None:
        self.directory = directory
        self.signing_key = key
        self._shards: dict[str, OwnDirectory | None] = {}

    @classmethod
    def for_root(cls, root: Path) -> SummaryCache | None:
        key = _signing_key()
        if key is None:
            return None  # entries could not be trusted: run without a cache
        directory, _ = open_directory(root)
        return None if directory is None else cls(directory, key)

    def _shard(self, key: str, create: bool) -> OwnDirectory | None:
        """The folder of entries whose key starts with ``key[:2]`` (None if it is not a real one)."""
        name = key[:2]
        if self._shards.get(name) is None:
            try:
                self._shards[name] = self.directory.child(name, create)
            except OSError:
                return None
        return self._shards[name]

    def get(self, path: str, data: bytes, variant: str = "") -> ir.FileSummary | None:
        """The cached summary of ``data`` at ``path``; ``variant`` names what else the
        summary depends on (the Python versions that judged its syntax)."""
        key = _key(path, data, variant)
        shard = self._shard(key, create=False)
        summary = None if shard is None else _read(shard, f"{key}.pickle", self.signing_key)
        if summary is None:
            return None
        from dynolint.phase1 import ir
        if not isinstance(summary, ir.FileSummary) or summary.path != path:
            return None
        return summary

    def put(self, path: str, data: bytes, summary: ir.FileSummary, variant: str = "") -> None:
        key = _key(path, data, variant)
        shard = self._shard(key, create=True)
        if shard is not None:
            _write(shard, f"{key}.pickle", summary, self.signing_key)

    def tidy(self, keep: int) -> None:
        """Drop the least recently used entries once there are over ``2 * keep + 256``, and
        temporary files left by killed runs. Only regular files in real folders are removed."""
        everything: list[tuple[OwnDirectory, str, os.stat_result]] = []
        for name in self.directory.subdirectories():
            if len(name) != 2:
                continue  # not a shard (results/ lives here too)
            shard = self._shard(name, create=False)
            if shard is None:
                continue
            _remove_stale_temporaries(shard)
            everything.extend((shard, entry, info) for entry, info in _cache_entries(shard))
        limit = 2 * keep + 256
        if len(everything) <= limit:
            return
        everything.sort(key=lambda item: item[2].st_mtime)
        for shard, name, _ in everything[:len(everything) - limit]:
            shard.remove(name)


class PartCache(SummaryCache):
    """The results of a project's import components (:mod:`dynolint.engine.incremental`), one entry
    per component, in shard folders of their own (``parts/``); tidied once a run, as the
    summaries are."""

    @classmethod
    def for_root(cls, root: Path) -> PartCache | None:
        key = _signing_key()
        if key is None:
            return None
        top, _ = open_directory(root)
        if top is None:
            return None
        with top:
            try:
                return cls(top.child("parts"), key)
            except OSError:  # a linked or foreign folder (UnsafeLocation) or a read-only tree
                return None

    def get_key(self, key: str) -> object | None:
        shard = self._shard(key, create=False)
        return None if shard is None else _read(shard, f"{key}.pickle", self.signing_key)

    def put_key(self, key: str, value: object) -> None:
        shard = self._shard(key, create=True)
        if shard is not None:
            _write(shard, f"{key}.pickle", value, self.signing_key)


class ResultCache:
    """Whole-run results, keyed by everything that can change them: dynolint's build,
    every source and infrastructure file's bytes, the configuration, the selected rules and
    the options, and the working directory (paths are shown relative to it). A run whose
    inputs are all unchanged is answered from here without parsing or analysing anything;
    any change reruns the analysis (its parsing still comes from the summary cache)."""

    KEEP = 8

    def __init__(self, directory: OwnDirectory, key: bytes) -> None:
        self.directory = directory
        self.signing_key = key

    @classmethod
    def for_root(cls, root: Path) -> ResultCache | None:
        return cls.open(root)[0]

    @classmethod
    def open(cls, root: Path) -> tuple[ResultCache | None, str | None]:
        """The result cache of ``root``, or None and why not (a warning for the user, or None
        when there is nothing to say: no signing key, a read-only tree)."""
        key = _signing_key()
        if key is None:
            return None, None
        top, warning = open_directory(root)
        if top is None:
            return None, warning
        with top:
            try:
                return cls(top.child("results"), key), None
            except UnsafeLocation as exc:
                return None, f"{exc.filename}: {exc.strerror}; running without a cache"
            except OSError:
                return None, None

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
        return _read(self.directory, f"{key}.pickle", self.signing_key)

    def put(self, key: str, value: object) -> None:
        _write(self.directory, f"{key}.pickle", value, self.signing_key)
        _remove_least_used(self.directory, _cache_entries(self.directory), self.KEEP)
        _remove_stale_temporaries(self.directory)
