"""The key attributes of a table, as far as the project shows them: its configuration or
infrastructure, a PynamoDB model's hash and range keys, else the ``Key=`` dicts the project
reads and writes the table with, when they agree; and, when nothing says, which attributes of
an item look like keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, cast

from dynolint.model.values import PynModelV, Val

if TYPE_CHECKING:
    from dynolint.model.analysis import Model

KEYISH = ("pk", "sk", "id", "key", "hash", "range", "partition")


def keyish_names(names: Iterable[str]) -> list[str]:
    """The attribute names that look like key attributes (``pk``, ``order_id``, ``sortKey``)."""
    return [name for name in names if name and any(part in name.lower() for part in KEYISH)]


def known_key_attrs(model: Model, table: Val) -> list[str]:
    """Key attribute names of a table: config or IaC, else the ``Key=`` dicts used with
    the same table anywhere in the project (memoised per table on the model)."""
    cache = model.memo.setdefault("key_attrs", {})
    if table not in cache:
        cache[table] = _known_key_attrs(model, table)
    return list(cast("list[str]", cache[table]))


def _known_key_attrs(model: Model, table: Val) -> list[str]:
    if isinstance(table, PynModelV):
        info = model.interp.pyn_info(table)
        return [n for n in (info.hash_key, info.range_key) if n]
    facts = model.project.table_facts(table)
    if facts is not None and facts.partition_key:
        return [n for n in (facts.partition_key, facts.sort_key) if n]
    seen: set[tuple[str, ...]] = set()
    for other_table, names in _key_names_by_table(model).items():
        if model.index.same_table(other_table, table):
            seen |= names
    return list(next(iter(seen))) if len(seen) == 1 else []


def _key_names_by_table(model: Model) -> dict[Val, set[tuple[str, ...]]]:
    """For every table value, the attribute-name sets of the ``Key=`` dicts used with it."""
    memo = model.memo.setdefault("key_names", {})
    if "all" not in memo:
        grouped: dict[Val, set[tuple[str, ...]]] = {}
        events = [(r.table, r.key) for r in model.interp.reads if r.of < 0] + \
                 [(w.write.table, w.write.key) for w in model.interp.writes if w.write.op != "save"]
        for other_table, key in events:
            names = model.index.key_map(key) if key is not None else None
            if names:
                grouped.setdefault(other_table, set()).add(tuple(sorted(names)))
        memo["all"] = grouped
    return memo["all"]  # type: ignore[return-value]


__all__ = ["KEYISH", "keyish_names", "known_key_attrs"]
