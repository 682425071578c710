"""What each analysis root depends on, so that a run reporting the findings of a few files
(the pre-commit hook: ``check --project . FILE``) interprets only the roots that can reach them.

A root's **footprint**, recorded by a run that interprets every root, is

* the files whose code it ran: every frame it opened, every summary it reused (a summary
  carries the files its call ran, :mod:`dynolint.model.summaries`), so a callee reused
  without events there is counted, in case the change gives it some;
* the roots whose writes to shared state it read (an attribute stored on an object, a value
  stored into a module global or its entries, a value known to be true): those roots ran
  before it and left what it saw. Writes made while an on-demand table is filled (a class
  body, the instance a method root runs on, a module body imported from a function) belong
  to no root: whichever root needs the entry first fills it again.

A focused run takes the roots whose footprint holds a changed file (the files reported on,
and any file whose bytes differ from those the footprints were recorded from), the roots of
the changed files, the roots that declared infrastructure (CDK code: the rules read it for
every function) and the roots the map does not know (new functions, new template methods),
closes that set over what each reads, and interprets those roots in the usual order, after
the module bodies of the files whose code they ran (a module body nothing imports does not run).

Findings in a file, and findings related to it, come from roots that ran its code, so a
focused run reports what a whole run reports for those files; the equality is tested over
the fixture projects (``tests/test_focused_runs.py``). What it cannot see: a root that did
not reach the changed file when the map was recorded and now does only because of the change
(a new override its calls now dispatch to). A whole run (CI, ``dynolint check``) records the
map afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RootKey = tuple[str, str, str]  # (path, qualname or "<module>", "path:class" a template method runs on, or "")


@dataclass(frozen=True, slots=True)
class Footprint:
    paths: frozenset[str]
    feeds: frozenset[RootKey]
    declares: bool = False  # it declared infrastructure (CDK constructs): every focused run needs it


@dataclass(frozen=True, slots=True)
class Focus:
    """The roots a focused run interprets: the function roots it does not know and the
    selected ones; the module bodies of the files whose code they ran (the others run when
    something imports them)."""

    known: frozenset[RootKey]
    selected: frozenset[RootKey]
    modules: frozenset[str]
    _known_functions: frozenset[tuple[str, str]] = field(init=False)
    _selected_functions: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_known_functions", frozenset(key[:2] for key in self.known))
        object.__setattr__(self, "_selected_functions", frozenset(key[:2] for key in self.selected))

    def runs(self, key: RootKey) -> bool:
        return key not in self.known or key in self.selected

    def may_run(self, path: str, qualname: str) -> bool:
        """Can a root of this function run: one of its roots (once per receiver class, or
        once) is selected, or none is known. False spares working out the classes it runs
        on (the subclasses of its class, whose modules that would evaluate): a new
        receiver class added elsewhere is a new override, which a focused run does not see."""
        key = (path, qualname)
        return key not in self._known_functions or key in self._selected_functions


@dataclass
class Recorder:
    """Records the footprint of each root while the interpreter runs (a whole run only)."""

    on: bool = True
    current: RootKey | None = None
    paths: set[str] = field(default_factory=set)
    feeds: set[RootKey] = field(default_factory=set)
    writer: dict[object, RootKey | None] = field(default_factory=dict)  # shared cell -> the root that last wrote it
    filling: int = 0  # on-demand tables being filled (their writes belong to no root)
    out: dict[RootKey, Footprint] = field(default_factory=dict)

    def begin(self, key: RootKey) -> None:
        self.current = key
        self.paths = {key[0]}
        self.feeds = set()

    def end(self, declares: bool = False) -> None:
        key = self.current
        if key is not None:
            self.feeds.discard(key)
            self.out[key] = Footprint(frozenset(self.paths), frozenset(self.feeds), declares)
        self.current = None

    def ran(self, paths: set[str] | frozenset[str]) -> None:
        if self.current is not None:
            self.paths |= paths

    def read(self, cell: object) -> None:
        writer = self.writer.get(cell)
        if writer is not None and self.current is not None:
            self.feeds.add(writer)

    def wrote(self, cell: object) -> None:
        if self.on:
            self.writer[cell] = None if self.filling else self.current


def select(known: dict[RootKey, Footprint], changed: frozenset[str]) -> Focus:
    """The roots of ``known`` a change of the files ``changed`` can reach, and what they read."""
    todo = [key for key, footprint in known.items()
            if footprint.declares or key[2].rsplit(":", 1)[0] in changed or footprint.paths & changed]
    selected: set[RootKey] = set()
    modules = set(changed)
    while todo:
        key = todo.pop()
        if key in selected:
            continue
        selected.add(key)
        footprint = known.get(key)
        if footprint is not None:
            todo.extend(footprint.feeds - selected)
            modules |= footprint.paths
    return Focus(frozenset(known), frozenset(selected), frozenset(modules))


__all__ = ["Footprint", "Focus", "Recorder", "RootKey", "select"]
