"""Take the documentation screenshots from the real desktop app in demo mode.

The script starts Floridify Desktop the way `floridify-gui` does, but with no API key (so the app
starts its built-in simulator), a database and QSettings in a temporary folder, and the system
keyring disabled. It then drops words-2000.txt from the shared word lists onto the main window,
creates a batch job in the importer, waits until the simulator has run it, and saves:

    docs/importer.png       the import dialog, after reading the dropped file
    docs/main-window.png    the whole window, with the finished job selected
    docs/batch-status.png   the batch pane of that job
    docs/result-grid.png    the result grid, filtered to one component of that job
    docs/entry-view.png     the entry view of one headword

It needs a display. `make screenshots` runs it under `xvfb-run`; it also works with
QT_QPA_PLATFORM=offscreen. Run from the project root:

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screenshots.py [--out-dir DIR]

Exit status is 0 when every screenshot was saved, 1 otherwise (with the reason on stderr).
"""

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORD_LIST = ROOT.parent / "shared" / "wordlists" / "words-2000.txt"

# A word-list without senses needs "definitions" before any sense-level component can run.
COMPONENTS = ["definitions", "pronunciation", "synonyms", "examples", "cefr_level"]
GRID_COMPONENT = "synonyms"
ENTRY_HEADWORD_INDEX = 40  # a row a little way into the grid, not the list's first word
WINDOW_SIZE = (1400, 900)
TOP_SPLIT = [700, 700]  # widths of the queue pane and the batch pane
TOTAL_TIMEOUT_S = 150.0
STEP_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.05
# Gives the 250 ms repaint timer of the main window time to show the last reads.
SETTLE_S = 0.8


class ScreenshotError(Exception):
    """A step of the screenshot run failed; the message names the step and the reason."""


def isolate_environment(workdir: Path) -> None:
    """Point the database, logs and keyring away from the user's files, and drop any API key.

    Must run before Qt and platformdirs read the environment.
    """
    os.environ["FLORIDIFY_DB"] = str(workdir / "floridify.sqlite3")
    os.environ.pop("OPENAI_API_KEY", None)
    # A key stored in the user's keyring would switch demo mode off.
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        os.environ[variable] = str(workdir / variable.lower())


def redirect_qsettings(workdir: Path) -> None:
    """Make every INI-format QSettings (the app uses only that format) live under `workdir`."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(workdir / "qsettings"))


async def wait_until(predicate, step: str, timeout: float = STEP_TIMEOUT_S) -> None:
    """Let the event loop run until `predicate()` is true, or raise ScreenshotError."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise ScreenshotError(f"Failed to {step}: timed out after {timeout:.0f} s.")
        await asyncio.sleep(POLL_INTERVAL_S)


async def settle() -> None:
    """Let pending reads and repaints finish before a grab."""
    await asyncio.sleep(SETTLE_S)


def save_grab(widget, path: Path) -> None:
    """Render `widget` into a PNG at `path`; raise ScreenshotError if the image is empty."""
    pixmap = widget.grab()
    if pixmap.isNull() or pixmap.width() < 50 or pixmap.height() < 50:
        raise ScreenshotError(f"Failed to grab {path.name}: the widget rendered a {pixmap.width()}x"
                              f"{pixmap.height()} image. Is it visible?")
    if not pixmap.save(str(path), "PNG"):
        raise ScreenshotError(f"Failed to write {path}: check that the folder is writable.")
    print(f"Saved {path} ({pixmap.width()}x{pixmap.height()}, {path.stat().st_size // 1024} KB)", flush=True)


def drop_files(window, paths: list[Path]) -> None:
    """Send a drag-enter and a drop with file URLs to the window's centre, as a file manager does."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    centre = window.rect().center()
    arguments = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(QPointF(centre), *arguments)
    except TypeError:
        enter = QDragEnterEvent(centre, *arguments)  # PySide6 before 6.12 takes a QPoint only
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        raise ScreenshotError("Failed to drop the word list: the main window rejected the drag.")

    drop = QDropEvent(QPointF(centre), *arguments)
    QApplication.sendEvent(window, drop)


async def capture_importer(window, out_dir: Path):
    """Drop the word list, wait for the read and the estimate, and save the importer."""
    drop_files(window, [WORD_LIST])
    dialog = window.import_dialog
    if dialog is None:
        raise ScreenshotError("Failed to open the importer: the drop opened no dialog.")

    await wait_until(lambda: not dialog.is_reading and dialog.sources[0].report is not None,
                     "read the dropped word list")
    dialog.options.set_components(COMPONENTS)
    dialog.options.set_mode("batch")
    await wait_until(lambda: dialog._current_estimate() is not None, "estimate the job")
    await settle()
    save_grab(dialog, out_dir / "importer.png")
    return dialog


async def create_job(dialog) -> int:
    """Click "Create job" and return the new job's id."""
    created = []
    dialog.jobCreated.connect(created.append)
    await wait_until(dialog.create_button.isEnabled, "enable the Create job button")
    dialog.create_button.click()
    await wait_until(lambda: bool(created), "create the job")
    return created[0]


