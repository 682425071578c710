"""Assignment: names (module globals written from functions are recorded), unpacking,
attributes of instances (the heap, or a property's setter; ``del`` runs its deleter) and of
PynamoDB items, subscripts of read items and dicts; a read item changed by arithmetic on its
own value is remembered as such."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from dynolint.phase1 import ir
from dynolint.model.class_cells import class_cell
from dynolint.model import apps, mappings
from dynolint.model.library import (
    LOGGER_MAKERS, LOGGER_STORES, PROCESS_STATE, QUEUE_MAKERS, QUEUE_STORES, SESSION_REMOVES, SESSION_STORES,
)
from dynolint.model.library_web import REQUEST_SCOPES

from dynolint.model.literals import is_open_mapping, names_entry
from dynolint.model.in_place import leftmost_name
from dynolint.model.module_state import Entry, within
from dynolint.model.objects import session_maker, session_state
from dynolint.model.verdicts import element_options
from dynolint.model.values import (
    UNKNOWN, CallV, ClaimsV, ClassV, CostlyV, DictV, ElemV, EventV, ExtV, FuncV, InstanceV, Loc, OneOf, PynInstanceV, ReadItemV, SeqV, SubV, Val,
    alts, const_str, one_of,
)
from dynolint.model.event_fields import norm_key
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

SEQUENCES = frozenset({"tuple", "list"})  # sequences a starred target takes apart by position
# methods of a container that store into it (module state when the container is)
CONTAINER_STORES = frozenset({"update", "setdefault", "append", "extend", "add", "insert", "__setitem__",
                              "appendleft", "extendleft"})  # (a deque's)


class AssignMixin(Mixin):
    # -- assignment ----------------------------------------------------------------------
    def assign(self: Machine, target: ir.Expr, value: Val, state: State, frame: Frame, site: int) -> None:
        if type(target) is ir.Name:
            name = target.id
            value = self.named_part(name, value, (frame.path, site), frame)
            value = self.steered(value, frame)
            if name in frame.declared_global and not frame.is_module and name not in frame.nonlocals:
                self.global_store(frame, site, name, "assign", None, value, state)
            elif self.import_cell(name, frame):
                # (``nonlocal table; table = ...`` in a closure a factory made at import: module-lifetime state)
                self.global_store(frame, site, f"{name} (a variable of a closure made at import)", "assign", None,
                                  value, state)
            elif frame.is_module:
                self.rebound_at_import(frame.path, name)
            state.env[name] = value
            frame.rebound.add(name)
            frame.flag_facts.pop(name, None)  # (what it held of an authorization test: model/authz.py)
            state.unalias(name)  # (the module state it named on this path: model/module_state.py)
        elif type(target) is ir.SeqE or type(target) is ir.Starred:
            self.unpack(target.elts if type(target) is ir.SeqE else (target,), value, state, frame, site)
        elif type(target) is ir.Attr:
            base = self.eval(target.value, state, frame)
            held = self.held_attribute(target.value, base, target.attr, state, frame)
            if held is not None:  # ``Config.table = ...``, ``self.x = ...``, ``config.CURRENT = ...``: module state
                self.global_store(frame, site, held[1], "assign", None, value, state, held[0])
            for alt in alts(base):
                if type(alt) is ExtV and alt.path == "boto3" and target.attr == "DEFAULT_SESSION":
                    # as setup_default_session does (a ``finally`` that sets it back clears it: model/objects.py)
                    self.set_default_session(value, (frame.path, site), frame, "boto3.DEFAULT_SESSION")
                elif type(alt) is ExtV and alt.path in REQUEST_SCOPES:
                    self.request_scope_store(alt.path, target.attr, value, frame)
                elif isinstance(alt, InstanceV):
                    if self.run_accessor(alt, f"{target.attr}.setter", [value], (frame.path, target.site),
                                         state, frame):
                        continue  # a property's setter decides what is kept
                    key = (alt.alloc, target.attr)
                    self.summaries.write(key, value, merged=True)
                elif type(alt) is CallV or type(alt) is ExtV:  # a mapping a web application keeps
                    apps.store(self, alt, target.attr, value)
                elif isinstance(alt, ClassV):  # ``cls._cache = ...``: seen by every later reader
                    self.summaries.write(class_cell(alt, target.attr), value, merged=True)
                elif isinstance(alt, PynInstanceV):
                    self.mutate_item(alt, value, state)
                    if type(target.value) is ir.Name and target.value.id not in frame.rebound:
                        frame.stored_into.add(target.value.id)  # a caller that gave it sees the change
                    for current in alts(self.lookup_instance(state, alt)):
                        if isinstance(current, PynInstanceV) and len(current.attrs) < 24:
                            self.rebind(state, current, PynInstanceV(current.model, current.key, current.read,
                                                                     current.alloc, current.arith,
                                                                     current.attrs + ((target.attr, value),)))
        elif type(target) is ir.Sub:
            self.assign_item(target, value, state, frame, site)

    def named_part(self: Machine, name: str, value: Val, loc: Loc, frame: Frame) -> Val:
        """An unnamed part of request text (a regular expression's group by position,
        ``m.group(1)``, ``m[1]``, ``.groups()`` unpacked; a piece of a split) bound to a name
        that says what it is (``tenant_id = m.group(1)``): that field of the request, as a
        named group would be. A claim of a JWT bound to such a name (``tenant_id =
        claims["tid"]``, ``tenant_id = peek(token)["target_org"]``, a parameter ``tenant_id`` given
        ``claims["tid"]``) is the tenant id the token names."""
        if any(type(alt) is ClaimsV for alt in alts(value)) and self.project.tenant_key(loc[0]).search(norm_key(name)):
            # (reported where the claim was taken out of the token's claims, if it was)
            return one_of([self.claimed_tenant(alt, name, alt.taken or loc, frame, False) if type(alt) is ClaimsV
                           else alt for alt in alts(value)])
        if type(value) is not EventV and type(value) is not OneOf and type(value) is not ElemV \
                or not any(_text_of(alt) is not None for alt in alts(value)) or not self.project.tenant_key(loc[0]).search(norm_key(name)):
            return value
        return one_of([self.event_child(text, name, loc, frame, False) if (text := _text_of(alt)) is not None
                       else alt for alt in alts(value)])

    def unpack(self: Machine, elts: tuple[ir.Expr, ...] | list[ir.Expr], value: Val, state: State, frame: Frame,
               site: int) -> None:
        """``a, b, *rest = value``: each name the part of each sequence ``value`` may be at its
        place (counted from the end after a starred name); a helper's answer unpacked keeps, in
        each part, what each return decided (model/verdicts.py)."""
        star = next((i for i, e in enumerate(elts) if isinstance(e, ir.Starred)), None)

        def part(index: int) -> Callable[[Val], Val | None]:
            def take(seq: Val) -> Val | None:
                if not isinstance(seq, SeqV):
                    return None
                if star is None:
                    return seq.elts[index] if len(seq.elts) == len(elts) else None
                if seq.kind not in SEQUENCES or len(seq.elts) < len(elts) - 1:
                    return None
                after = len(elts) - star - 1
                if index == star:
                    return SeqV("list", seq.elts[star:len(seq.elts) - after])
                return seq.elts[index] if index < star else seq.elts[index - len(elts)]
            return take

        answer = self.verdict_options(value)
        entries = _items_view(value) if star is None and len(elts) == 2 else None
        for index, element in enumerate(elts):
            take = part(index)
            taken = [found for alt in alts(value) if (found := take(alt)) is not None]
            if not taken and entries is not None:
                # ``for k, v in mapping.items()``: a key of the mapping (what iterating it gives),
                # and one of its values
                parts_of: Val = self.element(entries if index == 0 else CallV("values", entries, ()))
            elif not taken:
                parts_of = self.element(value)
            else:
                parts_of = one_of(taken)
                if answer is not None:
                    parts_of = self.note_verdict(parts_of, element_options(answer, take))
            self.assign(element.value if isinstance(element, ir.Starred) else element, parts_of, state, frame, site)

    def delete(self: Machine, stmt: ir.Delete, state: State, frame: Frame) -> None:
        """``del obj.name``: where ``name`` is a property with a deleter, the deleter runs;
        ``del os.environ[key]``: the entry of process state is removed."""
        target = stmt.target
        if isinstance(target, ir.Sub):
            base = self.eval(target.value, state, frame)
            if self.project.item_methods:
                index = self.eval(target.index, state, frame)
                for alt in alts(base):
                    self.item_dunder(alt, "__delitem__", [index], (frame.path, target.site), state, frame)
            process = process_state(base)
            if process is None and type(target.value) is ir.Attr:  # ``del SESSION.headers["X-Tenant"]``
                inner = target.value
                process = self.held_state(inner.value, self.eval(inner.value, state, frame), inner.attr, state, frame)
            if process is not None:
                self.process_removed(process, self.eval(target.index, state, frame))
            return
        accessor = f"{target.attr}.deleter"
        if accessor not in self.project.accessors:
            return
        for alt in alts(self.eval(target.value, state, frame)):
            if isinstance(alt, InstanceV):
                self.run_accessor(alt, accessor, [], (frame.path, target.site), state, frame)

    def assign_item(self: Machine, target: ir.Sub, value: Val, state: State, frame: Frame, site: int) -> None:
        base_expr = target.value
        index = self.eval(target.index, state, frame)
        base = self.eval(base_expr, state, frame)
        if self.project.item_methods and all(  # a class of the project's own that keeps items (__setitem__)
                [self.item_dunder(alt, "__setitem__", [index, value], (frame.path, target.site), state, frame)
                 is not None for alt in alts(base)]):
            return
        process = process_state(base) if frame.function is not None else None
        if process is not None:  # ``os.environ["TENANT"] = ...``: the process keeps it
            self.process_stored(frame, site, process, index, value, "item", state)
            return
        if isinstance(base_expr, ir.Name) and self.is_global_name(base_expr.id, frame):
            self.global_store(frame, site, base_expr.id, "item", index, value, state, own_key=True)
            return
        owner = None
        kept = False  # ``app.extensions[k] = ...``: a mapping an application keeps (model/apps.py)
        if isinstance(base_expr, ir.Attr):  # ``CACHE.values[k] = ...``, ``SESSION.headers[k] = ...``
            holder = self.eval(base_expr.value, state, frame)
            kept = bool(apps.app_classes(holder))
            owner = self.held_attribute(base_expr.value, holder, base_expr.attr, state, frame)
            if owner is not None:  # a container module state holds (``state.CACHE[k] = ...``)
                self.global_store(frame, site, owner[1], "item", index, value, state, owner[0], own_key=True)
        elif (entry := self.module_entry(base_expr, state, frame)) is not None:  # ``cache[k]``, ``CACHE["all"][k]``
            self.global_store(frame, site, entry[1], "item", within(entry[2], index), value, state, entry[0],
                              own_key=not entry[2])
        # what each alternative of the name becomes (``item = items[0] if items else {...}``:
        # the item read on one path, a fresh dict on the other, each changed)
        replaced: dict[Val, Val] = {}
        several = len(alts(base)) > 1
        for alt in alts(base):
            if type(alt) is InstanceV and mappings.contents_of(self, alt) is not None:
                mappings.store(self, alt, index, value)  # an instance of a dict subclass
                continue
            root = alt
            while isinstance(root, SubV):
                root = root.base
            if alt is root and isinstance(alt, ReadItemV) and isinstance(base_expr, ir.Name) \
                    and (several or self.rekeys(alt, index, value)):
                # a key attribute of (a copy of) the item read is replaced: from here on the
                # name holds another item, made of the read's other attributes; so does the item
                # read beside a default (``item = resp.get("Item") or {...}``), whose entries the
                # code then sets one by one on whichever it is
                replaced[alt] = DictV(((index, value),), (self.with_arithmetic(alt, value),))
            elif isinstance(root, (ReadItemV, PynInstanceV)):
                self.mutate_item(root, value, state)
                if isinstance(root, ReadItemV) and (held := leftmost_name(base_expr)) is not None \
                        and held not in frame.rebound:
                    frame.stored_into.add(held)  # a caller that gave it sees the change (model/calls.py)
                if alt is root and isinstance(root, ReadItemV) and 0 <= root.read:
                    self.note_assigned(root, index, value)
                    if isinstance(base_expr, ir.Attr) and isinstance(base_expr.value, ir.Name):
                        self.held_item_changed(base_expr, root, index, value, state, frame)
                if alt is not root and isinstance(root, ReadItemV) and 0 <= root.read:
                    # a part of the item changed in place (``item["a"]["b"] = v``, through any alias)
                    self.changed_in_place.setdefault(root.read, (frame.path, site))
            elif isinstance(alt, DictV) and (isinstance(base_expr, ir.Name) or kept
                                             or owner is None and ir.attribute_of(base_expr)):
                items = tuple((k, v) for k, v in alt.items if k != index) + ((index, value),)
                replaced[alt] = DictV(items, alt.spreads)
            elif is_open_mapping(alt) and isinstance(base_expr, ir.Name) and names_entry(index):
                # a dict the code was given or parsed (``body = json.loads(...)``): from here on
                # the name holds that dict with the entry stored (the rest looked up in it)
                replaced[alt] = DictV(((index, value),), (alt,))
        if replaced and isinstance(base_expr, ir.Name):
            current = state.env.get(base_expr.id, base)  # mutate_item may have rebound it
            state.env[base_expr.id] = one_of([replaced.get(a, a) for a in alts(current)])
            if base_expr.id not in frame.rebound:
                frame.stored_into.add(base_expr.id)
        elif replaced and isinstance(base_expr, ir.Attr):  # ``self.cache[cid] = item``: the object's dict
            self.assign(base_expr, one_of([replaced.get(a, a) for a in alts(base)]), state, frame, site)

    def held_item_changed(self: Machine, target: ir.Attr, item: ReadItemV, index: Val, value: Val, state: State,
                          frame: Frame) -> None:
        """``obj.attr[k] = v`` where an object's attribute holds an item read (``self.item``, a
        UserDict's ``data``): the item it holds is changed in place, arithmetic on its own
        attributes included, as the item a name holds is (``mutate_item``)."""
        owner = state.env.get(target.value.id) if isinstance(target.value, ir.Name) else None
        for alt in alts(owner) if owner is not None else ():
            if type(alt) is not InstanceV:
                continue
            if target.attr == "data" and self.derives(alt.cls, "userdict"):
                mappings.store(self, alt, index, value)
            elif (changed := self.with_arithmetic(item, value)) is not item and any(
                    isinstance(held, ReadItemV) and held.read == item.read
                    for held in alts(self.summaries.heap_get((alt.alloc, target.attr)) or UNKNOWN)):
                self.summaries.write((alt.alloc, target.attr), changed, merged=True)

    def rekeys(self: Machine, item: ReadItemV, index: Val, value: Val) -> bool:
        """Does ``item[index] = value`` give a key attribute of the item read another value?"""
        name = const_str(index)
        if name is None or not 0 <= item.read < len(self.reads):
            return False
        read_map = self.index.key_map(self.reads[item.read].key)
        return read_map is not None and bool(read_map) and name in read_map and value is not UNKNOWN \
            and not self.index.equal(read_map[name], value)

    def lookup_instance(self: Machine, state: State, instance: PynInstanceV) -> Val:
        """The current version of a PynamoDB instance in the environment (after mutations)."""
        for value in state.env.values():
            for alt in alts(value):
                if isinstance(alt, PynInstanceV) and alt.alloc == instance.alloc and alt.read == instance.read:
                    return alt
        return instance

    def rebind(self: Machine, state: State, old: Val, new: Val) -> None:
        for name, value in list(state.env.items()):
            if value == old:
                state.env[name] = new
            elif any(a == old for a in alts(value)):
                state.env[name] = one_of(new if a == old else a for a in alts(value))

    def module_object(self: Machine, expr: ir.Expr, value: Val, frame: Frame) -> str | None:
        """A name for the object ``expr`` evaluates to (``value``), when it is module state
        seen from a function: a module global holding a project class or instance, or an
        instance made at import by any name (``self`` in its methods, an alias). What is
        stored on it outlives the invocation as a global does; None otherwise."""
        if frame.function is None:
            return None
        if type(expr) is ir.Name and self.is_global_name(expr.id, frame) \
                and any(isinstance(alt, (ClassV, InstanceV)) for alt in alts(value)):
            return expr.id
        return next((apps.object_name(alt) or f"{alt.cls.qualname}()" for alt in alts(value)
                     if isinstance(alt, InstanceV) and alt.alloc in self.module_instances), None) or \
            next((alt.qualname for alt in alts(value)  # a class by any name (``cls`` in a classmethod)
                  if isinstance(alt, ClassV) and "<locals>" not in alt.qualname), None)

    def held_state(self: Machine, expr: ir.Expr, value: Val, attr: str, state: State, frame: Frame) -> str | None:
        """The name of the module state ``expr.attr`` is, seen from a function, or None: an
        attribute of a module object (``module_object``), or an attribute in which an HTTP
        session kept as module state keeps state for its later requests (library rows
        ``SESSION_STATE``): a session held by a module global (``SESSION.headers``), returned by
        a cached factory (``session().headers``), or made at import and reached any other way
        (an alias, a parameter, ``self.http`` of a module-level instance)."""
        held = self.module_object(expr, value, frame)
        if held is not None:
            return f"{held}.{attr}"
        if frame.function is None or attr not in session_state(value):
            return None
        owner: str | None = None
        if type(expr) is ir.Name and self.is_global_name(expr.id, frame):
            owner = expr.id
        elif type(expr) is ir.Call and not expr.args and not expr.kwargs:
            owner = self.cached_factory(expr.func, state, frame)  # ``session().headers``: its one session
        if owner is None:
            made = next((alt for alt in alts(value) if type(alt) is CostlyV and alt.loc in self.module_instances), None)
            if made is None:
                return None
            owner = f"{session_maker(made)}()"
        self.session_states.add(f"{owner}.{attr}")
        return f"{owner}.{attr}"

    def held_container(self: Machine, receiver: ir.Expr | None, method: str, args: list[Val], state: State,
                       frame: Frame) -> Entry | None:
        """The module state that calling ``method`` on ``receiver`` stores into, as (module,
        name, the keys of a container inside it): a module global by any name
        (``CACHE.update(...)``, an alias, ``state.SEEN.add(...)``: model/module_state.py), a
        container a module object holds (``STATE.seen.add(...)``), an
        HTTP session's headers or cookies (``SESSION.headers.update(...)``,
        ``SESSION.cookies.set(...)``); None for any other call. An entry removed from a
        session's state (``SESSION.headers.pop("X-Tenant")``) is noted, as a removed
        environment entry is."""
        if type(receiver) is ir.Name:
            name = receiver.id
            if method in LOGGER_STORES and frame.function is not None and self.is_global_name(name, frame):
                logger = self.eval(receiver, state, frame)  # a logger the module holds: process state
                return (frame.path, name, ()) if any(isinstance(alt, CallV) and alt.fn in LOGGER_MAKERS
                                                     for alt in alts(logger)) else None
            if method in QUEUE_STORES and self.is_global_name(name, frame):  # ``PENDING.put(row)``
                made = self.eval(receiver, state, frame)
                return (frame.path, name, ()) if any(isinstance(alt, CallV) and alt.fn in QUEUE_MAKERS
                                                     for alt in alts(made)) else None
            return self.module_entry(receiver, state, frame) if method in CONTAINER_STORES else None
        if type(receiver) is ir.Sub:  # ``CACHE["all"].append(...)``
            return self.module_entry(receiver, state, frame) if method in CONTAINER_STORES else None
        if type(receiver) is not ir.Attr or frame.function is None or \
                method not in CONTAINER_STORES and method not in SESSION_STORES and method not in SESSION_REMOVES:
            return None
        held = self.held_attribute(receiver.value, self.eval(receiver.value, state, frame), receiver.attr, state,
                                   frame)
        if held is None or held[1] not in self.session_states:
            return (*held, ()) if held is not None and method in CONTAINER_STORES else None
        if method in SESSION_REMOVES:
            self.process_removed(held[1], args[0] if args else UNKNOWN)
            return None
        return (*held, ())

    def cached_factory(self: Machine, func: ir.Expr, state: State, frame: Frame) -> str | None:
        """``name()`` for a project function called without arguments whose result is cached
        (``@lru_cache``, ``@cache``): every call in the process gets the one object it made
        first, so what is stored on it is module state; None for any other callee."""
        for alt in alts(self.eval(func, state, frame)):
            function = self.project.functions.get((alt.path, alt.qualname)) if type(alt) is FuncV else None
            if function is not None and type(alt) is FuncV and self.cached_function(function, alt.path):
                return f"{function.qualname}()"
        return None

    def is_global_name(self: Machine, name: str, frame: Frame) -> bool:
        if frame.is_module:
            return False
        if name in frame.declared_global:
            return name not in frame.nonlocals  # ``nonlocal``: the enclosing function's variable
        if name in frame.locals:
            return False
        if frame.closure is not None and name in frame.closure:
            return False
        # (while the module body runs, a function it calls, a decorator applied, stores into
        # the globals bound so far: ``@route("topup")`` filling ``ROUTES``)
        return name in self.run_module(frame.path, own=True)


def process_state(value: Val) -> str | None:
    """The name of the process-wide state (``os.environ``) ``value`` is, if it is one."""
    return next((PROCESS_STATE[alt.path] for alt in alts(value) if type(alt) is ExtV and alt.path in PROCESS_STATE),
                None)


def _text_of(value: Val) -> EventV | None:
    """The request text ``value`` is an unnamed part of, if it is one."""
    if type(value) is ElemV:
        value = value.of
        if type(value) is EventV:
            return EventV(value.path[:-1], value.trusted) if value.path[-1:] == ("?",) else value
        return None
    if type(value) is EventV and value.path[-1:] == ("?",):
        return EventV(value.path[:-1], value.trusted)
    return None


def _items_view(value: Val) -> Val | None:
    """The mapping whose ``items()`` ``value`` is an entry of (an element of ``m.items()`` the
    model cannot enumerate), when every alternative is one."""
    options = alts(value)
    mappings = [alt.of.recv for alt in options if type(alt) is ElemV and type(alt.of) is CallV
                and alt.of.fn == "items" and alt.of.recv is not None and not alt.of.args]
    return one_of(mappings) if options and len(mappings) == len(options) else None
