"""Small non-blocking dialogs.

They open with `open()`, never `exec()`: a nested event loop started from
inside a coroutine would re-enter asyncio, and a window-modal box keeps the
rest of the app painting.
"""

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, accept_text: str, on_accept: Callable[[], None]) -> QMessageBox:
    """Open a confirmation box that calls `on_accept` if the user accepts it.

    Returns:
        The box, already open; tests click its buttons.
    """
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    accept = box.addButton(accept_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Keep", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(accept)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda button: on_accept() if button is accept else None)
    box.open()
    return box


def inform(parent: QWidget, title: str, text: str) -> QMessageBox:
    """Open an information box with an OK button."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box
