"""Finding fingerprints and the baseline file.

A fingerprint names a finding without its line number: the rule, the file, the enclosing
function (``Finding.context``) and the normalised source text of the flagged statement
(comments and layout dropped). It survives lines added or removed elsewhere in the file and
edits to other statements; it changes when the flagged statement itself changes.

``dynolint check --write-baseline FILE`` records how many findings carry each fingerprint;
``--baseline FILE`` then reports only the findings beyond those counts, so a second identical
finding in the same function is still new.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import textwrap
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from dynolint.errors import DynolintError
from dynolint.findings import Finding

BASELINE_VERSION = 1
BASELINE_LIMIT = 64 << 20  # bytes: far more than any project's baseline
_LINE_BREAK = re.compile(r"\r\n?|\n")
_SKIPPED_TOKENS = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                             tokenize.ENDMARKER})


class BaselineError(DynolintError):
    """A baseline file cannot be read, or does not hold a dynolint baseline."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {problem}")


def decode_source(data: bytes) -> str:
    """Source bytes as the parser sees them (PEP 263 cookie, BOM), never raising."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return data.decode("utf-8", "replace")


class SourceLines:
    """The lines of the files findings point at, read once each.

    ``known`` holds sources that are not on disk (``-`` read from stdin) or that are already
    in memory, by the path findings carry. Other paths are read relative to ``base`` (the
    working directory by default) or as absolute paths."""

    def __init__(self, known: Mapping[str, bytes] | None = None, base: Path | None = None) -> None:
        self._known = dict(known or {})
        self._base = base
        self._lines: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            data = self._known.get(path)
            if data is None:
                target = Path(path)
                if not target.is_absolute() and self._base is not None:
                    target = self._base / target
                from dynolint.discovery import read_regular

                data = read_regular(target)  # never blocks on a FIFO a DYN000 points at
            self._lines[path] = None if data is None else _LINE_BREAK.split(decode_source(data))
        return self._lines[path]

    def text(self, path: str, first: int, last: int) -> str:
        """Lines ``first``..``last`` (1-based, inclusive) of ``path``; "" when unreadable."""
        lines = self.lines(path)
        if lines is None or first < 1:
            return ""
        return "\n".join(lines[first - 1:max(first, last)])

    def statement(self, finding: Finding) -> str:
        """The normalised source of the statement that holds the flagged node."""
        first = finding.stmt_line or finding.line
        last = max(finding.stmt_end_line or finding.end_line, first)
        return normalise(self.text(finding.path, first, last))


def normalise(text: str) -> str:
    """Source text without comments, indentation, layout or trailing commas: its tokens, one
    space apart. Falls back to collapsing whitespace when the text does not tokenize on its own."""
    tokens: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(textwrap.dedent(text).strip("\n") + "\n").readline):
            if token.type not in _SKIPPED_TOKENS:
                tokens.append(token.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        without_comments = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
        return " ".join(without_comments.split())
    # a trailing comma before a closing bracket is layout too (formatters add and remove it)
    kept = [t for i, t in enumerate(tokens) if not (t == "," and i + 1 < len(tokens) and tokens[i + 1] in ")]}")]
    return " ".join(kept)


def fingerprint(finding: Finding, statement: str, path: str | None = None) -> str:
    """A hex digest of the rule, the path, the enclosing function and the statement text."""
    parts = (finding.code, path if path is not None else finding.path, finding.context, statement)
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Baseline:
    """How many findings carry each fingerprint."""

    counts: Counter[str] = field(default_factory=Counter)
    root: Path = field(default_factory=Path.cwd)  # paths in fingerprints are relative to this

    def key_path(self, path: str, cwd: Path | None = None) -> str:
        """``path`` (as findings show it: relative to the working directory, or absolute)
        relative to the baseline file's directory, so the baseline works from any directory."""
        absolute = Path(path) if os.path.isabs(path) else (cwd or Path.cwd()) / path
        try:
            return Path(os.path.relpath(absolute.resolve(), self.root.resolve())).as_posix()
        except ValueError:  # another drive on Windows
            return absolute.as_posix()

    def fingerprints(self, findings: Iterable[Finding], sources: SourceLines) -> list[str]:
        return [fingerprint(f, sources.statement(f), self.key_path(f.path)) for f in findings]

    def split(self, findings: list[Finding], sources: SourceLines) -> tuple[list[Finding], list[Finding]]:
        """(new, known): each fingerprint's first ``count`` findings (in report order) are
        known; the rest are new."""
        remaining = Counter(self.counts)
        new: list[Finding] = []
        known: list[Finding] = []
        ordered = sorted(findings, key=Finding.sort_key)
        for finding, key in zip(ordered, self.fingerprints(ordered, sources)):
            if remaining[key] > 0:
                remaining[key] -= 1
                known.append(finding)
            else:
                new.append(finding)
        return new, known


