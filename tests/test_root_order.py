"""The findings do not depend on the order the analysis roots are interpreted in.

The interpreter keeps what one root stored on shared objects (a module-level instance's
attributes, a ContextVar's value, the cells of an allocation site) for the roots after it, so
an order-dependent rule would report a route analysed after its middleware and miss one
analysed before it (a metamorphic rename of a function changes the order). Each fixture case
that binds request state (a ContextVar, a middleware, Flask's ``g``, a resolver's context) or
declares a handler object is checked with its function roots in the usual order and reversed:
the same findings (code, file, line), whatever call chain each was first reached through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import dynolint.model.analysis as analysis
from dynolint.api import Options, check_paths
from dynolint.codes import ALL_CODES
from dynolint.config import discover

CASES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
MARKERS = (b"ContextVar", b"middleware", b"call_next", b"append_context", b"flask import g", b"__call__",
           b"before_request")


def _bound_request_state(case: Path) -> bool:
    return any(marker in path.read_bytes() for path in case.rglob("*.py") for marker in MARKERS)


_BUILD = analysis.build  # (as imported: each run below wraps this one)
CASES = sorted(case for case in CASES_DIR.iterdir() if case.is_dir() and _bound_request_state(case))


def _findings(case: Path, reverse: bool, monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str, int]]:
    def build(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        return _BUILD(*args, **kwargs, reverse_roots=reverse)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis, "build", build)  # (phase 2 imports it when it runs)
    monkeypatch.chdir(case)
    config = discover(Path(".").resolve(), set(ALL_CODES))
    result = check_paths([Path(".")], config, Options(jobs=1, use_cache=False))
    assert not result.errors, result.errors
    return {(f.code, f.path, f.line) for f in result.findings}


def test_the_sample_is_not_empty() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_findings_do_not_depend_on_the_order_of_the_roots(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usual = _findings(case, False, monkeypatch)
    reversed_order = _findings(case, True, monkeypatch)
    assert usual == reversed_order
