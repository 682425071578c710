"""Which files phase 1 parses, decided from their bytes before LibCST is imported
(:func:`select_files`), and :class:`Selector`, which gives the files that are parsed whatever
the rest of the project holds as soon as their own text scan says so, so that parsing them
can start while the other files are scanned (:func:`dynolint.engine.pipeline.summarize_all`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from dynolint.config import Config
from dynolint.engine.importscan import _imports, module_of
from dynolint.phase1.prefilter import has_entry, makes_dynamodb, makes_lambda_client, touches_tenancy
from dynolint.phase1.reach import helper_chains
from dynolint.model.settings_models import django_settings_file

# ... or item operations, which are half a race when the handle comes from elsewhere.
ITEM_OPS = re.compile(rb"\.(?:get_item|put_item|update_item|delete_item|batch_writer|batch_write_item|"
                      rb"transact_write_items|execute_statement|query|scan)\(")

_SUBCLASS = re.compile(rb"^[ \t]*class[ \t]+\w+[ \t]*\(([^)]*)\)", re.M)
_CLASS_NAME = re.compile(rb"^[ \t]*class[ \t]+(\w+)", re.M)
_DECORATOR = re.compile(rb"^[ \t]*@", re.M)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which files to parse, and whose functions start an analysis (the others are only
    reached through calls); ``roots`` None means all of them."""

    parse: frozenset[str]
    roots: frozenset[str] | None


def select_files(sources: dict[str, bytes], config: Config, known: dict[bytes, tuple[bool, bool]] | None = None,
                 shared: set[str] | None = None) -> Selection:
    """The files worth parsing.

    - files that make or type a DynamoDB handle, or hold tenant ids, /tmp paths, CDK code
      or Lambda invokes;
    - files with item operations that import one of those (the handle is passed in);
    - the modules importing either kind of DynamoDB file, two levels up (a race can run
      from a read in one helper to a write in another, through their caller);
    - the modules all of these import directly (key builders, HTTP helpers, models).
    Files that only mention boto3 for other services, and everything else, are read but
    not parsed. A file that mentions tenants but has no invocation of its own (no handler,
    route or CDK code, nor a DynamoDB handle within two imports) is parsed, and so are its
    imports, but its functions run only where a root's calls reach them: they read no tenant
    id that a caller does not pass in. ``known``: what the two text scans said of files by
    their digest (kept by the cache between runs), filled in for the others. ``shared``:
    :func:`shared_files`, when the caller has it already."""
    # where the settings declare the code multi-tenant, every handler may keep tenant state:
    # all of those files (that sub-project's, not the whole tree's) are parsed and are roots
    if shared is None:
        shared = shared_files(sources, config)
    if len(shared) == len(sources):
        return Selection(frozenset(sources), None)
    return _select(sources, config, shared, {} if known is None else known)


def _scan(data: bytes, known: dict[bytes, tuple[bool, bool]], names: tuple[str, ...] = ()) -> tuple[bool, bool]:
    """Does the file make a DynamoDB handle, does it touch tenancy (by its digest in ``known``,
    with the project's own words for a tenant, ``names``, in the digest's key)?"""
    import hashlib

    salt = hashlib.blake2b(" ".join(names).encode(), digest_size=32).digest() if names else b""
    digest = hashlib.blake2b(data, digest_size=16, key=salt).digest()
    flags = known.get(digest)
    if flags is None:  # both questions of a file together: they share its tokenization
        flags = known[digest] = (makes_dynamodb(data), touches_tenancy(data, names))
    return flags


def shared_files(sources: dict[str, bytes], config: Config) -> set[str]:
    """The files whose settings declare their code multi-tenant."""
    return {path for path in sources if _multi_tenant(config.for_path(path))}


def _multi_tenant(config: Config) -> bool:
    return bool(config.multi_tenant or config.tenant_isolation)


