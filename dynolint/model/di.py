"""Dependency-injection containers (library rows ``DI_PROVIDERS``, ``DI_REGISTRIES``).

A composition root wires the objects a handler uses once, and the handler asks the container
for them: what it gets is what the wiring made, so the tables and sessions behind a service are
the ones the wiring gave it.

- dependency-injector: a provider (``providers.Singleton(Repo, table=table_provider)``,
  ``providers.Factory(...)``, usually a class attribute of a ``DeclarativeContainer``) called
  (``container.repo()``, ``Container.repo(account_id=a)``) calls what it provides with its own
  arguments, each provider among them called first (``other.provider`` is the provider itself,
  handed on to be called later) and the call's keyword arguments over them. A singleton's object
  is made once and kept (a heap cell of the provider); a configuration option
  (``config.table``) is a deploy-time setting, the environment variable of its name.
- punq: ``container.register(Key, instance=obj)`` keeps ``obj`` under ``Key``,
  ``register(Key, factory=f)`` / ``register(Key, Impl)`` / ``register(Impl)`` what calling that
  gives, and ``container.resolve(Key)`` is what was kept there (a heap cell of the container,
  which is module state when made at import)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.values import UNKNOWN, AttrV, CallV, ClassV, ConstV, EnvV, InstanceV, Loc, Val, alts, const_str, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

# what calling a dependency-injector provider gives: "make" (call what it provides, each time),
# "once" (the same, made once and kept), "object" (what it was given), "unknown" (configuration)
DI_PROVIDERS = {
    "dependency_injector.providers.Factory": "make", "dependency_injector.providers.Callable": "make",
    "dependency_injector.providers.Resource": "make", "dependency_injector.providers.Coroutine": "make",
    "dependency_injector.providers.Singleton": "once", "dependency_injector.providers.ThreadSafeSingleton": "once",
    "dependency_injector.providers.ThreadLocalSingleton": "once",
    "dependency_injector.providers.ContextLocalSingleton": "once",
    "dependency_injector.providers.Object": "object", "dependency_injector.providers.Configuration": "unknown",
}
# containers that keep objects by key: (the registering method, the resolving method)
DI_REGISTRIES = {"punq.Container": ("register", "resolve")}
REGISTRY_METHODS = frozenset(method for methods in DI_REGISTRIES.values() for method in methods)
_FACTORY = "<di factory>"  # what a registry keeps for a key registered with a factory or a class
_DEPTH = 8  # providers given providers, at most this deep


def provider(value: Val) -> bool:
    return type(value) is CallV and value.recv is None and value.fn in DI_PROVIDERS


def provide(machine: Machine, made: CallV, args: list[Val], kwargs: dict[str, Val], node: ir.Call, loc: Loc,
            state: State, frame: Frame, depth: int = 0) -> Val:
    """What calling the provider ``made`` with ``args`` and ``kwargs`` gives."""
    kind = DI_PROVIDERS[made.fn]
    if kind == "object":  # (the object itself, even a provider: ``Object(other.provider)`` gives the provider)
        return one_of([alt.base if type(alt) is AttrV and alt.name == "provider" and provider(alt.base) else alt
                       for alt in alts(made.args[0])]) if made.args else UNKNOWN
    if kind == "unknown" or not made.args or depth > _DEPTH:
        return UNKNOWN
    cell = (made, "<provided>")
    if kind == "once" and (kept := machine.summaries.heap_get(cell)) is not None:
        return kept
    given = [_resolved(machine, value, node, loc, state, frame, depth) for value in made.args[1:]] + list(args)
    named = {name: _resolved(machine, value, node, loc, state, frame, depth) for name, value in made.kwargs} | kwargs
    result = machine.apply(made.args[0], given, named, (), node, loc, state, frame)
    if kind == "once":
        machine.summaries.write(cell, result, merged=False)
    return result


def _resolved(machine: Machine, value: Val, node: ir.Call, loc: Loc, state: State, frame: Frame, depth: int) -> Val:
    """An argument a provider was given, as what it provides is called with: another provider
    called, ``provider.provider`` the provider itself, a configuration option not known."""
    out: list[Val] = []
    for alt in alts(value):
        if provider(alt):
            out.append(provide(machine, alt, [], {}, node, loc, state, frame, depth + 1))  # type: ignore[arg-type]
        elif type(alt) is AttrV and provider(alt.base) and alt.name == "provider":
            out.append(alt.base)
        elif (option := _option(alt)) is not None:
            out.append(option)
        else:
            out.append(alt)
    return one_of(out)


def _option(value: Val) -> Val | None:
    """A configuration option (``config.table``, ``config.aws.table``): a setting given at
    deploy time, read as the settings models' fields are (model/settings_models.py), as the
    environment variable of its name; None for anything else."""
    names: list[str] = []
    while type(value) is AttrV:
        names.append(value.name)
        value = value.base
    if not names or type(value) is not CallV or not provider(value) or DI_PROVIDERS[value.fn] != "unknown":
        return None
    return EnvV(ConstV("_".join(reversed(names)).upper()), None)


def made_registry(machine: Machine, path: str, loc: Loc, frame: Frame) -> Val | None:
    """``punq.Container()``: a registry of its own (made at import: module state)."""
    if path not in DI_REGISTRIES:
        return None
    if machine.roots[frame.root].module_root:
        machine.module_instances.add(loc)
    module, _, name = path.rpartition(".")
    return InstanceV(ClassV(module, name), loc)


def registry_call(machine: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], node: ir.Call,
                  loc: Loc, state: State, frame: Frame) -> Val | None:
    """``register``/``resolve`` on a registry (None: ``recv`` is none, or another method)."""
    registries = [alt for alt in alts(recv) if type(alt) is InstanceV
                  and DI_REGISTRIES.get(f"{alt.cls.path}.{alt.cls.qualname}", ("", ""))[0] != ""]
    if not registries:
        return None
    register, resolve = DI_REGISTRIES[f"{registries[0].cls.path}.{registries[0].cls.qualname}"]
    key = args[0] if args else kwargs.get("service", UNKNOWN)
    cell_name = f"<di>{_key_name(key)}"
    if name == register:
        if "instance" in kwargs:
            kept: Val = kwargs["instance"]
        else:
            maker = kwargs.get("factory", args[1] if len(args) > 1 else key)
            kept = CallV(_FACTORY, None, (maker,))
        for registry in registries:
            machine.summaries.write((registry.alloc, cell_name), kept, merged=True)
        return ConstV(None)
    if name == resolve:
        found = [machine.summaries.heap_get((registry.alloc, cell_name)) for registry in registries]
        out: list[Val] = []
        for alt in alts(one_of([value for value in found if value is not None])):
            if type(alt) is CallV and alt.fn == _FACTORY:
                out.append(machine.apply(alt.args[0], [], dict(kwargs), (), node, loc, state, frame))
            else:
                out.append(alt)
        return one_of(out) if out else UNKNOWN
    return None


def _key_name(key: Val) -> str:
    names = sorted({f"{alt.path}:{alt.qualname}" if type(alt) is ClassV else const_str(alt) or "?" for alt in alts(key)})
    return "|".join(names) if names else "?"
