"""What the interpreter observes, recorded for the rules to query.

Each event carries its location and the call chain that reached it (the call sites from the
root function down to the function that made the call), so that a finding can point at
the write and relate the read and the calls between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from dynolint.model.conditions import ConditionPins
from dynolint.model.values import CredsV, Loc, TenantIdV, Val

Chain = tuple[Loc, ...]


@dataclass(slots=True, unsafe_hash=True)
class Guard:
    """What protects a write: kind is "condition" (ConditionExpression / Expected /
    PynamoDB condition=), "version" (PynamoDB VersionAttribute), "implicit" (PartiQL
    INSERT / UPDATE-with-predicate), or "" for none. ``pins``: what a condition pins, when
    the model could read it (see dynolint.model.conditions)."""

    kind: str
    detail: str = ""
    pins: ConditionPins | None = None


NO_GUARD = Guard("")


@dataclass(slots=True, unsafe_hash=True)
class ReadEvent:
    id: int
    loc: Loc
    op: str  # get_item, query, scan, batch_get_item, pynamodb get, partiql select, ...
    table: Val
    key: Val | None  # canonical key of the item read (None: a query or scan)
    chain: Chain
    seq: int
    frame: int
    consistent: bool = False
    of: int = -1  # a read of one key taken from another read (a scan filtered by the key): its id
    # the item a write returned (ReturnValues): the attributes that write set, which a test
    # on the returned values reads as the write left them (a test-and-set); None: a plain read
    sets: tuple[str, ...] | None = None
    # a query's key condition equalities (``Key("pk").eq(v)``, ``pk = :v``): the value each of
    # these attributes has in every item it returns
    equal: tuple[tuple[str, Val], ...] = ()
    # its key condition's literal prefixes (``Key("sk").begins_with("HOLD#")``): every item it
    # returns starts so in that attribute
    starts: tuple[tuple[str, str], ...] = ()
    # the values its key condition set attributes equal to, of the table or of an index
    # (``Key("invoice_id").eq(invoice_id)`` on a GSI): what the read was asked for
    asked: tuple[Val, ...] = ()
    # the values its filter set attributes equal to (``Attr("org").eq(org)``): whose items it kept
    filtered: tuple[Val, ...] = ()


# reads that return the items of a whole table or partition, not one item by its key
SCAN_OPS = frozenset({"scan", "query", "search_vectors", "Model.scan", "Model.query", "Model.count"})


def asks_for_tenant(read: ReadEvent, derives_from_tenant: Callable[[Val], bool]) -> bool:
    """Did ``read`` fetch a tenant's data: does its key, its key condition (of the table or an
    index) or its filter derive from a tenant id (``derives_from_tenant`` of each value)?"""
    values = (read.key, *(value for _, value in read.equal), *read.asked, *read.filtered)
    return any(derives_from_tenant(value) for value in values if value is not None)


def lists_items(read: ReadEvent) -> bool:
    """Does ``read`` list items (a scan or query) rather than read one by its key?"""
    return read.key is None and read.op in SCAN_OPS


def scan_ids(reads: tuple[ReadEvent, ...]) -> frozenset[int]:
    """The ids of the reads of ``reads`` that list items."""
    return frozenset(read.id for read in reads if lists_items(read))


@dataclass(slots=True, unsafe_hash=True)
class WriteEvent:
    loc: Loc
    op: str  # put_item, update_item, delete_item, batch put, transact put, pynamodb save ...
    table: Val
    key: Val | None  # canonical key, when the write names one
    item: Val | None  # the whole item written (put), when there is one
    guard: Guard
    values: tuple[Val, ...]  # values written that the item's new state depends on
    atomic: bool  # an update made only of atomic actions
    batch: bool  # a batch write: can never carry a guard
    flavor: str  # "resource" | "low" | "pynamodb" | "partiql" | "transact"
    chain: Chain
    seq: int
    frame: int
    update: UpdateSpec | None = None
    # attributes of the item read that the path gave new values in place before a put that
    # writes it back (``item["version"] = seen + 1``; ``item`` or ``{**item, ...}``)
    assigned: tuple[str, ...] = ()


def deletes(write: WriteEvent) -> bool:
    """Is ``write`` a delete (``delete_item``, a batch or transaction delete, PynamoDB
    ``delete``, PartiQL ``DELETE``)?

    A delete is idempotent and carries nothing read: it races with the read before it only
    when the path decided something on the item's contents (``if item["status"] == "OPEN"``,
    ``if not can_delete(item)``, a filter over a query's items), which a concurrent writer can
    make stale. A path that only checked the item is there (``if "Item" not in resp:
    return 404``) or listed the keys to delete decided nothing a condition could keep: a
    concurrent edit being deleted is what delete means, a concurrent delete changes nothing.
    Which reads a path examined is a may fact (``State.examined``): one path that looked is
    enough."""
    verb = write.op.rsplit(" ", 1)[-1]
    return verb in ("delete_item", "delete", "DELETE")


@dataclass(slots=True, unsafe_hash=True)
class UpdateSpec:
    """An update_item's expression as the interpreter saw it (for the fixes)."""

    expression: str | None
    names: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, Val], ...]
    # the expressions it may be when the code builds it on some paths (``expression += " SET ..."``;
    # ``expression`` is None then)
    alternatives: tuple[str, ...] = ()

    def texts(self) -> tuple[str, ...]:
        """Each expression the update may have (none when the model cannot read it)."""
        return (self.expression,) if self.expression else self.alternatives


