"""Translation of engine events into Qt signals."""

import logging
from typing import Callable

from PySide6.QtCore import QObject, Signal

from floridify_gui.engine.events import (
    BatchChanged,
    ItemsChanged,
    JobChanged,
    JobFinished,
    JobProgress,
    Notice,
)

log = logging.getLogger("floridify_gui.ui")


class EngineBridge(QObject):
    """Re-emits the events of an engine's EventHub as Qt signals.

    The engine calls its subscribers on the event-loop thread, which is the
    Qt main thread under qasync, so the signals reach widgets directly. Views
    should only mark themselves dirty in their slots and repaint on a timer,
    because an immediate job can emit hundreds of events a second.

    Signals:
        jobChanged(int): A job's row (status, stage, cost, position) changed.
        jobProgress(int, int, int, str): job id, items done, items total, message.
        batchChanged(object, int): job id (None if unknown) and RemoteBatch id.
        itemsChanged(object, object): job id (None if unknown) and a tuple of changed JobItem ids.
        jobFinished(int, int, int): job id, items succeeded, items failed.
        notice(object, str, str): job id or None, text, level ("info", "warning" or "error").
    """

    jobChanged = Signal(int)
    jobProgress = Signal(int, int, int, str)
    batchChanged = Signal(object, int)
    itemsChanged = Signal(object, object)
    jobFinished = Signal(int, int, int)
    notice = Signal(object, str, str)

    def __init__(self, hub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = hub.subscribe(self._dispatch)

    def close(self) -> None:
        """Stop listening to the engine; safe to call twice."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _dispatch(self, event: object) -> None:
        if isinstance(event, ItemsChanged):
            self.itemsChanged.emit(event.job_id, tuple(event.item_ids))
        elif isinstance(event, JobProgress):
            self.jobProgress.emit(event.job_id, event.done, event.total, event.message or "")
        elif isinstance(event, JobChanged):
            self.jobChanged.emit(event.job_id)
        elif isinstance(event, BatchChanged):
            self.batchChanged.emit(event.job_id, event.batch_id)
        elif isinstance(event, JobFinished):
            self.jobFinished.emit(event.job_id, event.succeeded, event.failed)
        elif isinstance(event, Notice):
            self.notice.emit(event.job_id, event.text, event.level)
        else:
            log.debug("Ignored engine event %r", event)
