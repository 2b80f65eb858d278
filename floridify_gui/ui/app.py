"""Start-up of the desktop app: the `floridify-gui` command."""

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from floridify_gui.engine import Engine, EngineSettings, JobQueue
from floridify_gui.logs import register_secret, setup_logging
from floridify_gui.storage import DatabaseError, DatabaseWorker

log = logging.getLogger("floridify_gui.ui")

EXIT_NO_DISPLAY = 2
EXIT_START_FAILED = 1
# argparse exits with 2 after a usage error.
EXIT_USAGE = 2

# Short enough that a demo batch job finishes while the user watches.
DEMO_BATCH_SECONDS = 4.0
DEMO_API_KEY = "demo-key-for-the-local-simulator"

NO_DISPLAY_MESSAGE = (
    "Failed to start Floridify Desktop: no display found (DISPLAY and WAYLAND_DISPLAY are not set).\n"
    "Use the command line instead: run `floridify --help`. To run the window without a screen, "
    "set QT_QPA_PLATFORM=offscreen."
)


HELP_DESCRIPTION = """\
Floridify Desktop enriches dictionary entries (definitions, pronunciation,
etymology, synonyms, CEFR level and more) through the OpenAI API, as
immediate requests or through the Batch API at half the price. Without an
API key it starts in demo mode, where a built-in simulator returns simulated
responses at no cost."""

HELP_EPILOG = """\
environment variables:
  OPENAI_API_KEY   API key. Without it, the key saved in Settings (kept in the
                   system keyring) is used; without either, demo mode starts.
  OPENAI_BASE_URL  OpenAI-compatible endpoint, used when Settings > Base URL
                   is empty (ignored in demo mode).
  FLORIDIFY_DB     database file; overrides the location chosen in Settings.
  QT_QPA_PLATFORM  Qt platform plugin, such as "offscreen" to run without a
                   screen.

The `floridify` command runs the same jobs from a terminal (`floridify --help`)."""


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the `floridify-gui` command line."""
    parser = argparse.ArgumentParser(prog="floridify-gui", description=HELP_DESCRIPTION, epilog=HELP_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true",
                        help="print the versions of the app, Qt, PySide6, Python and the OpenAI SDK, and exit")
    parser.add_argument("--self-check", action="store_true",
                        help="run a small job against the built-in simulator on a temporary database "
                             "(offscreen when there is no display) and exit with 0 when every item succeeded")
    return parser


def display_available() -> bool:
    """Return False on a Linux or BSD machine without a display server, where Qt would abort."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def create_main_window(db_path: Path | None = None, *, settings=None, key_lookup=None, simulator=None):
    """Build the engine, its services and the main window (without starting the job queue).

    Args:
        db_path: Database file; defaults to the settings' or the default location.
        settings: AppSettings; defaults to those saved with QSettings.
        key_lookup: ApiKeyLookup; defaults to $OPENAI_API_KEY, then the system keyring.
        simulator: A started Simulator to talk to instead of the configured base URL.
            Without a key and without one, a simulator is started (demo mode) and
            stopped when the window closes.

    Returns:
        The MainWindow; call `start_main_window(window)` once the event loop runs.

    Raises:
        DatabaseError: the database cannot be opened.
    """
    from floridify_gui.ui.bridge import EngineBridge
    from floridify_gui.ui.main_window import MainWindow
    from floridify_gui.ui.services import Services
    from floridify_gui.ui.settings import database_path, endpoint_name, find_api_key, load_settings

    # The engine builds requests, parses results and reads the grid on worker
    # threads. Every Qt callback into Python must take the GIL, and a busy
    # worker makes each take wait up to one switch interval, so one repaint
    # that calls into Python hundreds of times waited hundreds of intervals.
    # tests/benchmarks/bench_gui.py measured the longest stall while a 50,000-item
    # batch ran on 2 cores. It was 300 ms with CPython's default of 5 ms, 75 to
    # 100 ms with 0.5 ms and 27 to 46 ms with 10 µs. The job took no longer.
    sys.setswitchinterval(0.00001)
    settings = settings or load_settings()
    key_lookup = key_lookup or find_api_key()
    register_secret(key_lookup.key)
    demo_mode = key_lookup.key is None
    own_simulator = None
    if demo_mode and simulator is None:
        own_simulator = simulator = _start_demo_simulator()

    db_path = Path(db_path) if db_path is not None else database_path(settings)
    engine = Engine(db_path, _engine_settings(settings, key_lookup.key, simulator))
    services = Services(engine=engine, queue=JobQueue(engine), reader=DatabaseWorker(engine.db),
                        bridge=EngineBridge(engine.events),
                        endpoint=endpoint_name(engine.settings.base_url, demo_mode=demo_mode))
    window = MainWindow(services, settings, demo_mode=demo_mode, key_lookup=key_lookup, db_path=db_path)
    # Owned by the window, so Qt deletes it on the GUI thread and never a garbage collection elsewhere.
    services.bridge.setParent(window)
    window.simulator = simulator
    if own_simulator is not None:
        window.closed.connect(own_simulator.stop)
    log.info("Opened %s%s", db_path, " in demo mode" if demo_mode else "")
    return window


