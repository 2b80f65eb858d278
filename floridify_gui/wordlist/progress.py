"""Progress reporting and cancellation for long reads."""

from __future__ import annotations

import sys
from collections.abc import Callable

from floridify_gui.wordlist.errors import ReadCancelled, display_name

ProgressCallback = Callable[[float], None]
AbortCallback = Callable[[], bool]

_PROGRESS_CALLS = 100
_MAX_ABORT_INTERVAL = 4096


class ProgressTicker:
    """Checkpoints of one read, which call ``progress`` about 100 times and ``should_abort`` often.

    The unit is whatever the parser counts: lines, or characters for JSON. ``should_abort`` is
    called every 4096 units or more often, but only between rows, so one huge row delays it.
    Parsers compare their position with the checkpoint that `start` and `check` return, so that
    a row between checkpoints costs one integer comparison.
    """

    def __init__(
        self,
        total: int,
        source: str,
        progress: ProgressCallback | None = None,
        should_abort: AbortCallback | None = None,
    ) -> None:
        self._total = max(total, 1)
        self._source = source
        self._progress = progress
        self._should_abort = should_abort
        self._progress_step = max(1, total // _PROGRESS_CALLS)
        self._check_step = min(self._progress_step, _MAX_ABORT_INTERVAL)
        self._next_progress = self._progress_step

    def start(self) -> int:
        """Check for cancellation and return the first checkpoint."""
        if self._progress is None and self._should_abort is None:
            return sys.maxsize

        self.check_abort()
        return self._check_step

    def check(self, done: int) -> int:
        """Check for cancellation, report progress when a step is complete, and return the next checkpoint.

        Raises:
            ReadCancelled: ``should_abort`` returned True.
        """
        self.check_abort()
        if self._progress is not None and done >= self._next_progress:
            self._progress(min(done / self._total, 1.0))
            self._next_progress = done + self._progress_step

        return done + self._check_step

    def check_abort(self) -> None:
        """Raise ReadCancelled if the caller asked to stop."""
        raise_if_cancelled(self._should_abort, self._source)

    def finish(self) -> None:
        """Report that the read is complete."""
        if self._progress is not None:
            self._progress(1.0)


def raise_if_cancelled(should_abort: AbortCallback | None, source: str) -> None:
    """Raise ReadCancelled if ``should_abort`` is given and returns True."""
    if should_abort is not None and should_abort():
        raise ReadCancelled(f"Reading {display_name(source)} was cancelled")
