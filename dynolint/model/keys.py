"""What values derive from (taint), and when two keys name the same item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from dynolint.model.ddb_operations import OPERATIONS
from dynolint.model.deployment import DeployedNames, table_names
from dynolint.model.events import ReadEvent, WriteEvent, lists_items
from dynolint.model.unseen import UnseenIndex
from dynolint.model.key_facts import pyn_key
from dynolint.model.key_parts import (
    ATTRIBUTE_VALUE_TYPES, after_prefix, converted_from, prefix_put_back, strip_prefix, typed, untyped,
)
from dynolint.model.key_schema import keyish_names
from dynolint.model.memo import ByObject
from dynolint.model.own_ids import own_id, put_back, rebuilt_in_tenant, rebuilt_row_key, row_key_part
from dynolint.model.strings import formatted_call
from dynolint.model.values_aws import data_response
from dynolint.model.values import (
    ARITH_OPS, UNKNOWN, ArithV, AttrV, CallV, ClientV, ConstV, CostlyV, CredsV, DictV, ElemV, EventV, OneOf, OpaqueV,
    ParamV, PynInstanceV, PynModelV, ReadItemV, ReadV, ResourceV, SessionV, StrV, SubV, TableV,
    TenantIdV, UnknownV, Val, alts, children, const_str, options,
)

T = TypeVar("T")
COMPARED = -2  # the site of the value of a comparison (model/evaluate.py, model/verdicts.py)
_ANYWHERE = ("", -1)  # the site of a canonical tenant id (its source is what it is, not where it was taken)



@dataclass(slots=True, unsafe_hash=True)  # never changed once made (see dynolint.phase1.ir)
class Taint:
    reads: frozenset[tuple[int, bool]] = frozenset()  # (read id, arithmetic applied)
    costly: frozenset[CostlyV] = frozenset()
    tenants: frozenset[TenantIdV] = frozenset()
    creds: frozenset[CredsV] = frozenset()
    event: bool = False

    def arith_on(self, read: int) -> bool:
        return (read, True) in self.reads

    def read_ids(self) -> set[int]:
        return {r for r, _ in self.reads}

    def as_data(self) -> Taint:
        """The taint of what a call made with these values gives back as data (a response, an
        item read): all but the credentials it was made with."""
        return Taint(self.reads, self.costly, self.tenants, frozenset(), self.event) if self.creds else self

    def __or__(self, other: Taint) -> Taint:
        if not other.reads and not other.costly and not other.tenants and not other.creds and not other.event:
            return self
        if not self.reads and not self.costly and not self.tenants and not self.creds and not self.event:
            return other
        return Taint(_union(self.reads, other.reads), _union(self.costly, other.costly),
                     _union(self.tenants, other.tenants), _union(self.creds, other.creds), self.event or other.event)


def _union(a: frozenset[T], b: frozenset[T]) -> frozenset[T]:
    """``a | b``, reusing ``a`` or ``b`` when the other adds nothing: a union makes a new set
    even of two empty ones (216 bytes each in CPython 3.11, which has no empty frozenset
    singleton), and the taint memo keeps every result of a run's values."""
    if not b or a is b:
        return a
    if not a:
        return b
    return a | b


EMPTY = Taint()


