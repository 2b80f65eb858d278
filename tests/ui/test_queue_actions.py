"""Job queue actions: move, cancel with confirmation, remove and clear finished."""

from urllib.parse import urlsplit

from PySide6.QtWidgets import QMessageBox

from .helpers import WAIT_MS, create_job, job_row, wait_for_job_status, write_words


def _job_ids(window) -> list[int]:
    return [job.id for job in window.queue_pane.model.jobs()]


def test_move_down_reorders_queue(qtbot, open_window, simulator, tmp_path):
    simulator.configure(batch_duration=30.0)
    window = open_window()
    running = create_job(qtbot, window, write_words(tmp_path / "a.txt", ["apple"]), "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, running, "waiting")
    second = create_job(qtbot, window, write_words(tmp_path / "b.txt", ["river"]), "immediate", ["pronunciation"])
    third = create_job(qtbot, window, write_words(tmp_path / "c.txt", ["quiet"]), "immediate", ["pronunciation"])
    qtbot.waitUntil(lambda: window.queue_pane.select_job(second), timeout=WAIT_MS)

    window.queue_pane.actions_by_name["move_down"].trigger()
    qtbot.waitUntil(lambda: _job_ids(window) == [running, third, second], timeout=WAIT_MS)

    assert job_row(window, second).status == "queued"
    assert job_row(window, third).status == "queued"


def test_cancel_asks_and_cancels_batch_job(qtbot, open_window, simulator, tmp_path):
    simulator.configure(batch_duration=30.0)
    window = open_window()
    job_id = create_job(qtbot, window, write_words(tmp_path / "a.txt", ["apple", "river"]), "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "waiting")
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: job_row(window, job_id).active_batches == 1, timeout=WAIT_MS)
    window.queue_pane.actions_by_name["cancel"].trigger()
    boxes = [box for box in window.queue_pane.findChildren(QMessageBox) if box.isVisible()]

    assert len(boxes) == 1
    assert f"2 request(s) in 1 remote batch(es) will be cancelled at {urlsplit(simulator.base_url).netloc}" \
        in boxes[0].text()

    next(button for button in boxes[0].buttons() if button.text() == "Cancel job").click()
    wait_for_job_status(qtbot, window, job_id, "cancelled", timeout=5_000)
    # The cancelled batch is merged in the background; nothing of it had finished.
    qtbot.waitUntil(lambda: job_row(window, job_id).failed == 2, timeout=WAIT_MS)

    assert job_row(window, job_id).in_flight == 0
    assert job_row(window, job_id).active_batches == 0


def test_clear_finished_empties_views(qtbot, open_window, tmp_path):
    window = open_window()
    first = create_job(qtbot, window, write_words(tmp_path / "a.txt", ["apple"]), "immediate", ["pronunciation"])
    second = create_job(qtbot, window, write_words(tmp_path / "b.txt", ["river"]), "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, second, "completed")
    wait_for_job_status(qtbot, window, first, "completed")
    qtbot.waitUntil(lambda: window.queue_pane.select_job(first), timeout=WAIT_MS)

    window.queue_pane.clear_finished()
    qtbot.waitUntil(lambda: _job_ids(window) == [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.results_pane.model.rowCount() == 0, timeout=WAIT_MS)

    assert window.results_pane.model.rowCount() == 0


def test_cancel_in_demo_mode_names_simulator(qtbot, open_window, tmp_path):
    window = open_window(key=None, sim=None)
    window.simulator.configure(batch_duration=30.0)
    job_id = create_job(qtbot, window, write_words(tmp_path / "a.txt", ["apple"]), "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "waiting")
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: job_row(window, job_id).active_batches == 1, timeout=WAIT_MS)

    window.queue_pane.actions_by_name["cancel"].trigger()
    boxes = [box for box in window.queue_pane.findChildren(QMessageBox) if box.isVisible()]
    text = boxes[0].text()
    next(button for button in boxes[0].buttons() if button.text() == "Keep").click()

    assert "1 request(s) in 1 remote batch(es) will be cancelled at the built-in simulator" in text
    assert "OpenAI" not in text


def test_retry_failed_of_batch_job_runs_at_once(qtbot, open_window, simulator, tmp_path):
    simulator.configure(error_rate=1.0)
    window = open_window()
    job_id = create_job(qtbot, window, write_words(tmp_path / "a.txt", ["apple", "river"]), "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    qtbot.waitUntil(lambda: job_row(window, job_id).failed == 2, timeout=WAIT_MS)
    simulator.configure(error_rate=0.0)
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.queue_pane.actions_by_name["retry_failed"].isEnabled(), timeout=WAIT_MS)

    window.queue_pane.actions_by_name["retry_failed"].trigger()
    qtbot.waitUntil(lambda: job_row(window, job_id).succeeded == 2, timeout=WAIT_MS)

    assert job_row(window, job_id).failed == 0
    assert simulator.stats()["batches_created"] == 2
