"""Importer: an input that cannot be read gets a wrapped error and an estimate that explains why."""

from PySide6.QtWidgets import QPlainTextEdit

from floridify_gui.ui.import_sources import ImportSource

from .helpers import WAIT_MS

LATIN_1_WORDS = "café\nnaïve\nrésumé\n".encode("latin-1")


def _open_unreadable(qtbot, window, tmp_path):
    """Open the importer on a Latin-1 file read as UTF-8 and wait until reading has failed."""
    path = tmp_path / "latin.txt"
    path.write_bytes(LATIN_1_WORDS)
    source = ImportSource.from_path(path)
    source.encoding = "utf-8"
    dialog = window.open_importer([source])
    qtbot.waitUntil(lambda: not dialog.is_reading and dialog.current_source().error is not None, timeout=WAIT_MS)
    return dialog


def test_read_error_wraps_in_report(qtbot, open_window, tmp_path):
    window = open_window()

    dialog = _open_unreadable(qtbot, window, tmp_path)

    assert "is not valid UTF-8" in dialog.report_text.toPlainText()
    assert dialog.report_text.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth


def test_estimate_explains_no_headwords_read(qtbot, open_window, tmp_path):
    window = open_window()
    dialog = _open_unreadable(qtbot, window, tmp_path)

    dialog.options.set_components(["synonyms"])
    qtbot.waitUntil(lambda: "no headwords were read" in dialog.estimate_label.text(), timeout=WAIT_MS)
    text = dialog.estimate_label.text()

    assert "Failed to read latin.txt" in text
    assert "choose at least one component" not in text


def test_report_of_readable_input_does_not_wrap(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "words.txt"
    path.write_text("lantern\nharbour\n", encoding="utf-8")

    dialog = window.open_importer([ImportSource.from_path(path)])
    qtbot.waitUntil(lambda: not dialog.is_reading and dialog.current_source().report is not None, timeout=WAIT_MS)

    assert dialog.report_text.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap
