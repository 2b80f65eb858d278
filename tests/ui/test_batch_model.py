"""Batch status view: the status and explanation the table and the details show for abandoned batches."""

import time

from floridify_gui.ui.batch_model import COLUMNS

from .helpers import WAIT_MS, add_job_with_batch

STATUS_COLUMN = [key for key, _ in COLUMNS].index("status")
EXPLANATION_COLUMN = [key for key, _ in COLUMNS].index("explanation")
LOST_MESSAGE = "The endpoint does not know batch batch_lost; its requests are sent again"


def _shown_batch(qtbot, window, job_id: int):
    """Select `job_id` in the queue, select its only batch and return the batch pane."""
    window.queue_pane.mark_dirty()
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    pane = window.batch_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=WAIT_MS)
    pane.view.selectRow(0)
    return pane


def test_lost_batch_shows_endpoint_lost_it(qtbot, open_window):
    window = open_window()
    job_id = add_job_with_batch(window.db_path, "completed", step="abandoned", remote_status="validating",
                                remote_id="batch_lost", expires_at=time.time() + 86_000, message=LOST_MESSAGE)

    pane = _shown_batch(qtbot, window, job_id)
    details = pane.details.text()

    assert pane.model.index(0, STATUS_COLUMN).data() == "abandoned"
    assert pane.model.index(0, EXPLANATION_COLUMN).data() == (
        "The endpoint no longer knows this batch; its requests were sent again")
    assert "Batch ID: batch_lost" in details
    assert "Status: abandoned — The endpoint no longer knows this batch" in details
    assert "Never created" not in details
    assert "validating" not in details


def test_uncreated_batch_shows_never_created(qtbot, open_window):
    window = open_window()
    job_id = add_job_with_batch(window.db_path, "cancelled", step="abandoned", remote_status=None, remote_id=None,
                                expires_at=None, message="The job was cancelled before this batch was created")

    pane = _shown_batch(qtbot, window, job_id)
    details = pane.details.text()

    assert pane.model.index(0, 0).data() == "(never created)"
    assert pane.model.index(0, STATUS_COLUMN).data() == "abandoned"
    assert "Status: abandoned — Never created" in details


def test_batch_explanations_name_the_endpoint(qtbot, open_window):
    window = open_window()
    job_id = add_job_with_batch(window.db_path, "paused", step="created", remote_status="in_progress",
                                remote_id="batch_running", expires_at=time.time() + 3_600)

    pane = _shown_batch(qtbot, window, job_id)

    assert pane.model.index(0, EXPLANATION_COLUMN).data() == f"{window.services.endpoint} is running the requests"
    assert "OpenAI" not in pane.details.text()
