"""Events the engine reports while it works, and the hub that delivers them.

The core imports no Qt: observers subscribe plain callables. The desktop
app subscribes one bridge that re-emits each event as a Qt signal. Events
are delivered synchronously on the event loop's thread, in order.
"""

import logging
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger("floridify_gui.engine")


@dataclass(frozen=True)
class JobChanged:
    """A job's status, stage, counters or options changed."""

    job_id: int


@dataclass(frozen=True)
class JobProgress:
    """How far a job has got: items done of total, with a message."""

    job_id: int
    done: int
    total: int
    message: str


@dataclass(frozen=True)
class BatchChanged:
    """A remote batch's status, counts or local step changed."""

    job_id: int | None
    batch_id: int


@dataclass(frozen=True)
class ItemsChanged:
    """Some items got an outcome or changed status."""

    job_id: int | None
    item_ids: tuple[int, ...]


@dataclass(frozen=True)
class JobFinished:
    """A job ended: every item has an outcome, or it was cancelled."""

    job_id: int
    succeeded: int
    failed: int


@dataclass(frozen=True)
class Notice:
    """Something the user should read, such as a fallback to immediate mode."""

    job_id: int | None
    text: str
    level: str = "info"  # "info", "warning" or "error"


Event = JobChanged | JobProgress | BatchChanged | ItemsChanged | JobFinished | Notice


class EventHub:
    """Delivers events to subscribers; a failing subscriber never stops the engine."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Event], None]] = []

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Register `callback`; return a function that unregisters it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, event: Event) -> None:
        """Deliver `event` to every subscriber."""
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("Event subscriber %r failed on %r", callback, event)
