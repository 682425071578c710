"""The layers of the design, checked on the source: the model (phase 2) knows nothing of the
rules that read it, nor of the command line or the reporters."""

from __future__ import annotations

import ast
from pathlib import Path

import dynolint

PACKAGE = Path(dynolint.__file__).parent
ABOVE_THE_MODEL = ("dynolint.rules", "dynolint.reporters", "dynolint.cli", "dynolint.cli_fix", "dynolint.fixes",
                   "dynolint.server")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_model_imports_nothing_from_the_layers_above_it() -> None:
    offending = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted((PACKAGE / "model").glob("*.py"))
        for name in _imports(path)
        if name.startswith(ABOVE_THE_MODEL)
    }
    assert offending == set()
    assert len(list((PACKAGE / "model").glob("*.py"))) > 10  # the walk saw the model


def _package_imports(folder: str) -> set[str]:
    return {f"{path.relative_to(PACKAGE)}: {name}"
            for path in sorted((PACKAGE / folder).glob("*.py")) for name in _imports(path)
            if name.startswith("dynolint")}


def test_phase_one_sees_one_file_and_imports_neither_the_engine_nor_phase_two() -> None:
    imports = _package_imports("phase1")
    offending = {line for line in imports
                 if line.split(": ")[1].startswith(("dynolint.engine", "dynolint.model") + ABOVE_THE_MODEL)}
    assert offending == set()
    assert any(": dynolint.phase1" in line for line in imports)  # the walk saw phase 1


def test_the_model_does_not_reach_into_the_run_engine() -> None:
    imports = _package_imports("model")
    assert {line for line in imports if line.split(": ")[1].startswith("dynolint.engine")} == set()
    assert any(": dynolint.phase1" in line for line in imports)  # the walk saw imports of phase 1


def test_the_subpackages_of_the_phases_import_nothing_when_imported() -> None:
    """The pre-commit fast path imports dynolint.engine.fastpath and dynolint.phase1.prefilter
    without paying for LibCST: the packages' own ``__init__`` must import nothing."""
    for folder in ("phase1", "engine"):
        tree = ast.parse((PACKAGE / folder / "__init__.py").read_text(encoding="utf-8"))
        assert not [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        assert isinstance(tree.body[0], ast.Expr)  # it has its docstring, and only that
