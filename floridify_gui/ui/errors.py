"""Telling environment errors from bugs, and showing each kind to the user.

An environment error (disk full, database locked, rate limited, network
down) is something the user can act on, so it gets a plain message box. Any
other exception is a bug in this program, so it gets a dialog with the
traceback the user can copy into a report. Both are logged.
"""

import errno
import logging
import sqlite3
import traceback

import peewee
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("floridify_gui.ui")


def _optional_error_types() -> tuple[type[BaseException], ...]:
    """Return the error classes of libraries and subpackages that mean "environment"."""
    types: list[type[BaseException]] = []
    try:
        import openai

        types += [openai.APIConnectionError, openai.RateLimitError, openai.AuthenticationError,
                  openai.PermissionDeniedError, openai.APITimeoutError, openai.InternalServerError]
    except ImportError:
        pass

    from floridify_gui.storage import DatabaseError
    from floridify_gui.wordlist.errors import WordListError

    types += [DatabaseError, WordListError]
    return tuple(types)


def is_environment_error(error: BaseException) -> bool:
    """Return True if `error` comes from the machine, the network or the user's files."""
    if isinstance(error, (OSError, sqlite3.OperationalError, peewee.OperationalError)):
        return True

    return isinstance(error, _optional_error_types())


def describe_error(error: BaseException) -> str:
    """Return a sentence for the user that says what failed and what to do."""
    text = str(error) or type(error).__name__
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return f"Failed to write: the disk is full. Free some space and try again.\n\n{text}"

    lowered = text.lower()
    if "database is locked" in lowered:
        return ("Failed to write to the database: another program holds a lock on it. "
                "Close other Floridify windows or `floridify` commands and try again.\n\n" + text)

    if "rate limit" in lowered or type(error).__name__ == "RateLimitError":
        return ("The OpenAI API rejected the request because of its rate limit. "
                "Wait a minute or lower “Requests in flight” in Settings, then retry.\n\n" + text)

    return text


def format_traceback(error: BaseException) -> str:
    """Return the full traceback of `error` as text."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


class ErrorReporter(QObject):
    """Shows the exceptions of background tasks without blocking the event loop.

    Dialogs are opened with `open()`, never `exec()`, because a nested event
    loop inside a running coroutine would re-enter asyncio. A message that is
    already on screen is not shown a second time.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self._open_messages: set[str] = set()

    def report(self, error: BaseException) -> None:
        """Log `error` and show it in a message box or a traceback dialog."""
        if is_environment_error(error):
            log.warning("Operation failed: %s", error)
            self._show(QMessageBox.Icon.Warning, "Floridify", describe_error(error), None)
            return

        log.error("Unexpected error", exc_info=error)
        summary = (f"Floridify hit an unexpected error: {type(error).__name__}: {error}\n\n"
                   "The details below help to report it. The program keeps running.")
        self._show(QMessageBox.Icon.Critical, "Unexpected error", summary, format_traceback(error))

    def _show(self, icon: QMessageBox.Icon, title: str, text: str, details: str | None) -> None:
        if text in self._open_messages:
            return

        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self._parent_widget)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if details:
            box.setDetailedText(details)

        self._open_messages.add(text)
        box.finished.connect(lambda _result: self._open_messages.discard(text))
        box.open()
