"""The rule registry: one explicit, sorted table of every rule dynolint runs."""

from __future__ import annotations

from dynolint.rules.base import Rule
from dynolint.rules.dyn101_unguarded_write_after_read import UnguardedWriteAfterRead
from dynolint.rules.dyn102_non_atomic_counter import NonAtomicCounter
from dynolint.rules.dyn103_batch_write_after_read import BatchWriteAfterRead
from dynolint.rules.dyn104_cache_stampede import CacheStampede
from dynolint.rules.dyn201_shared_role_tenant_access import SharedRoleTenantAccess
from dynolint.rules.dyn202_tenant_unscoped_key import TenantUnscopedKey
from dynolint.rules.dyn203_tenant_credentials_in_global import TenantCredentialsInGlobal
from dynolint.rules.dyn204_untrusted_tenant_id import UntrustedTenantId
from dynolint.rules.dyn205_invoke_missing_tenant_id import InvokeMissingTenantId
from dynolint.rules.dyn301_tmp_write_in_shared_function import TmpWriteInSharedFunction
from dynolint.rules.dyn302_tenant_state_in_global import TenantStateInGlobal

REGISTRY: tuple[type[Rule], ...] = (
    UnguardedWriteAfterRead,
    NonAtomicCounter,
    BatchWriteAfterRead,
    CacheStampede,
    SharedRoleTenantAccess,
    TenantUnscopedKey,
    TenantCredentialsInGlobal,
    UntrustedTenantId,
    InvokeMissingTenantId,
    TmpWriteInSharedFunction,
    TenantStateInGlobal,
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
