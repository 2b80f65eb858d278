"""Helpers of the desktop app's tests: opening the importer, creating jobs, filling databases."""

import sqlite3
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
