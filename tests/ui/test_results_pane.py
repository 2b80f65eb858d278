"""Result grid actions: Copy as TSV and Retry selected now."""

import sqlite3
from pathlib import Path

from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtWidgets import QApplication

from floridify_gui.ui.results_model import COLUMNS

from .helpers import WAIT_MS, create_job, job_row, wait_for_job_status, write_words

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
    window = open_window()
    job_id = create_job(qtbot, window, write_words(tmp_path / "words.txt", WORDS), "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    pane = window.results_pane
    _wait_grid(qtbot, pane, len(WORDS))
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
    window = open_window()
    job_id = create_job(qtbot, window, write_words(tmp_path / "words.txt", WORDS), "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    pane = window.results_pane
    _wait_grid(qtbot, pane, len(WORDS))
    messages = []
    pane.message.connect(messages.append)
    calls_before = simulator.stats()["chat_calls"]

    pane.view.selectAll()
    pane.actions_by_name["retry_selected"].trigger()
    expected = "None of the 3 selected items failed; nothing to retry."
    qtbot.waitUntil(lambda: expected in messages, timeout=WAIT_MS)

    assert messages == [expected]
    assert simulator.stats()["chat_calls"] == calls_before
    assert job_row(window, job_id).succeeded == len(WORDS)


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
