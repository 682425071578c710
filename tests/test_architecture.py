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
