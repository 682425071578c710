"""Instances of the project's dict subclasses (``class Record(dict)``, ``UserDict``): an object
of the project's class, whose methods run, that holds entries as a dict does.

The entries live in one heap cell of the instance (``CONTENTS``), filled by the constructor's
arguments as ``dict(...)`` fills a dict (``Record(item)``: the item read) and changed by
``inst[k] = v``. ``inst[k]`` and the dict methods the class does not define itself read them,
and library code (``table.put_item(Item=inst)``, ``dict(inst)``, ``json.dumps(inst)``) is given
them: for it the instance is the dict. So an item read, wrapped, changed and saved is still the
item read, changed and written back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.model.values import ConstV, DictV, InstanceV, Loc, ReadItemV, SuperV, Val, alts, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

CONTENTS = "<contents>"  # the heap cell of a mapping instance's entries (no attribute is named so)
# what a dict answers that a subclass inherits: asked of the entries unless the class defines it
MAPPING_METHODS = frozenset({"get", "items", "keys", "values", "update", "setdefault", "pop", "popitem", "copy",
                             "clear", "__contains__", "__iter__", "__len__"})
STORING_METHODS = frozenset({"update", "setdefault"})  # of those, the ones that store entries (changed_by_method)
CALLED_METHODS = STORING_METHODS | {"__init__"}  # the calls ``method_call`` may answer


def method_call(machine: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                state: State, frame: Frame) -> Val | None:
    """A call that stores a mapping instance's entries: ``inst.update(...)``/``setdefault``, and
    ``super().__init__(data)`` in its class's own ``__init__`` (None: not such a call)."""
    if type(recv) is InstanceV:
        return changed_by_method(machine, recv, name, args, kwargs, loc, state, frame)
    if type(recv) is SuperV and name == "__init__":
        return initialised(machine, recv.self_val, args, kwargs)
    return None


def contents_of(machine: Machine, value: Val) -> Val | None:
    """The entries of ``value`` when it is an instance of a project class that subclasses a
    mapping (None otherwise); an instance given none holds an empty dict."""
    if type(value) is not InstanceV or not machine.derives(value.cls, "mapping"):
        return None
    return machine.summaries.heap_get((value.alloc, CONTENTS)) or DictV(())


def fill(machine: Machine, instance: InstanceV, args: list[Val], kwargs: dict[str, Val]) -> None:
    """What ``Cls(*args, **kwargs)`` puts in a new mapping instance, as ``dict(...)`` would."""
    machine.mappings_made = True
    entries = tuple((ConstV(name), value) for name, value in kwargs.items())
    if len(args) == 1 and not entries:
        contents: Val = args[0]
    else:
        contents = DictV(entries, tuple(args[:1]))
    machine.summaries.write((instance.alloc, CONTENTS), contents, merged=True)


def initialised(machine: Machine, instance: Val, args: list[Val], kwargs: dict[str, Val]) -> Val | None:
    """``super().__init__(...)`` reaching dict's (or UserDict's) own: the entries it is given
    (None: not a mapping instance)."""
    if type(instance) is not InstanceV or not machine.derives(instance.cls, "mapping"):
        return None
    fill(machine, instance, args, kwargs)
    return ConstV(None)


def store(machine: Machine, instance: InstanceV, index: Val, value: Val) -> None:
    """``instance[index] = value``: the entry set in its entries (an item read keeps being that
    item, changed in place: arithmetic on its own attributes is noted as ``item[k] = v`` is)."""
    contents = contents_of(machine, instance)
    changed: list[Val] = []
    for alt in alts(contents) if contents is not None else ():
        if isinstance(alt, ReadItemV) and alt.read >= 0:
            machine.note_assigned(alt, index, value)
            changed.append(machine.with_arithmetic(alt, value))
        elif isinstance(alt, DictV):
            changed.append(DictV(tuple((k, v) for k, v in alt.items if k != index) + ((index, value),), alt.spreads))
        else:
            changed.append(DictV(((index, value),), (alt,)))
    if changed:
        machine.summaries.write((instance.alloc, CONTENTS), one_of(changed), merged=True)


def plain(machine: Machine, value: Val) -> Val:
    """``value`` as a dict: a mapping instance is its entries."""
    if type(value) is not InstanceV and not any(type(alt) is InstanceV for alt in alts(value)):
        return value
    return one_of([contents_of(machine, alt) or alt for alt in alts(value)])


def given_to_library(machine: Machine, args: list[Val], kwargs: dict[str, Val]) -> tuple[list[Val], dict[str, Val]]:
    """The arguments as library code sees them: a mapping instance is its entries."""
    return [plain(machine, a) for a in args], {k: plain(machine, v) for k, v in kwargs.items()}


def changed_by_method(machine: Machine, instance: InstanceV, name: str, args: list[Val],
                      kwargs: dict[str, Val], loc: Loc, state: State, frame: Frame) -> Val | None:
    """``inst.update(...)`` / ``inst.setdefault(k, v)`` of a mapping instance (the methods
    a dict subclass inherits that store entries): the entries stored, as ``inst[k] = v``;
    what the call answers (None: not such a call)."""
    if name not in ("update", "setdefault") or contents_of(machine, instance) is None:
        return None
    if name == "setdefault":
        if not args:
            return None
        before = contents_of(machine, instance)
        store(machine, instance, args[0], args[1] if len(args) > 1 else ConstV(None))
        return machine.get_item(before, args[0], loc, state, frame) if before is not None else None
    for alt in alts(args[0]) if args else ():
        for key, value in alt.items if isinstance(alt, DictV) else ():
            store(machine, instance, key, value)
    for key_name, value in kwargs.items():
        store(machine, instance, ConstV(key_name), value)
    return ConstV(None)
