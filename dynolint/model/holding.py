"""What an object holds: the tenant ids and tenant-scoped credentials a value derives from or a
project object keeps in its attributes (a repository made for the tenant, a meter wrapping a
table of the tenant's session), and the reads whose items it keeps. An object made at import
holds module state, not this request's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.model.key_facts import made_of
from dynolint.model.mixin import Mixin
from dynolint.model.state import join
from dynolint.model.values import CredsV, DictV, InstanceV, SeqV, TenantIdV, Val, alts

if TYPE_CHECKING:
    from dynolint.model.interp import Machine


class HoldingMixin(Mixin):
    def held_tenants(self: Machine, value: Val) -> frozenset[TenantIdV]:
        """The tenant ids ``value`` derives from, or that a project object it is holds in its
        attributes (``RequestContext(tenant_id=...)``, a repository made for the tenant, and the
        objects those hold): the object brings the tenant id wherever it is passed. Not an object
        made at import: what it holds is module state (another invocation's, DYN302), not this
        request's tenant."""
        return self.held(value)[0]

    def held(self: Machine, value: Val) -> tuple[frozenset[TenantIdV], frozenset[CredsV]]:
        """``held_tenants``, and the tenant-scoped credentials ``value`` is made with or a project
        object it is holds in its attributes (a meter wrapping a table of a tenant's session).

        Memoised per value object (``held_memo``, kept alive there so its id is not reused) for
        as long as the objects it looked into hold what they held (no heap write to any of them:
        ``Summaries.alloc_writes``) and no instance was made at import since: the answer is a
        function of those and of the value (taints are). A hit looks at the same heap cells
        again, in the same order, so the summaries and footprints record the same touches as
        computing it would."""
        summaries = self.summaries
        writes = summaries.alloc_writes
        known = self.held_memo.get(id(value))
        if known is not None and known[0] is value and known[1] == len(self.module_instances) \
                and all(writes.get(alloc, 0) == count for alloc, count in known[4]):
            for key in known[3]:
                summaries.heap_get(key)
            return known[2]
        cells: list[tuple[object, str]] = []
        allocs: dict[object, int] = {}
        found = self._held(value, 0, cells, allocs)
        if len(self.held_memo) >= 4096:
            self.held_memo.clear()
        self.held_memo[id(value)] = (value, len(self.module_instances), found, tuple(cells), tuple(allocs.items()))
        return found

    def _held(self: Machine, value: Val, depth: int, cells: list[tuple[object, str]],
              allocs: dict[object, int]) -> tuple[frozenset[TenantIdV], frozenset[CredsV]]:
        if 0 < depth <= 2 and alts(value) and all(type(alt) is DictV for alt in alts(value)):
            return self._held_entries(value, depth, cells, allocs)
        taint = self.taint(value)
        tenants, scoped = taint.tenants, frozenset(c for c in taint.creds if c.kind == "scoped")
        if depth > 2:
            return tenants, scoped
        for alt in alts(value):
            if type(alt) is InstanceV and alt.alloc not in self.module_instances:
                allocs.setdefault(alt.alloc, self.summaries.alloc_writes.get(alt.alloc, 0))
                for name in self.instance_names(alt):  # (a union: the order does not matter)
                    cells.append((alt.alloc, name))
                    held = self.summaries.heap_get((alt.alloc, name))  # (tracked: summaries, footprints)
                    if held is not None and held is not value:
                        inner, inner_scoped = self._held(held, depth + 1, cells, allocs)
                        tenants = join(tenants, inner)  # (no new empty set)
                        scoped = join(scoped, inner_scoped)
        return tenants, scoped

    def _held_entries(self: Machine, value: Val, depth: int, cells: list[tuple[object, str]],
                      allocs: dict[object, int]) -> tuple[frozenset[TenantIdV], frozenset[CredsV]]:
        """What a dict an object holds holds, but for its entries filed under the tenant (a
        vending machine's ``self._sessions[tenant_id]``): those are kept per tenant."""
        tenants: frozenset[TenantIdV] = frozenset()
        scoped: frozenset[CredsV] = frozenset()
        for alt in alts(value):
            assert type(alt) is DictV
            for key, entry in alt.items:
                inner, inner_scoped = self._held(entry, depth + 1, cells, allocs)
                if self.taint(key).tenants or inner_scoped and all(
                        c.scope is not None and made_of(key, c.scope) for c in inner_scoped):
                    continue
                tenants, scoped = join(tenants, inner), join(scoped, inner_scoped)
            for spread in alt.spreads:
                taint = self.taint(spread)
                tenants = join(tenants, taint.tenants)
                scoped = join(scoped, frozenset(c for c in taint.creds if c.kind == "scoped"))
        return tenants, scoped

    def instance_names(self: Machine, made: InstanceV) -> set[str] | frozenset[str]:
        """The attributes stored on the objects made where ``made`` was: of a record class, only
        its fields (one site, a generic repository's ``self.model.model_validate(item)``, makes
        records of several classes, whose fields share the site's cells)."""
        names: set[str] | frozenset[str] = self.heap_names.get(made.alloc, frozenset())
        fields = self.dataclass_fields(made.cls)
        if not fields:
            return names
        own = {name for name, _ in fields}
        return {name for name in names if name in own}

    def held_reads(self: Machine, value: Val, depth: int = 0) -> set[int]:
        """The reads a project object ``value`` (made by a function, not at import; or one in a
        tuple or dict, ``(expiry, policy)``) was made from: what its attributes were read from
        (``Verdict.from_item(item)``)."""
        reads: set[int] = set()
        for alt in alts(value):
            if depth < 2 and isinstance(alt, SeqV):
                for part in alt.elts:
                    reads.update(self.held_reads(part, depth + 1))
            elif depth < 2 and isinstance(alt, DictV):
                for _, part in alt.items:
                    reads.update(self.held_reads(part, depth + 1))
            elif type(alt) is InstanceV and alt.alloc not in self.module_instances:
                for name in self.instance_names(alt):
                    held = self.summaries.heap_get((alt.alloc, name))
                    if held is not None:
                        reads.update(self.taint(held).read_ids())
        return reads
