"""``.gitignore`` as git reads it, matched without backtracking.

The patterns are parsed by ``pathspec`` (its git flavour, ``GitIgnoreSpecPattern``: escapes,
trailing spaces, ``**``, character classes, negation). They are matched the way git does,
one walked entry at a time: each ``.gitignore`` file is a *level* whose patterns are
relative to its own directory; an entry is matched against the levels of its own ancestors
only, the deepest level with a matching pattern decides, and within a level the last
matching pattern does. ``$GIT_DIR/info/exclude`` is the lowest level. A pattern matches an
entry itself, never through one of its parent directories: the walk never enters an ignored
directory (so nothing under it can be re-included, as in git), and a directory named on the
command line is walked even when it is ignored, as an explicitly named file is taken.

The regular expressions pathspec builds are run by RE2 (``google-re2``), whose time is
linear in the name: a line such as ``a**a**a**...b`` made Python's ``re`` backtrack for
minutes on a 36-character name. Names and patterns are matched as bytes (Latin-1 mode), as
git's own ``wildmatch`` does, so a non-UTF-8 file name is matched too.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence


try:
    import re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - google-re2 is a dependency (pathspec[re2])
    re2 = None

_DIR_MARK = "(?P<ps_d>/)"          # pathspec's "a directory, its contents follow" marker
_DIR_MARK_OR_END = f"(?:{_DIR_MARK}|$)"
_INSIDE = re.compile(r"/\*\*/ *$")  # a line ending in "/**/": the directories below a folder


class _Matcher(Protocol):
    def Match(self, text: bytes) -> list[int]: ...  # noqa: N802 - RE2's Set interface


class _Backtracking:
    """The same interface over Python's ``re``, used only where RE2 cannot be imported."""

    def __init__(self) -> None:
        self._regexes: list[re.Pattern[bytes]] = []

    def Add(self, regex: bytes) -> int:  # noqa: N802
        self._regexes.append(re.compile(regex, re.DOTALL))
        return len(self._regexes) - 1

    def Compile(self) -> bool:  # noqa: N802
        return True

    def Match(self, text: bytes) -> list[int]:  # noqa: N802
        return [index for index, regex in enumerate(self._regexes) if regex.search(text)]


_CHUNK = 256  # regexes per RE2 set: RE2 refuses to compile a set past its memory budget


class _Chunked:
    """Sets of at most ``_CHUNK`` regexes each, matched as one (indices run on across them)."""

    def __init__(self, chunks: list[tuple[int, _Matcher]]) -> None:
        self._chunks = chunks  # (index of the chunk's first regex, its set), in order

    def Match(self, text: bytes) -> list[int]:  # noqa: N802
        for offset, matcher in reversed(self._chunks):  # the last chunk with a hit holds the last hit
            hits = matcher.Match(text)
            if hits:
                return [offset + max(hits)]
        return []


def _set(regexes: Sequence[bytes]) -> tuple[_Matcher, list[int]] | None:
    """A compiled set of ``regexes`` and the positions (in ``regexes``) of those it holds;
    a regex the engine refuses is left out, as git leaves out a line it cannot use
    (pathspec writes Python syntax; RE2 reads nearly all of it). None when none is left
    or the set does not compile."""
    matcher: Any  # an RE2 set (Add, Compile, Match), or the same over Python's re
    if re2 is None:  # pragma: no cover
        matcher = _Backtracking()
    else:
        options = re2.Options()
        options.encoding = re2.Options.Encoding.LATIN1
        options.log_errors = False
        options.dot_nl = True  # a "*" matches a newline in a file name too, as in git
        matcher = re2.Set.SearchSet(options)
    held = []
    for position, regex in enumerate(regexes):
        try:
            matcher.Add(regex)
        except Exception:  # noqa: BLE001 - re2.error or re.error: this one line is unusable
            continue
        held.append(position)
    if not held:
        return None
    try:
        matcher.Compile()
    except Exception:  # noqa: BLE001 - over RE2's memory budget
        return None
    return matcher, held


def _matcher(regexes: Sequence[tuple[bytes, bool]]) -> tuple[_Matcher | None, tuple[bool, ...]]:
    """A matcher of all ``regexes`` at once, and whether each pattern it holds (by index)
    is a negation."""
    chunks: list[tuple[int, _Matcher]] = []
    negated: list[bool] = []
    pending = [list(regexes[start:start + _CHUNK]) for start in range(0, len(regexes), _CHUNK)]
    while pending:
        part = pending.pop(0)
        built = _set([regex for regex, _ in part])
        if built is None and len(part) > 1:  # too big for one set after all: halve it
            half = len(part) // 2
            pending[:0] = [part[:half], part[half:]]
            continue
        if built is None:
            continue
        matcher, held = built
        chunks.append((len(negated), matcher))
        negated += [part[position][1] for position in held]
    if not chunks:
        return None, ()
    return (chunks[0][1] if len(chunks) == 1 else _Chunked(chunks)), tuple(negated)


