"""`floridify-gui --self-check`: prove that an installed build starts and works.

Opens the main window (offscreen when there is no display) on a temporary
database, with temporary preferences and no API key, imports a small word
list, runs it against the built-in simulator and exits 0 when every item
succeeded. Packagers run it from the bundle (`make package-check`).
"""

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

SELF_CHECK_WORDS = ["harbour", "lantern", "quiet", "swift"]
SELF_CHECK_COMPONENTS = ["etymology", "synonyms"]
TIMEOUT_SECONDS = 120


def run_self_check() -> int:
    """Run the check; print the outcome and return the exit code."""
    with tempfile.TemporaryDirectory(prefix="floridify-self-check-") as folder:
        _isolate(Path(folder))
        try:
            succeeded, total = _check_in_app(Path(folder))
        except Exception as error:  # reported, then the exit code says it failed
            print(f"Self-check failed: {error!r}", file=sys.stderr)
            return 1

    if succeeded != total or total == 0:
        print(f"Self-check failed: {succeeded} of {total} items succeeded", file=sys.stderr)
        return 1
    print(f"Self-check passed: {succeeded} of {total} items succeeded against the built-in simulator")
    return 0


def _isolate(folder: Path) -> None:
    """Keep the check away from the user's database, preferences, logs and API key."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[variable] = str(folder / variable.lower())
    os.environ.pop("OPENAI_API_KEY", None)
    os.environ.pop("OPENAI_BASE_URL", None)
    os.environ["FLORIDIFY_DB"] = str(folder / "self-check.sqlite3")


def _check_in_app(folder: Path) -> tuple[int, int]:
    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from floridify_gui.ui.app import create_main_window, start_main_window
    from floridify_gui.ui.settings import KEY_NO_KEYRING, ApiKeyLookup

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)  # closing the window must not stop the loop mid-check
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    window = create_main_window(folder / "self-check.sqlite3",
                                key_lookup=ApiKeyLookup(None, KEY_NO_KEYRING, False))
    window.show()
    try:
        with loop:
            return loop.run_until_complete(_run_job(window, folder, start_main_window))
    finally:
        window.deleteLater()


async def _run_job(window, folder: Path, start_main_window) -> tuple[int, int]:
    from floridify_gui.engine import jobs
    from floridify_gui.wordlist import read_word_list

    start_main_window(window)
    engine = window.services.engine
    words = folder / "words.txt"
    words.write_text("\n".join(SELF_CHECK_WORDS) + "\n", encoding="utf-8")

    entries = (await asyncio.to_thread(read_word_list, words)).entries
    word_ids = await engine.import_entries(entries)
    job_id = await engine.create_job("self-check", word_ids, SELF_CHECK_COMPONENTS, "immediate")
    window.services.queue.wake()

    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        counts = await engine.worker.run(jobs.status_counts, job_id)
        status = await engine.worker.run(lambda: engine_job_status(job_id))
        if status == "completed":
            break
        await asyncio.sleep(0.2)

    await _close(window)
    return counts.get("succeeded", 0), sum(counts.values())


def engine_job_status(job_id: int) -> str:
    from floridify_gui.storage import Job

    return Job.get_by_id(job_id).status


async def _close(window) -> None:
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.shut_down()
    await asyncio.wait_for(closed.wait(), timeout=30)