def _select(sources: dict[str, bytes], config: Config, shared: set[str],
            known: dict[bytes, tuple[bool, bool]]) -> Selection:
    dynamo: set[str] = set()
    tenancy: set[str] = set()
    for path, data in sources.items():
        makes, touches = _scan(data, known, config.for_path(path).tenant_names)
        if makes:
            dynamo.add(path)
        if touches:
            tenancy.add(path)
    if not dynamo and not tenancy and not shared:
        return Selection(frozenset(), frozenset())
    index: dict[str, list[str]] = {}
    for path in sources:
        index.setdefault(module_of(path).rsplit(".", 1)[-1], []).append(path)
    edges: dict[str, set[str]] = {}

    def imports_of(path: str) -> set[str]:
        if path not in edges:
            edges[path] = _imports(path, sources[path], index)
        return edges[path]

    def importers_of(targets: set[str]) -> set[str]:
        names = {module_of(p).rsplit(".", 1)[-1].encode("utf-8", "surrogateescape")
                 for p in targets} - {b"__init__", b""}
        found = set()
        for path, data in sources.items():
            # (``from . import create_app`` names no module: the package's own ``__init__``)
            if path not in targets and (any(name in data for name in names) or b"from ." in data) \
                    and imports_of(path) & targets:
                found.add(path)
        return found

    # the importers that use an item operation of what they import: directly (the handle is
    # passed in), or through the functions of those modules that wrap one (``fetch``, ``persist``),
    # however many layers of wrappers (handler -> service -> repository -> db)
    # A wrapper with a common name (``get``, ``put``: COMMON_NAMES) is followed only into the
    # importers of the class that defines it, as a method call (``self._store.get(``).
    wrappers = {path: _wrapping(sources[path], None) for path in dynamo}
    users: set[str] = set()
    frontier = set(dynamo)
    while frontier:
        names = set().union(*(wrappers[path] for path in frontier))
        called = _calls_of(names)
        owners = {name for path in frontier if wrappers[path] & COMMON_NAMES
                  for name in _CLASS_NAME.findall(sources[path])}
        methods = _methods_of(names & COMMON_NAMES)
        found = set()
        for p in importers_of(frontier) - dynamo - users:
            data = sources[p]
            by_class = methods is not None and bool(_imported(data, owners)) and methods.search(data) is not None
            if ITEM_OPS.search(data) or b"save(" in data or called is not None and called.search(data) \
                    or _imported(data, names) or by_class:
                found.add(p)
                # (``from .store import load, save`` passes them on under their names)
                wrappers[p] = _wrapping(data, called, methods if by_class else None) | _imported(data, names)
        users |= found
        frontier = found
    near = dynamo | users
    level = near
    for _ in range(2):
        level = importers_of(level) - near
        near |= level
        if not level:
            break
    # the callers of a Lambda client's helpers, two levels up: the code that invokes a
    # PER_TENANT function through them need not mention tenants (DYN205)
    level = {path for path in tenancy if makes_lambda_client(sources[path])}
    for _ in range(2):
        level = importers_of(level) - near
        near |= level
        if not level:
            break
    # handlers that a tenancy module's decorator wraps (``@request_scope`` imported from it): the
    # wrapper runs each request and may keep its tenant, whatever the handler's own text says
    decorated = {path for path in importers_of(tenancy) - near - tenancy
                 if _DECORATOR.search(sources[path]) and has_entry(sources[path])} if tenancy else set()
    chosen = near | tenancy | shared | decorated
    roots = chosen - {path for path in tenancy - near - shared if not has_entry(sources[path])}
    for path in chosen - roots:
        chosen |= imports_of(path)
    defined: dict[str, set[bytes]] = {}  # path -> the names of the classes it defines
    for path in list(roots):
        imported = imports_of(path)
        chosen |= imported
        # a module that defines a base class this one subclasses is a root too: its methods
        # run the subclass's overrides
        bases = {name.rsplit(b".", 1)[-1] for match in _SUBCLASS.finditer(sources[path])
                 for name in re.findall(rb"[\w.]+", match.group(1))}
        if not bases:
            continue
        for target in imported:
            if target not in defined:
                defined[target] = set(_CLASS_NAME.findall(sources[target]))
            if bases & defined[target]:
                roots.add(target)
    # Django's settings module: ``django.conf.settings.TABLE`` reads it, though nothing imports it
    if any(b"django.conf" in sources[path] for path in chosen):
        chosen |= {path for path in sources if django_settings_file(path)}
    # helper chains that take the handle as an argument, to any depth (dynolint/phase1/reach.py)
    chosen |= helper_chains(roots, imports_of, lambda path: ITEM_OPS.search(sources[path]) is not None)
    return Selection(frozenset(chosen), frozenset(roots))


_DEF = re.compile(rb"^([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)", re.M)


