"""A file's code without its comments and docstrings (and, as a second variant, without any
string): what the prefilter (:mod:`dynolint.phase1.prefilter`) reads, byte for byte as the
file is, so that words in comments, docstrings and messages do not make a file DynamoDB code.

The definition is :mod:`tokenize`'s: a comment or string token is blanked, a string counting
as a docstring when it is the first token of its logical line. Before Python 3.12,
``tokenize`` is pure Python and was most of the time of choosing the files to parse (a
tokenization each, on the main process before any worker starts). So there,
:func:`_scan` finds the same tokens with a few regular expressions, visiting only what
can change the answer (quotes, comments, brackets, line ends, backslashes and
indentation), and gives up, leaving the answer to ``tokenize``, wherever its rules are
not exactly those of ``tokenize`` (an encoding declaration, a byte order mark, bytes
that are not UTF-8, a carriage return alone, a NUL or form feed, a string not closed on
its line or in the file, a bracket closed too often or left open, a backslash before the
end of the file, an unindent to no outer level, a number glued to a string).
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from functools import lru_cache

Span = tuple[tuple[int, int], tuple[int, int]]  # (row, column), (row, column): rows 1-based, columns in characters

_NEXT = re.compile(r"""[#'"()\[\]{}\\\n]""")  # what can start or end a token that matters here
_WORD = re.compile(r"\w")
_INDENT = re.compile(r"[ \t]*")
_COMMENT_END = re.compile(r"[\r\n]")
# the end of a string after its opening quote, as tokenize's ContStr (a continuation aside)
_SINGLE = {"'": re.compile(r"[^\n'\\]*(?:\\.[^\n'\\]*)*'"), '"': re.compile(r'[^\n"\\]*(?:\\.[^\n"\\]*)*"')}
_PURE_PYTHON_TOKENIZE = sys.version_info < (3, 12)  # 3.12 tokenizes with the C tokenizer (f-strings in parts)


def code_text(data: bytes, strings: bool) -> bytes:
    """``data`` with its comments and docstrings blanked, and with ``strings`` every other
    string too (same length in bytes, lines kept); the bytes as they are when they do not
    tokenize."""
    return _code_texts(data)[1 if strings else 0]


@lru_cache(maxsize=64)
def _code_texts(data: bytes) -> tuple[bytes, bytes]:
    """Both :func:`code_text` variants of ``data``, from one pass over it: the questions
    about a file ask for both."""
    found = _scan(data, *_rules()) if _PURE_PYTHON_TOKENIZE else None
    if found is None:
        found = _tokenized(data)
    if found is None:
        return data, data
    always, every = found
    return _blanked(data, always), _blanked(data, every)


@lru_cache(maxsize=1)
def _rules() -> tuple[dict[str, re.Pattern[str]], frozenset[str]]:
    """tokenize's own: the end of a triple-quoted string after its opening quotes (over
    lines: a backslash and its line end are one escape, as tokenize's line-by-line match
    has it), and the string prefixes. (tokenize is imported only here and below: the
    pre-commit fast path answers most files without it.)"""
    import tokenize

    return ({"'": re.compile(tokenize.Single3, re.DOTALL), '"': re.compile(tokenize.Double3, re.DOTALL)},
            frozenset(tokenize._all_string_prefixes()))


def _tokenized(data: bytes) -> tuple[list[Span], list[Span]] | None:
    """The spans of the comments and docstrings, and of those and every other string in
    order, as ``tokenize`` finds them; None when ``data`` does not tokenize."""
    import io
    import tokenize

    fstring_parts = tuple(getattr(tokenize, name) for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                          if hasattr(tokenize, name))  # Python 3.12 tokenizes f-strings into parts
    always: list[Span] = []
    every: list[Span] = []
    previous = tokenize.NEWLINE
    statement_start = (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
    try:
        for token in tokenize.tokenize(io.BytesIO(data).readline):
            kind = token.type
            if kind == tokenize.COMMENT or kind == tokenize.STRING and previous in statement_start:
                always.append((token.start, token.end))
                every.append((token.start, token.end))
            elif kind == tokenize.STRING or kind in fstring_parts:
                every.append((token.start, token.end))
            if kind not in (tokenize.COMMENT, tokenize.NL):
                previous = kind
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return None
    return always, every


def _scan(data: bytes, triple: dict[str, re.Pattern[str]], prefixes: frozenset[str]
          ) -> tuple[list[Span], list[Span]] | None:
    """What :func:`_tokenized` gives, without ``tokenize`` (Python before 3.12: the rules
    are those of its pure-Python tokenizer); None where the rules differ (see the module's
    docstring), for ``tokenize`` to answer."""
    if b"\0" in data or b"\f" in data or data.startswith(b"\xef\xbb\xbf") or b"coding" in b"".join(data.split(b"\n", 2)[:2]):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.count("\r") != text.count("\r\n"):
        return None
    size = len(text)
    always: list[tuple[int, int]] = []  # offsets in characters
    every: list[tuple[int, int]] = []
    indents = [0]
    depth = 0  # brackets open
    first = True  # no token yet on this logical line (tokenize's previous token is NEWLINE, INDENT, DEDENT)
    clean_from = 0  # where the text that must hold no token for ``first`` to stay true starts
    at = 0
    if not _dedent_fits(text, 0, indents):
        return None
    while True:
        found = _NEXT.search(text, at)
        if found is None:
            break
        where = found.start()
        char = text[where]
        if char == "\n":
            at = where + 1
            if depth == 0:  # NEWLINE (or NL of a blank line): a new logical line starts
                first, clean_from = True, at
                if not _dedent_fits(text, at, indents):
                    return None
            continue
        start = where
        if char in "'\"":
            run = where
            while run > 0 and _WORD.match(text, run - 1):
                run -= 1
            if run < where:
                if text[run] in "0123456789":
                    return None  # a number before a string: tokenize splits it by its own rules
                if text[run:where] in prefixes:
                    start = run
        if first and start > clean_from and text[clean_from:start].strip(" \t\r"):
            first = False
        if char == "#":
            end = _COMMENT_END.search(text, where)
            at = end.start() if end is not None else size
            always.append((where, at))
            every.append((where, at))
            clean_from = at
        elif char in "'\"":
            if text.startswith(char * 3, where):
                end = triple[char].match(text, where + 3)
            else:
                end = _SINGLE[char].match(text, where + 1)
            if end is None:
                return None  # not closed (on its line): tokenize's errors and continuations
            at = end.end()
            if first:
                always.append((start, at))
            every.append((start, at))
            first = False
        elif char == "\\":
            at = where + 1
            if text.startswith("\n", at) or text.startswith("\r\n", at):
                at = text.index("\n", at) + 1
                if at >= size:
                    return None  # tokenize: EOF in multi-line statement
                clean_from = at
            else:
                first = False
        else:
            at = where + 1
            depth += 1 if char in "([{" else -1
            if depth < 0:
                return None
            first = False
    if depth:
        return None  # tokenize: EOF in multi-line statement
    return _rows_and_columns(text, always), _rows_and_columns(text, every)


def _dedent_fits(text: str, at: int, indents: list[int]) -> bool:
    """Track the indentation of the logical line starting at ``at`` as tokenize does
    (tabs to the next multiple of 8); False where tokenize raises IndentationError."""
    blank = _INDENT.match(text, at)
    end = blank.end() if blank is not None else at
    if end >= len(text) or text[end] in "#\r\n":
        return True  # the end, a blank line or a comment line: no indentation
    leading = text[at:end]
    column = 0
    if "\t" in leading:
        for char in leading:
            column = (column // 8 + 1) * 8 if char == "\t" else column + 1
    else:
        column = len(leading)
    if column > indents[-1]:
        indents.append(column)
    while column < indents[-1]:
        if column not in indents:
            return False
        indents.pop()
    return True


def _rows_and_columns(text: str, spans: list[tuple[int, int]]) -> list[Span]:
    """Character offsets as tokenize's (row, column) positions."""
    if not spans:
        return []
    starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def position(offset: int) -> tuple[int, int]:
        row = bisect_right(starts, offset)
        return row, offset - starts[row - 1]

    return [(position(start), position(end)) for start, end in spans]


def _blanked(data: bytes, spans: list[Span]) -> bytes:
    """``data`` with the tokens at ``spans``, one after the other, replaced by spaces byte
    for byte, line ends kept."""
    if not spans:
        return data
    lines = data.splitlines(keepends=True)
    for (row, col), (end_row, end_col) in spans:
        for number in range(row, min(end_row, len(lines)) + 1):
            raw = lines[number - 1]
            text = raw.decode("utf-8", "surrogateescape")
            start = len(text[:col].encode("utf-8", "surrogateescape")) if number == row else 0
            stop = (len(text[:end_col].encode("utf-8", "surrogateescape")) if number == end_row
                    else len(raw.rstrip(b"\r\n")))
            lines[number - 1] = raw[:start] + b" " * (stop - start) + raw[stop:]
    return b"".join(lines)