async def wait_for_job(window, job_id: int) -> None:
    """Wait until the engine reports the job finished, then until the queue pane shows it."""
    finished = []
    window.services.bridge.jobFinished.connect(lambda finished_id, *_counts: finished.append(finished_id))

    def job_done() -> bool:
        row = next((job for job in window.queue_pane.model.jobs() if job.id == job_id), None)
        return row is not None and row.is_finished

    await wait_until(lambda: job_id in finished or job_done(), f"run job {job_id} to completion", TOTAL_TIMEOUT_S)
    await wait_until(job_done, f"show job {job_id} as finished in the queue")
    row = next(job for job in window.queue_pane.model.jobs() if job.id == job_id)
    if row.status != "completed":
        raise ScreenshotError(f"Failed to run job {job_id}: it ended as {row.status!r} ({row.message}).")


async def capture_panes(window, job_id: int, out_dir: Path) -> None:
    """Select the job, filter the grid to it, and save the window, batch pane and grid."""
    if not window.queue_pane.select_job(job_id):
        raise ScreenshotError(f"Failed to select job {job_id} in the queue pane.")
    await wait_until(lambda: window.batch_pane.model.rowCount() > 0, "show the job's batches")
    # The default split leaves the batch pane too narrow to show its columns.
    window.top_splitter.setSizes(TOP_SPLIT)
    window.batch_pane.view.selectRow(0)

    pane = window.results_pane
    pane.set_job_filter(job_id)
    pane.component_combo.setCurrentIndex(pane.component_combo.findData(GRID_COMPONENT))
    pane.apply_filters()
    await wait_until(lambda: not pane.model.is_loading and pane.model.rowCount() > ENTRY_HEADWORD_INDEX,
                     "filter the result grid")
    pane.view.selectRow(ENTRY_HEADWORD_INDEX)
    pane.view.setFocus()
    await settle()

    save_grab(window, out_dir / "main-window.png")
    save_grab(window.batch_pane, out_dir / "batch-status.png")
    save_grab(pane, out_dir / "result-grid.png")


async def capture_entry(window, out_dir: Path) -> None:
    """Show the entry of the selected grid row and save the entry view."""
    headword = window.results_pane.model.row_at(ENTRY_HEADWORD_INDEX).headword
    shown_headwords = []
    window.entry_view.entryShown.connect(shown_headwords.append)
    window.show_entry(headword)
    await wait_until(lambda: headword in shown_headwords, f"show the entry of {headword!r}")
    await settle()
    save_grab(window.entry_view, out_dir / "entry-view.png")


async def take_screenshots(window, out_dir: Path) -> None:
    """Run every step on a started window."""
    from floridify_gui.ui.app import start_main_window

    start_main_window(window)
    await wait_until(lambda: window.queue_pane.is_loaded, "load the job queue")
    dialog = await capture_importer(window, out_dir)
    job_id = await create_job(dialog)
    print(f"Created job {job_id}; waiting for the simulator to run it", flush=True)
    await wait_for_job(window, job_id)
    await capture_panes(window, job_id, out_dir)
    await capture_entry(window, out_dir)


async def shut_down(window) -> None:
    """Stop the engine and the demo simulator the way the window's Quit does."""
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.shut_down()
    await asyncio.wait_for(closed.wait(), STEP_TIMEOUT_S)


async def run(window, out_dir: Path) -> None:
    """Take the screenshots within TOTAL_TIMEOUT_S, then shut the window down."""
    try:
        await asyncio.wait_for(take_screenshots(window, out_dir), TOTAL_TIMEOUT_S)
    except asyncio.TimeoutError as error:
        raise ScreenshotError(f"Failed to take the screenshots: timed out after {TOTAL_TIMEOUT_S:.0f} s.") from error
    finally:
        await shut_down(window)


def run_app(out_dir: Path) -> None:
    """Start the app on a qasync loop, as `floridify-gui` does, and take the screenshots."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from floridify_gui.ui.app import create_main_window

    app = QApplication([sys.argv[0]])
    app.setOrganizationName("Floridify")
    app.setApplicationName("Floridify Desktop")
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    window = create_main_window()
    if not window.demo_mode:
        raise ScreenshotError("Failed to start in demo mode: an API key was found although none should be.")
    window.resize(*WINDOW_SIZE)
    window.show()
    with loop:
        try:
            loop.run_until_complete(run(window, out_dir))
        finally:
            # Deleting the window while the loop still runs keeps Qt from destroying it during
            # interpreter shutdown, which aborts the process.
            window.deleteLater()
            app.processEvents()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs",
                        help="folder that receives the PNG files (default: docs/ of the project)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Take every screenshot; return 0 on success and 1 with a message on stderr otherwise."""
    args = parse_args(argv)
    if not WORD_LIST.is_file():
        print(f"Failed to find the word list {WORD_LIST}: the shared word lists must sit next to the project.",
              file=sys.stderr)
        return 1
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        print("Failed to start the app: no display. Run under xvfb-run or set QT_QPA_PLATFORM=offscreen.",
              file=sys.stderr)
        return 1

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="floridify-screenshots-") as workdir:
        isolate_environment(Path(workdir))
        redirect_qsettings(Path(workdir))
        try:
            run_app(args.out_dir)
        except ScreenshotError as error:
            print(error, file=sys.stderr)
            return 1

    print(f"Took 5 screenshots in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
