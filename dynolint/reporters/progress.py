"""A progress line on stderr for long runs: only on a terminal, only past a few hundred files,
redrawn in place and erased when the run is done."""

from __future__ import annotations

import time
from typing import TextIO

THRESHOLD = 300  # runs over this many files show progress


class Progress:
    """Call with (files done, files in all); ``finish()`` erases the line."""

    def __init__(self, stream: TextIO, enabled: bool, threshold: int = THRESHOLD, interval: float = 0.1) -> None:
        self.stream = stream
        self.enabled = enabled
        self.threshold = threshold
        self.interval = interval
        self.shown = False
        self._last = 0.0

    @classmethod
    def for_stream(cls, stream: TextIO, quiet: bool = False) -> Progress:
        """Enabled when ``stream`` is a terminal and output is not quiet."""
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(stream, tty and not quiet)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= self.threshold:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        width = len(str(total))
        bar_width = 30
        filled = bar_width * done // total
        self.stream.write(f"\r\x1b[Kdynolint: [{'#' * filled}{'.' * (bar_width - filled)}] "
                          f"{done:>{width}}/{total} files" + (", running the rules" if done == total else ""))
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


__all__ = ["Progress", "THRESHOLD"]
