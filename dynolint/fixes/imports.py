"""Imports a fix adds, where ruff's isort rules (I001, default settings) put them.

The module's first import block is split into sections (``__future__``, standard library,
third party, first party, local folder: a relative import); the new import goes into its
section, ``import x`` lines before ``from x import y`` lines, each kind sorted by module name
without regard to case, with a blank line between sections, as ``ruff check --select I
--fix`` would leave it. A module is first party when it is a file or folder at the project's
root or in its ``src`` folder (ruff's default ``src = [".", "src"]``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped
from dynolint.phase1.ir import module_name

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY, LOCAL = range(5)


def import_for(fixed: Path, helper: Path, root: Path) -> tuple[str, str]:
    """The statement that imports module file ``helper`` into ``fixed`` and the name it binds:
    ``import x`` (or ``from . import x`` in a package) beside it, else by its module name
    from the project ``root``."""
    stem = helper.stem
    if helper.parent.absolute() == fixed.parent.absolute():
        if (fixed.parent / "__init__.py").exists():
            return f"from . import {stem}", stem
        return f"import {stem}", stem
    try:
        relative = helper.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        raise FixSkipped(f"the claim helper {helper} is outside the project") from None
    package, _, name = module_name(relative).rpartition(".")
    return (f"from {package} import {name}" if package else f"import {name}"), name


def _section(statement: cst.BaseSmallStatement, root: Path | None,
             created: Path | None = None) -> tuple[int, int, str]:
    """(section, kind: 0 ``import``, 1 ``from``, the module name in lower case) of an import."""
    if isinstance(statement, cst.Import):
        name = cst.Module([]).code_for_node(statement.names[0].name)
        kind = 0
    else:
        assert isinstance(statement, cst.ImportFrom)
        if statement.relative:
            dots = "." * len(statement.relative)
            module = cst.Module([]).code_for_node(statement.module) if statement.module else ""
            return LOCAL, 1, dots + module.lower()
        name = cst.Module([]).code_for_node(statement.module) if statement.module else ""
        kind = 1
    return _category(name, root, created), kind, name.lower()


def _category(name: str, root: Path | None, created: Path | None = None) -> int:
    top = name.split(".")[0]
    if top == "__future__":
        return FUTURE
    if top in sys.stdlib_module_names:
        return STDLIB
    if root is not None:
        for folder in (root, root / "src"):
            if created is not None and created.absolute() in (folder.absolute() / f"{top}.py",):
                return FIRST_PARTY  # the module the fix is about to write
            if (folder / top).is_dir() or (folder / f"{top}.py").is_file() or (folder / f"{top}.pyi").is_file():
                return FIRST_PARTY
    return THIRD_PARTY


def _import_of(statement: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
            and isinstance(statement.body[0], (cst.Import, cst.ImportFrom)):
        return statement.body[0]
    return None


def binds(module: cst.Module, name: str) -> str | None:
    """The code of the top-level import that binds ``name`` in ``module``, if one does."""
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        bound = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                        if bound == name:
                            return cst.Module([]).code_for_node(small)
    return None


def add_import(module: cst.Module, code: str, name: str, root: Path | None,
               created: Path | None = None) -> tuple[cst.Module, set[int]]:
    """``module`` with the import ``code`` (binding ``name``) added where isort puts it, and the
    id of the statement added (the others change only their blank lines); unchanged when it is
    there already. ``created`` is a module file the fix writes with it (first party when it is at
    the root)."""
    present = binds(module, name)
    if present is not None:
        if present.strip() != code:
            raise FixSkipped(f"the module binds {name!r} already ({present.strip()}): the claim helper cannot be "
                             "imported under that name; set claim-module to another file name")
        return module, set()
    body = list(module.body)
    new = cst.parse_statement(code + module.default_newline)
    assert isinstance(new, cst.SimpleStatementLine)
    key = _section(new.body[0], root, created)
    start = 1 if body and _is_docstring(body[0]) else 0
    end = start
    while end < len(body) and _import_of(body[end]) is not None:
        end += 1
    if end == start:  # no import block: one after the docstring
        following = body[start] if start < len(body) else None
        gap = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
        lead = [cst.EmptyLine()] if start else []
        added = new.with_changes(leading_lines=lead)
        changed: list[cst.BaseStatement] = [added]
        if following is not None:
            blanks = sum(1 for line in following.leading_lines if line.comment is None)
            following = following.with_changes(leading_lines=[*[cst.EmptyLine()] * max(gap - blanks, 0),
                                                              *following.leading_lines])
            changed.append(following)
            body[start] = following
        body.insert(start, added)
        return module.with_changes(body=body), {id(added)}
    keys = [_section(_import_of(body[i]), root) for i in range(start, end)]  # type: ignore[arg-type]
    at = next((start + offset for offset, other in enumerate(keys) if other > key), end)
    before = keys[at - start - 1] if at > start else None
    after = keys[at - start] if at < end else None
    changed = []
    if after is not None and after[0] == key[0] and (before is None or before[0] != key[0]):
        # first of its section: it takes the section's blank line
        moved = body[at]
        added = new.with_changes(leading_lines=moved.leading_lines)
        body[at] = moved.with_changes(leading_lines=())
        changed.append(body[at])
    else:
        added = new.with_changes(leading_lines=[cst.EmptyLine()] if before is not None and before[0] != key[0]
                                 else [])
        if after is not None and after[0] != key[0] and before is None:
            # a new first section: the old first one needs its blank line now, and the header comments
            # (a licence) stay on top
            moved = body[at]
            added = new.with_changes(leading_lines=moved.leading_lines)
            body[at] = moved.with_changes(leading_lines=[cst.EmptyLine()])
            changed.append(body[at])
        elif after is not None and after[0] != key[0] and not any(
                line.comment is None for line in body[at].leading_lines):
            body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine(), *body[at].leading_lines])
            changed.append(body[at])
    body.insert(at, added)
    return module.with_changes(body=body), {id(added)}  # the others changed only blank lines


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Expr) \
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
