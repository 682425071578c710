"""The run engine: which files a run parses (in supervised workers, within its time and
memory budgets), the summary cache, the warm run, phase 2's deep thread, and stopping
cleanly.

This package's ``__init__`` imports nothing: the pre-commit fast path
(:mod:`dynolint.engine.fastpath`) must stay light."""
