"""The importer: drops, paste, preview, read options, cancelling and the estimate."""

import threading

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from floridify_gui.ui.estimating import ASSUMED_SENSES_PER_WORD
from floridify_gui.ui.import_sources import ImportSource

from .helpers import SHARED_WORDLISTS, WAIT_MS, create_job, wait_for_job_status, write_words

CSV_TEXT = (
    "headword;part of speech;definition;example\n"
    "bank;noun;the land beside a river;We sat on the bank.\n"
    "bank;verb;to put money in a bank;She banks her wages.\n"
    "swift;adjective;moving very fast;a swift reply\n"
    ";noun;a row without a headword;\n"
)


def _drop_files(qtbot, window, paths) -> None:
    """Send a real drag-enter and drop with file URLs to the window's centre."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    centre = window.rect().center()
    arguments = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(QPointF(centre), *arguments)
    except TypeError:
        enter = QDragEnterEvent(centre, *arguments)  # PySide6 before 6.12 takes a QPoint only
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)


def _preview(dialog) -> list[list[str]]:
    model = dialog.preview_model
    return [[model.index(row, column).data() for column in range(model.columnCount())]
            for row in range(model.rowCount())]


def _wait_read(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: not dialog.is_reading and dialog.current_source().report is not None, timeout=WAIT_MS)


def _estimate_label(qtbot, window, path, components: list[str]) -> str:
    """Open the importer on `path`, choose `components` and return the estimate's text."""
    dialog = window.open_importer([ImportSource.from_path(path)])
    _wait_read(qtbot, dialog)
    dialog.options.set_components(components)
    qtbot.waitUntil(lambda: dialog._current_estimate() is not None, timeout=WAIT_MS)
    return dialog.estimate_label.text()


def test_dropped_csv_opens_importer_with_preview(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "senses.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")

    _drop_files(qtbot, window, [path])
    dialog = window.import_dialog
    _wait_read(qtbot, dialog)
    report = dialog.current_source().report

    assert dialog.isVisible()
    assert _preview(dialog)[1] == ["bank", "noun", "the land beside a river", "We sat on the bank."]
    assert dialog.preview_model.headerData(2, Qt.Orientation.Horizontal) == "3 · Definition"
    assert "semicolon" in dialog.detected_label.text()
    assert report.accepted == 2
    assert "1 row rejected" in dialog.report_text.toPlainText()
    assert "line 5" in dialog.report_text.toPlainText()


def test_dropped_files_each_get_a_preview(qtbot, open_window, tmp_path):
    window = open_window()
    first = tmp_path / "a.txt"
    first.write_text("alpha\nbeta\n", encoding="utf-8")
    second = tmp_path / "b.txt"
    second.write_text("gamma\ndelta\nepsilon\n", encoding="utf-8")

    _drop_files(qtbot, window, [first, second])
    dialog = window.import_dialog
    qtbot.waitUntil(lambda: all(source.report is not None for source in dialog.sources), timeout=WAIT_MS)
    dialog.source_combo.setCurrentIndex(1)

    assert dialog.source_combo.count() == 2
    assert _preview(dialog) == [["gamma"], ["delta"], ["epsilon"]]
    assert len(dialog.entries()) == 5


