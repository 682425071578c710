"""The base of the parts of the interpreter (the mixins of :class:`dynolint.model.interp.Interpreter`).

Each part lives in its own module and calls methods of the others through ``self``. For mypy
a part is a Protocol and its methods type ``self`` as :class:`dynolint.model.interp.Machine`,
the protocol made of all the parts and the interpreter's state, so that a call across parts
is checked against the method it reaches. At run time the base is ``object``: nothing changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol as Mixin
else:
    Mixin = object

__all__ = ["Mixin"]
