"""Optimistic locking for a read, mutate, put-back path: which version attribute to use and
how the fixed code reads and bumps it.

A put of the whole item read writes every attribute back, so pinning only the attributes the
path looked at would still lose a concurrent edit of any other one: the write is guarded by a
version attribute instead. It is the configured ``version-attribute``; else one the project
visibly keeps on the table (an attribute with a version-like name that some write of the same
table sets to a whole number or to a read value plus one); else a new ``version`` attribute,
which the fix starts keeping (the finding's title says so: an unsafe fix). Items written before
the attribute existed lack it, so the read has a default (``item.get("version", 0)``) and the
condition accepts a missing attribute once (``attribute_not_exists(#v) OR #v = :v``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from dynolint.fixes.plans import GuardPlan, Skip
from dynolint.model.expressions import parse_update
from dynolint.model.key_schema import table_lookup
from dynolint.model.values import ArithV, ConstV, DictV, ReadItemV, Val, alts, const_str

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.races import Race

NEW_ATTRIBUTE = "version"
VERSION_NAMES = frozenset({"version", "_version", "__version", "revision", "lock_version", "record_version",
                           "row_version", "item_version", "optimistic_version", "ver", "rev"})

TITLE = ("Start keeping a version attribute on the item and guard the write with it (optimistic lock; an item "
         "written before it lacks it and passes once); every other writer of the table must bump it too, "
         "callers must handle ConditionalCheckFailedException, and code that reads the items sees a new number "
         "attribute (a Decimal to json.dumps without an encoder; a schema that lists the attributes must allow it)")

ALLOCATE_TITLE = ("Make the create conditional on the key being new (attribute_not_exists on the key; PynamoDB "
                  "does_not_exist()): a caller that counted the same new key as a concurrent one gets "
                  "ConditionalCheckFailedException (PynamoDB PutError) instead of replacing its item, and must count again")


def read_and_bump(item: str, attribute: str, low: bool, typed: bool = False) -> tuple[str, str]:
    """The expressions that read the version from the item held in ``item`` (a default for
    an item that lacks it) and compute the next one: ``item.get("version", 0) + 1``, as a
    reviewer would write it; in a function mypy checks (``typed``: it is annotated),
    ``int(str(...)) + 1``, because boto3-stubs type an attribute as a union (bytes, sets,
    maps...) that mypy refuses to add 1 to (a Decimal read from DynamoDB goes through str()
    unchanged)."""
    name = json.dumps(attribute)
    if low:
        current = f'{item}.get({name}, {{"N": "0"}})'
        return current, f'{{"N": str(int({current}["N"]) + 1)}}'
    current = f"{item}.get({name}, 0)"
    return current, f"int(str({current})) + 1" if typed else f"{current} + 1"


def puts_read_item_back(race: Race) -> bool:
    """Is the write a put of the item read (``Item=item``, or ``{**item, ...}``)?"""
    write = race.write
    if write.op != "put_item" or write.item is None:
        return False
    for alt in alts(write.item):
        if isinstance(alt, ReadItemV) and alt.read == race.read.id:
            return True
        if isinstance(alt, DictV) and any(isinstance(s, ReadItemV) and s.read == race.read.id
                                          for spread in alt.spreads for s in alts(spread)):
            return True
    return False


def visible_version(model: Model, table: Val, path: str) -> tuple[str | None, bool]:
    """The version attribute the project keeps on ``table`` (a write of the same table sets a
    version-like name to a whole number, or to a value plus one), and whether that name is
    also written with values no version has (then no attribute is safe to choose): of the
    writes in ``path``'s import component (``Project.component_of``); memoised on the model."""
    memo = model.memo.setdefault("visible_version", {})
    component = model.project.component_of(path)
    if (table, component) not in memo:
        memo[(table, component)] = _visible_version(model, table, component)
    return cast("tuple[str | None, bool]", memo[(table, component)])  # what _visible_version gave


def _visible_version(model: Model, table: Val, component: frozenset[str]) -> tuple[str | None, bool]:
    found: set[str] = set()
    clash = False
    by_table = _writes_by_table(model)
    for other in table_lookup(model, "writes", by_table).matching(table):
        writes = [write for write in by_table[other] if getattr(write, "loc", ("",))[0] in component]
        for name, value in (pair for write in writes for pair in _written(write)):
            if name.lower() not in VERSION_NAMES and name != NEW_ATTRIBUTE:
                continue
            if _version_like(value):
                found.add(name)
            elif value is not None:
                clash = clash or name == NEW_ATTRIBUTE
    chosen = sorted(found)[0] if len(found) == 1 else None
    return chosen, clash or len(found) > 1


def _writes_by_table(model: Model) -> dict[Val, list[object]]:
    """The project's writes by the table they write (memoised on the model): each table a
    version is asked for is compared with each table written once, not with each write."""
    memo = model.memo.setdefault("writes_by_table", {})
    if "all" not in memo:
        grouped: dict[Val, list[object]] = {}
        for record in model.interp.writes:
            grouped.setdefault(record.write.table, []).append(record.write)
        memo["all"] = grouped
    return cast("dict[Val, list[object]]", memo["all"])


