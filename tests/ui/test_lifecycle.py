"""Start-up, demo mode, quitting with work in flight and resuming at the next start."""

import sqlite3
from urllib.parse import urlsplit

from floridify_gui.ui import app as app_module
from floridify_gui.ui.main_window import DEMO_BANNER
from floridify_gui.ui.settings import KEY_IN_KEYRING, KEY_NO_KEYRING, find_api_key

from .helpers import WAIT_MS, close_window, create_job, job_row, wait_for_job_status, write_words


def test_queue_persists_across_restart(qtbot, open_window, tmp_path):
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river"])
    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")
    jobs_before = [(job.id, job.name, job.status, job.succeeded) for job in window.queue_pane.model.jobs()]
    db_path = window.db_path

    close_window(qtbot, window)
    reopened = open_window(db_path)
    jobs_after = [(job.id, job.name, job.status, job.succeeded) for job in reopened.queue_pane.model.jobs()]

    assert jobs_after == jobs_before


def test_remote_batch_resumes_after_restart(qtbot, open_window, simulator, tmp_path):
    simulator.configure(batch_duration=3.0)
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river"])
    job_id = create_job(qtbot, window, words, "batch", ["pronunciation"])
    qtbot.waitUntil(lambda: window.queue_pane.select_job(job_id), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any(batch.remote_id for batch in window.batch_pane.model.batches()), timeout=WAIT_MS)
    remote_id = window.batch_pane.model.batches()[0].remote_id
    db_path = window.db_path

    close_window(qtbot, window)
    reopened = open_window(db_path)
    wait_for_job_status(qtbot, reopened, job_id, "completed")
    reopened.queue_pane.select_job(job_id)
    qtbot.waitUntil(lambda: reopened.batch_pane.model.rowCount() > 0, timeout=WAIT_MS)

    assert [batch.remote_id for batch in reopened.batch_pane.model.batches()] == [remote_id]
    assert job_row(reopened, job_id).succeeded == 2


def _answer_quit_question(window, button_text: str) -> str:
    """Close the window, click `button_text` in the quit question and return the question's text."""
    window.close()
    box = window._quit_box
    text = box.text()
    next(button for button in box.buttons() if button.text() == button_text).click()
    return text


def test_quit_with_work_in_flight_asks_once(qtbot, open_window, simulator, tmp_path):
    simulator.configure(batch_duration=3.0)
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river"])
    job_id = create_job(qtbot, window, words, "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "waiting")

    window.close()
    first_box = window._quit_box
    window.close()

    assert first_box is not None
    assert window._quit_box is first_box
    assert f"keep running at {urlsplit(simulator.base_url).netloc}" in first_box.text()
    assert not window._closing

    next(button for button in first_box.buttons() if button.text() == "Quit").click()
    qtbot.waitUntil(lambda: window._shutdown_complete, timeout=WAIT_MS)

    assert not window.isVisible()


def test_quit_during_immediate_job_counts_items(qtbot, open_window, simulator, tmp_path):
    simulator.configure(chat_latency=3.0)
    window = open_window()
    words = write_words(tmp_path / "words.txt", ["apple", "river"])
    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "running")

    text = _answer_quit_question(window, "Quit")
    qtbot.waitUntil(lambda: window._shutdown_complete, timeout=WAIT_MS)

    assert "2 item(s) of immediate jobs are not answered yet" in text


def test_quit_in_demo_mode_names_simulator(qtbot, open_window, tmp_path):
    window = open_window(key=None, sim=None)
    window.simulator.configure(batch_duration=30.0)
    job_id = create_job(qtbot, window, write_words(tmp_path / "words.txt", ["apple"]), "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "waiting")
    qtbot.waitUntil(lambda: job_row(window, job_id).active_batches == 1, timeout=WAIT_MS)

    text = _answer_quit_question(window, "Keep")

    assert "1 remote batch(es) keep running at the built-in simulator" in text
    assert "OpenAI" not in text


def test_demo_mode_without_key(qtbot, open_window):
    window = open_window(key=None, sim=None)

    assert window.demo_mode
    assert window.banner.isVisible()
    assert window.banner.text() == DEMO_BANNER
    assert "Demo mode" in window.windowTitle()
    assert window.simulator is not None
    assert window.services.engine.settings.base_url == window.simulator.base_url


def test_demo_mode_runs_a_job(qtbot, open_window, tmp_path):
    window = open_window(key=None, sim=None)
    words = write_words(tmp_path / "words.txt", ["apple"])

    job_id = create_job(qtbot, window, words, "immediate", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "completed")

    assert job_row(window, job_id).succeeded == 1


def test_key_lookup_without_keyring(monkeypatch):
    lookup = find_api_key()

    assert lookup.key is None
    assert lookup.location in (KEY_NO_KEYRING, KEY_IN_KEYRING)


def test_environment_key_wins(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-0123456789")

    lookup = find_api_key()

    assert lookup.key == "sk-from-environment-0123456789"
    assert lookup.location == "environment variable"


def test_no_display_exits_with_code_2(monkeypatch, capsys):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(app_module.sys, "platform", "linux")

    code = app_module.main([])

    assert code == app_module.EXIT_NO_DISPLAY
    assert "floridify --help" in capsys.readouterr().err


def test_job_run_by_command_line_appears_live(qtbot, open_window, tmp_path):
    import os
    import subprocess
    import sys

    db_path = tmp_path / "shared.sqlite3"
    window = open_window(db_path)
    words = write_words(tmp_path / "words.txt", ["harbour", "lantern"])
    env = {**os.environ, "FLORIDIFY_DB": str(db_path)}

    process = subprocess.Popen([sys.executable, "-m", "floridify_gui.cli", "batch", "synthesize", "--words",
                                str(words), "--components", "etymology", "--simulator"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_job_status(qtbot, window, 1, "completed")
    finally:
        process.wait(timeout=60)

    assert process.returncode == 0
    assert job_row(window, 1).failed == 0


def test_demo_batch_survives_restart(qtbot, open_window, tmp_path):
    db_path = tmp_path / "demo.sqlite3"
    window = open_window(db_path, key=None, sim=None)
    words = write_words(tmp_path / "words.txt", ["apple", "river"])
    job_id = create_job(qtbot, window, words, "batch", ["pronunciation"])
    wait_for_job_status(qtbot, window, job_id, "waiting")
    close_window(qtbot, window)

    window = open_window(db_path, key=None, sim=None)
    wait_for_job_status(qtbot, window, job_id, "completed", timeout=30_000)
    with sqlite3.connect(db_path) as connection:
        steps = [row[0] for row in connection.execute("SELECT step FROM remote_batch")]

    assert steps == ["merged"]
    assert window.simulator.stats()["batches_created"] == 0
    assert job_row(window, job_id).succeeded == 2
