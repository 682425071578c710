"""Abstract values of the program model.

Phase 2 interprets the IR over these values. They are structural: a value says how it was
computed (``StrV`` parts, ``SubV`` of a base, ``CallV`` of an external function on its
arguments), so that two keys built by the same code from the same inputs compare equal,
and so that taint (which read, which tenant id, which paid call a value derives from) can
be read off the structure. Domain values (``TableV``, ``ReadItemV``, ``TenantIdV``, ...) are
the leaves the rules care about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Collection, Iterable, Iterator, Union

if TYPE_CHECKING:
    from dynolint.phase1.ir_expr import SliceFrom

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
    value: str | int | float | bool | bytes | SliceFrom | None


NONE = ConstV(None)


@dataclass(slots=True, unsafe_hash=True)
class OneOf(Val):
    """Several possible values (paths merged, ``a or b``, ``x if c else y``). Equal as
    sets; :func:`alts` gives them in ``order``, the order they were first met in, so that
    the paths the interpreter follows (and so the reads and chains it reports) do not
    depend on the hash seed of the process. Make one with :func:`one_of` or :func:`options`."""

    alts: frozenset[Val]
    order: tuple[Val, ...] = field(default=(), compare=False, hash=False, repr=False)


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


ARITH_OPS = frozenset({"+", "-", "*", "/", "//", "%", "**"})  # the operators of arithmetic (``&``, ``|``: not)


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
    """A lambda made at ``site``; ``closure`` indexes the environment it was made in, and
    ``defaults`` its parameters' defaults by name, evaluated there (as Python does)."""

    path: str
    site: int
    closure: int = -1
    defaults: tuple[tuple[str, Val], ...] = ()


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
    """Claims of a decoded JWT; ``verified`` False when the signature was not checked.
    ``taken``: where one claim was taken out of them by a name that does not say it is the
    tenant's (``claims["tid"]``): a binding whose name does say so makes it the tenant id
    taken there (model/assign.py, ``named_part``)."""

    verified: bool
    taken: Loc | None = None


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
from dynolint.model.values_aws import (  # noqa: E402  (re-exported: ``X as X``)
    CredsV as CredsV, SessionV as SessionV, ClientV as ClientV,
    ResourceV as ResourceV, TableV as TableV, MetaV as MetaV, BatchWriterV as BatchWriterV,
    PaginatorV as PaginatorV, S3ObjectV as S3ObjectV, ReadV as ReadV, ReadItemV as ReadItemV,
    PynModelV as PynModelV, PynAttrV as PynAttrV, PynActionV as PynActionV, PynInstanceV as PynInstanceV,
    PynBatchV as PynBatchV, PynTransactV as PynTransactV, EXEC as EXEC, UNKNOWN_CREDS as UNKNOWN_CREDS,
    SDK_OBJECTS as SDK_OBJECTS,
)


AnyVal = Union[Val]


def alts(value: Val) -> Collection[Val]:
    """The alternatives of a value (itself unless it is a :class:`OneOf`), in a
    deterministic order."""
    if isinstance(value, OneOf):
        return value.order or value.alts
    return (value,)


def options(values: Iterable[Val]) -> OneOf:
    """The :class:`OneOf` of ``values`` (distinct, at least two), in their order."""
    order = tuple(dict.fromkeys(values))
    return OneOf(frozenset(order), order)


def one_of(values: Iterable[Val], limit: int = 6) -> Val:
    """A single value for several alternatives, flattened and capped."""
    if type(values) is list and len(values) == 1 and type(values[0]) is not OneOf:
        single: Val = values[0]
        return single  # the common case (a call with one callee), without a set
    flat: dict[Val, None] = {}  # an ordered set: the order the alternatives were met in
    for value in values:
        if type(value) is OneOf:
            flat.update(dict.fromkeys(alts(value)))
        else:
            flat[value] = None
    if len(flat) > 1:
        flat.pop(UNKNOWN, None)
    if not flat:
        return UNKNOWN
    if len(flat) == 1:
        return next(iter(flat))
    if len(flat) > limit:
        # what a call may dispatch to is kept whole (to CODE_LIMIT), beside the values it comes
        # with (a registry's ``.get(key)``: its handlers and None), which are capped
        code = [v for v in flat if type(v) in DISPATCH_TARGETS]
        if not code or len(code) > CODE_LIMIT:
            return options(sorted(flat, key=_rank)[:limit])
        if len(code) < len(flat):
            return options(code + sorted((v for v in flat if type(v) not in DISPATCH_TARGETS), key=_rank)[:limit])
    return options(flat)


# what a call may dispatch to (a table of handlers, a registry of strategy objects, a method's
# overrides): kept up to CODE_LIMIT alternatives, as each one dropped is every path through it
CODE_LIMIT = 16
DISPATCH_TARGETS = frozenset({FuncV, BoundV, LambdaV, PartialV, ClassV, InstanceV})


def _rank(value: Val) -> int:
    # keep domain values over plain ones when capping
    return 0 if isinstance(value, (TableV, ClientV, ReadItemV, ReadV, TenantIdV, PynInstanceV,
                                   CredsV, SessionV)) else 1


def const_str(value: Val) -> str | None:
    if isinstance(value, ConstV) and isinstance(value.value, str):
        return value.value
    return None


from dynolint.model.values_identity import install_identity  # noqa: E402

install_identity(Val)


def parts(value: Val, limit: int) -> Iterator[Val]:
    """``value`` and the values it is made from, each object once (values share their parts),
    at most ``limit`` of them."""
    seen: set[int] = set()
    pending = [value]
    while pending and len(seen) < limit:
        current = pending.pop()
        if id(current) not in seen:
            seen.add(id(current))
            yield current
            pending.extend(children(current))


def children(value: Val) -> list[Val]:
    """The values a value is made from (its fields that are values, also inside tuples)."""
    if type(value) is OneOf:
        return list(alts(value))
    layout = _LAYOUTS.get(type(value))
    if layout is None:
        layout = _LAYOUTS[type(value)] = _layout(type(value))
    out: list[Val] = []
    for name, nested in layout:
        field = getattr(value, name)
        if isinstance(field, Val):
            out.append(field)
        elif isinstance(field, (tuple, frozenset)):
            for item in field:
                if isinstance(item, Val):
                    out.append(item)
                elif nested and isinstance(item, tuple):
                    out.extend(x for x in item if isinstance(x, Val))
    return out


# per class of value, the fields (of its own ``__slots__``) that may hold values, and whether
# they may hold tuples of them: the others (names, sites, flags, numbers) are never looked at
_LAYOUTS: dict[type, tuple[tuple[str, bool], ...]] = {}
_NEVER_VALUES = frozenset({"str", "int", "bool", "Loc", "Loc | None", "tuple[str, ...]",
                           "tuple[int, int, Loc] | None", "str | int | float | bool | bytes | None"})


def _layout(cls: type) -> tuple[tuple[str, bool], ...]:
    import dataclasses

    types = {f.name: str(f.type) for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
    return tuple((name, types.get(name, "").startswith("tuple[tuple[") or name not in types)
                 for name in getattr(cls, "__slots__", ()) if types.get(name) not in _NEVER_VALUES)
