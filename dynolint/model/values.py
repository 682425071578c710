"""Abstract values of the program model.

Phase 2 interprets the IR over these values. They are structural: a value says how it was
computed (``StrV`` parts, ``SubV`` of a base, ``CallV`` of an external function on its
arguments), so that two keys built by the same code from the same inputs compare equal,
and so that taint (which read, which tenant id, which paid call a value derives from) can
be read off the structure. Domain values (``TableV``, ``ReadItemV``, ``TenantIdV``, ...) are
the leaves the rules care about.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Callable, Iterable, Union

# A location in the project: (posix path, site index in that file's summary).
Loc = tuple[str, int]


@dataclass(slots=True, unsafe_hash=True)
class Val:
    # the hash, once computed (see _cache_hashes); -1 until then
    _hash: int = field(default=-1, init=False, compare=False, repr=False, hash=False)


@dataclass(slots=True, unsafe_hash=True)
class UnknownV(Val):
    pass


UNKNOWN = UnknownV()


@dataclass(slots=True, unsafe_hash=True)
class ConstV(Val):
    value: str | int | float | bool | bytes | None


NONE = ConstV(None)


@dataclass(slots=True, unsafe_hash=True)
class OneOf(Val):
    """Several possible values (paths merged, ``a or b``, ``x if c else y``)."""

    alts: frozenset[Val]


@dataclass(slots=True, unsafe_hash=True)
class ParamV(Val):
    """An unbound parameter of the function a root analysis started from."""

    owner: str
    name: str


@dataclass(slots=True, unsafe_hash=True)
class ExtV(Val):
    """An object outside the project, by dotted path (``boto3.resource``, ``os.environ``)."""

    path: str


@dataclass(slots=True, unsafe_hash=True)
class CallV(Val):
    """The result of calling something outside the project (or a method of an unknown
    value). ``recv`` is the receiver for a method call, ``fn`` the function path or method
    name. Deterministic calls compare equal when their inputs do."""

    fn: str
    recv: Val | None
    args: tuple[Val, ...]
    kwargs: tuple[tuple[str, Val], ...] = ()
    # where and when the call ran (root, seq, site): not part of the value's identity, so
    # that the same call on the same inputs still compares equal (see model/unseen.py)
    at: tuple[int, int, Loc] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True, unsafe_hash=True)
class FreshV(Val):
    """A value that differs on every evaluation (uuid4, time, random)."""

    loc: Loc


@dataclass(slots=True, unsafe_hash=True)
class CostlyV(Val):
    """The result of costly work outside DynamoDB: an HTTP request or another AWS service."""

    loc: Loc
    what: str
    deps: tuple[Val, ...]
    seq: int


@dataclass(slots=True, unsafe_hash=True)
class SubV(Val):
    base: Val
    index: Val


@dataclass(slots=True, unsafe_hash=True)
class AttrV(Val):
    base: Val
    name: str


@dataclass(slots=True, unsafe_hash=True)
class DictV(Val):
    items: tuple[tuple[Val, Val], ...]
    spreads: tuple[Val, ...] = ()  # ``**x`` entries that could not be flattened


@dataclass(slots=True, unsafe_hash=True)
class SeqV(Val):
    kind: str
    elts: tuple[Val, ...]


@dataclass(slots=True, unsafe_hash=True)
class ElemV(Val):
    """An element of an iterable (loop variable, comprehension variable)."""

    of: Val


@dataclass(slots=True, unsafe_hash=True)
class StrV(Val):
    """A string built by concatenation, f-string, ``%``/``format`` or ``os.path.join``."""

    parts: tuple[Val, ...]


@dataclass(slots=True, unsafe_hash=True)
class ArithV(Val):
    op: str
    left: Val
    right: Val
    loc: Loc | None = field(default=None, compare=False)  # where the operator is written


@dataclass(slots=True, unsafe_hash=True)
class OpaqueV(Val):
    """A computation not looked into; derived from ``deps``."""

    loc: Loc
    deps: tuple[Val, ...]
    # a project call whose body the model could not see into (a stub, a body that raises):
    # what it was, and where and when it ran (see model/unseen.py); not part of identity
    what: str = field(default="", compare=False, repr=False)
    at: tuple[int, int, Loc] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True, unsafe_hash=True)
class EnvV(Val):
    """``os.environ[name]`` / ``os.environ.get(name, default)`` / ``os.getenv``."""

    name: Val
    default: Val | None


# -- project objects ----------------------------------------------------------------------


@dataclass(slots=True, unsafe_hash=True)
class ModuleV(Val):
    name: str


@dataclass(slots=True, unsafe_hash=True)
class FuncV(Val):
    path: str
    qualname: str
    closure: int = -1  # index of the captured environment, -1 when none


@dataclass(slots=True, unsafe_hash=True)
class ClassV(Val):
    path: str
    qualname: str


@dataclass(slots=True, unsafe_hash=True)
class InstanceV(Val):
    """An instance of a project class. ``exact`` is False when the instance may be of a
    subclass (``self`` of a method analysed as a root, an annotated parameter): its method
    calls dispatch to every override in the project (class-hierarchy analysis)."""

    cls: ClassV
    alloc: Loc
    exact: bool = True


@dataclass(slots=True, unsafe_hash=True)
class BoundV(Val):
    """A project method bound to its receiver."""

    self_val: Val
    func: FuncV


@dataclass(slots=True, unsafe_hash=True)
class LambdaV(Val):
    """A lambda made at ``site``; ``closure`` indexes the environment it was made in."""

    path: str
    site: int
    closure: int = -1


@dataclass(slots=True, unsafe_hash=True)
class PartialV(Val):
    """``functools.partial(func, *args, **kwargs)``: calling it calls ``func`` with these
    arguments first."""

    func: Val
    args: tuple[Val, ...]
    kwargs: tuple[tuple[str, Val], ...]


@dataclass(slots=True, unsafe_hash=True)
class SuperV(Val):
    self_val: Val
    cls: ClassV


# -- tenancy, files ---------------------------------------------------------------------


@dataclass(slots=True, unsafe_hash=True)
class TenantIdV(Val):
    """A tenant id taken from the invocation. ``trust``: "trusted" (context.tenant_id,
    authorizer output), "untrusted" (client-controlled input), "invoker" (a field of a
    direct-invoke payload)."""

    loc: Loc
    trust: str
    how: str


@dataclass(slots=True, unsafe_hash=True)
class EventV(Val):
    """The invocation's event, or a part of it (``path`` of normalised keys)."""

    path: tuple[str, ...]
    trusted: bool = False


