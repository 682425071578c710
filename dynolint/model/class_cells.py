"""Class attributes assigned by code (``cls._resource = boto3.resource(...)`` in a lazily
caching classmethod, ``Settings.table = ...`` at start-up): where they live on the heap.

A class attribute written at run time is shared, like a module global: every later reader of
``Cls.name`` (through the class, a subclass or an instance that has no attribute of its own)
sees the value written as well as the one the class body bound. The interpreter keeps it in
the same heap as instance attributes, under a cell of the class, so that the summaries
(:mod:`dynolint.model.summaries`) track and replay it like any other heap write.
"""

from __future__ import annotations

from dynolint.model.values import ClassV


def class_cell(cls: ClassV, name: str) -> tuple[object, str]:
    """The heap key of attribute ``name`` assigned on class ``cls``."""
    return (("<class>", cls.path, cls.qualname), name)


__all__ = ["class_cell"]
