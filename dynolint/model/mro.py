"""A class's method resolution order, as Python computes it (C3 linearization), over the
project's classes: what ``super()`` in a cooperative mixin reaches depends on the class of the
instance, not on the mixin's own bases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from dynolint.model.values import AttrV, ClassV, InstanceV, SuperV, Val, alts

if TYPE_CHECKING:
    from dynolint.model.interp import Machine

MAX_DEPTH = 12


def linearize(cls: ClassV, bases_of: Callable[[ClassV], list[ClassV]], depth: int = 0) -> list[ClassV]:
    """``cls.__mro__`` restricted to project classes; the depth-first order where C3 has none
    (an inconsistent hierarchy Python would refuse, or one deeper than ``MAX_DEPTH``)."""
    bases = bases_of(cls)
    if depth > MAX_DEPTH:
        return [cls, *bases]
    sequences = [linearize(base, bases_of, depth + 1) for base in bases] + [list(bases)]
    result = [cls]
    while any(sequences):
        head = next((seq[0] for seq in sequences if seq and not any(seq[0] in other[1:] for other in sequences)),
                    None)
        if head is None:  # no consistent order: the rest depth-first, each class once
            rest = [c for seq in sequences for c in seq]
            return result + [c for i, c in enumerate(rest) if c not in result and c not in rest[:i]]
        result.append(head)
        sequences = [seq[1:] if seq and seq[0] == head else seq for seq in sequences]
    return result


def resolve_super(machine: Machine, base: SuperV, name: str) -> Val:
    """``super().name`` in a method of ``base.cls``: in a cooperative mixin, the class after it in
    the instance's class's MRO (``class Repo(TimestampMixin, DynamoRepo)``: the mixin's
    ``super().save`` is DynamoRepo's); else the first of its own bases that has it."""
    def project_bases(cls: ClassV) -> list[ClassV]:
        return [parent for parent in machine.class_bases(cls) if isinstance(parent, ClassV)]

    for alt in alts(base.self_val):
        if isinstance(alt, InstanceV) and alt.cls != base.cls:
            order = linearize(alt.cls, project_bases)
            if base.cls in order:
                for parent in order[order.index(base.cls) + 1:]:
                    method = machine.own_method(parent, name)
                    if method is not None:
                        return machine.bound_method(base.self_val, parent, method)
    for parent in project_bases(base.cls):
        method = machine.find_method(parent, name)
        if method is not None:
            return machine.bound_method(base.self_val, parent, method)
    return AttrV(base, name)
