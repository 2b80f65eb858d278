"""Result grid: Copy as TSV, retries, the view after filter changes, and Export."""

import csv
import datetime
import json
import re
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from floridify_gui.ui.results_model import COLUMNS

from .helpers import WAIT_MS, close_window, create_job, fill_job_items, job_row, wait_for_job_status, write_words

WORDS = ["apple", "river", "quiet"]


def _update_item(db_path: Path, headword: str, **fields) -> None:
    """Overwrite columns of the job items of `headword` with plain SQL."""
    assignments = ", ".join(f"{name} = ?" for name in fields)
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute(f"UPDATE job_item SET {assignments} WHERE headword = ?", [*fields.values(), headword])
    connection.close()


def _wait_grid(qtbot, pane, rows: int) -> None:
    """Wait until the grid shows `rows` rows and has no reload pending."""
    qtbot.waitUntil(lambda: pane.model.rowCount() == rows and not pane.model.is_loading
                    and not pane._reload_requested, timeout=WAIT_MS)


def _reload_grid(qtbot, pane, rows: int) -> None:
    """Re-read the grid from the database, for rows changed behind the engine's back."""
    _wait_grid(qtbot, pane, rows)
    pane.model.reload()
    _wait_grid(qtbot, pane, rows)


def _select_headwords(pane, headwords: list[str]) -> None:
    """Select the whole rows of `headwords` in the grid."""
    selection = QItemSelection()
    for row in range(pane.model.rowCount()):
        if pane.model.row_at(row).headword in headwords:
            selection.select(pane.model.index(row, 0), pane.model.index(row, len(COLUMNS) - 1))
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    pane.view.selectionModel().select(selection, flags)


def _copied_rows() -> list[list[str]]:
    return [line.split("\t") for line in QApplication.clipboard().text().split("\n")]


