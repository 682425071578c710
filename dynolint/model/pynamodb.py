"""PynamoDB semantics: which classes are models (their key, version and attributes),
what ``Model.get/query/scan`` read and what ``save/update/delete`` write, with which guard
(``condition=``, a ``VersionAttribute``), on an instance or through ``super()`` from a model
that overrides them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynolint.model.literals import elements
from dynolint.model.conditions import condition_pins
from dynolint.model.events import NO_GUARD, Guard
from dynolint.model.key_facts import pyn_key
from dynolint.model.events import lists_items
from dynolint.model.values import (
    EXEC, NONE, UNKNOWN, ArithV, AttrV, CallV, ClassV, ConstV, ExtV, InstanceV, Loc, OpaqueV, ParamV, PynActionV,
    PynAttrV, PynBatchV, PynInstanceV, PynModelV, SeqV, Val, alts,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State


def _given(range_value: Val | None) -> Val | None:
    """A range key given, or None: ``None`` itself (``cls.get(hash_key, range_key)`` of a helper
    whose caller gave none) is no range key."""
    return None if range_value is None or range_value == NONE else range_value


@dataclass(frozen=True, slots=True)
class PynInfo:
    hash_key: str | None
    range_key: str | None
    version: str | None
    attributes: frozenset[str]


class PynamoMixin(Mixin):
    # -- PynamoDB -------------------------------------------------------------------------
    def pyn_model(self: Machine, cls: ClassV, depth: int = 0) -> PynModelV | None:
        key = (cls.path, cls.qualname)
        if key in self.pyn_models:
            return self.pyn_models[key]
        self.pyn_models[key] = None
        result = None
        if depth < 6:
            for base in self.class_bases(cls):
                for alt in alts(base):
                    if isinstance(alt, ExtV) and (alt.path.endswith("pynamodb.models.Model")
                                                  or alt.path in ("pynamodb.Model", "Model")
                                                  and alt.path.startswith("pynamodb")):
                        result = PynModelV(cls)
                    elif isinstance(alt, ClassV) and self.pyn_model(alt, depth + 1) is not None:
                        result = PynModelV(cls)
        self.pyn_models[key] = result
        return result

    def pyn_info(self: Machine, model: PynModelV) -> PynInfo:
        key = (model.cls.path, model.cls.qualname)
        if key in self.pyn_infos:
            return self.pyn_infos[key]
        self.pyn_infos[key] = PynInfo(None, None, None, frozenset())
        hash_key = range_key = version = None
        attributes: set[str] = set()
        chain = [model.cls] + [b for b in self.class_bases(model.cls) if isinstance(b, ClassV)]
        for cls in chain:
            for name, value in self.class_env(cls).items():
                for alt in alts(value):
                    if not isinstance(alt, CallV) or "Attribute" not in alt.fn:
                        continue
                    attributes.add(name)
                    options = dict(alt.kwargs)
                    if self.const_true(options.get("hash_key", ConstV(False))):
                        hash_key = hash_key or name
                    if self.const_true(options.get("range_key", ConstV(False))):
                        range_key = range_key or name
                    if alt.fn.endswith("VersionAttribute"):
                        version = version or name
        info = PynInfo(hash_key, range_key, version, frozenset(attributes))
        self.pyn_infos[key] = info
        return info

    def pyn_model_instance(self: Machine, cls: ClassV, loc: Loc, key: Val | None = None) -> PynInstanceV | None:
        model = self.pyn_model(cls)
        if model is None:
            return None
        return PynInstanceV(model, (key if key is not None else ParamV(cls.qualname, "self"),), -1, loc)

    def pyn_construct(self: Machine, cls: ClassV, args: list[Val], kwargs: dict[str, Val], loc: Loc) -> Val | None:
        model = self.pyn_model(cls)
        if model is None:
            return None
        info = self.pyn_info(model)
        hash_value = args[0] if args else kwargs.get(info.hash_key or "", kwargs.get("hash_key", UNKNOWN))
        range_value = _given(args[1] if len(args) > 1 else kwargs.get(info.range_key or "", kwargs.get("range_key")))
        key = (hash_value,) if range_value is None else (hash_value, range_value)
        # (a third positional argument is PynamoDB's ``_user_instantiated``, not an attribute)
        others = tuple((k, v) for k, v in sorted(kwargs.items()) if k not in (info.hash_key, info.range_key))
        return PynInstanceV(model, key, -1, loc, attrs=others)

    def pyn_index_model(self: Machine, value: Val) -> PynModelV | None:
        """The model whose index ``value`` is (``Invite.by_email``, a class attribute holding an
        instance of a ``GlobalSecondaryIndex`` or ``LocalSecondaryIndex`` subclass), else None."""
        if type(value) is not AttrV or type(value.base) is not PynModelV:
            return None
        held = self.class_attr(value.base.cls, value.name)
        if held is not None and any(type(alt) is InstanceV and isinstance(alt.cls, ClassV)
                                    and self.derives(alt.cls, "pynamodb_index") for alt in alts(held)):
            return value.base
        return None

    def pyn_model_call(self: Machine, model: PynModelV, name: str, args: list[Val], kwargs: dict[str, Val],
                       loc: Loc, state: State, frame: Frame, index: bool = False) -> Val:
        """A method of a model's class; with ``index``, of one of its indexes (whose items are
        the model's, their keys not the index's)."""
        if name == "get":
            hash_value = args[0] if args else kwargs.get("hash_key", UNKNOWN)
            range_value = _given(args[1] if len(args) > 1 else kwargs.get("range_key"))
            parts = (hash_value,) if range_value is None else (hash_value, range_value)
            instance = PynInstanceV(model, parts, -1, loc)
            read = self.emit_read("Model.get", model, pyn_key(instance), loc, state, frame,
                                  consistent=self.const_true(kwargs.get("consistent_read", ConstV(False))))
            self.ddb_data_call(EXEC, model, "get", pyn_key(instance), False, loc, frame)
            return PynInstanceV(model, parts, read, loc)
        if name in ("query", "scan", "count", "batch_get"):
            read = self.emit_read(f"Model.{name}", model, None, loc, state, frame)
            if kwargs.get("filter_condition") is not None or name == "scan" and args or name == "query" and len(args) > 2:
                state.examined = state.examined | {read}  # a filter chose the items by what they held
            scope = args[0] if args and name in ("query", "count") else None
            if name == "batch_get" and args:
                scope = args[0]
            self.ddb_data_call(EXEC, model, name, scope, name == "scan", loc, frame)
            hash_value = args[0] if args and name == "query" and not index else UNKNOWN
            return SeqV("items", (PynInstanceV(model, (hash_value,), read, loc),))
        if name == "batch_write":
            return PynBatchV(model)
        return CallV(name, model, tuple(args))

    def pyn_instance_call(self: Machine, instance: PynInstanceV, name: str, args: list[Val], kwargs: dict[str, Val],
                          loc: Loc, state: State, frame: Frame) -> Val:
        method = self.find_method(instance.model.cls, name)
        if method is not None:
            return self.invoke(method, instance, args, kwargs, loc, state, frame)
        return self.pyn_library_call(instance, name, args, kwargs, loc, state, frame)

    def pyn_library_call(self: Machine, instance: PynInstanceV, name: str, args: list[Val], kwargs: dict[str, Val],
                         loc: Loc, state: State, frame: Frame) -> Val:
        """A method of PynamoDB's ``Model`` itself (also reached by ``super().save()`` from a
        model that overrides it)."""
        if name in ("save", "update", "delete"):
            self.pyn_write(instance, name, args, kwargs, loc, state, frame)
            return OpaqueV(loc, ())
        if name == "refresh":  # a get_item whose answer replaces the instance's attributes in place
            read = self.emit_read("Model.refresh", instance.model, pyn_key(instance), loc, state, frame,
                                  consistent=self.const_true(args[0] if args else kwargs.get("consistent_read",
                                                                                             ConstV(False))))
            self.ddb_data_call(EXEC, instance.model, "get", pyn_key(instance), False, loc, frame)
            current = self.lookup_instance(state, instance)
            self.rebind(state, current, PynInstanceV(instance.model, instance.key, read, instance.alloc))
            return NONE
        return CallV(name, instance, tuple(args))

    def pyn_write(self: Machine, instance: PynInstanceV, name: str, args: list[Val], kwargs: dict[str, Val],
                  loc: Loc, state: State, frame: Frame, flavor: str = "pynamodb") -> None:
        info = self.pyn_info(instance.model)
        condition = kwargs.get("condition")
        if condition is None and name in ("save", "delete") and args:
            condition = args[0]
        if condition is None and name == "update" and len(args) > 1:
            condition = args[1]
        add_version = kwargs.get("add_version_condition", ConstV(True))
        versioned = bool(info.version) and not (isinstance(add_version, ConstV) and add_version.value is False)
        if condition is not None and condition != NONE:
            # with a VersionAttribute, PynamoDB adds its own version check to the condition: a guard
            guard = Guard("condition", "condition=", None if versioned else condition_pins("condition=", condition, None))
        elif info.version and not (isinstance(add_version, ConstV) and add_version.value is False):
            guard = Guard("version", f"VersionAttribute {info.version}")
        else:
            guard = NO_GUARD
        key = pyn_key(instance)
        # an instance a query or scan listed (its key is the query's hash key at most): the item that read returned
        listed = instance if 0 <= instance.read < len(self.reads) and lists_items(self.reads[instance.read]) else None
        if name == "save":
            given = tuple(value for _, value in instance.attrs)
            self.emit_write("save", instance.model, key, instance, guard, (instance, *given), False,
                            False, flavor, loc, state, frame)
        elif name == "update":
            actions = kwargs.get("actions", args[0] if args else UNKNOWN)
            items = elements(actions)
            # built around an atomic action, as an update expression is (model/ddb_writes.py): a
            # ``set`` beside it of a value that came from a read is caught by what the values carry
            atomic = any(self.pyn_action_atomic(a) and self.pyn_action_counts(a) for a in items)
            values = tuple(v for a in items for alt in alts(a) if isinstance(alt, PynActionV)
                           for v in (alt.value,) if v is not None)
            # the attributes its actions give a value (a version it bumps: ``Loan.renewals.add(1)``)
            bumped = tuple(sorted({alt.attr for a in items for alt in alts(a)
                                   if isinstance(alt, PynActionV) and alt.action in ("set", "add")}))
            self.emit_write("update", instance.model, key, listed, guard, values, atomic, False, flavor,
                            loc, state, frame, assigned=bumped)
        else:
            self.emit_write("delete", instance.model, key, listed, guard, (), False, False, flavor, loc, state, frame)
        self.ddb_data_call(EXEC, instance.model, name, key, False, loc, frame)

    def pyn_action_atomic(self: Machine, action: Val) -> bool:
        for alt in alts(action):
            if not isinstance(alt, PynActionV):
                return False
            if alt.action == "set":
                if alt.value is None or not self.mentions_attr(alt.value, alt.attr):
                    return False
        return True

    def pyn_action_counts(self: Machine, action: Val) -> bool:
        """Is the action one that writes a value (every action but ``remove``), as an update
        expression's atomic clauses are (REMOVE aside: model/ddb_writes.py)?"""
        return any(isinstance(alt, PynActionV) and alt.action != "remove" for alt in alts(action))

    def mentions_attr(self: Machine, value: Val, attr: str) -> bool:
        for alt in alts(value):
            if isinstance(alt, PynAttrV) and alt.name == attr:
                return True
            if isinstance(alt, ArithV):
                if self.mentions_attr(alt.left, attr) or self.mentions_attr(alt.right, attr):
                    return True
            if isinstance(alt, CallV) and alt.fn in ("append", "prepend") and alt.recv is not None \
                    and self.mentions_attr(alt.recv, attr):
                return True  # ``(Post.tags | []).append([tag])``: DynamoDB's list_append
            if isinstance(alt, PynActionV) and alt.action in ("append", "prepend") and alt.attr == attr:
                return True  # ``Post.tags.append([tag])``, the same
        return False