@dataclass(slots=True, unsafe_hash=True)
class Decision:
    """A comparison on a value read from an item, made by a branch on the path to a write:
    "the test at ``site`` found attribute ``attribute`` of the item of read ``read`` ``op``
    ``other``" (``op`` is what holds on this path, the attribute on its left). A write
    that replaces the read by an atomic update must keep it as its condition.

    ``attribute`` is None when the comparison cannot be a condition (a call on the value,
    arithmetic, a value from another read, a disjunction...): ``why`` says what it is."""

    read: int
    site: Loc  # the if's test
    part: int  # which comparison of the test, counted left to right (-1: the whole test)
    attribute: str | None
    op: str = ""  # "<", "<=", ">", ">=", "==", "!="
    other: Val | None = None  # what the attribute is compared with
    swapped: bool = False  # the attribute is on the right of the comparison as written
    type_tag: str | None = None  # the AttributeValue type when read through it ({"N": ...})
    why: str = ""
    branch: bool = True  # the whole test was true on this path (the if's body), or false
    # for a decision that is no condition: the attributes of the item its values read, and
    # whether they also used the item as a whole (passed it to a call...): then no set of
    # attributes pins what the decision saw
    looked_at: tuple[str, ...] = ()
    whole: bool = False


@dataclass(slots=True, unsafe_hash=True)
class WriteRecord:
    """A write and what the path that reached it had done before."""

    write: WriteEvent
    reads: tuple[ReadEvent, ...]  # reads made earlier on some path to the write
    claims: tuple[WriteEvent, ...]  # guarded writes made on every path to the write
    absent: frozenset[int]  # ids of reads whose absence the path branched on
    root: int
    # (read id, local name, True for the item / False for the whole response) at the write
    bindings: tuple[tuple[int, str, bool], ...] = ()
    # the comparisons on read values that every path to the write made (in path order)
    decisions: tuple[Decision, ...] = ()
    # the reads whose item's contents (not only its presence) a test on some path looked at
    examined: frozenset[int] = frozenset()
    # the reads whose item every path to the write had shown is there (a miss never reaches it)
    present: frozenset[int] = frozenset()


