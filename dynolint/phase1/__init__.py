"""Phase 1 of a run: one file at a time, parse it with LibCST, lower it to the IR and record
the positions of what may be reported. Nothing here sees another file.

This package's ``__init__`` imports nothing: the pre-commit fast path reads
:mod:`dynolint.phase1.prefilter` without paying for LibCST."""
