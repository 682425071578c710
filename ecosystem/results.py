"""The pure parts of the ecosystem check: the repository list, stable finding keys, the
difference between two runs, and precision per rule family from the triage file.

A finding is keyed by its rule, its repository-relative path, its enclosing context (the
qualified name of the function or class around it, ``<module>`` at top level) and a digest of
the normalised text of the flagged statement (only the header of a compound statement), not by
its line: lines added elsewhere in a file do not make it new. The digest, not the text, is what
the recorded files keep, so no code of those repositories is copied into this one.
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

FAMILIES = ("DYN1", "DYN2", "DYN3")
VERDICTS = ("true", "false", "debatable")
Key = tuple[str, str, str, str]  # code, path, context, statement digest


@dataclass(frozen=True)
class Repo:
    """One row of repos.tsv."""

    name: str  # owner/name
    commit: str
    about: str

    @property
    def slug(self) -> str:
        """``owner+name``: the mirror's and the checkout's folder name."""
        return self.name.replace("/", "+")


class RepoListError(ValueError):
    """repos.tsv has a row that is not ``owner/name<TAB>commit[<TAB>what it is]``."""


def parse_repos(text: str) -> list[Repo]:
    """The rows of repos.tsv; ``#`` lines and blank lines are skipped."""
    repos: list[Repo] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = line.split("\t")
        name, commit = cells[0].strip(), cells[1].strip() if len(cells) > 1 else ""
        owner, _, short = name.partition("/")
        if not owner or not short or "/" in short or ".." in name or len(commit) != 40 \
                or any(c not in "0123456789abcdef" for c in commit.lower()):
            raise RepoListError(f"line {number}: expected owner/name<TAB>40-hex commit, got {line!r}")
        repos.append(Repo(name, commit.lower(), cells[2].strip() if len(cells) > 2 else ""))
    return repos


def family(code: str) -> str:
    """``DYN1``, ``DYN2`` or ``DYN3`` (``DYN0`` for syntax and suppression findings)."""
    return code[:4]


