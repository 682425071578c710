"""The rule registry: one explicit, sorted table of every rule dynolint runs."""

from __future__ import annotations

from dynolint.rules.base import Rule
from dynolint.rules.dyn101_unguarded_write_after_read import UnguardedWriteAfterRead
from dynolint.rules.dyn102_non_atomic_counter import NonAtomicCounter
from dynolint.rules.dyn103_batch_write_after_read import BatchWriteAfterRead
from dynolint.rules.dyn104_cache_stampede import CacheStampede

REGISTRY: tuple[type[Rule], ...] = (
    UnguardedWriteAfterRead,
    NonAtomicCounter,
    BatchWriteAfterRead,
    CacheStampede,
)

# DYN000 is not a rule over the model: it is produced for files that cannot be parsed.
SYNTAX_ERROR = ("DYN000", "syntax-error")

KNOWN_CODES: frozenset[str] = frozenset({SYNTAX_ERROR[0], *(rule.code for rule in REGISTRY)})


def rule_by_code(code: str) -> type[Rule] | None:
    for rule in REGISTRY:
        if rule.code == code.upper():
            return rule
    return None


__all__ = ["REGISTRY", "KNOWN_CODES", "SYNTAX_ERROR", "Rule", "rule_by_code"]
