"""Which project files a file imports, read from its text without parsing it: the edges of
the import components (engine/incremental.py) and of the choice of files to parse
(engine/pipeline.py). A module matches by its last name, so two ``utils`` modules may be
joined; files that import each other are never split."""

from __future__ import annotations

import functools
import re

_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w., \t\\\n*]*?)\)?[ \t]*(?:#.*)?$"
                     rb"|import[ \t]+([\w., \t]+))", re.MULTILINE)


@functools.lru_cache(maxsize=1 << 16)
def module_of(path: str) -> str:
    """The dotted module name of a project-relative path (:func:`dynolint.phase1.ir.module_name`)."""
    from dynolint.phase1.ir import module_name

    return module_name(path)


def _imports(path: str, data: bytes, index: dict[str, list[str]]) -> set[str]:
    """Project files that ``path`` imports (by name, without parsing)."""
    found: set[str] = set()
    for target, exact in _import_targets(path, data):
        for candidate in index.get(target.rsplit(".", 1)[-1], []):
            module = module_of(candidate)
            if module == target or (not exact and module.endswith("." + target)):
                found.add(candidate)
    found.discard(path)
    return found


@functools.lru_cache(maxsize=1 << 12)
def _import_targets(path: str, data: bytes) -> tuple[tuple[str, bool], ...]:
    """The modules ``path`` imports, by dotted name (exact: a relative import, resolved)."""
    out: list[tuple[str, bool]] = []
    package = module_of(path).split(".")[:-1] if not path.endswith("__init__.py") else module_of(path).split(".")
    for match in _IMPORT.finditer(data):
        if match.group(3) is not None:
            names = [n.strip().split(" as ")[0].strip() for n in match.group(3).decode("ascii", "ignore").split(",")]
        else:
            base = match.group(1).decode("ascii", "ignore")
            members = [n.strip().split(" as ")[0].strip() for n in
                       match.group(2).decode("ascii", "ignore").replace("\\", " ").replace("\n", " ").split(",")]
            names = [base] + [f"{base}.{m}" if not base.endswith(".") else f"{base}{m}" for m in members if m]
        for name in names:
            level = len(name) - len(name.lstrip("."))
            dotted = name.lstrip(".")
            if level:  # relative: from the importer's package (``from . import app``: the package itself)
                anchor = package[:len(package) - (level - 1)] if level > 1 else package
                if dotted or anchor:
                    out.append((".".join([*anchor, dotted] if dotted else anchor), True))
            elif not dotted:
                continue
            else:
                out.append((dotted, False))
    return tuple(dict.fromkeys(out))


__all__ = ["_imports", "module_of"]