def test_delimiter_override_rereads_input(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "pairs.txt"
    path.write_text("run|to move fast\nwalk|to move on foot\n", encoding="utf-8")
    dialog = window.open_importer([ImportSource.from_path(path)])
    _wait_read(qtbot, dialog)
    columns_before = dialog.preview_model.columnCount()

    dialog.delimiter_combo.setCurrentIndex(dialog.delimiter_combo.findData("|"))
    dialog.delimiter_combo.activated.emit(dialog.delimiter_combo.currentIndex())
    qtbot.waitUntil(lambda: dialog.preview_model.columnCount() == 2, timeout=WAIT_MS)
    _wait_read(qtbot, dialog)

    assert columns_before == 1
    assert _preview(dialog)[0] == ["run", "to move fast"]


def test_paste_opens_importer_with_clipboard_text(qtbot, open_window):
    window = open_window()
    QGuiApplication.clipboard().setText("lantern\nharbour\n")

    window.paste_action.trigger()
    dialog = window.import_dialog
    _wait_read(qtbot, dialog)

    assert dialog.current_source().label == "pasted text"
    assert _preview(dialog) == [["lantern"], ["harbour"]]


def test_estimate_stores_nothing(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "words.txt"
    path.write_text("lantern\nharbour\nmeadow\n", encoding="utf-8")

    _drop_files(qtbot, window, [path])
    dialog = window.import_dialog
    dialog.options.set_components(["pronunciation", "etymology"])
    qtbot.waitUntil(lambda: dialog.estimate is not None
                    and dialog._current_estimate() is not None, timeout=WAIT_MS)
    estimate = dialog.estimate
    dialog.reject()
    word_count = window.services.engine.db.execute_sql("SELECT COUNT(*) FROM word").fetchone()[0]

    assert estimate.requests == 6
    assert estimate.cache_hits == 0
    assert "6 requests" in dialog.estimate_label.text()
    assert word_count == 0


def test_cancel_reading_large_file_imports_nothing(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "big.txt"
    path.write_text("\n".join(f"word{number}" for number in range(400_000)), encoding="utf-8")

    _drop_files(qtbot, window, [path])
    dialog = window.import_dialog
    # Hold the reading thread until Cancel is clicked, so the read cannot finish first.
    gate = threading.Event()
    dialog._executor.submit(gate.wait)
    qtbot.waitUntil(lambda: dialog.is_reading, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.cancel_read_button, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: not dialog.is_reading, timeout=WAIT_MS)
    source = dialog.current_source()

    assert source.report is None
    assert "cancelled" in source.error
    assert not dialog.create_button.isEnabled()
    assert window.services.engine.db.execute_sql("SELECT COUNT(*) FROM word").fetchone()[0] == 0


def test_large_list_reads_with_progress(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "big.txt"
    path.write_text("\n".join(f"word{number}" for number in range(50_000)), encoding="utf-8")

    _drop_files(qtbot, window, [path])
    dialog = window.import_dialog
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0 or not dialog.is_reading, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not dialog.is_reading, timeout=WAIT_MS)
    dialog.options.set_components(["pronunciation"])
    qtbot.waitUntil(lambda: dialog._current_estimate() is not None, timeout=WAIT_MS)

    assert dialog.current_source().report.accepted == 50_000
    assert dialog.estimate.requests == 50_000


def test_shared_oewn_csv_maps_columns(qtbot, open_window):
    path = SHARED_WORDLISTS / "oewn-senses.csv"
    if not path.is_file():
        pytest.skip(f"shared word list {path} is missing")
    window = open_window()

    _drop_files(qtbot, window, [path])
    dialog = window.import_dialog
    _wait_read(qtbot, dialog)
    report = dialog.current_source().report

    assert report.columns == {"headword": 0, "part_of_speech": 1, "definition": 2, "example": 3}
    assert report.accepted == 300
    assert dialog.column_combos["definition"].currentData() == 2


def test_estimate_states_assumed_senses(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "words.txt"
    path.write_text("\n".join(f"word{number}" for number in range(1_200)), encoding="utf-8")

    text = _estimate_label(qtbot, window, path, ["synonyms"])

    assert f"assumes {ASSUMED_SENSES_PER_WORD} senses for each of the 1,200 headwords without senses" in text


def test_estimate_states_one_headword_without_senses(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "senses.csv"
    path.write_text(CSV_TEXT + "lantern;;;\n", encoding="utf-8")

    text = _estimate_label(qtbot, window, path, ["synonyms"])

    assert f"assumes {ASSUMED_SENSES_PER_WORD} senses for the 1 headword without senses" in text


def test_estimate_assumes_nothing_when_all_have_senses(qtbot, open_window, tmp_path):
    window = open_window()
    path = tmp_path / "senses.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")

    text = _estimate_label(qtbot, window, path, ["synonyms"])

    assert "3 requests" in text
    assert "assumes" not in text


def test_definitions_estimate_matches_requests_sent(qtbot, open_window, simulator, tmp_path):
    # Drafted senses of a headword that has senses get no sense items, so nothing is assumed.
    window = open_window()
    path = tmp_path / "senses.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    dialog = window.open_importer([ImportSource.from_path(path)])
    _wait_read(qtbot, dialog)
    dialog.options.set_mode("immediate")
    dialog.options.set_components(["definitions", "synonyms"])
    qtbot.waitUntil(lambda: dialog._current_estimate() is not None, timeout=WAIT_MS)
    estimate, text = dialog.estimate, dialog.estimate_label.text()
    created = []
    dialog.jobCreated.connect(created.append)

    dialog.create_job()
    qtbot.waitUntil(lambda: bool(created), timeout=WAIT_MS)
    wait_for_job_status(qtbot, window, created[0], "completed")

    assert estimate.requests == 5
    assert "assumes" not in text
    assert simulator.stats()["chat_calls"] == estimate.requests


def test_estimate_counts_cache_hits_of_drafted_senses(qtbot, open_window, simulator, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["harbour", "meadow"])
    job_id = create_job(qtbot, window, words, "immediate", ["synonyms"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    sent_by_first_job = simulator.stats()["chat_calls"]

    dialog = window.open_importer([ImportSource.from_path(words)])
    _wait_read(qtbot, dialog)
    dialog.options.set_mode("immediate")
    dialog.options.set_components(["synonyms"])
    qtbot.waitUntil(lambda: dialog._current_estimate() is not None, timeout=WAIT_MS)
    estimate = dialog.estimate
    sense_requests = sent_by_first_job - 2  # one definitions request per headword

    assert estimate.requests == 0
    assert estimate.cache_hits == sense_requests
    assert estimate.headwords_without_senses == 0


def test_create_before_estimate_keeps_estimate(qtbot, open_window, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["harbour", "meadow"])
    dialog = window.open_importer([ImportSource.from_path(words)])
    _wait_read(qtbot, dialog)
    dialog.options.set_components(["etymology"])
    created = []
    dialog.jobCreated.connect(created.append)

    dialog.create_job()  # before the estimate's 300 ms delay has run out
    qtbot.waitUntil(lambda: bool(created), timeout=WAIT_MS)
    job = window.services.engine.db.execute_sql(
        "SELECT estimated_tokens, estimated_cost FROM job WHERE id = ?", (created[0],)).fetchone()

    assert job[0] > 0
    assert job[1] > 0
