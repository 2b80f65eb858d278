"""Helpers of the desktop app's tests: opening the importer, creating jobs, filling databases."""

import sqlite3
import time
from pathlib import Path

import shiboken6

from floridify_gui.ui.import_sources import ImportSource
from floridify_gui.ui.settings import AppSettings

ROOT = Path(__file__).resolve().parents[2]
SHARED_WORDLISTS = ROOT.parent / "shared" / "wordlists"
TEST_KEY = "test-key-for-the-simulator"
WAIT_MS = 30_000


def fast_settings(**changes) -> AppSettings:
    """Return settings that poll batches often, for fast tests."""
    return AppSettings(**{"poll_interval": 0.2, "max_in_flight": 8, **changes})


def close_window(qtbot, window) -> None:
    """Shut the window down without the quit question and wait until it has closed."""
    if not shiboken6.isValid(window):
        return  # closed and deleted earlier in the test
    if not window._shutdown_complete:
        window.shut_down()
        qtbot.waitUntil(lambda: window._shutdown_complete, timeout=WAIT_MS)
    window.deleteLater()


def create_job(qtbot, window, path: Path, mode: str, components: list[str]) -> int:
    """Import `path` through the import dialog and create a job; return its id."""
    dialog = window.open_importer([ImportSource.from_path(path)])
    qtbot.waitUntil(lambda: not dialog.is_reading and dialog.sources[0].report is not None, timeout=WAIT_MS)
    dialog.options.set_components(components)
    dialog.options.set_mode(mode)
    created = []
    dialog.jobCreated.connect(created.append)
    qtbot.waitUntil(dialog.create_button.isEnabled, timeout=WAIT_MS)
    dialog.create_job()
    qtbot.waitUntil(lambda: bool(created), timeout=WAIT_MS)
    return created[0]


def job_row(window, job_id: int):
    """Return the queue model's row of `job_id`, or None."""
    return next((job for job in window.queue_pane.model.jobs() if job.id == job_id), None)


def wait_for_job_status(qtbot, window, job_id: int, status: str, timeout: int = WAIT_MS) -> None:
    """Wait until the queue pane shows `job_id` with `status`."""
    def reached() -> bool:
        row = job_row(window, job_id)
        return row is not None and row.status == status

    qtbot.waitUntil(reached, timeout=timeout)


def write_words(path: Path, words: list[str]) -> Path:
    """Write one headword a line and return the path."""
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path


def fill_job_items(db_path: Path, job_id: int, count: int, failed_every: int = 10) -> None:
    """Insert `count` items into job `job_id` with plain SQL (fast), every Nth one failed."""
    connection = sqlite3.connect(db_path)
    with connection:
        word_id = connection.execute("INSERT INTO word (headword, key, created_at) VALUES ('w', 'w', 0)").lastrowid
        rows = [
            (job_id, word_id, f"word{number:06d}", "noun", f"gloss {number}", "synonyms", 1,
             "failed" if number % failed_every == 0 else "succeeded", 1,
             "server_error" if number % failed_every == 0 else None, float(number))
            for number in range(count)
        ]
        connection.executemany(
            "INSERT INTO job_item (job_id, word_id, headword, part_of_speech, gloss, component, stage, status,"
            " attempts, outcome_code, updated_at, cache_hit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            rows,
        )
    connection.close()


def add_job_with_batch(db_path: Path, job_status: str, *, step: str, remote_status: str | None,
                       remote_id: str | None, expires_at: float | None, message: str | None = None) -> int:
    """Insert a batch job of `job_status` with one remote batch and no items, with plain SQL; return the job id.

    The queue never runs a job inserted as completed, cancelled or paused, so the rows stay as written.
    """
    now = time.time()
    connection = sqlite3.connect(db_path)
    with connection:
        job_id = connection.execute(
            "INSERT INTO job (name, mode, model, components, status, position, created_at, started_at, finished_at,"
            " force_refresh, options, requests_sent, cache_hits, prompt_tokens, completion_tokens, cost,"
            " estimated_tokens, estimated_cost, fell_back)"
            " VALUES (?, 'batch', 'gpt-4o-mini', '[\"synonyms\"]', ?, 100, ?, ?, ?, 0, '{}', 0, 0, 0, 0, 0, 0, 0, 0)",
            (f"{job_status} job", job_status, now - 60, now - 60,
             None if job_status == "paused" else now - 30)).lastrowid
        connection.execute(
            "INSERT INTO remote_batch (job_id, token, model, step, status, remote_id, request_count, completed_count,"
            " failed_count, merged_count, estimated_tokens, message, created_at, submitted_at, expires_at, updated_at)"
            " VALUES (?, ?, 'gpt-4o-mini', ?, ?, ?, 4, 0, 0, 0, 0, ?, ?, ?, ?, ?)",
            (job_id, f"token-{job_id}", step, remote_status, remote_id, message, now - 60, now - 60, expires_at, now))
    connection.close()
    return job_id
