"""What a fix will do, decided by the analysis and carried by the finding; the LibCST
transformers in this package carry it out on the source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Skip:
    """No automatic fix, and why (shown to the user)."""

    reason: str


@dataclass(frozen=True, slots=True)
class GuardPlan:
    """Add a condition to one write call (DYN101).

    mode: "not_exists" (create only), "exists" (the item checked must still exist),
    "pinned" (it must exist and hold the values read for ``pins``), "version" (optimistic
    lock on ``version_attr``, whose read value is ``item_expr[...]``), "introduce" (the same on
    a version attribute the fix starts keeping), "allocate" (create-only: the key was computed
    from a scan) or "pyn_update" (PynamoDB save() -> update() of what changed, conditioned).
    """

    line: int
    column: int
    flavor: str  # "resource" | "low" | "pynamodb" | "transact"
    op: str
    mode: str
    key_attr: str | None = None
    version_attr: str | None = None
    item_expr: str | None = None  # a name bound to the read item, for the version
    item_may_miss: bool = False  # the write is reached where the item read was not found (``None``)
    model_name: str | None = None  # PynamoDB: the model class as named in this module
    # "pinned": the attributes of the read item the write depends on (tested before it or
    # carried into it) must still hold the values read; found in the source by the engine
    pins: tuple[tuple[str, bool], ...] = ()  # (attribute, read with .get: may be missing)
    needs_pins: bool = False  # no pin found means no fix (rather than a bare existence check)
    table_label: str = ""
    presence: tuple[str, ...] = ()  # names holding the read item or response (to prove presence)
    path: str | None = None  # "present" / "absent": what the ifs on the write's path show (engine)
    decided: tuple[str, ...] = ()  # attributes the path's decisions compared (model): pinned too
    derived: tuple[str, ...] = ()  # attributes the written values are computed from (model): pinned too
    changed: tuple[str, ...] = ()  # attributes an earlier write of the path set: never pinned at the value read
    typed: bool = False  # the function holding the write is annotated: mypy checks its body (engine)
    actions: tuple[str, ...] = ()  # "pyn_update": the update() actions, found in the source by the engine


@dataclass(frozen=True, slots=True)
class Condition:
    """A decision the path made on the read item (``model.events.Decision``), to keep as the
    write's condition: the comparison is part ``part`` of the ``if`` test at line/column."""

    line: int
    column: int
    part: int
    attribute: str
    op: str  # holds on the path, with the attribute on the left
    swapped: bool  # the attribute is on the right as written
    type_tag: str | None  # low-level AttributeValue type
    branch: bool  # the path went through the if's body (True) or past it (False)


@dataclass(frozen=True, slots=True)
class AtomicPlan:
    """Turn ``SET #n = :v`` (``:v`` = read value + delta) into ``ADD #n :v`` with the delta (DYN102).

    ``conditions``: the decisions on the read item the path made, kept as the update's
    ConditionExpression, its failure routed where the Python check sent the code.
    ``result``: how the counter was read from the item, ``{}`` standing for the item
    (``int({}["balance"])``): the name holding the new value is read back from the write."""

    line: int
    column: int
    flavor: str
    attribute: str  # the attribute name, as resolved
    placeholder: str  # the value placeholder of the counter action
    delta_line: int  # the arithmetic expression (read value + delta)
    delta_column: int
    delta_side: str  # "left" | "right": which operand of the arithmetic is the delta
    negate: bool
    safe: bool
    conditions: tuple[Condition, ...] = ()
    result: str | None = None
    # a put_item of the whole item becomes this update_item: the key attributes go to Key=,
    # the counter is ADDed, the other attributes written are SET (``put`` is True)
    put: bool = False
    key_attrs: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    unsafe_because: str = ""  # when not ``safe``: why (shown in the fix's title)
    action: int | None = None  # the counter's action, counted over the UpdateExpression's clauses


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    """Rewrite a cache-aside miss into the claim pattern (DYN104)."""

    write_line: int
    write_column: int
    read_line: int  # the statement that reads the item
    test_line: int  # the ``if`` that branches on the miss
    write_in_body: bool  # the write is in the if's body (the test is the miss test)
    flavor: str
    key_attr: str
    item_name: str  # the variable the read item is bound to
    write_op: str


@dataclass(frozen=True, slots=True)
class TenantIdPlan:
    """Pass ``TenantId=`` to a Lambda invoke (DYN205): the variable of the invoking function
    that holds the tenant id it read, found by the engine from the positions where the function
    read it (``sources``). Safe: the invocation of a PER_TENANT function without a tenant
    fails; with the tenant the code itself read, it runs."""

    line: int
    column: int
    sources: tuple[tuple[int, int], ...]  # (line, column) of each tenant id read in the function


@dataclass(frozen=True, slots=True)
class TmpDirPlan:
    """Write a file of the temp dir into a per-invocation ``TemporaryDirectory`` instead
    (DYN301): the call at line/column, what it is (``how``, as the analysis names it), and
    where its path is, from the sink table (``position`` -1: the last positional argument;
    ``receiver``: the path is the object of the method, ``Path(...).write_text``). The engine
    decides from the function whether the file is meant to be reused (no fix then). Unsafe:
    the file is gone when the function returns, and removing the directory can raise."""

    line: int
    column: int
    how: str
    position: int | None = None
    keyword: str | None = None
    receiver: bool = False


Plan = GuardPlan | AtomicPlan | ClaimPlan | TenantIdPlan | TmpDirPlan | Skip


def may_be_safe(plan: object) -> bool:
    """Can the fix of ``plan`` be safe (``dynolint check --fix`` applies it without
    ``--unsafe-fixes``)? Only an atomic update whose every outcome the code already had (a
    failed kept condition takes the code's own refusal) can be; rendering it may still find it
    unsafe (``engine.applicability``). A guard or a claim adds an exception the callers never saw.
    Passing the tenant id to a PER_TENANT invoke is safe: without it the call fails. A
    per-invocation temporary directory (DYN301) is not: it deletes a file that code of a later
    invocation could read, and its removal can raise where the code did not."""
    return isinstance(plan, AtomicPlan) and plan.safe or isinstance(plan, TenantIdPlan)
