"""Codes that are not rules over the program model, documented like rules.

- DYN000 syntax-error: produced by the API for files that cannot be read or parsed.
- DYN001 unused-suppression: produced by ``dynolint check --report-unused-suppressions`` for
  ``# dynolint: ignore`` comments that suppressed nothing.

They are not in ``dynolint.rules.REGISTRY`` (which ``dynolint rules`` lists and the model
runs); ``DOCUMENTED`` lists them with the registry for ``explain``, SARIF and docs/rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Finding, Severity
from dynolint.rules import REGISTRY, SYNTAX_ERROR
from dynolint.rules.base import Rule, RuleDocs

if TYPE_CHECKING:
    from dynolint.model.analysis import Model


class SyntaxErrorCode(Rule):
    code = SYNTAX_ERROR[0]
    name = SYNTAX_ERROR[1]
    summary = "A file cannot be read or parsed, so it was not analysed"
    docs = RuleDocs(
        what_it_does=(
            "Reports a Python file that dynolint cannot analyse: it does not parse (Python 2 syntax, a syntax "
            "error), its bytes do not decode in the declared encoding, or it cannot be read. The rest of the "
            "project is still checked."
        ),
        why_is_this_bad=(
            "Nothing in the file is analysed, and the calls other modules make into it cannot be followed, so "
            "races and tenant-isolation mistakes in or through it go unreported."
        ),
        example='''
print "migrating", table_name
''',
        use_instead='''
print("migrating", table_name)
''',
        known_problems=(
            "dynolint parses with LibCST's grammar for Python 3; syntax newer than the installed LibCST "
            "supports is reported here too."
        ),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        return ()


class UnusedSuppression(Rule):
    code = "DYN001"
    name = "unused-suppression"
    summary = "A `# dynolint: ignore` comment suppresses nothing"
    severity = Severity.WARNING
    docs = RuleDocs(
        what_it_does=(
            "With `--report-unused-suppressions`, reports each `# dynolint: ignore[...]` comment that suppressed "
            "no finding in this run. A comment that names codes is reported only when every rule it names ran "
            "(so `--select` cannot make it look unused); a bare `# dynolint: ignore` only when every rule ran. "
            "`# noqa` comments are left alone: other linters read them too."
        ),
        why_is_this_bad=(
            "A suppression outlives the code it was written for. Once the race it excused is fixed or the code "
            "moves, the stale comment silently hides the next finding on that statement, which may be a real "
            "bug."
        ),
        example='''
def rename(table, note_id, title):
    # the write below is now guarded, so this comment suppresses nothing
    table.update_item(  # dynolint: ignore[DYN101] -- last writer wins
        Key={"pk": note_id},
        UpdateExpression="SET title = :t",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":t": title},
    )
''',
        use_instead='''
def rename(table, note_id, title):
    table.update_item(
        Key={"pk": note_id},
        UpdateExpression="SET title = :t",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":t": title},
    )
''',
        options=(
            "Only reported with `dynolint check --report-unused-suppressions`. `--ignore`, `ignore` and "
            "`per-file-ignores` hide DYN001 as any code; `--select` does not (the flag asks for it), but it "
            "decides which rules run, and so which comments can be judged."
        ),
        known_problems=(
            "A comment that names several codes is reported only when it suppressed none of them. A comment "
            "in a file that does not parse (DYN000) is never reported."
        ),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        return ()


UNUSED_SUPPRESSION = (UnusedSuppression.code, UnusedSuppression.name)

# Every documented code, sorted: the model's rules and the two codes above.
DOCUMENTED: tuple[type[Rule], ...] = tuple(sorted((SyntaxErrorCode, UnusedSuppression, *REGISTRY),
                                                  key=lambda rule: rule.code))

# Codes accepted by --select, --ignore and the configuration besides the registry's.
EXTRA_CODES: frozenset[str] = frozenset({UnusedSuppression.code})


def documented_rule(code: str) -> type[Rule] | None:
    """The rule (or pseudo-rule) documented under ``code``, case-insensitively."""
    for rule in DOCUMENTED:
        if rule.code == code.upper():
            return rule
    return None


__all__ = ["DOCUMENTED", "EXTRA_CODES", "UNUSED_SUPPRESSION", "SyntaxErrorCode", "UnusedSuppression",
           "documented_rule"]
