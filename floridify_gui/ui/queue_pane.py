"""The job queue pane: the list of jobs and the actions on them."""

import logging

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QToolBar, QVBoxLayout, QWidget

from floridify_gui.ui import queries
from floridify_gui.ui.delegates import StackedBarDelegate
from floridify_gui.ui.dialogs import confirm
from floridify_gui.ui.queries import JobRow
from floridify_gui.ui.queue_model import PROGRESS_COLUMN, JobQueueModel
from floridify_gui.ui.services import Services
from floridify_gui.ui.tasks import run_task

log = logging.getLogger("floridify_gui.ui")

RUNNING_STATUSES = ("running", "waiting")
PAUSABLE_STATUSES = ("queued", "running", "waiting")
MOVABLE_STATUSES = ("queued", "paused")


class JobQueuePane(QWidget):
    """Lists the jobs in queue order and offers start, pause, cancel and the other job actions.

    Engine events only mark jobs dirty; `flush` (called by the window's
    repaint timer) reads the dirty rows on the reader thread and updates
    the model once.

    Signals:
        currentJobChanged(object): The selected job id, or None.
        jobsRemoved(): Jobs were deleted, so their items left the result grid.
        message(str): A line for the status bar about an action's result.
    """

    currentJobChanged = Signal(object)
    jobsRemoved = Signal()
    message = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._dirty_jobs: set[int] = set()
        self._reload_all = True
        self._loading = False
        self._loaded_once = False

        self.model = JobQueueModel(self)
        self.view = self._make_view()
        self.actions_by_name = self._make_actions()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._make_toolbar())
        layout.addWidget(self.view)
        self.update_actions()

    # Construction

    def _make_view(self) -> QTableView:
        view = QTableView(self)
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setItemDelegateForColumn(PROGRESS_COLUMN, StackedBarDelegate(view))
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        view.setColumnWidth(0, 180)
        view.setColumnWidth(PROGRESS_COLUMN, 160)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._on_selection_changed)
        return view

    def _make_actions(self) -> dict[str, QAction]:
        specs = [
            ("start", "Start", "Run this job next and start the queue", None, self.start_selected),
            ("pause", "Pause", "Stop sending this job's requests; remote batches keep running", None, self.pause_selected),
            ("resume", "Resume", "Put this paused job back in the queue", None, self.resume_selected),
            ("cancel", "Cancel…", "Stop this job and cancel its remote batches", None, self.cancel_selected),
            ("retry_failed", "Retry failed", "Send this job's failed items again", None, self.retry_failed_selected),
            ("remove", "Remove…", "Delete this job and its items (not while it runs)", QKeySequence.StandardKey.Delete,
             self.remove_selected),
            ("clear_finished", "Clear finished", "Remove every completed, cancelled or failed job", None,
             self.clear_finished),
            ("move_up", "Move up", "Run this job earlier", None, lambda: self.move_selected(-1)),
            ("move_down", "Move down", "Run this job later", None, lambda: self.move_selected(1)),
        ]
        actions = {}
        for name, text, tip, shortcut, slot in specs:
            action = QAction(text, self)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            if shortcut is not None:
                action.setShortcut(shortcut)
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            self.view.addAction(action)
            actions[name] = action
        return actions

    def _make_toolbar(self) -> QToolBar:
        toolbar = QToolBar("Jobs", self)
        for name in ("start", "pause", "resume", "cancel", "retry_failed", "remove"):
            toolbar.addAction(self.actions_by_name[name])
        toolbar.addSeparator()
        for name in ("move_up", "move_down", "clear_finished"):
            toolbar.addAction(self.actions_by_name[name])
        return toolbar

    # Selection

    def selected_job(self) -> JobRow | None:
        """Return the selected job, or None."""
        rows = self.view.selectionModel().selectedRows()
        return self.model.job_at(rows[0].row()) if rows else None

    def select_job(self, job_id: int) -> bool:
        """Select the row of `job_id`; returns False if it is not shown."""
        row = self.model.row_of(job_id)
        if row < 0:
            return False
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().select(self.model.index(row, 0), flags)
        self.view.setCurrentIndex(self.model.index(row, 0))
        return True

    def _on_selection_changed(self, *_args) -> None:
        self.update_actions()
        job = self.selected_job()
        self.currentJobChanged.emit(job.id if job else None)

    def update_actions(self) -> None:
        """Enable each action by the selected job's status."""
        job = self.selected_job()
        status = job.status if job else None
        row = self.model.row_of(job.id) if job else -1
        enabled = {
            "start": status in ("queued", "paused"),
            "pause": status in PAUSABLE_STATUSES,
            "resume": status == "paused",
            "cancel": job is not None and not job.is_finished,
            "retry_failed": job is not None and job.failed > 0 and status not in RUNNING_STATUSES,
            "remove": job is not None and status not in RUNNING_STATUSES,
            "clear_finished": any(row.is_finished for row in self.model.jobs()),
            "move_up": status in MOVABLE_STATUSES and row > 0,
            "move_down": status in MOVABLE_STATUSES and 0 <= row < self.model.rowCount() - 1,
        }
        for name, action in self.actions_by_name.items():
            action.setEnabled(enabled[name])

    # Refreshing

    def mark_dirty(self, job_id: int | None = None) -> None:
        """Note that a job's row changed; None means the whole list may have changed."""
        if job_id is None:
            self._reload_all = True
        else:
            self._dirty_jobs.add(job_id)

    def flush(self) -> None:
        """Start reading the dirty rows unless a read is already running."""
        if self._loading or not (self._reload_all or self._dirty_jobs):
            return

        reload_all = self._reload_all
        job_ids = None if reload_all else sorted(self._dirty_jobs)
        self._reload_all = False
        self._dirty_jobs.clear()
        self._loading = True
        run_task(self._load(job_ids), name="load job rows")

    async def _load(self, job_ids: list[int] | None) -> None:
        try:
            rows = await self._services.reader.run(queries.job_rows, job_ids)
        finally:
            self._loading = False

        selected = self.selected_job()
        if job_ids is None:
            self.model.set_rows(rows)
        elif self.model.update_rows(rows) or len(rows) < len(job_ids) or self.model.order_changed():
            self._reload_all = True  # a new, deleted or moved job: read the whole list next time

        if selected is not None and self.selected_job() is None:
            self.select_job(selected.id)
        self._loaded_once = True
        self.update_actions()

    @property
    def is_loaded(self) -> bool:
        """Whether the job list has been read at least once."""
        return self._loaded_once and not self._loading and not self._reload_all and not self._dirty_jobs

    def tick_clocks(self) -> None:
        """Repaint the elapsed and expiry times (called once a second)."""
        self.model.tick_clocks()

    # Actions

    def start_selected(self) -> None:
        """Move the selected queued or paused job to the front of the queue and start the queue."""
        job = self.selected_job()
        if job is None:
            return
        run_task(self._start(job), name=f"start job {job.id}")

    async def _start(self, job: JobRow) -> None:
        queue = self._services.queue
        if job.status == "paused":
            await queue.resume(job.id)
        await queue.move(job.id, -self.model.row_of(job.id))
        queue.start()
        queue.wake()
        self.mark_dirty()

    def pause_selected(self) -> None:
        """Pause the selected job."""
        job = self.selected_job()
        if job is not None:
            run_task(self._services.queue.pause(job.id), name=f"pause job {job.id}")

    def resume_selected(self) -> None:
        """Resume the selected paused job."""
        job = self.selected_job()
        if job is not None:
            run_task(self._services.queue.resume(job.id), name=f"resume job {job.id}")

    def cancel_selected(self) -> None:
        """Ask for confirmation, then cancel the selected job."""
        job = self.selected_job()
        if job is None:
            return
        in_flight = describe_in_flight(job, self._services.endpoint)
        text = f"Cancel the job “{job.name}”?\n\n{in_flight}\n\nResults that already arrived are kept."
        confirm(self, "Cancel job", text, "Cancel job", lambda: self._cancel(job.id))

    def _cancel(self, job_id: int) -> None:
        run_task(self._cancel_job(job_id), name=f"cancel job {job_id}")

    async def _cancel_job(self, job_id: int) -> None:
        # The job may have ended while the confirmation was open.
        if await self._services.queue.cancel(job_id):
            self.message.emit(f"Job {job_id} cancelled; the finished part of its batches is still merged.")
        else:
            self.message.emit(f"Job {job_id} had already ended; nothing was cancelled.")
        self.mark_dirty(job_id)

    def retry_failed_selected(self) -> None:
        """Send the failed items of the selected job again, in the job's own mode."""
        job = self.selected_job()
        if job is not None:
            run_task(self._retry_failed(job), name=f"retry failed items of job {job.id}")

    async def _retry_failed(self, job: JobRow) -> None:
        item_filter = queries.ItemFilter(job_id=job.id)
        ids = await self._services.reader.run(queries.failed_item_ids, item_filter)
        if not ids:
            self.message.emit(f"Job {job.id} has no failed items to retry.")
            return

        immediate = job.mode == "immediate"
        await self._services.engine.retry_items(ids, immediate=immediate)
        if not immediate:
            # The job is queued again; the queue may be idle and must look for it.
            self._services.queue.wake()
        self.message.emit(f"Retrying {len(ids):,} failed item(s) of job {job.id}"
                          + ("." if immediate else " in a new batch."))
        self.mark_dirty(job.id)

    def remove_selected(self) -> None:
        """Ask for confirmation, then remove the selected job unless it is running."""
        job = self.selected_job()
        if job is None or job.status in RUNNING_STATUSES:
            return
        text = (f"Remove the job “{job.name}” and its {job.total:,} items from the queue and the result grid?\n\n"
                "Values already added to entries stay.")
        confirm(self, "Remove job", text, "Remove", lambda: self._remove(job.id))

    def _remove(self, job_id: int) -> None:
        run_task(self._services.queue.remove(job_id), name=f"remove job {job_id}",
                 on_done=lambda removed: self._after_remove(job_id, removed))

    def _after_remove(self, job_id: int, removed: bool) -> None:
        self.mark_dirty()
        self.jobsRemoved.emit()
        if not removed:
            log.debug("Job %s was not removed because it is running", job_id)

    def clear_finished(self) -> None:
        """Remove every finished job from the queue."""
        run_task(self._services.queue.clear_finished(), name="clear finished jobs",
                 on_done=lambda _count: (self.mark_dirty(), self.jobsRemoved.emit()))

    def move_selected(self, delta: int) -> None:
        """Move the selected job `delta` places (negative is earlier)."""
        job = self.selected_job()
        if job is not None:
            run_task(self._services.queue.move(job.id, delta), name=f"move job {job.id}",
                     on_done=lambda _result: self.mark_dirty())


def describe_in_flight(job: JobRow, endpoint: str) -> str:
    """Return what cancelling `job` interrupts, in one or two sentences.

    Args:
        job: The job's row.
        endpoint: The name of the endpoint that runs its batches (`Services.endpoint`).
    """
    running = job.counts.get("running", 0) + job.counts.get("retrying", 0)
    submitted = job.counts.get("submitted", 0)
    waiting = job.counts.get("pending", 0) + job.counts.get("waiting", 0)
    parts = []
    if running:
        parts.append(f"{running:,} immediate request(s) are running and will be stopped")
    if submitted or job.active_batches:
        parts.append(f"{submitted:,} request(s) in {job.active_batches} remote batch(es) will be cancelled at {endpoint}")
    if waiting:
        parts.append(f"{waiting:,} item(s) not sent yet will not be sent")
    if not parts:
        return "Nothing is in flight."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."

