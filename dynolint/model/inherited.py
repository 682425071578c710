"""Template methods: a method a class inherits from a base that is not an analysis root,
whose body calls on ``self`` methods the class defines itself.

A key-value store's base class reads through ``self.get`` and writes through ``self.set``
(``store_result``: read the state, skip when done, write); the DynamoDB subclass overrides both
with ``get_item`` and ``put_item``. When the base's file names no DynamoDB and has no entry
point, it is no analysis root and the base's method never runs: the read and the write are
never seen together. Each such method that reaches two or more of the class's own methods runs
as a root of its own on an instance of the class (``Interpreter.run_function_root`` with
``on_class``); ``super()`` inside it still resolves from the base that defines it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from dynolint.phase1 import ir
from dynolint.model.memo import ByObject
from dynolint.model.values import ClassV, alts

if TYPE_CHECKING:
    from dynolint.model.interp import Interpreter

# at most this many inherited template methods analysed per class (the nearest bases first)
MAX_PER_CLASS = 12
# a method root runs once per receiver class when at most this many subclasses override its hooks
MAX_RECEIVERS = 32


def template_methods(interp: Interpreter, roots: frozenset[str] | None, only: frozenset[str] | None = None,
                     ) -> list[tuple[str, ir.Class, str, ir.Function]]:
    """(path of the class, the class, path of the base's method, the method) for every class of
    a root file (and of ``only``, when given) and every method it inherits from a file that is
    not a root, that calls on ``self`` (directly or through other inherited methods) two or
    more of the methods the class itself defines: one own method alone runs as a root of its
    own already."""
    project = interp.project
    out: list[tuple[str, ir.Class, str, ir.Function]] = []
    for (path, qualname), cls in sorted(project.classes.items(), key=lambda kv: kv[0]):
        if roots is not None and path not in roots or only is not None and path not in only:
            continue
        own = {name for name, _ in cls.methods}
        if not own:
            continue
        inherited: dict[str, tuple[str, ir.Function]] = {}  # name -> the nearest base's method
        for base_path, base in _bases(interp, path, cls):
            for name, method_qualname in base.methods:
                function = project.functions.get((base_path, method_qualname))
                if name not in own and name not in inherited and function is not None:
                    inherited[name] = (base_path, function)
        # a method of a root file's base runs as that base's root already, dispatching to the overrides
        outside = [name for name in sorted(inherited) if roots is not None and inherited[name][0] not in roots]
        reach: dict[str, frozenset[str]] = {}
        chosen = [name for name in outside if len(_reaches(name, inherited, own, reach)) >= 2]
        for name in chosen[:MAX_PER_CLASS]:
            base_path, function = inherited[name]
            out.append((path, cls, base_path, function))
    return out


def receiver_classes(interp: Interpreter, path: str, cls: ir.Class, function: ir.Function) -> list[ClassV] | None:
    """The classes a method root of ``cls`` runs on, one exact instance each, when its body
    calls on ``self`` two or more hooks that subclasses override (``process`` calling
    ``self.load``, ``self.apply``, ``self.store``): ``cls`` and every subclass that overrides
    one of them. An object is of one class, so its hooks are that class's: run on an instance
    that may be of any subclass, each call would pick among all overrides apart from the
    others, combining one subclass's ``load`` with another's ``store``. None: the method
    calls fewer such hooks (one call's overrides are its alternatives), or too many
    subclasses override them; it runs once, dispatching to the overrides as before."""
    own = ClassV(path, cls.qualname)
    reached = _reached_on_self(interp, own, function, set(), 0)
    if len(reached) < 2:
        return None
    overriding: list[ClassV] = []
    hooks: set[str] = set()
    for sub in interp.below(own):
        klass = interp.project.classes.get((sub.path, sub.qualname))
        defined = {name for name, _ in klass.methods} & reached if klass is not None else set()
        if defined:
            overriding.append(sub)
            hooks |= defined
            if len(overriding) > MAX_RECEIVERS:
                return None
    return [own, *overriding] if len(hooks) >= 2 else None


def _reached_on_self(interp: Interpreter, cls: ClassV, function: ir.Function, seen: set[str], depth: int) -> set[str]:
    """The methods ``function`` calls on ``self``, directly or through the methods of ``cls``
    (and its bases) that it calls."""
    found: set[str] = set()
    for name in _self_calls(function):
        if name in seen:
            continue
        seen.add(name)
        found.add(name)
        method = interp.find_method(cls, name) if depth < 6 else None
        callee = interp.project.functions.get((method.path, method.qualname)) if method is not None else None
        if callee is not None:
            found |= _reached_on_self(interp, cls, callee, seen, depth + 1)
    return found


def _bases(interp: Interpreter, path: str, cls: ir.Class) -> Iterator[tuple[str, ir.Class]]:
    """The project classes ``cls`` inherits from, nearest first (breadth first)."""
    pending = [ClassV(path, cls.qualname)]
    visited = {pending[0]}
    while pending:
        current = pending.pop(0)
        for base in interp.class_bases(current):
            for alt in alts(base):
                if not isinstance(alt, ClassV):
                    continue
                klass = interp.project.classes.get((alt.path, alt.qualname))
                if klass is not None and alt not in visited:
                    visited.add(alt)
                    yield alt.path, klass
                    pending.append(alt)


def _reaches(name: str, inherited: dict[str, tuple[str, ir.Function]], own: set[str],
             memo: dict[str, frozenset[str]], depth: int = 0) -> frozenset[str]:
    """The class's own methods that the inherited method ``name`` calls on ``self``, directly or
    through other inherited methods. A template method matters when it reaches two or more:
    a race inside one own method is found where that method runs as a root."""
    if name in memo:
        return memo[name]
    memo[name] = frozenset()  # recursion: nothing more through this path
    found: set[str] = set()
    if depth < 8:
        for called in _self_calls(inherited[name][1]):
            if called in own:
                found.add(called)
            elif called in inherited:
                found |= _reaches(called, inherited, own, memo, depth + 1)
    memo[name] = frozenset(found)
    return memo[name]


_SELF_CALLS: ByObject[frozenset[str]] = ByObject(limit=10_000)


def _self_calls(function: ir.Function) -> frozenset[str]:
    """The methods the function calls on ``self`` (its first parameter). Remembered per
    function: every method root of a class asks it of the methods it reaches (walking the
    bodies again each time was most of a pre-commit hook's run on a connected project)."""
    found = _SELF_CALLS.get(id(function))
    if found is not None:
        return found
    if not function.params:
        found = frozenset()
    else:
        receiver = function.params[0].name
        found = frozenset(node.func.attr for node in ir.walk(function.body)
                          if isinstance(node, ir.Call) and isinstance(node.func, ir.Attr)
                          and isinstance(node.func.value, ir.Name) and node.func.value.id == receiver)
    _SELF_CALLS.put(id(function), function, found)
    return found

