"""Phase 1: parse one file with LibCST, once, and lower it to a :class:`FileSummary`.

CPython's compiler decides what is a syntax error; LibCST parses the rest. The lowering
(:mod:`dynolint.phase1.lower_expr`, :mod:`dynolint.phase1.lower_stmt`) is a single recursive walk over the
CST (no visitor dispatch, no metadata wrapper, no deep copy). Nodes that may be reported get
a *site*; their positions are then computed in one code generation pass that records
offsets for those nodes only (:mod:`dynolint.phase1.positions`).
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

import libcst as cst

from dynolint.phase1 import ir
from dynolint.phase1.ir import module_name
from dynolint.phase1.lower_stmt import Lowerer
from dynolint.phase1.newer_syntax import message, too_new
from dynolint.phase1.positions import SiteCodegen, generate, line_starts, site_spans_of
from dynolint.phase1.pyversions import Version, newest, running
from dynolint.suppression import suppressions_in
from dynolint.phase1.syntax import compile_error, libcst_config, may_be_newer_syntax

_MENTIONS_SUPPRESSION = re.compile(rb"(?i)dynolint|noqa")


def _no_validation(node: cst.CSTNode) -> None:
    return None


def parse(source: bytes, config: cst.PartialParserConfig | None = None) -> cst.Module:
    """``libcst.parse_module`` without LibCST's per-node validation, which re-checks every
    node the parser builds (an eighth of the parse; LibCST's own comment on ``__post_init__``
    suggests skipping it for parsed trees). Only parsed trees skip it: nodes the fixes build
    are validated as usual. (The switch is process-wide for the duration of the parse: nodes
    another thread builds meanwhile are not validated either.)"""
    base = cst.CSTNode
    validate = base.__dict__.get("__post_init__")
    if validate is None:  # a LibCST that validates elsewhere: parse as it does
        return cst.parse_module(source) if config is None else cst.parse_module(source, config)
    setattr(base, "__post_init__", _no_validation)
    try:
        return cst.parse_module(source) if config is None else cst.parse_module(source, config)
    finally:
        setattr(base, "__post_init__", validate)


def _syntax_error(path: str, message: str, line: int = 1, column: int = 1) -> ir.FileSummary:
    span = ir.Span(max(line, 1), max(column, 1), max(line, 1), max(column, 1) + 1)
    return ir.FileSummary(path, module_name(path), (), (), (), (), (), (), 0, message, span)


def summarize(path: str, source: bytes,
              keeper: Callable[[cst.Module, dict[int, int], int], bool] | None = None,
              target: Version | None = None) -> ir.FileSummary:
    """Parse ``source`` once and lower it. Never raises for bad input: a file that is not
    Python for ``target`` (the version it is written for; None: the newest LibCST knows)
    becomes a summary with ``error`` set (DYN000); one that is but cannot be analysed, a
    summary with ``problem`` set.

    CPython's compiler decides what is a syntax error (it costs under a tenth of LibCST's
    parse): LibCST accepts some programs CPython rejects (``return`` outside a function,
    bad escapes), and its native parser overflows its stack on nesting CPython refuses.
    A CPython older than ``target`` leaves newer syntax to LibCST (:mod:`dynolint.phase1.syntax`).
    Neither parser refuses syntax newer than ``target`` that it knows: that is looked for in
    the parsed module (:mod:`dynolint.phase1.newer_syntax`)."""
    module = None
    target = target or newest()
    ceiling = running()  # the newest syntax the parser that accepts the file knows
    error = compile_error(path, source)
    if error is not None:
        if not may_be_newer_syntax(source, error, target):
            return _error_summary(path, source, error)
        judged = _libcst_judges(path, source, error, target)
        if isinstance(judged, ir.FileSummary):
            return judged
        module, ceiling = judged, newest()
    if module is None:
        try:
            module = parse(source)
        except (UnicodeDecodeError, LookupError) as exc:
            # CPython 3.11 skips comments undecoded; the source is still not valid UTF-8 (PEP 3120)
            return _syntax_error(path, f"cannot decode: {exc}", *_decode_position(source, exc))
        except Exception as exc:  # noqa: BLE001 - the parser can fail in ways it does not document
            reason = exc.message if isinstance(exc, cst.ParserSyntaxError) else f"{type(exc).__name__}: {exc}"
            return _problem(path, f"LibCST cannot parse this file ({reason}); it was not analysed")
    try:
        newer = too_new(module, source, target, ceiling) if target < ceiling else None
        if newer is not None:
            span = site_spans(module, {id(newer[1]): 0}, 1)[0]
            return _syntax_error(path, f"cannot parse: {message(newer[0], target)}", span.line, span.column)
        return lower(path, module, source, keeper)
    except RecursionError:
        return _problem(path, "too deeply nested to analyse (RecursionError); it was not analysed")


def _libcst_judges(path: str, source: bytes, error: Exception,
                   target: Version) -> cst.Module | ir.FileSummary:
    """LibCST's verdict on a file the running CPython rejected as invalid syntax although it
    may be valid for ``target``: its module, or DYN000 (at CPython's error when LibCST fails
    on the same line, else at LibCST's, which CPython may never have reached)."""
    try:
        return parse(source, libcst_config(target))  # type: ignore[arg-type]
    except cst.ParserSyntaxError as exc:
        line = getattr(error, "lineno", None) or 1
        if exc.raw_line == line:
            return _error_summary(path, source, error)
        reason = exc.message.splitlines()[0] if exc.message else "invalid syntax"
        return _syntax_error(path, f"cannot parse: {reason} (as Python {target[0]}.{target[1]})",
                             exc.raw_line, exc.raw_column + 1)
    except Exception:  # noqa: BLE001 - LibCST fails otherwise too (encoding): CPython's verdict stands
        return _error_summary(path, source, error)


def _cpython_error(path: str, source: bytes, target: Version | None = None) -> ir.FileSummary | None:
    """DYN000 with CPython's own message and position, if CPython cannot compile ``source``
    and its verdict holds for ``target`` (see :mod:`dynolint.phase1.syntax`). (Compiling runs nothing.)"""
    error = compile_error(path, source)
    if error is None or may_be_newer_syntax(source, error, target or newest()):
        return None
    return _error_summary(path, source, error)


def _error_summary(path: str, source: bytes, error: Exception) -> ir.FileSummary:
    if isinstance(error, SyntaxError):
        return _syntax_error(path, f"cannot parse: {error.msg}", error.lineno or 1, error.offset or 1)
    if isinstance(error, (MemoryError, RecursionError)):
        return _syntax_error(path, "cannot parse: too deeply nested for CPython (it cannot compile this file)")
    return _syntax_error(path, f"cannot parse: {error}", *_decode_position(source, error))


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
    lowerer.shadowing(module.body, False)
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