@dataclass(slots=True, unsafe_hash=True)
class ContextV(Val):
    """The Lambda context object."""


@dataclass(slots=True, unsafe_hash=True)
class ClaimsV(Val):
    """Claims of a decoded JWT; ``verified`` False when the signature was not checked."""

    verified: bool


@dataclass(slots=True, unsafe_hash=True)
class TmpRootV(Val):
    """A directory under /tmp that outlives the invocation (``tempfile.gettempdir()``,
    ``mkdtemp()``)."""

    how: str


@dataclass(slots=True, unsafe_hash=True)
class ManagedTmpV(Val):
    """A temporary file or directory removed when the invocation is done with it."""

    loc: Loc


@dataclass(slots=True, unsafe_hash=True)
class FileV(Val):
    path: Val
    mode: str


@dataclass(slots=True, unsafe_hash=True)
class ArchiveV(Val):
    path: Val


@dataclass(slots=True, unsafe_hash=True)
class ContextVarV(Val):
    loc: Loc


@dataclass(slots=True, unsafe_hash=True)
class InfraFnV(Val):
    """A Lambda function declared in a CDK app, by its construct id."""

    ident: str


# the AWS SDK and DynamoDB values, re-exported here (they derive from Val, defined above)
from dynolint.model.values_aws import (  # noqa: E402
    CredsV, SessionV, ClientV, ResourceV, TableV, MetaV, BatchWriterV, PaginatorV, S3ObjectV, ReadV,
    ReadItemV, PynModelV, PynAttrV, PynActionV, PynInstanceV, PynBatchV, PynTransactV, EXEC,
    UNKNOWN_CREDS,
)


AnyVal = Union[Val]


