"""The main window: job queue, batch status, result grid and entry view."""

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from floridify_gui import paths
from floridify_gui.ui import tasks
from floridify_gui.ui.about import about_text
from floridify_gui.ui.batch_pane import BatchStatusPane
from floridify_gui.ui.dialogs import confirm, inform
from floridify_gui.ui.entry_view import EntryView
from floridify_gui.ui.errors import ErrorReporter
from floridify_gui.ui.import_dialog import ImportDialog
from floridify_gui.ui.import_sources import ImportSource
from floridify_gui.ui.queue_pane import JobQueuePane
from floridify_gui.ui.results_pane import ResultsPane
from floridify_gui.ui.services import Services
from floridify_gui.ui.settings import AppSettings, ApiKeyLookup, open_qsettings
from floridify_gui.ui.settings_dialog import SettingsDialog

log = logging.getLogger("floridify_gui.ui")

APP_TITLE = "Floridify Desktop"
DEMO_BANNER = "Demo mode — simulated responses, no API key"
REPAINT_INTERVAL_MS = 250
CLOCK_INTERVAL_MS = 1000
# Clock ticks between two re-reads of what other processes changed.
OTHER_PROCESS_REFRESH_TICKS = 3
STATUS_MESSAGE_MS = 8000


class MainWindow(QMainWindow):
    """The app's window over one engine and database.

    Engine events reach the panes through `services.bridge`. Each pane only
    marks itself dirty, and a 250 ms timer makes every dirty pane re-read
    and repaint once, however many events arrived.

    Closing the window asks once if work is in flight, stops the queue
    (immediate requests stop; remote batches keep running at the endpoint
    and are resumed at the next start), closes the engine, then closes for real.

    Signals:
        closed(): Shutdown finished and the window closed.
        importDialogOpened(object): An ImportDialog was opened.
    """

    closed = Signal()
    importDialogOpened = Signal(object)

    def __init__(self, services: Services, settings: AppSettings, *, demo_mode: bool = False,
                 key_lookup: ApiKeyLookup | None = None, db_path: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.settings = settings
        self.demo_mode = demo_mode
        self.key_lookup = key_lookup
        self.db_path = db_path
        self.import_dialog: ImportDialog | None = None
        self.last_notification = ""
        self._tray: QSystemTrayIcon | None = None
        self._closing = False
        self._shutdown_complete = False
        self._quit_box = None

        self.error_reporter = ErrorReporter(self)
        tasks.set_error_handler(self.error_reporter.report)

        self._build_central()
        self._build_menus()
        self._connect_engine()
        self.setAcceptDrops(True)
        self.setWindowTitle(window_title(demo_mode, db_path))
        self.resize(1280, 860)
        self._restore_geometry()

        self._repaint_timer = QTimer(self, interval=REPAINT_INTERVAL_MS, timeout=self._flush)
        self._clock_timer = QTimer(self, interval=CLOCK_INTERVAL_MS, timeout=self._tick_clocks)
        self._ticks = 0
        self._repaint_timer.start()
        self._clock_timer.start()

    # Construction

    def _build_central(self) -> None:
        services = self.services
        self.banner = QLabel(DEMO_BANNER, self)
        self.banner.setStyleSheet("background: #fff3cd; color: #664d03; padding: 6px; font-weight: bold;")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setVisible(self.demo_mode)

        self.queue_pane = JobQueuePane(services, self)
        self.batch_pane = BatchStatusPane(services, self)
        self.results_pane = ResultsPane(services, self)
        self.entry_view = EntryView(services, self)
        self.queue_pane.currentJobChanged.connect(self.batch_pane.show_job)
        self.queue_pane.jobsRemoved.connect(self._on_jobs_removed)
        self.results_pane.entryRequested.connect(self.show_entry)
        self.results_pane.message.connect(self.show_status)
        self.queue_pane.message.connect(self.show_status)

        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(self.queue_pane)
        top.addWidget(self.batch_pane)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.results_pane, "Results")
        self.tabs.addTab(self.entry_view, "Entry")
        self.main_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.main_splitter.addWidget(top)
        self.main_splitter.addWidget(self.tabs)
        self.main_splitter.setStretchFactor(0, 2)
        self.main_splitter.setStretchFactor(1, 3)
        self.top_splitter = top

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.import_action = self._action(file_menu, "&Import…", self.choose_files, QKeySequence.StandardKey.Open)
        self.paste_action = self._action(file_menu, "&Paste word list", self.paste_word_list,
                                         QKeySequence.StandardKey.Paste)
        self._action(file_menu, "&Export view…", self.results_pane.export_view)
        file_menu.addSeparator()
        self._action(file_menu, "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        jobs_menu = self.menuBar().addMenu("&Jobs")
        for action in self.queue_pane.actions_by_name.values():
            jobs_menu.addAction(action)

        results_menu = self.menuBar().addMenu("&Results")
        for action in self.results_pane.actions_by_name.values():
            results_menu.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About Floridify", self.show_about)
        self._action(help_menu, "Open &log folder", self.open_log_folder)

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _connect_engine(self) -> None:
        bridge = self.services.bridge
        bridge.jobChanged.connect(self._on_job_changed)
        bridge.jobProgress.connect(self._on_job_progress)
        bridge.batchChanged.connect(self._on_batch_changed)
        bridge.itemsChanged.connect(self._on_items_changed)
        bridge.jobFinished.connect(self._on_job_finished)
        bridge.notice.connect(self._on_notice)

    # Engine events: mark dirty only; `_flush` repaints

    def _on_job_changed(self, job_id: int) -> None:
        self.queue_pane.mark_dirty(job_id)
        self.batch_pane.mark_dirty(job_id)

    def _on_job_progress(self, job_id: int, done: int, total: int, message: str) -> None:
        self.queue_pane.mark_dirty(job_id)
        if done == 0:
            # A new round or stage starts: the definitions stage has just
            # planned the sense items, which the grid has not read yet.
            self.results_pane.request_reload()
        if message:
            self._pending_status = f"Job {job_id}: {message}"

    def _on_batch_changed(self, job_id, _batch_id: int) -> None:
        self.batch_pane.mark_dirty(job_id)
        self.queue_pane.mark_dirty(job_id)

    def _on_items_changed(self, job_id, item_ids: tuple) -> None:
        self.results_pane.mark_items_changed(item_ids)
        self.queue_pane.mark_dirty(job_id)

    def _on_job_finished(self, job_id: int, succeeded: int, failed: int) -> None:
        self.queue_pane.mark_dirty(job_id)
        self.batch_pane.mark_dirty(job_id)
        self.results_pane.request_reload()
        self.entry_view.refresh()
        self.notify(f"Job {job_id} finished", f"{succeeded:,} succeeded, {failed:,} failed")

    def _on_jobs_removed(self) -> None:
        self.results_pane.request_reload()
        self.results_pane.refresh_jobs()

    def _on_notice(self, job_id, text: str, level: str) -> None:
        prefix = {"warning": "Warning: ", "error": "Error: "}.get(level, "")
        self.show_status(f"{prefix}{text}")

    _pending_status: str | None = None

    def _flush(self) -> None:
        self.queue_pane.flush()
        self.batch_pane.flush()
        self.results_pane.flush()
        if self._pending_status:
            self.statusBar().showMessage(self._pending_status, STATUS_MESSAGE_MS)
            self._pending_status = None

    def _tick_clocks(self) -> None:
        self.queue_pane.tick_clocks()
        self.batch_pane.tick_clocks()

        # The command line (or a second app) may run jobs on the same database,
        # and its events never reach this process. So the job rows and the shown
        # batches are re-read every few seconds, which also shows new jobs.
        self._ticks += 1
        if self._ticks % OTHER_PROCESS_REFRESH_TICKS == 0:
            self.queue_pane.mark_dirty()
            self.batch_pane.mark_dirty()

    # Status and notifications

    def show_status(self, text: str) -> None:
        """Show `text` in the status bar for a few seconds."""
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def notify(self, title: str, text: str) -> None:
        """Tell the user about a finished job: a tray message when the window is in the background."""
        self.last_notification = f"{title}: {text}"
        self.show_status(self.last_notification)
        if self.isActiveWindow() or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self._tray is None:
            self._tray = QSystemTrayIcon(self.windowIcon(), self)
            self._tray.show()
        self._tray.showMessage(title, text)

    def show_entry(self, headword: str) -> None:
        """Show the entry view for `headword`."""
        self.tabs.setCurrentWidget(self.entry_view)
        self.entry_view.show_headword(headword)

    # Importing

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        if any(url.isLocalFile() for url in mime.urls()) or (mime.hasText() and not mime.hasUrls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        if files:
            self.open_importer([ImportSource.from_path(path) for path in files])
        elif mime.hasText() and mime.text().strip():
            self.open_importer([ImportSource.from_text(mime.text(), "dropped text")])
        else:
            event.ignore()
            return
        event.acceptProposedAction()

    def choose_files(self) -> None:
        """Ask for word-list files (non-blocking) and open the importer with them."""
        dialog = QFileDialog(self, "Import word lists")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters(["Word lists (*.txt *.csv *.tsv *.tab *.json *.lst *.list)", "All files (*)"])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda files: self.open_importer([ImportSource.from_path(f) for f in files]))
        dialog.open()

    def paste_word_list(self) -> None:
        """Open the importer with the clipboard's files or text."""
        mime = QGuiApplication.clipboard().mimeData()
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime is not None else []
        if files:
            self.open_importer([ImportSource.from_path(path) for path in files])
            return
        text = QGuiApplication.clipboard().text()
        if text.strip():
            self.open_importer([ImportSource.from_text(text)])
        else:
            self.show_status("The clipboard holds no text to import.")

    def open_importer(self, sources: list[ImportSource]) -> ImportDialog:
        """Open the import dialog for `sources`, replacing an importer that is already open."""
        if self.import_dialog is not None:
            self.import_dialog.reject()
        dialog = ImportDialog(self.services, sources, self.settings.model, self)
        dialog.jobCreated.connect(self._on_job_created)
        dialog.destroyed.connect(lambda _obj=None, dialog=dialog: self._forget_importer(dialog))
        self.import_dialog = dialog
        dialog.open()
        self.importDialogOpened.emit(dialog)
        return dialog

    def _forget_importer(self, dialog: ImportDialog) -> None:
        if self.import_dialog is dialog:
            self.import_dialog = None

    def _on_job_created(self, job_id: int) -> None:
        self.queue_pane.mark_dirty()
        self.results_pane.refresh_jobs()
        self.results_pane.request_reload()
        self.services.queue.wake()
        self.show_status(f"Job {job_id} created and queued.")

    # Settings and help

    def open_settings(self) -> SettingsDialog:
        """Open the Settings dialog (non-blocking)."""
        dialog = SettingsDialog(self.settings, self, key_lookup=self.key_lookup)
        dialog.settingsSaved.connect(self._apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _apply_settings(self, settings: AppSettings, key_changed: bool) -> None:
        self.settings = settings
        engine_settings = self.services.engine.settings
        engine_settings.model = settings.model
        engine_settings.max_in_flight = settings.max_in_flight
        engine_settings.poll_interval = settings.poll_interval
        engine_settings.fallback_to_immediate = settings.fallback_to_immediate
        engine_settings.enqueued_token_budget = settings.enqueued_token_budget
        note = " The new API key is used from the next start." if key_changed else ""
        self.show_status("Settings saved." + note)

    def show_about(self):
        """Show the versions of the app, Qt, Python and the OpenAI SDK."""
        return inform(self, "About Floridify", about_text())

    def open_log_folder(self) -> QMessageBox | None:
        """Open the log folder in the system's file manager, or show its path when that fails.

        Returns:
            The open message box with the path, or None when the file manager took the folder.
        """
        folder = paths.log_dir()
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            return None

        # openUrl gives no reason. It returns False when no application handles folders,
        # for example on Qt's offscreen platform.
        log.debug("No application opened the log folder %s, so its path is shown", folder)
        return inform(self, "Log folder",
                      "Failed to open the log folder: no file manager accepted it. "
                      f"Open this folder by hand:\n\n{folder}")

    # Window state

    def _restore_geometry(self) -> None:
        store = open_qsettings()
        for key, restore in (("window/geometry", self.restoreGeometry), ("window/state", self.restoreState),
                             ("window/main_splitter", self.main_splitter.restoreState),
                             ("window/top_splitter", self.top_splitter.restoreState)):
            value = store.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def _save_geometry(self) -> None:
        store = open_qsettings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        store.setValue("window/main_splitter", self.main_splitter.saveState())
        store.setValue("window/top_splitter", self.top_splitter.saveState())
        store.sync()

    # Shutdown

    def work_in_flight(self) -> str:
        """Return what quitting would interrupt, or "" when nothing runs."""
        running = [job for job in self.queue_pane.model.jobs() if job.status in ("running", "waiting")]
        # Items are not marked while their immediate request is sent, so every unfinished item
        # of an immediate job counts. The next start sends the ones without a response.
        immediate = sum(job.total - job.succeeded - job.failed for job in running if job.mode == "immediate")
        batches = sum(job.active_batches for job in running)
        if not running and self.services.queue.current_job is None:
            return ""
        parts = [f"{len(running) or 1} job(s) are running."]
        if immediate:
            parts.append(f"{immediate:,} item(s) of immediate jobs are not answered yet; the requests in flight "
                         "are stopped, and they are sent at the next start.")
        if batches:
            parts.append(f"{batches} remote batch(es) keep running at {self.services.endpoint}; their results "
                         "are collected at the next start.")
        return " ".join(parts)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._shutdown_complete:
            event.accept()
            self.closed.emit()
            return

        event.ignore()
        if self._closing or self._quit_box is not None:
            return
        in_flight = self.work_in_flight()
        if in_flight:
            self._quit_box = confirm(self, "Quit Floridify", f"{in_flight}\n\nQuit now?", "Quit", self.shut_down)
            self._quit_box.finished.connect(self._forget_quit_box)
        else:
            self.shut_down()

    def _forget_quit_box(self, _result: int) -> None:
        self._quit_box = None

    def shut_down(self) -> None:
        """Stop the engine and close the window (without asking)."""
        if self._closing:
            return
        self._closing = True
        self._repaint_timer.stop()
        self._clock_timer.stop()
        self._save_geometry()
        if self.import_dialog is not None:
            self.import_dialog.reject()
        self.show_status("Stopping…")
        tasks.run_task(self._shut_down(), name="shut down")

    async def _shut_down(self) -> None:
        services = self.services
        try:
            await services.queue.stop()
            await tasks.cancel_all()
            services.bridge.close()
            await services.engine.aclose()
            await asyncio.to_thread(services.reader.close)
            # The result grid reads pages on this (the UI) thread with a connection of its own.
            services.engine.db.close()
        finally:
            tasks.set_error_handler(None)
            self._shutdown_complete = True
            if self._tray is not None:
                self._tray.hide()
            self.close()


def window_title(demo_mode: bool, db_path: Path | None) -> str:
    """Return the window title: app name, database file and the demo-mode mark."""
    title = APP_TITLE
    if db_path is not None:
        title += f" — {db_path.name}"
    if demo_mode:
        title += " — Demo mode (simulated responses)"
    return title