def _wrapping(data: bytes, called: re.Pattern[bytes] | None, methods: re.Pattern[bytes] | None = None) -> set[bytes]:
    """The names of the functions of a file whose text (its nested functions included: up to
    the next ``def`` indented no deeper) has an item operation or calls one of ``called`` (or
    of ``methods``, as a method): what its importers call to use the table."""
    starts = list(_DEF.finditer(data))
    names = set()
    for index, match in enumerate(starts):
        depth = len(match.group(1))
        end = next((later.start() for later in starts[index + 1:] if len(later.group(1)) <= depth), len(data))
        body = data[match.end():end]
        if ITEM_OPS.search(body) or called is not None and called.search(body) \
                or methods is not None and methods.search(body):
            names.add(match.group(2))
    return names


# names of wrappers too common to follow by their text: every dict, list, string, file, queue
# or HTTP client has such a method (``row.get(...)``), so a call of one says nothing
COMMON_NAMES = frozenset({b"get", b"set", b"put", b"post", b"delete", b"update", b"pop", b"items", b"keys",
                          b"values", b"append", b"add", b"extend", b"insert", b"remove", b"clear", b"copy",
                          b"setdefault", b"format", b"join", b"split", b"strip", b"replace", b"encode", b"decode",
                          b"read", b"write", b"open", b"close", b"send", b"run", b"call", b"main", b"handler",
                          b"load", b"loads", b"dump", b"dumps", b"list", b"count", b"index", b"sort", b"filter"})


def _calls_of(names: set[bytes]) -> re.Pattern[bytes] | None:
    """A pattern for a call of one of ``names`` (``fetch(``, ``repo.fetch(``), common ones
    and dunders left out."""
    names = {name for name in names if name not in COMMON_NAMES and not name.startswith(b"__")}
    if not names:
        return None
    return re.compile(rb"(?<![\w])(?:" + b"|".join(re.escape(name) for name in sorted(names)) + rb")\(")


def _methods_of(names: set[bytes]) -> re.Pattern[bytes] | None:
    """A pattern for a method call of one of ``names`` (``self._store.get(``)."""
    if not names:
        return None
    return re.compile(rb"\.(?:" + b"|".join(re.escape(name) for name in sorted(names)) + rb")\(")


_FROM_IMPORT = re.compile(rb"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)


def _imported(data: bytes, names: set[bytes]) -> set[bytes]:
    """Those of ``names`` a file imports by name (and so passes on to its own importers)."""
    return {word for match in _FROM_IMPORT.finditer(data) for word in re.findall(rb"\w+", match.group(1))} & names


class Selector:
    """:func:`select_files` in two steps, with the text scans of unchanged files from the
    cache: :meth:`scans` scans the files one at a time, largest first, and names each one
    that is parsed whatever the other files hold (it makes or types a DynamoDB handle, it
    touches tenancy, its settings declare it multi-tenant: :func:`_select` chooses all of
    those); :meth:`finish` gives the whole selection, the same as :func:`select_files`."""

    def __init__(self, sources: dict[str, bytes], config: Config, use_cache: bool) -> None:
        from dynolint.engine.cache import PartCache, ResultCache

        self.sources = sources
        self.config = config
        self.store = PartCache.for_root(config.root) if use_cache else None
        self.key = ResultCache.key([b"prefilter"], {}, {})
        entry = self.store.get_key(self.key) if self.store is not None else None
        self.known: dict[bytes, tuple[bool, bool]] = entry if isinstance(entry, dict) else {}
        self.size = len(self.known)
        self.shared = shared_files(sources, config)

    def scans(self) -> Iterator[str | None]:
        """One step per file, largest first: its path when it is certainly parsed, else None."""
        every = len(self.shared) == len(self.sources)  # select_files scans nothing then
        for path in sorted(self.sources, key=lambda name: (-len(self.sources[name]), name)):
            certain = every or path in self.shared or any(_scan(self.sources[path], self.known,
                                                                      self.config.for_path(path).tenant_names))
            yield path if certain else None

    def finish(self) -> Selection:
        """The selection (the scans done so far reused); the scans kept for the next run."""
        selection = select_files(self.sources, self.config, self.known, self.shared)
        known, store = self.known, self.store
        if store is not None and len(known) != self.size:
            if len(known) > 2 * len(self.sources) + 1024:  # mostly files long gone
                import hashlib

                current = {hashlib.blake2b(data, digest_size=16).digest() for data in self.sources.values()}
                known = {digest: flags for digest, flags in known.items() if digest in current}
            store.put_key(self.key, known)
        return selection