class TaintIndex:
    """Computes and memoises taints and canonical forms. Needs the read events, to see
    through ``item["pk"]`` to the key the item was read with."""

    def __init__(self, reads: list[ReadEvent], deployed: DeployedNames | None = None,
                 key_names: Callable[[Val], tuple[str, ...]] | None = None) -> None:
        self.reads = reads
        self.deployed = deployed  # the names the deployment gives table values (model/deployment.py)
        self.key_names = key_names  # a table's key attributes, when its schema is known (config, IaC)
        # by object (model/memo.py): a lookup by value compares equal values that are distinct
        # objects part by part
        self._taint: ByObject[Taint] = ByObject()
        self._canon: dict[Val, Val] = {}
        self._canon_ids: ByObject[Val] = ByObject()  # the same by object, in front of it
        self._tables: dict[tuple[Val, Val], bool] = {}
        self._table_ids: ByObject[bool] = ByObject()  # by the pair of objects, in front of it
        self.unseen = UnseenIndex()  # the calls values derive from that the model could not see into

    def forget_values(self) -> None:
        """Drop the memos keyed by object (and the values they keep alive): between roots,
        the values a finished root made and no event keeps would otherwise stay for the run."""
        self._taint.clear()
        self._canon_ids.clear()
        self.unseen.forget_values()

    # -- taint -------------------------------------------------------------------------
    def taint(self, value: Val, depth: int = 0) -> Taint:
        if type(value) is ConstV or type(value) is UnknownV:
            return EMPTY  # a quarter of the values asked about: not worth a memo entry
        cached = self._taint.get(id(value))
        if cached is not None:
            return cached
        result = self._compute(value, depth)
        self._taint.put(id(value), value, result)
        return result

    def _compute(self, value: Val, depth: int) -> Taint:
        if type(value) in (ConstV, UnknownV) or depth > 40:
            return EMPTY
        if type(value) is ReadItemV:
            return Taint(reads=frozenset({(value.read, value.arith)}))
        if type(value) is ReadV:
            return Taint(reads=frozenset({(value.read, False)}))
        if type(value) is TenantIdV:
            return Taint(tenants=frozenset({value}))
        if type(value) is EventV:
            return Taint(event=True)
        if type(value) is CredsV:
            return Taint(creds=frozenset({value})) if value.kind in ("scoped", "fixed") else EMPTY
        if type(value) is SessionV or type(value) is ClientV or type(value) is ResourceV or type(value) is TableV:
            creds = value.creds
            base = Taint(creds=frozenset({creds})) if creds.kind in ("scoped", "fixed") else EMPTY
            return base | self.taint(value.name, depth + 1) if type(value) is TableV else base
        if type(value) is CostlyV:  # what the work was given flows into its result, but not the
            # credentials it ran with: a response made with a tenant's session is the tenant's data
            result = Taint(costly=frozenset({value}))
            for dep in value.deps:
                result = result | self.taint(dep, depth + 1)
            return result.as_data()
        if type(value) is PynInstanceV:
            result = Taint(reads=frozenset({(value.read, value.arith)})) if value.read >= 0 else EMPTY
            for part in value.key:
                result = result | self.taint(part, depth + 1)
            return result
        if type(value) is PynModelV:
            return EMPTY
        result = EMPTY
        for child in children(value):
            result = result | self.taint(child, depth + 1)
        if result.creds and type(value) is CallV and value.recv is not None and (
                value.fn in OPERATIONS or data_response(value.fn, value.recv)):
            # a DynamoDB operation on a client the model did not resolve (``sessions[t].resource(..)
            # .Table(..).get_item(..)``), a service call on a client (``s3.head_object(..)``): its
            # response is the tenant's data, not their credentials
            result = result.as_data()
        if type(value) is ArithV and value.op in ARITH_OPS and result.reads:
            result = Taint(frozenset((r, True) for r, _ in result.reads), result.costly, result.tenants,
                           result.creds, result.event)
        elif type(value) is OpaqueV and value.loc[1] == COMPARED and any(arith for _, arith in result.reads):
            # the truth of a comparison (``starts - now < window``) counts nothing, whatever it compared
            result = Taint(frozenset((r, False) for r, _ in result.reads), result.costly, result.tenants,
                           result.creds, result.event)
        return result

    def leaves(self, value: Val, depth: int = 0) -> set[Val]:
        """The inputs a value is computed from: parameters, tenant ids, event fields, and an
        attribute or entry of something with no such input (``message.tenant_id`` of an object
        the model made from a record it cannot read). (Not a token's claims: the model keeps a
        claim that names no tenant as the claims themselves, so every such claim of a token would
        be the same input: a session cache keyed by ``claims["aud"]`` and tagged with
        ``claims["custom:org"]`` would pass as keyed by tenant.)"""
        if depth > 30:
            return set()
        if isinstance(value, (ParamV, TenantIdV, EventV)):
            return {value}
        found: set[Val] = set()
        for child in children(value):
            found |= self.leaves(child, depth + 1)
        if not found and (type(value) is AttrV or type(value) is SubV and const_str(value.index) is not None):
            return {value}
        return found

    # -- canonical forms -----------------------------------------------------------------
    def canon(self, value: Val, depth: int = 0) -> Val:
        if type(value) is ConstV or type(value) is UnknownV:
            return value  # its own canonical form (looking it up compared it with an equal one)
        known = self._canon_ids.get(id(value))
        if known is not None:
            return known
        result = self._canon.get(value)
        if result is None:
            result = self._canon_compute(value, depth)
            self._canon[value] = result
        self._canon_ids.put(id(value), value, result)
        return result

    def _canon_compute(self, value: Val, depth: int) -> Val:
        if depth > 30:
            return value
        if type(value) is DictV:
            inner = typed(value)
            if inner is not value:
                return self.canon(inner, depth + 1)
            items = tuple(sorted(((self.canon(k, depth + 1), self.canon(v, depth + 1)) for k, v in value.items),
                                 key=lambda kv: repr(kv[0])))
            return DictV(items, tuple(self.canon(s, depth + 1) for s in value.spreads))
        if type(value) is StrV:
            parts = prefix_put_back(tuple(self.canon(p, depth + 1) for p in value.parts),
                                    lambda whole: self.canon(whole, depth + 1))
            return parts[0] if len(parts) == 1 else StrV(parts)
        if type(value) is CallV and value.fn in ("str", "format") and value.recv is None and len(value.args) == 1:
            return self.canon(value.args[0], depth + 1)
        if type(value) is CallV and (field := formatted_call(value, lambda x: self.canon(x, depth + 1))) is not None:
            return field  # ``format(n, "06d")``, ``repr(s)``: as the fields that write them (model/strings.py)
        if type(value) is CallV and value.fn in ("strip", "rstrip", "lstrip") and value.recv is not None:
            return CallV(value.fn, self.canon(value.recv, depth + 1), value.args, value.kwargs)
        if (rest := after_prefix(value)) is not None:  # ``item["sk"].removeprefix("DOC#")`` of ``"DOC#" + id``: id
            whole, text, up_to = rest
            stripped = strip_prefix(self.canon(whole, depth + 1), text, up_to)
            if stripped is not None:
                return stripped
        if type(value) is SubV:
            base = value.base
            attr = const_str(value.index)
            if isinstance(base, ReadItemV) and attr is not None and 0 <= base.read < len(self.reads):
                key = self.key_map(self.reads[base.read].key)
                if key is not None and attr in key:
                    return key[attr]
            whole = self.canon(base, depth + 1)
            if attr in ATTRIBUTE_VALUE_TYPES and type(base) is SubV and isinstance(base.base, ReadItemV):
                return whole  # ``item["pk"]["S"]`` of a low-level item: the key part, as the key map has it untyped
            return SubV(whole, self.canon(value.index, depth + 1))
        if type(value) is OneOf:
            return options([self.canon(a, depth + 1) for a in alts(value)])
        if type(value) is TenantIdV:  # the tenant id taken again from the same place is the same id
            return TenantIdV(_ANYWHERE, value.trust, value.how)
        return value

    def key_map(self, key: Val | None) -> dict[str, Val] | None:
        """A key (or item) as attribute -> canonical value, when its attribute names are known."""
        if key is None:
            return None
        for alt in alts(key):
            if isinstance(alt, DictV):
                out: dict[str, Val] = {}
                for name, value in alt.items:
                    text = const_str(name)
                    if text is None:
                        return None
                    out[text] = self.canon(value)
                return out
        return None

    def equal(self, left: Val, right: Val) -> bool:
        """May ``left`` and ``right`` be the same value (same code, same inputs)?"""
        if left is UNKNOWN or right is UNKNOWN:
            return False
        a, b = self.canon(left), self.canon(right)
        for x in alts(a):
            for y in alts(b):
                if x != y or isinstance(x, UnknownV):
                    continue
                if isinstance(x, OpaqueV) and x.loc[1] < 0:
                    continue
                return True
        return False

    # -- items ---------------------------------------------------------------------------
    def same_table(self, left: Val, right: Val) -> bool:
        by_object = (id(left), id(right))
        known = self._table_ids.get(by_object)
        if known is not None:
            return known
        key = (left, right)
        known = self._tables.get(key)
        if known is None:
            known = self._tables[key] = self._same_table(left, right)
        self._table_ids.put(by_object, key, known)
        return known

    def _same_table(self, left: Val, right: Val) -> bool:
        if isinstance(left, PynModelV) or isinstance(right, PynModelV):
            return left == right
        if self.equal(left, right):
            return True
        # a literal table name (PartiQL, a constant) against an env lookup with that default
        left_names, right_names = table_names(left), table_names(right)
        if left_names & right_names and (
                any(const_str(a) is not None for a in alts(left)) or any(const_str(b) is not None for b in alts(right))):
            return True
        # two spellings the deployment gives one name (``os.environ["ORDERS"]`` set to
        # ``!Ref Orders``, a name built from the variables its parts are in)
        deployed = self.deployed
        return deployed is not None and bool(
            deployed.names(self.canon(left)) & deployed.names(self.canon(right)) - {""})

    def same_key(self, read_key: Val | None, write_key: Val | None, read: ReadEvent | None = None) -> bool:
        """Do two keys name one item? Given ``read`` (the read of ``read_key``), a part of the
        written key may be the read item's own id attribute (see model/own_ids.py)."""
        if read_key is None or write_key is None:
            return False
        read_map, write_map = self.key_map(read_key), self.key_map(write_key)
        if read_map is not None and write_map is not None:
            if not read_map or set(read_map) != set(write_map):
                return False
            return all(self.same_part(read_map[k], write_map[k], read) for k in read_map)
        return self.equal(read_key, write_key)

    def same_part(self, pinned: Val, written: Val, read: ReadEvent | None) -> bool:
        """Is ``written`` the key attribute's value ``pinned`` that ``read`` read the item by?"""
        if self.equal(pinned, written):
            return True
        if read is None or read.key is None:
            return False  # a listing's rows each have their own id: only a point read knows the item's
        return any(own_id(self, x, y, read) for x in alts(self.canon(pinned)) for y in alts(self.canon(written)))

    def item_has_key(self, item: Val, read: ReadEvent) -> bool:
        read_map = self.key_map(read.key)
        for alt in alts(item):
            if isinstance(alt, (ReadItemV, PynInstanceV)) and alt.read >= 0:
                if alt.read == read.id:
                    return True
                other = self.reads[alt.read]
                if other.key is not None and self.same_table(other.table, read.table) and \
                        self.same_key(other.key, read.key):
                    return True
            if isinstance(alt, PynInstanceV) and read.key is not None:
                if self.same_key(read.key, pyn_key(alt)):
                    return True
            if isinstance(alt, DictV):
                item_map = {const_str(k): v for k, v in alt.items if const_str(k) is not None}
                # ``{**item, "pk": other}``: an entry that replaces a key attribute of the
                # item read names another item, whatever the spread holds
                # (or a value the query's key condition gave every row: a row moved to another partition)
                pinned = read_map if read_map is not None else dict(read.equal)
                rekeyed = bool(pinned) and any(
                    name in item_map and item_map[name] is not UNKNOWN and not (
                        self.same_part(pinned[name], item_map[name], read) if read_map is not None
                        else self._taken_from(typed(item_map[name]), read, name)  # the row's own, or the query's
                        or rebuilt_row_key(self, pinned[name], item_map[name], read))  # (or rebuilt from the row's own id)
                    for name in pinned)
                if not rekeyed and read_map is None:
                    # a listed row copied under another sort key (``{**tab, "sk": f"ARCHIVE#..."}``): a key
                    # attribute of the table's schema the query left open (or, the schema unknown, the one
                    # its key condition gave a prefix: a key attribute too), given a value not the row's
                    names = (self.key_names(read.table) if self.key_names is not None else ()) \
                        or tuple(name for name, _ in read.starts)
                    rekeyed = any(name in item_map and name not in pinned and item_map[name] is not UNKNOWN
                                  and not self._taken_from(typed(item_map[name]), read, name)
                                  and not row_key_part(item_map[name], read, name)
                                  for name in names)
                for spread in alt.spreads if not rekeyed else ():
                    if (read.key is not None and self.equal(spread, read.key)) or self.item_has_key(spread, read):
                        return True
                if read_map:
                    if all(name in item_map and self.same_part(read_map[name], item_map[name], read) for name in read_map):
                        return True
                    if rebuilt_in_tenant(self, read_map, item_map, read):
                        return True
                elif lists_items(read) and not alt.spreads and not rekeyed:
                    # a listed row written again as a new dict: its key-like entries all taken from the
                    # row (or the query's own values): ``{"sub_id": row["sub_id"], "plan": "basic"}``
                    named = keyish_names([n for n in item_map if n is not None])
                    own = [n for n in named if n not in pinned]  # (the partition alone names every row)
                    if own and all(self._taken_from(typed(item_map[n]), read, n)
                                   or n in pinned and rebuilt_row_key(self, pinned[n], item_map[n], read)
                                   or row_key_part(item_map[n], read, n) for n in named):
                        return True
            elif read_map and isinstance(alt, (ParamV, SubV, AttrV, ElemV)):
                # a dict the code was given or holds (``operation``), read by its own entries
                # (``Key={"Name": operation["Name"]}``) and written whole: the same item
                if all(self.equal(read_map[name], SubV(alt, ConstV(name))) for name in read_map):
                    return True
        return False

    def same_item(self, read: ReadEvent, write: WriteEvent) -> bool:
        if not self.same_table(read.table, write.table):
            return False
        if write.item is not None and self.item_has_key(write.item, read):
            return True
        if self.key_from_item(write.key, read):
            return True
        return self.same_key(read.key, write.key, read)

    def key_from_item(self, key: Val | None, read: ReadEvent) -> bool:
        """A key whose every attribute is taken from the same attribute of an item that
        ``read`` returned (``Key={"pk": item["pk"], "sk": item["sk"]}``)."""
        if key is None:
            return False
        for alt in alts(key):
            if not isinstance(alt, DictV) or not alt.items or alt.spreads:
                continue
            ok = True
            for name, value in alt.items:
                attr = const_str(name)
                if attr is None or not self._taken_from(typed(value), read, attr):
                    ok = False
                    break
            if ok:
                return True
        return False

    def _taken_from(self, value: Val, read: ReadEvent, attr: str, depth: int = 0) -> bool:
        """Is ``value`` attribute ``attr`` of an item ``read`` returned (or the value its key
        condition gives that attribute in all of them: ``Key={"pk": pk, "sk": row["sk"]}`` after
        a query of ``Key("pk").eq(pk)``), or of the item a later read got by a key taken from it
        (a query's item read again with ``get_item``)? Low-level
        values may be unwrapped first (``{"S": item["pk"]["S"]}``). A value with several
        alternatives (an element of a list built from a query and the scan that pages it)
        is taken from ``read`` when one of them is: on that path the item is its element."""
        if isinstance(value, OneOf):
            return any(self._taken_from(typed(alt), read, attr, depth) for alt in value.alts)
        if any(name == attr and self.equal(typed(pinned), value) for name, pinned in read.equal):
            return True  # the value the query's key condition sets it equal to: every item it returns has it
        # (``item["pk"]["S"]`` inside the ``{"S": ...}`` the key wraps it in; ``"ADV#" + pk.removeprefix("ADV#")``)
        value = untyped(converted_from(put_back(value)))
        if not (isinstance(value, SubV) and isinstance(value.base, ReadItemV) and const_str(value.index) == attr):
            return False
        source = value.base.read
        if source == read.id:
            return True
        if depth >= 4 or not 0 <= source < len(self.reads):
            return False
        again = (self.key_map(self.reads[source].key) or {}).get(attr)
        return again is not None and self.same_table(self.reads[source].table, read.table) and \
            self._taken_from(typed(again), read, attr, depth + 1)
