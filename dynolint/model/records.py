"""Objects that hold a record: dataclasses, attrs classes, namedtuples and pydantic models.

Projects read an item, load it into such an object (``Order(**item)``,
``Order.model_validate(item)``, ``dacite.from_dict(Order, item)``), change a field, and turn
it back into a dict to write (``order.model_dump()``, ``dataclasses.asdict(order)``). The
object's fields are the item's attributes on the way: each field is the value it was made
from (``item["pk"]``), kept on the object as any attribute is, and the dict made from the
object has those fields as entries. What the libraries do is the rows below.

(What a call spreads with ``**`` into keyword arguments: :mod:`dynolint.model.keywords`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.literals import as_kwargs
from dynolint.model.containers import typed_dict
from dynolint.model import mappings
from dynolint.model.external import decoded
from dynolint.model.key_parts import ATTRIBUTE_VALUE_TYPES
from dynolint.model.library import NAMESPACES, PYDANTIC_BASES, SETTINGS_BASES
from dynolint.model import apps
from dynolint.model.settings_models import env_prefix, field_alias, setting
from dynolint.model.mixin import Mixin
from dynolint.model.values import (
    UNKNOWN, AttrV, CallV, ClassV, ConstV, DictV, ExtV, FuncV, InstanceV, Loc, ParamV, Val, alts, const_str,
    one_of,
)
from dynolint.model.values_aws import ReadItemV

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

DATACLASS_DECORATORS = frozenset({
    "dataclasses.dataclass", "dataclass", "attr.s", "attr.attrs", "attr.define", "attr.frozen",
    "attrs.define", "attrs.frozen", "pydantic.dataclasses.dataclass",
})
FIELD_CALLS = frozenset({"dataclasses.field", "field", "attr.ib", "attr.field", "attrs.field"})
# base classes whose subclasses take their annotated fields as keyword arguments
MODEL_BASES = PYDANTIC_BASES | SETTINGS_BASES | {"msgspec.Struct"}
# functions that turn a record into a dict of its fields (the record is the first argument)
TO_DICT_FUNCTIONS = frozenset({
    "dataclasses.asdict", "attr.asdict", "attrs.asdict", "vars", "msgspec.structs.asdict",
    "pydantic.json.pydantic_encoder", "fastapi.encoders.jsonable_encoder", "cattrs.unstructure",
    "msgspec.to_builtins",
})
# methods of a record that return its fields as JSON text (pydantic v2 and v1)
TO_JSON_METHODS = frozenset({"model_dump_json", "json"})
# methods of a record that return a dict of its fields
TO_DICT_METHODS = frozenset({"model_dump", "dict", "_asdict", "to_dict", "as_dict", "asdict"})
# functions and methods that copy a record with some fields changed (keyword arguments; for
# ``model_copy``/``copy``, the ``update=`` dict)
REPLACE_FUNCTIONS = frozenset({"dataclasses.replace", "attr.evolve", "attrs.evolve", "copy.replace"})
REPLACE_METHODS = frozenset({"_replace", "model_copy", "copy"})
# boto3's converters between plain values and the typed AttributeValue form ({"S": ...}):
# a value and its typed form name the same thing (keys compare without the type tag)
TYPED_CONVERTERS = frozenset({"boto3.dynamodb.types.TypeSerializer", "boto3.dynamodb.types.TypeDeserializer"})
# class methods that make a record from a dict (the dict is the first argument)
FROM_DICT_METHODS = frozenset({"model_validate", "parse_obj", "from_dict", "construct", "model_construct"})
# class methods that make a record from JSON text (the text is the first argument)
FROM_JSON_METHODS = frozenset({"model_validate_json", "parse_raw"})
# functions that make a record from a dict: path -> (position of the class, of the dict, their keywords)
FROM_DICT_FUNCTIONS = {
    "dacite.from_dict": (0, 1, "data_class", "data"),
    "cattrs.structure": (1, 0, "cl", "obj"),
    "pydantic.parse_obj_as": (0, 1, "type_", "obj"),
    "msgspec.convert": (1, 0, "type", "obj"),
    # Powertools' parser: the event itself, or what an API Gateway envelope takes out of it (the body)
    "aws_lambda_powertools.utilities.parser.parse": (1, 0, "model", "event"),
}
POWERTOOLS_PARSE = "aws_lambda_powertools.utilities.parser.parse"


SPREAD = "**"  # where a namespace keeps what was spread into it (no attribute has this name)


def is_namespace(value: Val) -> bool:
    """Is ``value`` an object a ``NAMESPACES`` class made?"""
    return type(value) is InstanceV and f"{value.cls.path}.{value.cls.qualname}" in NAMESPACES


POST_INIT = ("__post_init__", "__attrs_post_init__")  # what a record class's generated __init__ calls last


class RecordsMixin(Mixin):
    # -- making objects: ``cls(*args, **kwargs)`` ---------------------------------------
    def instantiate(self: Machine, cls: ClassV, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                    state: State, frame: Frame, spread: tuple[Val, ...] = ()) -> Val:
        """``cls(*args, **kwargs)``; ``spread``: mappings passed with ``**`` whose names the
        model does not know (``Override(**{k: v for k, v in item.items() if ...})``)."""
        if len(args) == 1 and not kwargs and self.enum_class(cls):
            return args[0]  # the member of that value: the model keeps a member as its value
        if len(args) <= 1 and self.derives(cls, "typeddict"):
            return typed_dict([*args, DictV((), spread)] if spread else args, kwargs)
        pyn = self.pyn_construct(cls, args, kwargs, loc)
        if pyn is not None:
            return pyn
        instance = InstanceV(cls, self.allocation(loc, frame))
        if frame.qualname == "<module>" and len(self.module_instances) < 10_000:
            self.module_instances.add(loc)  # made at import: shared by every invocation of the process
        init = self.find_method(cls, "__init__")
        if init is None and self.derives(cls, "mapping"):  # a dict subclass: the entries it is given
            mappings.fill(self, instance, args, kwargs)  # (an __init__ of its own passes them to super())
        if init is not None:
            self.invoke(init, instance, args, kwargs, loc, state, frame)
        else:
            self.dataclass_init(cls, instance, args, kwargs, state, frame, spread, loc)
        return instance

    def allocation(self: Machine, loc: Loc, frame: Frame) -> Loc:
        """The allocation site of an object made at ``loc``: the objects one invocation makes
        are not another's, so one made while a function root runs is that root's (its
        attributes are cells of their own); one made at import, while a module body, a class
        body or a method root's receiver is filled in, is shared by every root."""
        if frame.qualname == "<module>" or self.summaries.footprint.filling or self.roots[frame.root].module_root:
            return loc
        self.summaries.effect()  # (a call that makes one is not summarised: the next root's is another)
        return (loc[0], loc[1], frame.root)  # type: ignore[return-value]

    # -- which fields a class has -----------------------------------------------------------
    def dataclass_fields(self: Machine, cls: ClassV, depth: int = 0) -> list[tuple[str, ir.Expr | None]] | None:
        """The fields of a record class, in ``__init__`` order, with their defaults; None: not
        a record class (a dataclass or attrs class, a namedtuple, a model of a MODEL_BASES)."""
        klass = self.project.classes.get((cls.path, cls.qualname))
        if klass is None or depth > 6:
            return None
        inherited: list[tuple[str, ir.Expr | None]] = []
        bases = self.class_bases(cls)
        record_base = False
        for base in bases:
            if isinstance(base, ClassV):
                found = self.dataclass_fields(base, depth + 1)
                record_base = record_base or found is not None
                inherited.extend(found or [])
        external = [b.path for base in bases for b in alts(base) if isinstance(b, ExtV)]
        named_tuple = klass.record or any(path.rsplit(".", 1)[-1] == "NamedTuple" for path in external)
        # (a subclass of a project model is a model with fields of its own: ``class Event(StoredItem)``,
        # also of one that declares none, only its settings: ``class Entity(BaseModel): model_config = ...``)
        model = any(path in MODEL_BASES for path in external) or record_base and self.derives(cls, "record_model")
        if not named_tuple and not model and not any(p in DATACLASS_DECORATORS
                                                     for p in self.decorator_paths(cls.path, klass.decorators)):
            return inherited if inherited and depth else None
        defaults = {stmt.targets[0].id: stmt.value for stmt in klass.body
                    if isinstance(stmt, ir.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ir.Name)}
        names = [n for n, _ in inherited]
        out = [f for f in inherited]
        for name in klass.fields:
            entry = (name, defaults.get(name))
            if name in names:
                out[names.index(name)] = entry
            else:
                out.append(entry)
        return out

    # -- making a record ---------------------------------------------------------------------
    def dataclass_init(self: Machine, cls: ClassV, instance: InstanceV, args: list[Val], kwargs: dict[str, Val],
                       state: State, frame: Frame, spread: tuple[Val, ...] = (), loc: Loc | None = None) -> bool:
        """The ``__init__`` a record class gets from its library: each field from its
        argument (or the entry of that name of a mapping spread into the call: ``Cls(**item)``),
        else its default or ``default_factory()``; then, called at ``loc``, the class's post-init
        hook (``self.repo = self.repo or Repo(self.resources)``). False: not such a class."""
        fields = self.dataclass_fields(cls)
        if fields is None:
            return False
        rest = list(args)
        prefix = env_prefix(self, cls)
        for name, default in fields:
            if rest:
                value = rest.pop(0)
            elif name in kwargs:
                value = kwargs[name]
            elif spread:
                value = one_of(self.get_item(mapping, ConstV(name), (frame.path, -1), state, frame) for mapping in spread)
            elif prefix is not None:  # a settings model's field: its environment variable, else its default
                value = setting(prefix, name, default, self.field_default(default, state, frame, cls)
                                if default is not None else None)
            elif default is not None:
                value = self.field_default(default, state, frame, cls)
            else:
                continue
            self.summaries.write((instance.alloc, name), value, merged=False)
        hook = next((m for m in (self.find_method(cls, n) for n in POST_INIT) if m is not None), None)
        if hook is not None and loc is not None:
            self.invoke(hook, instance, [], {}, loc, state, frame)
        return True

    def field_default(self: Machine, default: ir.Expr, state: State, frame: Frame, cls: ClassV) -> Val:
        """A field's default: ``field(default_factory=f)`` calls ``f``; ``field(default=x)``
        and a plain ``= x`` are ``x`` (evaluated in the class body)."""
        if isinstance(default, ir.Call):
            called = self.peek(default.func, state.copy(), self.module_frame(cls.path))
            if any(isinstance(a, ExtV) and a.path in FIELD_CALLS for a in alts(called)):
                for keyword, expr in default.kwargs:
                    if keyword in ("default_factory", "factory"):
                        factory = self.eval(expr, state, self.module_frame(cls.path))
                        node = ir.Call(expr, (), (), default.site)
                        return self.apply(factory, [], {}, (), node, (cls.path, default.site), state, frame)
                    if keyword == "default":
                        return self.eval(expr, state, self.module_frame(cls.path))
                return UNKNOWN
            # a helper that makes the field (``_env("TABLE")`` returning ``field(default_factory=...)``)
            helpers = [a for a in alts(called) if isinstance(a, FuncV)]
            made = self.eval(default, state.copy(), self.module_frame(cls.path)) if helpers else UNKNOWN
            for spec in alts(made):
                if isinstance(spec, CallV) and spec.recv is None and spec.fn in FIELD_CALLS:
                    given = dict(spec.kwargs)
                    maker = given.get("default_factory", given.get("factory"))
                    if maker is not None:
                        return self.apply(maker, [], {}, (), ir.Call(default, (), (), default.site),
                                          (cls.path, default.site), state, frame)
                    return given.get("default", UNKNOWN)
        env = self.class_env(cls)
        if isinstance(default, ir.Name) and default.id in env:
            return env[default.id]
        from dynolint.model.state import State as StateCls

        return self.peek(default, StateCls(dict(env)), self.module_frame(cls.path))  # ``= "slug"``, ``= X.y``

    def record_from(self: Machine, cls: Val, data: Val, loc: Loc, state: State, frame: Frame) -> Val | None:
        """``Cls.model_validate(data)``, ``dacite.from_dict(Cls, data)``: a record made with
        the entries of ``data`` as its fields."""
        made: list[Val] = []
        for alt in alts(cls):
            fields = self.dataclass_fields(alt) if isinstance(alt, ClassV) else None
            if fields is None or not isinstance(alt, ClassV):
                return None
            kwargs = {name: self.get_item(data, ConstV(field_alias(default, "validation_alias") or name), loc, state,
                                          frame, quiet=True) for name, default in fields}
            made.append(self.instantiate(alt, [], kwargs, loc, state, frame))
        return one_of(made) if made else None

    # -- namespaces: objects whose attributes are what they were made with (``NAMESPACES``) --------
    def make_namespace(self: Machine, path: str, kwargs: dict[str, Val], spreads: tuple[Val, ...],
                       loc: Loc) -> InstanceV:
        """``SimpleNamespace(**item, k=v)``: an object holding each keyword as an attribute, and
        the values spread that the model cannot enumerate (under a name no attribute has)."""
        module, _, name = path.rpartition(".")
        made = InstanceV(ClassV(module, name), loc)
        if spreads:
            self.summaries.write((loc, SPREAD), one_of(spreads), merged=True)
        for keyword, value in kwargs.items():
            self.summaries.write((loc, keyword), value, merged=True)
        return made

    def namespace_attr(self: Machine, made: InstanceV, name: str, loc: Loc, frame: Frame, quiet: bool) -> Val:
        """``ns.name``: what was stored on it, else that entry of what it was made from;
        ``ns.__dict__``: all of them as a dict."""
        if name == "__dict__":
            return self.namespace_dict(made)
        stored = self.summaries.heap_get((made.alloc, name))
        spread = self.summaries.heap_get((made.alloc, SPREAD))
        if stored is None and spread is None and apps.object_name(made):
            return ParamV("app.state", name)  # (what the application keeps that the project never set: typed by use)
        if stored is not None or spread is None:
            return stored if stored is not None else AttrV(made, name)
        return one_of(self._item_one(alt, ConstV(name), loc, frame, quiet) for alt in alts(spread))

    def namespace_dict(self: Machine, made: InstanceV) -> DictV:
        names = sorted(self.heap_names.get(made.alloc, set()) - {SPREAD})
        items = tuple((ConstV(name), value) for name in names
                      for value in (self.summaries.heap_get((made.alloc, name)),) if value is not None)
        spread = self.summaries.heap_get((made.alloc, SPREAD))
        return DictV(items, (spread,) if spread is not None else ())

    # -- a record turned back into a dict ------------------------------------------------------
    def record_dict(self: Machine, value: Val, loc: Loc, state: State, frame: Frame,
                    by_alias: bool = False) -> Val | None:
        """The dict of a record's fields (``asdict(order)``, ``order.model_dump()``; with
        ``by_alias``, under the names ``Field(alias=...)`` gives them); None when ``value`` is
        not a record the model made."""
        if alts(value) and all(is_namespace(alt) for alt in alts(value)):  # ``vars(ns)``
            return one_of(self.namespace_dict(alt) for alt in alts(value) if isinstance(alt, InstanceV))
        out: list[Val] = []
        for alt in alts(value):
            fields = self.dataclass_fields(alt.cls) if isinstance(alt, InstanceV) else None
            if fields is None or not isinstance(alt, InstanceV):
                return None
            out.append(DictV(tuple((ConstV(by_alias and field_alias(default, "serialization_alias") or name),
                                    self.get_attr(alt, name, loc, state, frame, quiet=True))
                                   for name, default in fields)))
        return one_of(out) if out else None

    def record_copy(self: Machine, value: Val, changes: dict[str, Val], loc: Loc, state: State,
                    frame: Frame) -> Val | None:
        """``dataclasses.replace(record, **changes)``: a new record of the same class with the
        same fields but ``changes``."""
        out: list[Val] = []
        for alt in alts(value):
            fields = self.dataclass_fields(alt.cls) if isinstance(alt, InstanceV) else None
            if fields is None or not isinstance(alt, InstanceV):
                return None
            kwargs = {name: changes[name] if name in changes else self.get_attr(alt, name, loc, state, frame, quiet=True)
                      for name, _ in fields}
            out.append(self.instantiate(alt.cls, [], kwargs, loc, state, frame))
        return one_of(out) if out else None

    def record_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                      state: State, frame: Frame) -> Val | None:
        """A record library's method the project's class does not define: ``model_dump()``,
        ``Cls.model_validate(data)``, ``record._replace(a=1)``, ``model.model_copy(update={...})``."""
        if name in ("serialize", "deserialize") and len(args) == 1 and any(
                isinstance(a, CallV) and a.recv is None and a.fn in TYPED_CONVERTERS for a in alts(recv)):
            return self.typed(args[0], name == "serialize")
        if name in REPLACE_METHODS:
            if all(isinstance(a, InstanceV) and self.find_method(a.cls, name) is None for a in alts(recv)):
                changes = dict(kwargs) if name == "_replace" else as_kwargs(kwargs.get("update", UNKNOWN))
                return self.record_copy(recv, changes, loc, state, frame)
        elif name in TO_JSON_METHODS and not args:  # ``json.loads(order.model_dump_json())``: the dict again
            if all(isinstance(a, InstanceV) and self.find_method(a.cls, name) is None for a in alts(recv)):
                fields = self.record_dict(recv, loc, state, frame, self.const_true(kwargs.get("by_alias", UNKNOWN)))
                return CallV("json.dumps", None, (fields,)) if fields is not None else None
        elif name in TO_DICT_METHODS:
            if all(isinstance(a, InstanceV) and self.find_method(a.cls, name) is None for a in alts(recv)):
                return self.record_dict(recv, loc, state, frame, self.const_true(kwargs.get("by_alias", UNKNOWN)))
        elif (name in FROM_DICT_METHODS or name in FROM_JSON_METHODS) and args:
            data = args[0] if name in FROM_DICT_METHODS else decoded("json.loads", args[0])
            if data is not None and all(isinstance(a, ClassV) and self.find_method(a, name) is None
                                        for a in alts(recv)):
                return self.record_from(recv, data, loc, state, frame)
        return None

    def typed(self: Machine, value: Val, serialize: bool) -> Val:
        """``TypeSerializer().serialize(v)``: a mapping becomes ``{"M": v}`` (so that
        ``["M"]`` gives it back), anything else stays itself (keys compare without the
        type tag); ``TypeDeserializer().deserialize(v)`` unwraps a one-entry typed dict."""
        if serialize:
            if any(isinstance(a, (DictV, ReadItemV)) for a in alts(value)):
                return DictV(((ConstV("M"), value),))
            return value
        out: list[Val] = []
        for alt in alts(value):
            if isinstance(alt, DictV) and len(alt.items) == 1 and not alt.spreads \
                    and const_str(alt.items[0][0]) in ATTRIBUTE_VALUE_TYPES:
                out.append(alt.items[0][1])
            else:
                out.append(alt)
        return one_of(out)

    def record_call(self: Machine, path: str, args: list[Val], kwargs: dict[str, Val], loc: Loc, state: State,
                    frame: Frame) -> Val | None:
        """``dataclasses.asdict(record)``, ``dacite.from_dict(Cls, data)``."""
        if path in TO_DICT_FUNCTIONS and args:
            return self.record_dict(args[0], loc, state, frame)
        if path == "dict" and len(args) == 1 and not kwargs and alts(args[0]) and all(
                isinstance(alt, InstanceV) and self.derives(alt.cls, "pydantic") for alt in alts(args[0])):
            return self.record_dict(args[0], loc, state, frame)  # ``dict(model)``: its (field, value) pairs
        if path in REPLACE_FUNCTIONS and args:
            return self.record_copy(args[0], kwargs, loc, state, frame)
        shape = FROM_DICT_FUNCTIONS.get(path)
        if shape is not None:
            cls_at, data_at, cls_name, data_name = shape
            cls = args[cls_at] if len(args) > cls_at else kwargs.get(cls_name)
            data = args[data_at] if len(args) > data_at else kwargs.get(data_name)
            if path == POWERTOOLS_PARSE and "envelope" in kwargs:
                envelope = " ".join(p for a in alts(kwargs["envelope"]) if isinstance(a, ExtV) for p in (a.path,))
                if "ApiGateway" not in envelope or data is None:
                    return None  # (an SQS or Kinesis envelope gives a list of the records' bodies)
                data = self.get_item(data, ConstV("body"), loc, state, frame)
            if cls is not None and data is not None:
                return self.record_from(cls, data, loc, state, frame)
        return None


__all__ = ["DATACLASS_DECORATORS", "FIELD_CALLS", "MODEL_BASES", "RecordsMixin"]