def build(findings: list[Finding], sources: SourceLines, root: Path) -> tuple[Baseline, dict[str, object]]:
    """A baseline of ``findings`` and its JSON document (fingerprints with what they stand for)."""
    baseline = Baseline(root=root)
    ordered = sorted(findings, key=Finding.sort_key)
    entries: dict[str, dict[str, object]] = {}
    for finding, key in zip(ordered, baseline.fingerprints(ordered, sources)):
        baseline.counts[key] += 1
        entry = entries.setdefault(key, {"fingerprint": key, "code": finding.code,
                                         "path": baseline.key_path(finding.path), "context": finding.context,
                                         "message": finding.message, "count": 0})
        entry["count"] = baseline.counts[key]
    document: dict[str, object] = {
        "tool": "dynolint", "version": BASELINE_VERSION,
        "findings": sorted(entries.values(), key=lambda e: (str(e["path"]), str(e["code"]), str(e["fingerprint"]))),
    }
    return baseline, document


def write(path: Path, findings: list[Finding], sources: SourceLines) -> int:
    """Write the baseline of ``findings`` to ``path``; returns how many it records."""
    from dynolint.safefs import describe, write_file

    _, document = build(findings, sources, Path(os.path.abspath(path)).parent)
    try:  # a temporary file renamed over the baseline: never through a symbolic link, never half-written
        write_file(path, (json.dumps(document, indent=2, ensure_ascii=True) + "\n").encode("utf-8"))
    except OSError as exc:
        raise BaselineError(path, f"cannot write the baseline: {describe(exc)}") from exc
    return len(findings)


def load(path: Path) -> Baseline:
    """Read a baseline written by ``--write-baseline``; a ``BaselineError`` names the file."""
    from dynolint.safefs import describe, read_file

    try:  # a regular file, not through a symbolic link, never waiting on a FIFO
        text = read_file(path, follow=False, limit=BASELINE_LIMIT).decode("utf-8")
    except FileNotFoundError as exc:
        raise BaselineError(path, "no such baseline file (create it with --write-baseline)") from exc
    except OSError as exc:
        raise BaselineError(path, f"cannot read the baseline: {describe(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise BaselineError(path, f"cannot read the baseline: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError:  # the decoder stops at the interpreter's recursion limit
        raise BaselineError(path, "not valid JSON for a baseline: arrays or objects nested too deeply") from None
    except ValueError as exc:  # e.g. a number of more digits than int() converts (4,300)
        raise BaselineError(path, f"not valid JSON for a baseline: {exc}") from None
    if not isinstance(document, dict) or document.get("tool") != "dynolint":
        raise BaselineError(path, 'not a dynolint baseline (expected an object with "tool": "dynolint")')
    if document.get("version") != BASELINE_VERSION:
        raise BaselineError(path, f"unsupported baseline version {document.get('version')!r} "
                                  f"(this dynolint reads version {BASELINE_VERSION})")
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(path, '"findings" must be a list')
    baseline = Baseline(root=Path(os.path.abspath(path)).parent)
    for index, entry in enumerate(entries):
        key = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{64}", key):
            raise BaselineError(path, f"findings[{index}]: missing or malformed \"fingerprint\"")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise BaselineError(path, f"findings[{index}]: \"count\" must be a positive integer")
        baseline.counts[key] += count
    return baseline


__all__ = ["Baseline", "BaselineError", "SourceLines", "build", "decode_source", "fingerprint", "load",
           "normalise", "write"]