def _written(write: object) -> list[tuple[str, Val | None]]:
    out: list[tuple[str, Val | None]] = []
    item = getattr(write, "item", None)
    for alt in alts(item) if item is not None else ():
        if isinstance(alt, DictV):
            out.extend((const_str(k), v) for k, v in alt.items if const_str(k) is not None)  # type: ignore[misc]
    spec = getattr(write, "update", None)
    if spec is not None and spec.expression is not None:
        values = dict(spec.values)
        for action in parse_update(spec.expression, dict(spec.names)) or ():
            if action.clause == "SET" and len(action.placeholders) == 1:
                out.append((action.path, values.get(action.placeholders[0])))
    return out


def _version_like(value: Val | None, depth: int = 0) -> bool:
    if value is None or depth > 4:
        return False
    for alt in alts(value):
        if isinstance(alt, ConstV) and isinstance(alt.value, int) and not isinstance(alt.value, bool):
            return True
        if isinstance(alt, ArithV) and alt.op == "+":
            return True
        if isinstance(alt, DictV) and len(alt.items) == 1 and const_str(alt.items[0][0]) == "N":
            return True
    return False


def put_back_plan(model: Model, race: Race, item_name: str, key_attr: str | None, label: str) -> GuardPlan | Skip:
    """The plan for a put of the item read when no version attribute is configured: the one
    the project visibly keeps, else a new one."""
    write = race.write
    chosen, clash = visible_version(model, write.table, write.loc[0])
    if clash:
        return Skip(f"the project writes more than one version-like attribute to table {label}, or writes "
                    f"'{NEW_ATTRIBUTE}' with values that are not versions: set [tool.dynolint.tables.{label}] "
                    "version-attribute to enable an optimistic-lock fix")
    typed = None if chosen else typed_dict_near(model, race)
    if typed is not None:
        return Skip(f"the item is typed as the TypedDict {typed}, which declares no '{NEW_ATTRIBUTE}': a new version "
                    f"attribute would not type-check; declare it in {typed} (NotRequired[int]), set "
                    f"[tool.dynolint.tables.{label}] version-attribute, and every writer must bump it")
    if not chosen:
        # an update elsewhere changes the items without bumping a version the project never kept: the
        # lock started here would not see its change (a deposit's ADD lost under a withdrawal's put)
        # (of the writes in this file's import component: a warm run analyses a component alone)
        component = model.project.component_of(write.loc[0])
        other = next((w.write for w in model.interp.writes if w.write.loc != write.loc and w.write.loc[0] in component
                      and w.write.op in ("update_item", "update") and model.index.same_table(w.write.table, write.table)),
                     None)
        if other is not None:
            return Skip(f"{other.loc[0]}:{model.line_of(other.loc)} updates {label}'s items too, and would not bump a "
                        f"new '{NEW_ATTRIBUTE}': a lock started here would not see its changes; set "
                        f"[tool.dynolint.tables.{label}] version-attribute and bump it in every writer")
    span = model.span(write.loc)
    bound = tuple(sorted({name for read, name, _ in race.record.bindings if read == race.read.id}))
    return GuardPlan(span.line, span.column, write.flavor, write.op, "version" if chosen else "introduce",
                     key_attr=key_attr, version_attr=chosen or NEW_ATTRIBUTE, item_expr=item_name, table_label=label,
                     presence=bound,
                     item_may_miss=race.read.id in race.record.absent and race.read.id not in race.record.present)


def typed_dict_near(model: Model, race: Race) -> str | None:
    """The name of a ``TypedDict`` class the module that reads or writes the item defines or
    imports (the item is likely typed as one: ``cast(Order, item)``, ``-> Order``), or None."""
    from dynolint.model.values import ClassV

    for path in sorted({race.write.loc[0], race.read.loc[0]}):
        for value in model.interp.module_envs.get(path, {}).values():
            if isinstance(value, ClassV) and model.interp.derives(value, "typeddict"):
                return value.qualname
    return None


def allocate_plan(model: Model, race: Race, keys: list[str], label: str,
                  model_name: str | None = None) -> GuardPlan | Skip:
    """A create whose new key was counted from a scan of the table (``max + 1``): create-only
    (``attribute_not_exists`` of one key attribute is "no item with this key", sort key or not;
    PynamoDB: ``condition=<Model>.<hash key>.does_not_exist()``)."""
    if not keys:
        return Skip(f"the key schema of table {label} is not known: set [tool.dynolint.tables.{label}] "
                    "partition-key to enable the fix")
    if race.write.op not in ("put_item", "save"):
        return Skip("an update_item that creates the item: add ConditionExpression=\"attribute_not_exists(<key>)\" "
                    "and handle ConditionalCheckFailedException by counting again")
    span = model.span(race.write.loc)
    return GuardPlan(span.line, span.column, race.write.flavor, race.write.op, "allocate", key_attr=keys[0],
                     table_label=label, model_name=model_name)
