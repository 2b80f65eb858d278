"""Main window menus: Help → Open log folder."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from floridify_gui import paths


def _menu_action(window, menu_title: str, action_text: str):
    """Return the action `action_text` of the menu-bar menu `menu_title` (both with their & marks)."""
    menu = next(action.menu() for action in window.menuBar().actions() if action.text() == menu_title)
    return next(action for action in menu.actions() if action.text() == action_text)


def test_log_folder_shows_path_without_file_manager(qtbot, open_window):
    # The offscreen platform has no file manager, so QDesktopServices.openUrl returns False.
    window = open_window()

    _menu_action(window, "&Help", "Open &log folder").trigger()
    boxes = [box for box in window.findChildren(QMessageBox) if box.isVisible()]

    assert len(boxes) == 1
    assert str(paths.log_dir()) in boxes[0].text()
    assert boxes[0].textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse

    boxes[0].close()
