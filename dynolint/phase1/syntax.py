"""The syntax oracle: who decides that a file is not Python (DYN000).

CPython's compiler decides, when it knows the Python the file is written for (its target,
:mod:`dynolint.phase1.pyversions`): it costs under a tenth of LibCST's parse, it rejects programs
LibCST accepts (``return`` outside a function, bad escapes) and it fails cleanly on nesting
that overflows the stack of LibCST's native parser.

A CPython older than the target does not know the newer syntax (PEP 695 generics and
``type``, PEP 701 f-strings, PEP 758 ``except A, B:``) and calls it invalid. Its verdict is
then taken only for what no version changes: errors found after parsing (``ast.parse``
accepts the file), indentation, escapes, nesting and encoding. For a plain "invalid syntax"
LibCST's parser judges instead, and only after a nesting check (CPython stopped at its first
error and never saw the rest of the file, where nesting LibCST cannot survive may wait).

Neither parser refuses syntax it knows that is newer than the target: LibCST's accepts all of
it whatever version it is told, CPython's all of its own. That is looked for in the parsed
module (:mod:`dynolint.phase1.newer_syntax`).
"""

from __future__ import annotations

import ast
import io
import sys
import threading
import tokenize
import warnings

from dynolint.phase1.pyversions import Version, running

MAX_BRACKETS = 200  # CPython's own limit on nested brackets, in every version
MAX_PREFIX = 1000  # prefix operators and keywords in one logical line (LibCST analyses 1,000 ``not``)
_PREFIX = frozenset({"not", "lambda", "await", "if", "else", "-", "+", "~", "*", "**"})
_OPEN = frozenset("([{")
_CLOSE = frozenset(")]}")

# Messages of errors CPython's parser raises the same way in every version.
_VERSIONLESS = ("too many nested parentheses", "null bytes", "(unicode error)", "(value error)", "encoding problem",
                "Non-UTF-8 code", "bytes can only contain ASCII", "too many statically nested blocks")


CPYTHON_RECURSION_LIMIT = 1000  # CPython's default: the limit ``python file.py`` compiles under


# CPython (3.11 and 3.12 at least) keeps the depth counter of the C code that turns a parse into
# ``ast`` objects in per-interpreter state, not per thread: two threads in ``ast.parse`` at once
# (dynolint's deep-stack thread checking a fix while the main thread judges a file's syntax)
# corrupt it, and one of them fails with "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905). Every ``ast.parse`` of dynolint takes this lock.
_AST_LOCK = threading.Lock()


def parse_ast(source: str | bytes) -> ast.Module:
    """``ast.parse(source)``, one thread at a time."""
    with _AST_LOCK:
        return ast.parse(source)


def compile_error(path: str, source: bytes) -> Exception | None:
    """What ``compile`` raises for ``source`` (compiling runs nothing), None if it compiles.
    The compiler's depth limits follow the recursion limit, which dynolint raises for its
    own deep walks: the file is compiled under CPython's default limit, so that what CPython
    refuses to compile (a 5,000-term ``a + a + ...``) is DYN000, as running it would show,
    rather than left to spin in LibCST."""
    previous = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(CPYTHON_RECURSION_LIMIT)
    except RecursionError:  # already deeper than that here: compile under the current limit
        previous = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the project's business, not ours
            compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, MemoryError, RecursionError, ValueError, UnicodeDecodeError, LookupError) as exc:
        return exc
    finally:
        if previous:
            sys.setrecursionlimit(previous)
    return None


def may_be_newer_syntax(source: bytes, error: Exception, target: Version,
                        now: Version | None = None) -> bool:
    """Whether CPython's ``error`` may only mean syntax newer than the running CPython,
    which a file written for ``target`` may use: then LibCST judges (see the module's
    docstring for what CPython keeps judging)."""
    if (now or running()) >= target:
        return False
    if type(error) is not SyntaxError:  # IndentationError, TabError, recursion, memory, encoding
        return False
    if any(text in (error.msg or "") for text in _VERSIONLESS):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parse_ast(source)
    except SyntaxError:
        return not too_deep(source)  # the parser rejected it: perhaps newer syntax
    except (MemoryError, RecursionError, ValueError):
        return False
    return False  # it parses: the error came after parsing, and holds in every version


def too_deep(source: bytes) -> bool:
    """Whether ``source`` nests brackets deeper than CPython allows, or chains more prefix
    operators in a logical line than LibCST is known to survive. Measured on the tokens of
    the running Python (which reads a newer f-string as strings and names: its brackets
    still balance)."""
    depth = prefix = 0
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            text = token.string
            if token.type == tokenize.OP or token.type == tokenize.NAME:
                if text in _OPEN:
                    depth += 1
                    if depth > MAX_BRACKETS:
                        return True
                elif text in _CLOSE:
                    depth = max(depth - 1, 0)
                elif text in _PREFIX:
                    prefix += 1
                    if prefix > MAX_PREFIX:
                        return True
            elif token.type == tokenize.NEWLINE:
                prefix = 0
    except SyntaxError:  # CPython's own tokenizer (3.12+) refused: nesting, or what it cannot vouch for
        return True
    except tokenize.TokenError as exc:  # at the end of the input all was measured; elsewhere, see above
        return not str(exc.args[0] if exc.args else "").startswith("EOF in multi-line")
    except (UnicodeDecodeError, LookupError):
        pass
    return False


def libcst_config(target: Version) -> object:
    """LibCST's parser configuration for ``target`` (clamped to the versions LibCST knows)."""
    import libcst as cst

    from dynolint.phase1.pyversions import newest

    version = min(target, newest())
    return cst.PartialParserConfig(python_version=f"{version[0]}.{version[1]}")
