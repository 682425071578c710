"""Every code dynolint can report, by name: a table light enough for the command line to
validate --select and the configuration without importing the rules. A test checks it
against the rule registry."""

from __future__ import annotations

CODES: dict[str, str] = {
    "DYN000": "syntax-error",
    "DYN001": "unused-suppression",
    "DYN101": "unguarded-write-after-read",
    "DYN102": "non-atomic-counter",
    "DYN103": "batch-write-after-read",
    "DYN104": "cache-stampede",
    "DYN201": "shared-role-tenant-access",
    "DYN202": "tenant-unscoped-key",
    "DYN203": "tenant-credentials-in-global",
    "DYN204": "untrusted-tenant-id",
    "DYN205": "invoke-missing-tenant-id",
    "DYN301": "tmp-write-in-shared-function",
    "DYN302": "tenant-state-in-global",
}

ALL_CODES: frozenset[str] = frozenset(CODES)
