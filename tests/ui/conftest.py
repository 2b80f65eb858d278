"""Fixtures of the desktop app's tests: a qasync loop on pytest-qt's QApplication, the simulator
and main windows on temporary databases.

Every test gets a QSettings location under its tmp_path, so no test reads or writes the user's
settings. The qasync loop is created with `already_running=True`: Qt's event loop runs whenever
`qtbot.waitUntil` waits, and asyncio callbacks run inside it.
"""

import asyncio
import time
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QSettings

from floridify_gui.simulator import Simulator, SimulatorConfig
from floridify_gui.ui.app import create_main_window, start_main_window
from floridify_gui.ui.settings import KEY_IN_ENVIRONMENT, ApiKeyLookup, AppSettings

from .helpers import TEST_KEY, WAIT_MS, close_window, fast_settings


@pytest.fixture(autouse=True)
def qsettings_in_tmp(tmp_path):
    """Point every INI-format QSettings at tmp_path (the app always uses the INI format)."""
    location = str(tmp_path / "qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, location)
    return Path(location)


@pytest.fixture(scope="session")
def qt_loop(qapp):
    """One qasync event loop on the test QApplication for the whole session.

    One loop, not one per test: a closed loop's timer QObject could be garbage-collected on
    another thread later, which leaves Qt with a dangling timer and crashes a later test.
    """
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop

    _cancel_tasks(qapp, loop)
    # loop.stop() would call QApplication.exit(), which leaves Qt's quit flag set while no exec()
    # runs. The loop is marked stopped directly instead (qasync offers no public way for an
    # already_running loop).
    loop._QEventLoop__is_running = False
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def loop_tasks_cancelled(qapp, qt_loop):
    """Cancel the tasks a test left on the shared loop, when it ends."""
    yield qt_loop
    _cancel_tasks(qapp, qt_loop)


def _cancel_tasks(qapp, loop) -> None:
    leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in leftovers:
        task.cancel()
    deadline = time.monotonic() + 10
    while any(not task.done() for task in leftovers) and time.monotonic() < deadline:
        qapp.processEvents()


@pytest.fixture
def simulator():
    """A simulated OpenAI API on 127.0.0.1 whose batches take 0.3 s."""
    sim = Simulator(SimulatorConfig(batch_duration=0.3)).start()
    yield sim
    sim.stop()


@pytest.fixture
def open_window(qtbot, loop_tasks_cancelled, simulator, tmp_path):
    """Return a function that opens a started main window on a database (default: one in tmp_path).

    Windows still open at the end are shut down the way the user's Quit does.
    """
    windows = []

    def open_(db_path: Path | None = None, *, key: str | None = TEST_KEY, settings: AppSettings | None = None,
              sim=simulator):
        lookup = ApiKeyLookup(key, KEY_IN_ENVIRONMENT, False)
        window = create_main_window(db_path or tmp_path / "floridify.sqlite3", settings=settings or fast_settings(),
                                    key_lookup=lookup, simulator=sim)
        # Transient failures are retried after 0.05 s instead of seconds, and the SDK does not
        # retry on its own, so injected errors turn into failed items quickly.
        window.services.engine.settings.retry_delay = 0.05
        window.services.engine.settings.max_retries = 0
        start_main_window(window)
        window.show()
        windows.append(window)
        qtbot.waitUntil(lambda: window.queue_pane.is_loaded, timeout=WAIT_MS)
        return window

    yield open_
    for window in windows:
        close_window(qtbot, window)
