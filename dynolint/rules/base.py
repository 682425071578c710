"""What a rule is: a code, a name, documentation under fixed headings, examples that the
tests run, and a pure ``check(model)`` that returns findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterable, Iterator, TypeVar

from dynolint.errors import origin
from dynolint.findings import Finding, Severity

if TYPE_CHECKING:
    from dynolint.model.analysis import Model

T = TypeVar("T")
MAX_FAILURES = 20  # items that may fail in one rule before the rule is given up

DOC_HEADINGS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options",
                "Known problems", "References")


@dataclass(frozen=True, slots=True)
class RuleDocs:
    what_it_does: str
    why_is_this_bad: str
    example: str
    use_instead: str
    fix_safety: str = ""
    options: str = ""
    known_problems: str = ""
    references: tuple[str, ...] = ()

    def sections(self) -> list[tuple[str, str]]:
        """(heading, body) for each heading that applies, in the fixed order."""
        bodies = (self.what_it_does, self.why_is_this_bad, f"```python\n{self.example.strip()}\n```",
                  f"```python\n{self.use_instead.strip()}\n```", self.fix_safety, self.options,
                  self.known_problems, "\n".join(f"- {r}" for r in self.references))
        return [(heading, body.strip()) for heading, body in zip(DOC_HEADINGS, bodies) if body.strip()]


@dataclass(frozen=True, slots=True)
class Example:
    """A small project (path -> source) and the lines where the rule must report.
    Lines are written in the source as a trailing ``# expect: CODE`` comment."""

    files: tuple[tuple[str, str], ...]
    note: str = ""


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    docs: ClassVar[RuleDocs]
    valid: ClassVar[tuple[Example, ...]] = ()
    invalid: ClassVar[tuple[Example, ...]] = ()
    _loop: int  # the pass of check() running (each() counts them)
    _current: tuple[tuple[int, int], object] | None  # ((pass, position), item) each() is at

    def check(self, model: Model) -> Iterable[Finding]:
        raise NotImplementedError

    # -- isolation: one item that makes a rule fail must not lose the others -------------
    def each(self, items: Iterable[T]) -> Iterator[T]:
        """The items a rule's ``check`` loops over, minus those that made it fail before."""
        self._loop = getattr(self, "_loop", -1) + 1
        for position, item in enumerate(items):
            key = (self._loop, position)
            if key in getattr(self, "_skip", ()):  # check() may be called without run()
                continue
            self._current = (key, item)
            yield item
        self._current = None

    def run(self, model: Model, out: list[Finding]) -> Iterator[tuple[str, str]]:
        """``check`` the model, adding its findings to ``out``. When the rule raises on an
        item, yields ``(path, message)`` naming the rule and the item's place, and runs the
        rule again without that item."""
        self._skip: set[tuple[int, int]] = set()
        while True:
            self._loop, self._current = -1, None
            found: list[Finding] = []
            try:
                found.extend(self.check(model))
            except Exception as exc:  # noqa: BLE001 - reported, never fatal
                current = self._current
                where = _place(model, current[1]) if current is not None else ("", 0)
                at = f" at line {where[1]}" if where[1] else ""
                yield where[0], (f"internal error in rule {self.code} ({self.name}){at}: "
                                 f"{type(exc).__name__}: {exc} [{origin(exc)}]")
                if current is None or len(self._skip) >= MAX_FAILURES:
                    return
                self._skip.add(current[0])
                continue
            out.extend(found)
            return


def example(source: str, path: str = "handler.py", extra: dict[str, str] | None = None,
            note: str = "") -> Example:
    """An example project: ``source`` at ``path``, plus ``extra`` files (path -> text)."""
    files = [(path, source.strip("\n") + "\n")]
    files.extend((name, text.strip("\n") + "\n") for name, text in (extra or {}).items())
    return Example(tuple(files), note)


def _place(model: Model, item: object) -> tuple[str, int]:
    """The file and line of what a rule was looking at (an event, a race, a tuple of them)."""
    for candidate in (item, *(item if isinstance(item, tuple) else ())):
        for owner in (candidate, getattr(candidate, "write", None)):
            loc = getattr(owner, "loc", None)
            if isinstance(loc, tuple) and len(loc) == 2 and isinstance(loc[0], str):
                return loc[0], model.line_of(loc)
    return "", 0


