"""Job queue: the batch expiry column counts only batches still running remotely."""

import time

from floridify_gui.ui.queue_model import EXPIRY_COLUMN

from .helpers import WAIT_MS, add_job_with_batch, job_row


def _expiry_cell(qtbot, window, job_id: int) -> str:
    """Re-read the queue and return the Batch expiry cell of `job_id`."""
    window.queue_pane.mark_dirty()
    qtbot.waitUntil(lambda: job_row(window, job_id) is not None, timeout=WAIT_MS)
    model = window.queue_pane.model
    return model.index(model.row_of(job_id), EXPIRY_COLUMN).data()


def test_finished_jobs_show_no_batch_expiry(qtbot, open_window):
    window = open_window()
    tomorrow = time.time() + 86_340
    completed = add_job_with_batch(window.db_path, "completed", step="downloaded", remote_status="completed",
                                   remote_id="batch_done", expires_at=tomorrow)
    cancelled = add_job_with_batch(window.db_path, "cancelled", step="created", remote_status="cancelling",
                                   remote_id="batch_cancelling", expires_at=tomorrow)

    assert _expiry_cell(qtbot, window, completed) == ""
    assert _expiry_cell(qtbot, window, cancelled) == ""
    assert job_row(window, completed).batch_expires_at is None


def test_ended_batch_of_unfinished_job_shows_no_expiry(qtbot, open_window):
    window = open_window()
    job_id = add_job_with_batch(window.db_path, "paused", step="created", remote_status="expired",
                                remote_id="batch_expired", expires_at=time.time() + 86_340)

    assert _expiry_cell(qtbot, window, job_id) == ""
    assert job_row(window, job_id).active_batches == 0


def test_running_batch_shows_time_left(qtbot, open_window):
    window = open_window()
    job_id = add_job_with_batch(window.db_path, "paused", step="created", remote_status="in_progress",
                                remote_id="batch_running", expires_at=time.time() + 5 * 3600 + 1800)

    assert _expiry_cell(qtbot, window, job_id).startswith("5 h ")
    assert job_row(window, job_id).active_batches == 1
