"""The key attributes of a table, as far as the project shows them: its configuration or
infrastructure, a PynamoDB model's hash and range keys, else the ``Key=`` dicts the project
reads and writes the table with, when they agree; and, when nothing says, which attributes of
an item look like keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Protocol, cast

from dynolint.model.deployment import DeployedNames, table_names
from dynolint.model.values import OpaqueV, PynModelV, UnknownV, Val, alts

if TYPE_CHECKING:
    from dynolint.model.analysis import Model

KEYISH = ("pk", "sk", "id", "key", "hash", "range", "partition")


def keyish_names(names: Iterable[str]) -> list[str]:
    """The attribute names that look like key attributes (``pk``, ``order_id``, ``sortKey``)."""
    return [name for name in names if name and any(part in name.lower() for part in KEYISH)]


def known_key_attrs(model: Model, table: Val, where: str | None = None) -> list[str]:
    """Key attribute names of a table: config or IaC, else the ``Key=`` dicts used with the
    same table in the code ``where`` (a file) is import-connected to: two services that share
    no imports share no table by an environment variable's name alone (memoised per table and
    import component on the model)."""
    cache = model.memo.setdefault("key_attrs", {})
    component = import_component(model, where)
    if (table, component) not in cache:
        cache[(table, component)] = _known_key_attrs(model, table, component)
    return list(cast("list[str]", cache[(table, component)]))


def _known_key_attrs(model: Model, table: Val, component: int) -> list[str]:
    if isinstance(table, PynModelV):
        info = model.interp.pyn_info(table)
        return [n for n in (info.hash_key, info.range_key) if n]
    facts = model.project.table_facts(table)
    if facts is not None and facts.partition_key:
        return [n for n in (facts.partition_key, facts.sort_key) if n]
    seen: set[tuple[str, ...]] = set()
    by_table = _key_names_by_table(model, component)
    for other_table in table_lookup(model, f"key_names {component}", by_table).matching(table):
        seen |= by_table[other_table]
    return list(next(iter(seen))) if len(seen) == 1 else []


def _key_names_by_table(model: Model, component: int) -> dict[Val, set[tuple[str, ...]]]:
    """For every table value, the attribute-name sets of the ``Key=`` dicts used with it in
    the files of the import component (-1: every file)."""
    memo = model.memo.setdefault("key_names", {})
    if component not in memo:
        grouped: dict[Val, set[tuple[str, ...]]] = {}
        events = [(r.table, r.key, r.loc) for r in model.interp.reads if r.of < 0] + \
                 [(w.write.table, w.write.key, w.write.loc) for w in model.interp.writes if w.write.op != "save"]
        for other_table, key, loc in events:
            if component >= 0 and import_component(model, loc[0]) != component:
                continue
            names = model.index.key_map(key) if key is not None else None
            if names:
                grouped.setdefault(other_table, set()).add(tuple(sorted(names)))
        memo[component] = grouped
    return cast("dict[Val, set[tuple[str, ...]]]", memo[component])


def import_component(model: Model, path: str | None) -> int:
    """Which group of import-connected files ``path`` is in (as the project's imports resolve;
    -1 for no file). The cached runs analyse such groups apart (dynolint/engine/incremental.py,
    whose groups are these or larger), so a fact gathered over one group is the same however
    the run was split."""
    if path is None:
        return -1
    groups = model.memo.get("import_components")
    if groups is None:
        groups = model.memo["import_components"] = cast("dict[object, object]", _import_components(model))
    return cast("int", groups.get(path, -1))


def _import_components(model: Model) -> dict[str, int]:
    from dynolint.phase1 import ir

    project = model.project
    parent = {path: path for path in project.files}

    def find(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    def link(a: str, b: str | None) -> None:
        if b is not None and b in parent:
            x, y = find(a), find(b)
            if x != y:
                parent[max(x, y)] = min(x, y)

    for path, summary in project.files.items():
        blocks = [summary.body, *(f.body for f in summary.functions)]
        for stmt in (stmt for block in blocks for stmt in ir.statements(block)):
            node = stmt.value if type(stmt) is ir.Assign else None
            if type(node) is ir.ImportE:
                link(path, project.resolve_module(path, node.module, node.level) if node.module or node.level else None)
                if node.name is not None:
                    link(path, project.resolve_from(path, node.module, node.name, node.level))
        package = summary.module.rsplit(".", 1)[0] if "." in summary.module else ""
        if package:  # a module's package __init__ runs when it is imported
            link(path, project.by_module.get(package))
    roots = sorted({find(path) for path in parent})
    number = {root: index for index, root in enumerate(roots)}
    return {path: number[find(path)] for path in parent}


class _Tables(Protocol):  # what the lookup asks of the model's index (model/keys.py)
    deployed: DeployedNames | None

    def canon(self, value: Val) -> Val: ...

    def same_table(self, left: Val, right: Val) -> bool: ...


def table_signatures(index: _Tables, table: Val) -> set[tuple[str, object]]:
    """What two tables the index calls the same (``same_table``) have in common, one of
    these at least: the PynamoDB model; an alternative of their canonical values (``equal``);
    a literal name or an environment variable's default; a name the deployment gives them."""
    if isinstance(table, PynModelV):
        return {("model", table)}
    signatures: set[tuple[str, object]] = {("name", name) for name in table_names(table)}
    canonical = index.canon(table)
    signatures.update(("value", alt) for alt in alts(canonical)
                      if not isinstance(alt, UnknownV) and not (isinstance(alt, OpaqueV) and alt.loc[1] < 0))
    if index.deployed is not None:
        signatures.update(("deployed", name) for name in index.deployed.names(canonical) - {""})
    return signatures


class TableLookup:
    """The tables of a collection that are the same table as a given one, in the
    collection's order: asked of the tables that share a signature with it
    (:func:`table_signatures`), not of every table, so that asking for each table of a
    project grows with the tables, not with their pairs."""

    def __init__(self, index: _Tables, tables: Iterable[Val]) -> None:
        self.index = index
        self.tables = list(tables)
        self.buckets: dict[tuple[str, object], list[int]] = {}
        for position, table in enumerate(self.tables):
            for signature in table_signatures(index, table):
                self.buckets.setdefault(signature, []).append(position)

    def matching(self, table: Val) -> list[Val]:
        positions = sorted({position for signature in table_signatures(self.index, table)
                            for position in self.buckets.get(signature, ())})
        return [self.tables[p] for p in positions if self.index.same_table(self.tables[p], table)]


def table_lookup(model: Model, name: str, tables: Iterable[Val]) -> TableLookup:
    """The :class:`TableLookup` of ``tables`` kept on the model under ``name``."""
    memo = model.memo.setdefault("table_lookups", {})
    if name not in memo:
        memo[name] = TableLookup(model.index, tables)
    return cast(TableLookup, memo[name])


__all__ = ["KEYISH", "TableLookup", "keyish_names", "known_key_attrs", "table_lookup", "table_signatures"]
