"""Fixes: plans chosen by the analysis, carried out by LibCST transformers.

- DYN101 guard the write (``guard``), DYN102 atomic update (``atomic``), DYN104 claim
  before work (``claim``); DYN103 has no automatic fix.
- ``engine.fix_source`` applies the plans of one file and verifies the result parses;
  ``writer.write_atomically`` writes it.
"""

from __future__ import annotations

from dynolint.fixes.engine import FixOutcome, applicability, describe, edits_between, fix_source, title
from dynolint.fixes.plans import AtomicPlan, ClaimPlan, GuardPlan, Plan, Skip
from dynolint.fixes.writer import ChangedOnDisk, write_atomically

__all__ = [
    "AtomicPlan", "ChangedOnDisk", "ClaimPlan", "FixOutcome", "GuardPlan", "Plan", "Skip", "applicability",
    "describe", "edits_between", "fix_source", "title", "write_atomically",
]