def _engine_settings(settings, api_key: str | None, simulator) -> EngineSettings:
    return EngineSettings(
        api_key=api_key or DEMO_API_KEY,
        base_url=simulator.base_url if simulator is not None else (settings.base_url or None),
        model=settings.model,
        max_in_flight=settings.max_in_flight,
        poll_interval=settings.poll_interval if simulator is None else min(settings.poll_interval, 1.0),
        fallback_to_immediate=settings.fallback_to_immediate,
        enqueued_token_budget=settings.enqueued_token_budget,
    )


def _start_demo_simulator():
    from floridify_gui import paths
    from floridify_gui.simulator import Simulator, SimulatorConfig

    # The simulator's batches are kept in the data folder when the app quits, so that a batch
    # in flight is picked up at the next start, as one at OpenAI would be.
    state_dir = paths.data_dir() / "demo-simulator"
    simulator = Simulator(SimulatorConfig(batch_duration=DEMO_BATCH_SECONDS), state_dir=state_dir).start()
    log.info("No API key found; demo mode uses the built-in simulator at %s (state in %s)",
             simulator.base_url, state_dir)
    return simulator


def version_text() -> str:
    """Return the versions of the app and what it runs on, on one line."""
    import platform

    import openai
    import PySide6
    from PySide6.QtCore import qVersion

    from floridify_gui import __version__

    return (f"floridify-gui {__version__} (Qt {qVersion()}, PySide6 {PySide6.__version__}, "
            f"Python {platform.python_version()}, openai {openai.__version__})")


def start_main_window(window) -> None:
    """Start the job queue and the first reads; the event loop must be running.

    The queue runs jobs that were running or waiting for remote batches at
    the last close first, so their batches are polled and merged again
    without being resubmitted.
    """
    window.services.queue.start()
    window.queue_pane.mark_dirty()
    window.results_pane.refresh_jobs()


def main(argv: list[str] | None = None) -> int:
    """Run the desktop app until its window closes; return the exit code.

    Args:
        argv: The command line with the program name first; defaults to sys.argv.
            `--help` prints the usage, `--version` the versions, and `--self-check`
            runs a small job against the built-in simulator on a temporary database;
            each then returns without opening the window. An unknown option
            prints a usage error and returns EXIT_USAGE.
    """
    arguments = list(sys.argv[1:] if argv is None else argv[1:])
    try:
        options = build_parser().parse_args(arguments)
    except SystemExit as exit_request:
        # argparse exits after printing --help (code 0) or a usage error (code 2).
        return exit_request.code
    if options.version:
        print(version_text())
        return 0
    if options.self_check:
        from floridify_gui.ui.selfcheck import run_self_check

        return run_self_check()

    if not display_available():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return EXIT_NO_DISPLAY

    import qasync
    from PySide6.QtWidgets import QApplication, QMessageBox

    _setup_logging()
    app = QApplication(list(sys.argv if argv is None else argv))
    app.setOrganizationName("Floridify")
    app.setApplicationName("Floridify Desktop")
    app.setQuitOnLastWindowClosed(False)  # the loop stops when shutdown has finished instead

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        window = create_main_window()
    except DatabaseError as error:
        log.error("%s", error)
        QMessageBox.critical(None, "Floridify", f"{error}\n\nChoose another database location with FLORIDIFY_DB.")
        return EXIT_START_FAILED

    window.show()
    _stop_on_signals(window)
    with loop:
        loop.run_until_complete(_run(window))
        loop.run_until_complete(_cancel_leftover_tasks())
        loop.run_until_complete(loop.shutdown_asyncgens())
    return 0


def _stop_on_signals(window) -> None:
    """Shut down cleanly on Ctrl+C or SIGTERM instead of dying mid-write.

    Python runs signal handlers between bytecodes, which the window's repaint
    timer executes four times a second, so the handler runs promptly.
    """
    def stop(signal_number, _frame) -> None:
        log.info("Received signal %s; shutting down", signal_number)
        window.shut_down()

    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


async def _run(window) -> None:
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    start_main_window(window)
    await closed.wait()


async def _cancel_leftover_tasks() -> None:
    """Cancel the tasks still pending at exit, so that none is destroyed while pending."""
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.wait(leftovers, timeout=5)
        log.debug("Cancelled %s leftover task(s) at exit", len(leftovers))


def _setup_logging() -> None:
    try:
        setup_logging(logging.INFO, console=sys.stderr is not None and sys.stderr.isatty())
    except OSError as error:
        # The app works without a log file, so it only reports the problem on stderr.
        if sys.stderr is not None:
            print(f"Failed to open the log file: {error}. Continuing without it.", file=sys.stderr)
