"""Findings and fixes: the values rules produce and reporters print."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dynolint.fixes.plans import Plan


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Confidence(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Related:
    path: str
    line: int
    column: int
    message: str
    end_line: int = 0
    end_column: int = 0
    # what the location is to the finding, for reporters that tell the story (not in the JSON):
    # "read", "read-call" (a call on the way to the read), "write-call", "costly",
    # "other-read" (the read of another path that races with the same write), or ""
    kind: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text between (line, column) and (end_line, end_column), 1-based,
    end exclusive, with ``content``."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    applicability: str  # "safe" | "unsafe"
    title: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    severity: Severity
    confidence: Confidence
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    # lines of the statement that holds the flagged node (suppression comments apply there)
    stmt_line: int = 0
    stmt_end_line: int = 0
    # a stable description of the flagged statement's context, for baselines
    context: str = ""
    # what the fix would do (a dynolint.fixes.plans value); not part of the output
    plan: Plan | None = field(default=None, compare=False, repr=False)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    def to_json(self) -> dict[str, object]:
        fix = None
        if self.fix is not None:
            fix = {
                "applicability": self.fix.applicability,
                "title": self.fix.title,
                "edits": [
                    {"line": e.line, "column": e.column, "end_line": e.end_line, "end_column": e.end_column,
                     "content": e.content}
                    for e in self.fix.edits
                ],
            }
        return {
            "code": self.code,
            "name": self.name,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "related": [
                {"path": r.path, "line": r.line, "column": r.column, "message": r.message} for r in self.related
            ],
            "fix": fix,
        }