@dataclass(slots=True, unsafe_hash=True)
class DataCall:
    """A DynamoDB or S3 data access, for the tenant-scoping rules."""

    loc: Loc
    service: str  # "dynamodb" | "s3"
    op: str
    creds: CredsV
    scope_values: tuple[Val, ...]  # the key / key condition / prefix values
    unscoped: bool  # a scan, or a listing without prefix: never scoped by its key
    chain: Chain
    frame: int
    root: int
    facts: frozenset[str] = frozenset()  # authorization facts on the path (model.authz)
    table: str = ""  # the table's name (or the variable naming it), for grouping
    subject: bool = False  # the partition key is the tenant id, on a table of tenants: the tenant is the object
    # the table or bucket, where its name derives from a value (a table or bucket per tenant: a silo)
    container: Val | None = None


@dataclass(slots=True, unsafe_hash=True)
class ScopingUse:
    """A tenant id used to scope access: kind is "key" (a data key or prefix), "subject"
    (the partition key of a tenant record), "sts" (session tags or policy) or "invoke"."""

    tenant: TenantIdV
    loc: Loc
    root: int
    kind: str
    facts: frozenset[str] = frozenset()


@dataclass(slots=True, unsafe_hash=True)
class ScopedCredsMint:
    """An STS assume_role (or equivalent) whose session tags or policy use these values."""

    loc: Loc
    scope_values: tuple[Val, ...]
    frame: int
    root: int


@dataclass(slots=True, unsafe_hash=True)
class GlobalStore:
    """A module-level variable or container written from function code (or a cached
    function result)."""

    loc: Loc  # the statement that stores
    module: str
    name: str
    kind: str  # "assign" | "item" | "method" | "cache"
    key: Val | None
    value: Val
    frame: int
    root: int
    # the new value is computed from the variable's previous one (``COUNT += 1``,
    # ``SEEN = SEEN + [x]``): state each invocation advances
    accumulates: bool = False
    # stored on a path that compared a module global with the tenant id (``if _owner !=
    # tenant_id: rebuild``): a one-slot cache that knows whose value it holds
    owner_checked: bool = False
    var: Loc | None = None  # a ContextVar's set(): where the variable was made
    # the value is a project object that holds this request's tenant id in its attributes
    # (``logger.addFilter(TenantFilter(tenant))``, ``CURRENT = RequestContext(tenant)``)
    holds_tenant: bool = False
    # the value is a project object that holds tenant-scoped credentials (a table of a tenant's session)
    holds_creds: frozenset[CredsV] = frozenset()
    holds_reads: frozenset[int] = frozenset()  # the reads a project object stored was made from


@dataclass(slots=True, unsafe_hash=True)
class TmpWrite:
    loc: Loc
    path: Val
    how: str
    frame: int
    root: int


@dataclass(slots=True, unsafe_hash=True)
class Invoke:
    loc: Loc
    function: Val
    has_tenant: bool
    frame: int
    root: int


@dataclass(slots=True)
class FrameInfo:
    """Per function invocation: is it tenant-aware, and through which source."""

    func: str
    path: str
    parent: int
    # tuples, not lists: most frames have none, and a hundred thousand frames is common
    tenant_sources: tuple[TenantIdV, ...] = ()
    called_with_tenant: bool = False
    # where this function called a helper that returned a tenant id as a whole (``tenant_of(event)``)
    tenant_calls: tuple[Loc, ...] = ()

    @property
    def tenant_aware(self) -> bool:
        return bool(self.tenant_sources) or self.called_with_tenant


@dataclass(slots=True)
class RootInfo:
    """One analysis root: a function analysed with unknown callers, or a module body."""

    path: str
    func: str  # qualname, or "<module>"
    is_handler: bool
    tenant_sources: list[TenantIdV] = field(default_factory=list)
    module_root: bool = False
    # who invokes it, as the event it reads shows: "authorizer" (an API Gateway Lambda
    # authorizer), "custom-resource" (CloudFormation), "event" (EventBridge); or as the
    # infrastructure declares, when only the platform does (also "state-machine"):
    # model/invokers.py
    roles: set[str] = field(default_factory=set)
    returns: list[Val] = field(default_factory=list)  # what the function returns (a function root)

    @property
    def tenant_aware(self) -> bool:
        return bool(self.tenant_sources)
