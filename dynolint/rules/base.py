"""What a rule is: a code, a name, documentation under fixed headings, examples that the
tests run, and a pure ``check(model)`` that returns findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterable

from dynolint.findings import Finding, Severity

if TYPE_CHECKING:
    from dynolint.model.analysis import Model

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

    def check(self, model: Model) -> Iterable[Finding]:
        raise NotImplementedError


def example(source: str, path: str = "handler.py", extra: dict[str, str] | None = None,
            note: str = "") -> Example:
    """An example project: ``source`` at ``path``, plus ``extra`` files (path -> text)."""
    files = [(path, source.strip("\n") + "\n")]
    files.extend((name, text.strip("\n") + "\n") for name, text in (extra or {}).items())
    return Example(tuple(files), note)
