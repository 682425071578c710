"""Subscripts: ``base[index]`` of every kind of value the interpreter knows (responses and
items, events and claims, dicts and sequences, enumerations and generic classes, process state,
credentials), and of a project class with ``__getitem__``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.model.event_fields import norm_key
from dynolint.model.containers import computed_entries
from dynolint.model.library import CREDENTIAL_PARTS, PROCESS_STATE
from dynolint.model.library_web import RESOLVER_CONTEXT
from dynolint.model.values_aws import sts_response
from dynolint.model import mappings, narrowing
from dynolint.model.literals import may_be_position, names_entry, open_spread
from dynolint.model.values import (
    DISPATCH_TARGETS, UNKNOWN, ClaimsV, ClassV, ConstV, CredsV, DictV, EnvV, EventV, ExtV, InstanceV, Loc, ReadItemV, ReadV,
    SeqV, SubV, Val, alts, const_str, one_of,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State


class SubscriptsMixin(Mixin):
    def get_item(self: Machine, base: Val, index: Val, loc: Loc, state: State, frame: Frame,
                 quiet: bool = False) -> Val:
        # ``None[...]`` raises: the path that held None ends here (narrowed as ``is not None`` is)
        base = narrowing.narrowed(base, narrowing.NOT_NONE) or base
        if type(base) is ExtV and base.path == RESOLVER_CONTEXT and (entry := const_str(index)) is not None:
            return self.request_scope_get(RESOLVER_CONTEXT, entry, loc, state, frame)  # ``app.context["k"]``
        dunder = self.project.item_methods and not quiet  # ``repo[key]``: a class's own __getitem__ runs
        return one_of(found if dunder and (found := self.item_dunder(alt, "__getitem__", [index], loc, state, frame))
                      is not None else self._item_one(alt, index, loc, frame, quiet) for alt in alts(base))

    def _item_one(self: Machine, base: Val, index: Val, loc: Loc, frame: Frame, quiet: bool) -> Val:
        if type(base) is InstanceV and (contents := mappings.contents_of(self, base)) is not None:
            return one_of(self._item_one(alt, index, loc, frame, quiet) for alt in alts(contents))
        key = const_str(index)
        if type(base) is ReadV:
            if key == "Item":
                return ReadItemV(base.read)
            if key == "Items":
                return SeqV("items", (ReadItemV(base.read),))
            if key in ("Attributes", "Responses"):
                return ReadItemV(base.read)
            return SubV(base, index)
        if type(base) is EventV:
            if key is not None:
                return self.event_child(base, key, loc, frame, quiet)
            return EventV(base.path + ("?",), base.trusted)
        if type(base) is ClaimsV and key is not None:
            if self.project.tenant_key(loc[0]).search(norm_key(key)):
                return self.claimed_tenant(base, key, loc, frame, quiet)
            return base if base.taken is not None else ClaimsV(base.verified, loc)
        if type(base) is DictV:
            for item_key, value in reversed(base.items):
                if item_key == index:
                    return value
            if key is None and base.items and all(type(v) in DISPATCH_TARGETS for _, v in base.items):
                # a table of handlers or of strategy objects (``{"zone": ZoneRepo()}``), by a key not known
                return one_of([v for _, v in base.items])
            if (computed := computed_entries(base, index)) is not None:  # under keys the code computed
                return computed
            if (opened := open_spread(base)) is not None and names_entry(index):
                return self._item_one(opened, index, loc, frame, quiet)  # an entry not stored here
            if len(base.spreads) == 1 and key is not None and any(type(a) is ReadItemV for a in alts(base.spreads[0])):
                # ``{**item, "hub": h}["pk"]``: the item's own entry (of each item it may be)
                return one_of([SubV(a, index) for a in alts(base.spreads[0])])
            if base.spreads:
                held = self.container_entry(base, index)
                return held if held is not None else SubV(base, index)
            return UNKNOWN if key is not None else SubV(base, index)
        if type(base) is SeqV:
            if isinstance(index, ConstV) and isinstance(index.value, int) and -len(base.elts) <= index.value < len(base.elts):
                return base.elts[index.value]
            if base.kind == "items" and base.elts:
                return base.elts[0]
            if base.kind in ("list", "tuple") and base.elts and may_be_position(index):
                return one_of(base.elts)  # ``items[i]`` at a position the code computed: one of them
            return SubV(base, index)
        if type(base) is ClassV:  # ``Status[item["status"]]``: an enumeration's member; ``Repo[Order]``, a
            # generic class's parameters (``Generic[T]``, PEP 695, a pydantic model): the class itself
            return self.enum_member_named(base, index) if self.enum_class(base) else base
        if type(base) is ExtV and base.path in PROCESS_STATE:
            stored = self.process_entry(PROCESS_STATE[base.path], index)
            return EnvV(index, None) if stored is None else one_of((EnvV(index, None), stored))
        if type(base) is CredsV:  # the credentials, or one of their parts; not their expiry or the role
            return base if key is None or key in CREDENTIAL_PARTS else UNKNOWN
        if key is not None and key not in CREDENTIAL_PARTS and sts_response(base):
            return UNKNOWN  # (the same of the response of an STS call on a client not resolved: ``Expiration``)
        return SubV(base, index)
