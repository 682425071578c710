"""Phase 1: parse one file with LibCST, once, and lower it to a :class:`FileSummary`.

CPython's compiler decides what is a syntax error; LibCST parses the rest. The lowering
(:mod:`dynolint.lower_expr`, :mod:`dynolint.lower_stmt`) is a single recursive walk over the
CST (no visitor dispatch, no metadata wrapper, no deep copy). Nodes that may be reported get
a *site*; their positions are then computed in one code generation pass that records
offsets for those nodes only (:mod:`dynolint.positions`).
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

import libcst as cst

from dynolint import ir
from dynolint.ir import module_name
from dynolint.lower_stmt import Lowerer
from dynolint.positions import SiteCodegen, generate, line_starts, site_spans_of
from dynolint.suppression import suppressions_in

_MENTIONS_SUPPRESSION = re.compile(rb"(?i)dynolint|noqa")


def _no_validation(node: cst.CSTNode) -> None:
    return None


def parse(source: bytes) -> cst.Module:
    """``libcst.parse_module`` without LibCST's per-node validation, which re-checks every
    node the parser builds (an eighth of the parse; LibCST's own comment on ``__post_init__``
    suggests skipping it for parsed trees). Only parsed trees skip it: nodes the fixes build
    are validated as usual. (The switch is process-wide for the duration of the parse: nodes
    another thread builds meanwhile are not validated either.)"""
    base = cst.CSTNode
    validate = base.__dict__.get("__post_init__")
    if validate is None:  # a LibCST that validates elsewhere: parse as it does
        return cst.parse_module(source)
    base.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(source)
    finally:
        base.__post_init__ = validate  # type: ignore[method-assign]


def _syntax_error(path: str, message: str, line: int = 1, column: int = 1) -> ir.FileSummary:
    span = ir.Span(max(line, 1), max(column, 1), max(line, 1), max(column, 1) + 1)
    return ir.FileSummary(path, module_name(path), (), (), (), (), (), (), 0, message, span)


def summarize(path: str, source: bytes,
              keeper: Callable[[cst.Module, dict[int, int], int], bool] | None = None) -> ir.FileSummary:
    """Parse ``source`` once and lower it. Never raises for bad input: a file CPython
    cannot compile becomes a summary with ``error`` set (DYN000); one that compiles but
    cannot be analysed, a summary with ``problem`` set.

    CPython's compiler decides what is a syntax error (it costs under a tenth of LibCST's
    parse): LibCST accepts some programs CPython rejects (``return`` outside a function,
    bad escapes), and its native parser overflows its stack on nesting CPython refuses."""
    rejected = _cpython_error(path, source)
    if rejected is not None:
        return rejected
    try:
        module = parse(source)
    except (UnicodeDecodeError, LookupError) as exc:
        # CPython 3.11 skips comments undecoded; the source is still not valid UTF-8 (PEP 3120)
        return _syntax_error(path, f"cannot decode: {exc}", *_decode_position(source, exc))
    except Exception as exc:  # noqa: BLE001 - the parser can fail in ways it does not document
        reason = exc.message if isinstance(exc, cst.ParserSyntaxError) else f"{type(exc).__name__}: {exc}"
        return _problem(path, f"LibCST cannot parse this file ({reason}); it was not analysed")
    try:
        return lower(path, module, source, keeper)
    except RecursionError:
        return _problem(path, "too deeply nested to analyse (RecursionError); it was not analysed")


CPYTHON_RECURSION_LIMIT = 1000  # CPython's default: the limit ``python file.py`` compiles under


def _cpython_error(path: str, source: bytes) -> ir.FileSummary | None:
    """DYN000 with CPython's own message and position, if CPython cannot compile ``source``.
    (Compiling runs nothing.) The compiler's depth limits follow the recursion limit, which
    dynolint raises for its own deep walks: the file is compiled under CPython's default
    limit, so that what CPython refuses to compile (a 5,000-term ``a + a + ...``) is
    DYN000, as running it would show, rather than left to spin in LibCST."""
    import sys
    import warnings

    previous = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(CPYTHON_RECURSION_LIMIT)
    except RecursionError:  # already deeper than that here: compile under the current limit
        previous = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the project's business, not ours
            compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return _syntax_error(path, f"cannot parse: {exc.msg}", exc.lineno or 1, exc.offset or 1)
    except (MemoryError, RecursionError):
        return _syntax_error(path, "cannot parse: too deeply nested for CPython (it cannot compile this file)")
    except (ValueError, UnicodeDecodeError, LookupError) as exc:
        return _syntax_error(path, f"cannot parse: {exc}", *_decode_position(source, exc))
    finally:
        if previous:
            sys.setrecursionlimit(previous)
    return None


def _decode_position(source: bytes, exc: Exception) -> tuple[int, int]:
    """Where a NUL byte or undecodable bytes are (CPython does not say), else 1:1."""
    if b"\0" in source and "null" in str(exc):
        at = source.index(b"\0")
    else:
        try:
            source.decode("utf-8")
            return 1, 1
        except UnicodeDecodeError as bad:
            at = bad.start
    line = source.count(b"\n", 0, at) + 1
    start = source.rfind(b"\n", 0, at) + 1
    return line, len(source[start:at].decode("utf-8", "replace")) + 1


def _problem(path: str, reason: str) -> ir.FileSummary:
    return ir.FileSummary(path, module_name(path), (), (), (), (), (), (), 0, problem=reason)


def lower(path: str, module: cst.Module, source: bytes = b"",
          keeper: Callable[[cst.Module, dict[int, int], int], bool] | None = None) -> ir.FileSummary:
    """The summary of a parsed module. Its positions cost a code generation pass over the
    whole module: when ``keeper`` keeps the module (with the sites it asks positions for),
    they are left out (``deferred``) and computed later by :func:`site_spans`."""
    lowerer = Lowerer()
    lowerer.assigned.append(set())
    lowerer.declared.append(set())
    body = lowerer.block(module.body)
    code = source.decode(module.encoding, "replace") if source else module.code
    deferred = keeper is not None and keeper(module, lowerer.wanted, len(lowerer.nodes))
    spans = () if deferred else site_spans(module, lowerer.wanted, len(lowerer.nodes))
    suppressions = suppressions_in(code) if _MENTIONS_SUPPRESSION.search(source) else ()
    return ir.FileSummary(
        path, module_name(path), body, tuple(lowerer.functions), tuple(lowerer.classes),
        spans, tuple(lowerer.stmt_of), suppressions, len(line_starts(code)), deferred=deferred,
    )


def site_spans(module: cst.Module, wanted: dict[int, int], count: int) -> tuple[ir.Span, ...]:
    """The spans of the ``count`` sites of a lowered module (``wanted``: id of node -> site),
    from one code generation pass that records offsets for those nodes only."""
    state = SiteCodegen(module.default_indent, module.default_newline, wanted)
    generate(module, state)
    return site_spans_of(state, count)


def iter_functions(summary: ir.FileSummary) -> Iterator[ir.Function]:
    yield from summary.functions