@functools.lru_cache(maxsize=4096)  # the same lines recur in the ignore files of a monorepo
def _entry_regexes(line: str) -> tuple[bytes | None, bytes | None, bool] | None:
    """(regex for files, regex for directories, negated) of one ``.gitignore`` line, each
    matching an entry's own path (relative to the file's directory, no trailing slash)
    only; None for blank lines, comments and patterns git would not use."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern  # here: a tree without ignore files never needs it

    try:  # the regex text only: compiling it with Python's re would take a millisecond a line
        text, include = GitIgnoreSpecPattern.pattern_to_regex(line)
    except ValueError:  # e.g. a lone "!": git ignores such a line too
        return None
    if include is None or not isinstance(text, str):
        return None
    if text.endswith(_DIR_MARK_OR_END):    # "name": the entry itself, file or directory
        both = text[:-len(_DIR_MARK_OR_END)] + "$"
        for_files, for_dirs = both, both
    elif text.endswith(_DIR_MARK):         # "name/": directories only
        inside = _INSIDE.search(line) is not None and text.startswith("^")
        # pathspec reads "a/**/" as "a/" (the same files); to git it is the folders in "a"
        for_files, for_dirs = None, text[:-len(_DIR_MARK)] + ("/.+$" if inside else "$")
    elif _DIR_MARK in text:                # not produced by pathspec today: do not guess
        return None
    else:                                  # "*", "a/**", "a/**/b/**": as pathspec built it
        for_files = for_dirs = text

    def entry(kind: bytes, regex: str | None) -> bytes | None:
        """``regex`` for the text ``kind + path``: one set holds the regexes of both kinds."""
        if regex is None:
            return None
        body = regex[1:] if regex.startswith("^") else ".*?" + regex  # pathspec's search semantics
        return b"^" + kind + body.encode("utf-8", "surrogateescape")

    return entry(_FILE, for_files), entry(_DIR, for_dirs), not include


_FILE, _DIR = b"\\x00f", b"\\x00d"  # NUL cannot be part of a file name
_FILE_TEXT, _DIR_TEXT = b"\x00f", b"\x00d"


@dataclass(frozen=True, slots=True)
class Level:
    """The patterns of one ignore file, relative to ``base`` (an absolute directory)."""

    base: str
    matcher: _Matcher
    negated: tuple[bool, ...]  # by index in ``matcher``

    @classmethod
    def parse(cls, base: str, data: bytes) -> Level | None:
        """The level of an ignore file's bytes; None when it has no pattern."""
        matcher, negated = _compiled(data)
        return None if matcher is None else cls(base.rstrip("/") or "/", matcher, negated)

    def decides(self, path: str, is_dir: bool) -> bool | None:
        """True (ignored) or False (re-included by a negation) when a pattern of this level
        matches ``path`` (absolute, below ``base``), else None."""
        start = len(self.base) + 1 if self.base != "/" else 1
        hits = self.matcher.Match((_DIR_TEXT if is_dir else _FILE_TEXT) + os.fsencode(path[start:]))
        if not hits:
            return None
        return not self.negated[max(hits)]  # the last matching pattern of the file decides


@functools.lru_cache(maxsize=1024)  # the same ignore file, copied into many sub-projects
def _compiled(data: bytes) -> tuple[_Matcher | None, tuple[bool, ...]]:
    """The matcher of an ignore file's bytes, and whether each of its patterns (by index,
    in the order of the file) is a negation."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    regexes: list[tuple[bytes, bool]] = []
    for raw in data.split(b"\n"):  # git splits on LF only
        parsed = _entry_regexes(raw.decode("utf-8", "surrogateescape"))
        if parsed is None:
            continue
        for_files, for_dirs, negated = parsed
        regexes += [(regex, negated) for regex in (for_files, for_dirs) if regex is not None]
    return _matcher(regexes)


def ignored(levels: Sequence[Level], path: str, is_dir: bool) -> bool:
    """Is the entry ``path`` (absolute) ignored by ``levels`` (outermost first)?"""
    for level in reversed(levels):
        decision = level.decides(path, is_dir)
        if decision is not None:
            return decision
    return False


Reader = Callable[[str], "bytes | None"]


def _git_dir(work_tree: str, read: Reader) -> str | None:
    """The git directory of a work tree: ``.git`` itself, or where a ``.git`` file (a linked
    work tree, a submodule) points; the common directory of a linked work tree, which holds
    ``info/exclude``."""
    dot_git = os.path.join(work_tree, ".git")
    if os.path.isdir(dot_git) and not os.path.islink(dot_git):
        return dot_git
    data = read(dot_git)
    if data is None or not data.startswith(b"gitdir:"):
        return None
    target = os.fsdecode(data[len(b"gitdir:"):].strip())
    git_dir = os.path.normpath(os.path.join(work_tree, target))
    common = read(os.path.join(git_dir, "commondir"))
    if common is not None:
        git_dir = os.path.normpath(os.path.join(git_dir, os.fsdecode(common.strip())))
    return git_dir


def repository_levels(directory: str, read: Reader) -> list[Level]:
    """The levels of a work tree whose root is ``directory`` starts with: its
    ``info/exclude`` (empty when ``directory`` holds no repository)."""
    git_dir = _git_dir(directory, read)
    if git_dir is None:
        return []
    data = read(os.path.join(git_dir, "info", "exclude"))
    level = Level.parse(directory, data) if data else None
    return [level] if level is not None else []


def is_work_tree(directory: str) -> bool:
    """Does ``directory`` hold a git repository of its own (``.git``, folder or file)?"""
    return os.path.lexists(os.path.join(directory, ".git"))


def levels_above(base: str, read: Reader) -> list[Level]:
    """The levels that apply to the entries of directory ``base`` (absolute, resolved):
    inside a git work tree, its ``info/exclude`` and the ``.gitignore`` files from the root
    of the work tree down to ``base``; outside one, every ``.gitignore`` from the root of
    the file system down (what ruff does too)."""
    chain = [base]
    while not is_work_tree(chain[-1]):
        parent = os.path.dirname(chain[-1])
        if parent == chain[-1]:
            break
        chain.append(parent)
    levels = repository_levels(chain[-1], read)
    for directory in reversed(chain):
        level = gitignore_level(directory, read)
        if level is not None:
            levels.append(level)
    return levels


def gitignore_level(directory: str, read: Reader) -> Level | None:
    """The level of ``directory``'s ``.gitignore`` (None when absent or unreadable)."""
    data = read(os.path.join(directory, ".gitignore"))
    return Level.parse(directory, data) if data else None