def alts(value: Val) -> Iterable[Val]:
    """The alternatives of a value (itself unless it is a :class:`OneOf`)."""
    if isinstance(value, OneOf):
        return value.alts
    return (value,)


def one_of(values: Iterable[Val], limit: int = 6) -> Val:
    """A single value for several alternatives, flattened and capped."""
    if type(values) is list and len(values) == 1 and type(values[0]) is not OneOf:
        return values[0]  # the common case (a call with one callee), without a set
    flat: set[Val] = set()
    for value in values:
        if type(value) is OneOf:
            flat.update(value.alts)
        else:
            flat.add(value)
    flat.discard(UNKNOWN) if len(flat) > 1 else None
    if not flat:
        return UNKNOWN
    if len(flat) == 1:
        return next(iter(flat))
    if len(flat) > limit:
        kept = sorted(flat, key=_rank)[:limit]
        return OneOf(frozenset(kept))
    return OneOf(frozenset(flat))


def _rank(value: Val) -> int:
    # keep domain values over plain ones when capping
    return 0 if isinstance(value, (TableV, ClientV, ReadItemV, ReadV, TenantIdV, PynInstanceV,
                                   CredsV, SessionV)) else 1


def const_str(value: Val) -> str | None:
    if isinstance(value, ConstV) and isinstance(value.value, str):
        return value.value
    return None


def _cache_hashes() -> None:
    """Every value class hashes once per object. Values nest, and are hashed again and
    again (as dictionary keys, set members and inside the hashes of the values that hold
    them): the generated hash rehashed whole trees, an eighth of the interpreter's time."""

    def caching(compute: Callable[[Val], int]) -> Callable[[Val], int]:
        def __hash__(self: Val) -> int:
            value = self._hash
            if value == -1:  # hash() never gives -1
                value = self._hash = compute(self)
            return value

        return __hash__

    pending = list(Val.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        compute = cls.__dict__.get("__hash__")
        if compute is not None:
            cls.__hash__ = caching(compute)  # type: ignore[method-assign]


_cache_hashes()

# Pairs of distinct value objects found equal during the comparison in progress (per thread:
# a language server may analyse in more than one).
_comparing = threading.local()


def _same(left: object, right: object) -> bool:
    if left is right:
        return True
    if type(left) is tuple and type(right) is tuple:
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    return left == right


def _structural_eq() -> None:
    """Values are DAGs: a part is shared by many others. The generated ``__eq__`` compares
    two equal values that are distinct objects (a value rebuilt by the summaries, or evaluated
    twice) as trees, exponential in the sharing (the own repository spent minutes in it).
    This one rejects on the cached hash first and, while a comparison runs, remembers the
    pairs of parts already found equal, so each pair of parts is compared once."""

    def install(cls: type) -> None:
        names = tuple(f.name for f in fields(cls) if f.compare)

        def __eq__(self: Val, other: object) -> bool:
            if self is other:
                return True
            if other.__class__ is not self.__class__:
                return NotImplemented
            if hash(self) != hash(other):
                return False
            pair = (id(self), id(other))
            pairs: set[tuple[int, int]] | None = getattr(_comparing, "pairs", None)
            outermost = pairs is None
            if pairs is None:
                pairs = _comparing.pairs = set()
            elif pair in pairs:
                return True
            try:
                equal = all(_same(getattr(self, name), getattr(other, name)) for name in names)
                if equal:
                    pairs.add(pair)
                return equal
            finally:
                if outermost:
                    _comparing.pairs = None

        cls.__eq__ = __eq__  # type: ignore[method-assign,assignment]

    pending = list(Val.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "__eq__" in cls.__dict__:
            install(cls)


_structural_eq()


def children(value: Val) -> list[Val]:
    """The values a value is made from (its fields that are values, also inside tuples)."""
    out: list[Val] = []
    for name in type(value).__slots__:
        field = getattr(value, name)
        if isinstance(field, Val):
            out.append(field)
        elif isinstance(field, (tuple, frozenset)):
            for item in field:
                if isinstance(item, Val):
                    out.append(item)
                elif isinstance(item, tuple):
                    out.extend(x for x in item if isinstance(x, Val))
    return out