def _open_with_finished_job(qtbot, open_window, tmp_path):
    """Open a window whose grid shows a finished immediate job over WORDS; return it and its result pane."""
    window = open_window()
    job_id = create_job(qtbot, window, write_words(tmp_path / "words.txt", WORDS), "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    pane = window.results_pane
    _wait_grid(qtbot, pane, len(WORDS))
    return window, pane


def test_copy_as_tsv_adds_header_and_cleans_cells(qtbot, open_window, tmp_path):
    window = open_window()
    job_id = create_job(qtbot, window, write_words(tmp_path / "words.txt", WORDS), "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    _update_item(tmp_path / "floridify.sqlite3", "apple", gloss="first\tsecond", outcome_message="line one\r\nline two")
    _update_item(tmp_path / "floridify.sqlite3", "river", gloss="upper\u2028lower")
    pane = window.results_pane
    _reload_grid(qtbot, pane, len(WORDS))

    _select_headwords(pane, ["apple", "river"])
    with qtbot.waitSignal(pane.message, timeout=WAIT_MS):
        pane.actions_by_name["copy"].trigger()
    rows = _copied_rows()
    by_headword = {row[0]: row for row in rows[1:]}

    assert rows[0] == [title for _key, title in COLUMNS]
    assert len(rows) == 3
    assert sorted(by_headword) == ["apple", "river"]
    assert all(len(row) == len(COLUMNS) for row in rows)
    assert by_headword["apple"][2] == "first second"
    assert by_headword["apple"][5] == "line one line two"
    assert by_headword["river"][2] == "upper lower"
    assert by_headword["river"][4] == "succeeded"


def test_copy_as_tsv_follows_visible_columns(qtbot, open_window, tmp_path):
    window, pane = _open_with_finished_job(qtbot, open_window, tmp_path)
    header = pane.view.horizontalHeader()
    header.hideSection(8)  # Result
    header.moveSection(4, 0)  # Status first

    _select_headwords(pane, ["quiet"])
    with qtbot.waitSignal(pane.message, timeout=WAIT_MS):
        pane.actions_by_name["copy"].trigger()
    rows = _copied_rows()

    assert rows[0] == ["Status", "Headword", "Part of speech", "Gloss", "Component", "Outcome", "Attempts", "Updated"]
    assert rows[1][:2] == ["succeeded", "quiet"]
    assert len(rows[1]) == 8


def test_retry_selected_reports_nothing_failed(qtbot, open_window, simulator, tmp_path):
    window, pane = _open_with_finished_job(qtbot, open_window, tmp_path)
    messages = []
    pane.message.connect(messages.append)
    calls_before = simulator.stats()["chat_calls"]

    pane.view.selectAll()
    pane.actions_by_name["retry_selected"].trigger()
    expected = "None of the 3 selected items failed; nothing to retry."
    qtbot.waitUntil(lambda: expected in messages, timeout=WAIT_MS)

    assert messages == [expected]
    assert simulator.stats()["chat_calls"] == calls_before
    assert job_row(window, 1).succeeded == len(WORDS)


def test_retry_selected_sends_only_failed_items(qtbot, open_window, simulator, tmp_path):
    simulator.configure(refusal_rate=0.5)
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river", "quiet", "table", "green", "swift"])
    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    failed, succeeded = job_row(window, job_id).failed, job_row(window, job_id).succeeded
    pane = window.results_pane
    _wait_grid(qtbot, pane, 6)
    messages = []
    pane.message.connect(messages.append)

    # Both kinds must be selected for the test to mean anything.
    assert failed > 0
    assert succeeded > 0

    simulator.configure(refusal_rate=0)
    calls_before = simulator.stats()["chat_calls"]
    pane.view.selectAll()
    pane.actions_by_name["retry_selected"].trigger()
    finished = f"Retried {failed} item(s); skipped {succeeded} that had not failed."
    qtbot.waitUntil(lambda: finished in messages, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: job_row(window, job_id).failed == 0, timeout=WAIT_MS)

    assert messages[0] == f"Retrying {failed} failed item(s); skipped {succeeded} that had not failed…"
    assert simulator.stats()["chat_calls"] - calls_before == failed
    assert job_row(window, job_id).succeeded == 6


def _open_with_many_items(qtbot, open_window, tmp_path, count: int):
    """Open a window whose grid shows one finished job of `count` + 1 items (every 10th failed)."""
    window = open_window()
    job_id = create_job(qtbot, window, write_words(tmp_path / "words.txt", ["seed"]), "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    db_path = window.db_path
    close_window(qtbot, window)
    fill_job_items(db_path, job_id, count)
    window = open_window(db_path)
    _wait_grid(qtbot, window.results_pane, count + 1)
    return window


def _show_last_row(qtbot, pane) -> int:
    """Make the grid's last row current, scrolled into view, and wait until the detail pane shows it."""
    item_id = pane.model.item_id(pane.model.rowCount() - 1)
    pane.select_item(item_id)
    qtbot.waitUntil(lambda: str(item_id) in pane.detail.title.text(), timeout=WAIT_MS)
    return item_id


def test_filter_change_scrolls_to_top_and_clears_detail(qtbot, open_window, tmp_path):
    window = _open_with_many_items(qtbot, open_window, tmp_path, 2_000)
    pane = window.results_pane
    _show_last_row(qtbot, pane)
    scrolled_before = pane.view.verticalScrollBar().value()

    pane.search_edit.setText("word000")
    _wait_grid(qtbot, pane, 1_000)

    assert scrolled_before > 0
    assert pane.view.verticalScrollBar().value() == 0
    assert pane.detail.item_id is None
    assert pane.detail.title.text() == "Select a row to see its request and response."


def test_sort_change_scrolls_to_top_and_keeps_detail(qtbot, open_window, tmp_path):
    window = _open_with_many_items(qtbot, open_window, tmp_path, 2_000)
    pane = window.results_pane
    item_id = _show_last_row(qtbot, pane)

    with qtbot.waitSignal(pane.model.reloaded, timeout=WAIT_MS):
        pane.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)

    assert pane.view.verticalScrollBar().value() == 0
    assert pane.detail.item_id == item_id
    assert pane.current_item_id() == item_id


def test_periodic_reload_keeps_scroll_position(qtbot, open_window, tmp_path):
    window = _open_with_many_items(qtbot, open_window, tmp_path, 2_000)
    pane = window.results_pane
    pane.view.scrollToBottom()
    scrolled_before = pane.view.verticalScrollBar().value()

    pane.request_reload()
    with qtbot.waitSignal(pane.model.reloaded, timeout=WAIT_MS):
        pane.flush()

    assert scrolled_before > 0
    assert pane.view.verticalScrollBar().value() == scrolled_before


def test_retry_all_failed_disabled_on_empty_grid(qtbot, open_window):
    window = open_window()
    pane = window.results_pane
    _wait_grid(qtbot, pane, 0)

    assert not pane.actions_by_name["retry_failed"].isEnabled()
    assert not pane.retry_failed_button.isEnabled()


def _open_boxes(pane) -> list[QMessageBox]:
    return [box for box in pane.findChildren(QMessageBox) if box.isVisible()]


def _job_with_refusals(qtbot, open_window, simulator, tmp_path, words: int):
    """Open a window with a finished immediate job whose `words` items were all refused."""
    simulator.configure(refusal_rate=1.0)
    window = open_window()
    path = write_words(tmp_path / "words.txt", [f"word{number}" for number in range(words)])
    job_id = create_job(qtbot, window, path, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: job_row(window, job_id).failed == words, timeout=WAIT_MS)
    _wait_grid(qtbot, window.results_pane, words)
    simulator.configure(refusal_rate=0)
    return window, job_id


def test_retry_all_failed_asks_before_many(qtbot, open_window, simulator, tmp_path):
    window, job_id = _job_with_refusals(qtbot, open_window, simulator, tmp_path, 25)
    pane = window.results_pane
    calls_before = simulator.stats()["chat_calls"]

    pane.actions_by_name["retry_failed"].trigger()
    qtbot.waitUntil(lambda: len(_open_boxes(pane)) == 1, timeout=WAIT_MS)
    box = _open_boxes(pane)[0]
    text = box.text()
    next(button for button in box.buttons() if button.text() == "Keep").click()

    assert "Send the 25 failed items in view again now?" in text
    assert "immediate requests at the full price" in text
    assert simulator.stats()["chat_calls"] == calls_before
    assert job_row(window, job_id).failed == 25


def test_retry_all_failed_sends_after_confirmation(qtbot, open_window, simulator, tmp_path):
    window, job_id = _job_with_refusals(qtbot, open_window, simulator, tmp_path, 25)
    pane = window.results_pane

    pane.retry_all_failed()
    qtbot.waitUntil(lambda: len(_open_boxes(pane)) == 1, timeout=WAIT_MS)
    next(button for button in _open_boxes(pane)[0].buttons() if button.text() == "Send again").click()
    qtbot.waitUntil(lambda: job_row(window, job_id).failed == 0, timeout=WAIT_MS)

    assert job_row(window, job_id).succeeded == 25


def test_export_dialog_opens_in_documents_first(qtbot, open_window):
    documents = Path.home() / "Documents"
    documents.mkdir()
    window = open_window()

    dialog = window.results_pane.export_view()
    folder = Path(dialog.directory().absolutePath())
    dialog.reject()

    assert folder == documents


def test_export_dialog_remembers_last_folder(qtbot, open_window, tmp_path):
    window = open_window()
    pane = window.results_pane
    folder = tmp_path / "exports"
    folder.mkdir()

    with qtbot.waitSignal(pane.message, timeout=WAIT_MS):
        pane.export_to(str(folder / "results.csv"))
    dialog = pane.export_view()
    opened_in = Path(dialog.directory().absolutePath())
    dialog.reject()

    assert opened_in == folder


ISO_LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_export_writes_updated_at_as_iso_time(qtbot, open_window, tmp_path, suffix):
    window, pane = _open_with_finished_job(qtbot, open_window, tmp_path)
    stored = dict(window.services.engine.db.execute_sql("SELECT id, updated_at FROM job_item").fetchall())
    path = tmp_path / f"results{suffix}"

    with qtbot.waitSignal(pane.message, timeout=WAIT_MS):
        pane.export_to(str(path))
    with open(path, encoding="utf-8", newline="") as stream:
        records = list(csv.DictReader(stream)) if suffix == ".csv" else [json.loads(line) for line in stream]

    assert len(records) == len(WORDS)
    for record in records:
        assert ISO_LOCAL_TIME.fullmatch(record["updated_at"])
        written = datetime.datetime.fromisoformat(record["updated_at"]).timestamp()
        assert abs(written - stored[int(record["id"])]) < 1
