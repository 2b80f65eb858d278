"""Jobs run from the window against the simulator: queue, batch view, result grid and retries."""

import pytest
from PySide6.QtCore import Qt

from floridify_gui.ui.queries import ANY_FAILED

from .helpers import WAIT_MS, create_job, job_row, wait_for_job_status, write_words

WORDS = ["apple", "river", "quiet"]


def _grid_statuses(window) -> list[str]:
    model = window.results_pane.model
    return [model.row_at(row).status for row in range(model.rowCount())]


@pytest.mark.parametrize("mode", ["immediate", "batch"])
def test_job_runs_to_completion(qtbot, open_window, tmp_path, mode):
    window = open_window()
    words = write_words(tmp_path / "words.txt", WORDS)

    job_id = create_job(qtbot, window, words, mode, ["pronunciation", "etymology"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    row = job_row(window, job_id)
    qtbot.waitUntil(lambda: window.results_pane.model.rowCount() == len(WORDS) * 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: set(_grid_statuses(window)) == {"succeeded"}, timeout=WAIT_MS)

    assert row.mode == mode
    assert row.succeeded == len(WORDS) * 2
    assert row.failed == 0


def test_batch_view_shows_batch_counts(qtbot, open_window, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", WORDS)

    job_id = create_job(qtbot, window, words, "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.batch_pane.model.rowCount() >= 1, timeout=WAIT_MS)
    batches = window.batch_pane.model.batches()

    assert sum(batch.request_count for batch in batches) == len(WORDS)
    assert sum(batch.completed_count for batch in batches) == len(WORDS)
    assert sum(batch.merged_count for batch in batches) == len(WORDS)
    assert all(batch.remote_id for batch in batches)


def test_batch_view_explains_status(qtbot, open_window, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", WORDS)

    job_id = create_job(qtbot, window, words, "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.batch_pane.model.rowCount() >= 1, timeout=WAIT_MS)
    window.batch_pane.view.selectRow(0)
    explanation = window.batch_pane.model.index(0, 2).data()

    assert explanation == "Results merged into the entries"
    assert window.batch_pane.model.batch_at(0).remote_id in window.batch_pane.details.text()


def test_failed_items_retry_to_succeeded(qtbot, open_window, simulator, tmp_path):
    simulator.configure(error_rate=0.5)
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river", "quiet", "table", "green", "swift"])

    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation", "etymology"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    failed = job_row(window, job_id).failed
    pane = window.results_pane
    pane.set_status_filter(ANY_FAILED)
    qtbot.waitUntil(lambda: pane.model.rowCount() == failed and not pane.model.is_loading
                    and not pane._reload_requested, timeout=WAIT_MS)

    assert failed > 0
    assert set(_grid_statuses(window)) == {"failed"}

    simulator.configure(error_rate=0)
    window.activateWindow()  # shortcuts fire only in the active window; the closed importer was active
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    pane.view.selectAll()
    assert len(pane.selected_item_ids()) == failed
    qtbot.keyClick(pane.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: job_row(window, job_id).failed == 0, timeout=WAIT_MS)

    # The rows show "succeeded" until the grid reloads its "failed" filter, which
    # then leaves them out: either way no failed row may remain.
    qtbot.waitUntil(lambda: set(_grid_statuses(window)) <= {"succeeded"}, timeout=WAIT_MS)


def test_retry_all_failed_in_view(qtbot, open_window, simulator, tmp_path):
    simulator.configure(refusal_rate=0.5)
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river", "quiet", "table", "green", "swift"])

    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation", "etymology"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: job_row(window, job_id).failed > 0, timeout=WAIT_MS)
    simulator.configure(refusal_rate=0)
    window.results_pane.retry_all_failed()
    qtbot.waitUntil(lambda: job_row(window, job_id).failed == 0, timeout=WAIT_MS)

    assert job_row(window, job_id).succeeded == 12


def test_job_finish_notifies_counts(qtbot, open_window, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", WORDS)

    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: bool(window.last_notification), timeout=WAIT_MS)

    assert "3 succeeded, 0 failed" in window.last_notification


def test_entry_view_shows_enriched_entry(qtbot, open_window, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple"])

    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation", "synonyms"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    window.show_entry("apple")
    qtbot.waitUntil(lambda: "Pronunciation" in window.entry_view.browser.toPlainText(), timeout=WAIT_MS)
    text = window.entry_view.browser.toPlainText()

    assert "apple" in text
    assert "Synonyms" in text
    assert "Senses" in text


def test_item_detail_shows_request_and_value(qtbot, open_window, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple"])

    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    pane = window.results_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=WAIT_MS)
    pane.view.selectRow(0)
    detail = pane.detail
    qtbot.waitUntil(lambda: "ipa_british" in detail.entry_value_text.toPlainText(), timeout=WAIT_MS)

    assert "Request as sent" in detail.request_text.toPlainText()
    assert "ipa_british" in detail.response_text.toPlainText()
    assert "Status: succeeded" in detail.outcome_text.toPlainText()
