"""Which dotted module names the standard library has, read from the running Python's library
folder (its files are listed, never imported): a project's own ``platform/access.py`` is the
only ``platform.access`` there is, since the standard library's ``platform`` is a plain module."""

from __future__ import annotations

import functools
import os
import re
import sys
import sysconfig

STDLIB_NAMES = frozenset(sys.stdlib_module_names)  # Python >= 3.10
# submodules a plain module of the standard library puts in ``sys.modules`` as it loads
_ATTRIBUTE_MODULES = frozenset({"os.path"})


@functools.cache
def _library_folder() -> str | None:
    folder = sysconfig.get_paths().get("stdlib")
    return folder if folder and os.path.isfile(os.path.join(folder, "os.py")) else None


@functools.cache
def stdlib_has(module: str) -> bool:
    """Whether ``import module`` can mean the standard library's module. A top-level name is
    judged by ``sys.stdlib_module_names``; a submodule by the library's files (``json.decoder``
    yes, ``json.schemas`` and ``platform.access`` no). Without a library folder to read, every
    submodule of a standard name is taken to be the standard library's."""
    parts = module.split(".")
    if parts[0] not in STDLIB_NAMES:
        return False
    if len(parts) == 1 or module in _ATTRIBUTE_MODULES:
        return True
    base = _library_folder()
    if base is None:
        return True
    package = os.path.join(base, *parts[:-1])
    if not os.path.isfile(os.path.join(package, "__init__.py")):
        return False
    return os.path.isfile(os.path.join(package, parts[-1] + ".py")) or os.path.isdir(os.path.join(package, parts[-1]))


@functools.cache
def stdlib_may_define(module: str, name: str) -> bool:
    """Whether ``from module import name`` can take ``name`` from the standard library's
    ``module``: its source mentions the name, or cannot be read (a built-in or compiled
    module), or imports names it does not list (``import *``, a module ``__getattr__``). A name
    its source never mentions (``from platform import ADMIN``) would raise ImportError there."""
    base = _library_folder()
    if base is None or not stdlib_has(module):
        return base is None
    stem = os.path.join(base, *module.split("."))
    for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
        try:
            with open(candidate, "rb") as handle:
                text = handle.read()
        except OSError:
            continue
        if b"import *" in text or b"def __getattr__" in text:
            return True
        return re.search(rb"\b" + re.escape(name.encode("ascii", "ignore")) + rb"\b", text) is not None
    return True
