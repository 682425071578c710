"""Fixes: plans chosen by the analysis, carried out by LibCST transformers.

- DYN101 guard the write (``guard``), DYN102 atomic update (``atomic``; a put of the whole
  item becomes an update, ``putcounter``), DYN104 claim before work (``claim``); DYN103 has
  no automatic fix. ``keep`` carries the decisions a path made on the read value into an
  atomic update's condition and routes its failure to the code's refusal. DYN205 passes
  ``TenantId=`` (``tenantid``); DYN301 moves a file of the temp dir into a per-invocation
  ``TemporaryDirectory`` (``tmpdir``).
- ``engine.fix_source`` applies the plans of one file and verifies the result parses;
  ``writer.write_atomically`` writes it; ``edits.describe_all`` renders the fixes of a
  file's findings as edits for the reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynolint.fixes.plans import AtomicPlan, ClaimPlan, GuardPlan, Plan, Skip, may_be_safe

if TYPE_CHECKING:
    from dynolint.fixes.edits import edits_between
    from dynolint.fixes.engine import FixOutcome, applicability, fix_source, title
    from dynolint.fixes.writer import ChangedOnDisk, Refused, write_atomically

_LAZY = {"FixOutcome": "engine", "applicability": "engine", "edits_between": "edits",
         "fix_source": "engine", "title": "engine", "ChangedOnDisk": "writer", "Refused": "writer",
         "write_atomically": "writer"}


def __getattr__(name: str) -> Any:
    """The engine imports LibCST: only load it when a fix is made or described."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"dynolint.fixes.{_LAZY[name]}"), name)
    raise AttributeError(name)

__all__ = [
    "AtomicPlan", "ChangedOnDisk", "ClaimPlan", "FixOutcome", "GuardPlan", "Plan", "Refused", "Skip", "applicability",
    "edits_between", "fix_source", "may_be_safe", "title", "write_atomically",
]