# ------------------------------------------------------------------------------------------
# keys
# ------------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """Source text as its tokens one space apart (no comments, layout or indentation)."""
    tokens: list[str] = []
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENDMARKER}
    try:
        lines = [line.strip() for line in text.splitlines()]
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type not in skipped:
                tokens.append(token.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return " ".join(" ".join(line.split("#", 1)[0] for line in text.splitlines()).split())
    return " ".join(tokens)


class SourceIndex:
    """The enclosing context and statement text of a line, for one file's source."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.spans: list[tuple[int, int, int, str, ast.stmt]] = []  # first, last, depth, context, node
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        self._walk(tree.body, "<module>", 0)

    def _walk(self, body: list[ast.stmt], context: str, depth: int) -> None:
        for node in body:
            self.spans.append((node.lineno, node.end_lineno or node.lineno, depth, context, node))
            inner = context
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = node.name if context == "<module>" else f"{context}.{node.name}"
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, field, None) or []
                stmts: list[ast.stmt] = []
                for child in children:
                    if isinstance(child, (ast.ExceptHandler, ast.match_case)):
                        stmts.extend(child.body)
                    elif isinstance(child, ast.stmt):
                        stmts.append(child)
                self._walk(stmts, inner, depth + 1)

    def locate(self, line: int) -> tuple[str, str]:
        """(context, normalised statement text) for the innermost statement holding ``line``."""
        best = None
        for first, last, depth, context, node in self.spans:
            if first <= line <= last and (best is None or depth > best[2]):
                best = (first, last, depth, context, node)
        if best is None:
            text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            return "<module>", normalise(text)
        first, last, _, context, node = best
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            last = max(first, body[0].lineno - 1)  # a compound statement: its header only
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                context = node.name if context == "<module>" else f"{context}.{node.name}"
        return context, normalise("\n".join(self.lines[first - 1:last]))


def digest(statement: str) -> str:
    """A short stable digest of a normalised statement."""
    return hashlib.sha256(statement.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def finding_key(finding: Mapping[str, object], index: SourceIndex) -> Key:
    """The stable key of one JSON finding whose path is repository-relative."""
    context, statement = index.locate(int(finding.get("line", 0) or 0))  # type: ignore[call-overload]
    return str(finding["code"]), str(finding["path"]), context, digest(statement)


def key_of(entry: Mapping[str, object]) -> Key:
    """The key of a recorded entry (last run or triage)."""
    return str(entry["code"]), str(entry["path"]), str(entry["context"]), str(entry["statement"])


# ------------------------------------------------------------------------------------------
# runs compared
# ------------------------------------------------------------------------------------------

def diff(last: Iterable[Mapping[str, object]], current: Iterable[Mapping[str, object]]
         ) -> tuple[list[Mapping[str, object]], list[Mapping[str, object]]]:
    """(appeared, vanished): the entries of ``current`` beyond the count of their key in
    ``last``, and the entries of ``last`` beyond the count of their key in ``current``."""
    def beyond(ours: Iterable[Mapping[str, object]], theirs: Iterable[Mapping[str, object]]
               ) -> list[Mapping[str, object]]:
        budget = Counter(key_of(e) for e in theirs)
        extra = []
        for entry in ours:
            key = key_of(entry)
            if budget[key]:
                budget[key] -= 1
            else:
                extra.append(entry)
        return extra

    last, current = list(last), list(current)
    return beyond(current, last), beyond(last, current)


# ------------------------------------------------------------------------------------------
# triage
# ------------------------------------------------------------------------------------------

def verdicts(triage: Mapping[str, object]) -> dict[tuple[str, Key], list[tuple[int, str]]]:
    """(repository, key) -> the verdicts recorded under that key, as (line, verdict) in line
    order: one function can hold the same statement twice (two ``put_item(Item=x)``), each
    with its own verdict."""
    found: dict[tuple[str, Key], list[tuple[int, str]]] = {}
    for entry in triage.get("findings", []) or []:  # type: ignore[attr-defined]
        verdict = str(entry.get("verdict", ""))
        if verdict not in VERDICTS:
            raise ValueError(f"triage: verdict {verdict!r} for {entry!r} is not one of {VERDICTS}")
        found.setdefault((str(entry["repo"]), key_of(entry)), []).append((int(entry.get("line", 0) or 0), verdict))
    for recorded in found.values():
        recorded.sort()
    return found


def judged(current: Mapping[str, Iterable[Mapping[str, object]]], triage: Mapping[str, object],
           ) -> list[tuple[str, Mapping[str, object], str | None]]:
    """Each current finding with its verdict (None: untriaged). Findings that share a key take
    the verdicts recorded under it in line order."""
    known = verdicts(triage)
    out: list[tuple[str, Mapping[str, object], str | None]] = []
    for repo, findings in current.items():
        by_key: dict[Key, list[Mapping[str, object]]] = {}
        for entry in findings:
            by_key.setdefault(key_of(entry), []).append(entry)
        for key, entries in by_key.items():
            recorded = [verdict for _, verdict in known.get((repo, key), [])]
            for position, entry in enumerate(sorted(entries, key=lambda e: int(e.get("line", 0) or 0))):
                out.append((repo, entry, recorded[position] if position < len(recorded) else None))
    return out


def precision(current: Mapping[str, Iterable[Mapping[str, object]]], triage: Mapping[str, object],
              families: Iterable[str] = FAMILIES) -> dict[str, dict[str, float | int | None]]:
    """Per family: true, false, debatable and untriaged counts of the current findings, the
    triage file's misses in the repositories checked, and precision = true / (true + false +
    debatable)."""
    table = {fam: {"true": 0, "false": 0, "debatable": 0, "untriaged": 0, "misses": 0} for fam in families}
    for _, entry, verdict in judged(current, triage):
        row = table.get(family(str(entry["code"])))
        if row is not None:
            row[verdict or "untriaged"] += 1
    for miss in triage.get("misses", []) or []:  # type: ignore[attr-defined]
        if str(miss.get("repo", "")) not in current:
            continue  # a miss counts only when its repository was checked in this run
        row = table.get(str(miss.get("family", ""))[:4])
        if row is not None:
            row["misses"] += 1
    result: dict[str, dict[str, float | int | None]] = {}
    for fam, row in table.items():
        counted = row["true"] + row["false"] + row["debatable"]
        result[fam] = {**row, "precision": row["true"] / counted if counted else None}
    return result
