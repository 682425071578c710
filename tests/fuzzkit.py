"""Shared settings of the fuzz and metamorphic tests (tests/test_fuzz.py,
tests/test_metamorphic.py).

``DYNOLINT_FUZZ_EXAMPLES`` sets how many examples each Hypothesis test tries and how many
seeded variants the metamorphic tests make of each fixture project. Unset (``make test``),
the tests run a modest, derandomised number; ``make fuzz`` sets it high and lets Hypothesis
pick fresh random inputs each run.

The number of programs and variants tried is counted here and printed in pytest's terminal
summary (``dynolint fuzz: ...``)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

import pytest
from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES = int(os.environ.get("DYNOLINT_FUZZ_EXAMPLES", "0") or 0)
FUZZING = FUZZ_EXAMPLES > 0

# Hypothesis: modest and reproducible by default; many random examples under `make fuzz`.
settings.register_profile(
    "dynolint-default", max_examples=25, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True)
settings.register_profile(
    "dynolint-fuzz", max_examples=max(FUZZ_EXAMPLES, 1), derandomize=False, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True)
PROFILE = settings.get_profile("dynolint-fuzz" if FUZZING else "dynolint-default")


def sampled(items: list, every: int = 2, at_most: int = 0) -> list:  # type: ignore[type-arg]
    """Every item under `make fuzz`; every ``every``-th one, in a fixed order, under `make test`
    (the tests that run a tool over every fixture project: their whole run is a fuzz-sized one),
    and of those at most ``at_most`` (when given), spread evenly over the list: the fixtures
    grow every session, and `make test` must not grow with them."""
    if FUZZING:
        return list(items)
    picked = list(items)[::every]
    if 0 < at_most < len(picked):
        picked = [picked[i * len(picked) // at_most] for i in range(at_most)]
    return picked


# Seeded variants per fixture project and transformation in the metamorphic tests.
VARIANT_SEEDS = max(1, FUZZ_EXAMPLES // 200) if FUZZING else 1

# One example may take this long (the analysis of a tiny program takes milliseconds; a
# generous bound, the machine may be loaded). More is a hang.
EXAMPLE_SECONDS = 20

COUNTS: Counter[str] = Counter()


class ExampleTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: int = EXAMPLE_SECONDS) -> Iterator[None]:
    """Fail (rather than hang) when the body runs longer than ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise ExampleTimeout(f"took longer than {seconds} s: the analysis hangs")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class _Summary:
    def pytest_terminal_summary(self, terminalreporter: object) -> None:
        if COUNTS:
            parts = ", ".join(f"{name}: {count}" for name, count in sorted(COUNTS.items()))
            terminalreporter.write_line(f"dynolint fuzz: {parts}")  # type: ignore[attr-defined]


_SUMMARY = _Summary()


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request: pytest.FixtureRequest) -> None:
    """Imported by the fuzz test modules: shows the counts at the end of the run."""
    manager = request.config.pluginmanager
    if not manager.is_registered(_SUMMARY):
        manager.register(_SUMMARY, "dynolint-fuzz-summary")
