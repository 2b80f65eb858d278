"""The live batch status view of the selected job."""

import json
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from floridify_gui.ui import queries
from floridify_gui.ui.batch_model import COLUMNS, BatchStatusModel, explain, shown_remote_id, shown_status
from floridify_gui.ui.delegates import StackedBarDelegate
from floridify_gui.ui.dialogs import confirm
from floridify_gui.ui.formatting import format_time, format_time_left
from floridify_gui.ui.queries import BatchRow
from floridify_gui.ui.services import Services
from floridify_gui.ui.tasks import run_task

log = logging.getLogger("floridify_gui.ui")

REQUESTS_COLUMN = [key for key, _ in COLUMNS].index("requests")


class BatchStatusPane(QWidget):
    """Shows each remote batch of one job with its status, counts and deadlines.

    `show_job` picks the job; engine events mark the pane dirty and `flush`
    (called by the window's repaint timer) re-reads the batches.
    """

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._job_id: int | None = None
        self._dirty = False
        self._loading = False

        self.model = BatchStatusModel(self)
        self.model.endpoint = services.endpoint
        self.title = QLabel("Select a job to see its remote batches.", self)
        self.view = self._make_view()
        self.details = QLabel(self)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.refresh_button = QPushButton("Refresh now", self)
        self.refresh_button.setToolTip(f"Ask {services.endpoint} for the status of the selected batch "
                                       "(all batches if none is selected)")
        self.refresh_button.clicked.connect(self.refresh_now)
        self.copy_button = QPushButton("Copy ID", self)
        self.copy_button.clicked.connect(self.copy_remote_id)
        self.cancel_button = QPushButton("Cancel batch…", self)
        self.cancel_button.clicked.connect(self.cancel_selected)

        self._lay_out()
        self._update_buttons()

    def _make_view(self) -> QTableView:
        view = QTableView(self)
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setItemDelegateForColumn(REQUESTS_COLUMN, StackedBarDelegate(view))
        view.verticalHeader().hide()
        view.horizontalHeader().setStretchLastSection(True)
        view.setColumnWidth(0, 200)
        view.setColumnWidth(2, 260)
        view.setColumnWidth(REQUESTS_COLUMN, 130)
        view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._on_selection_changed)
        return view

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 3)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)

    # Showing a job

    @property
    def job_id(self) -> int | None:
        """The job whose batches are shown."""
        return self._job_id

    def show_job(self, job_id: int | None) -> None:
        """Show the batches of `job_id` (nothing for None)."""
        if job_id == self._job_id:
            return
        self._job_id = job_id
        self.model.set_rows([])
        self.title.setText("Select a job to see its remote batches." if job_id is None else f"Batches of job {job_id}")
        self._dirty = job_id is not None
        self.flush()

    def mark_dirty(self, job_id: int | None = None) -> None:
        """Note that a batch of `job_id` changed (None: of any job)."""
        if job_id is None or job_id == self._job_id:
            self._dirty = True

    def flush(self) -> None:
        """Re-read the shown job's batches if they changed and no read is running."""
        if not self._dirty or self._loading or self._job_id is None:
            return
        self._dirty = False
        self._loading = True
        run_task(self._load(self._job_id), name="load batch rows")

    async def _load(self, job_id: int) -> None:
        try:
            rows = await self._services.reader.run(queries.batch_rows, job_id)
        finally:
            self._loading = False
        if job_id != self._job_id:
            return

        selected = self.selected_batch()
        self.model.set_rows(rows)
        if selected is not None:
            self._select_batch(selected.id)
        self._update_buttons()
        self._show_details()

    def tick_clocks(self) -> None:
        """Repaint the time left before expiry (called once a second)."""
        self.model.tick_clocks()
        self._show_details()

    # Selection and details

    def selected_batch(self) -> BatchRow | None:
        """Return the selected batch, or None."""
        rows = self.view.selectionModel().selectedRows()
        return self.model.batch_at(rows[0].row()) if rows else None

    def _select_batch(self, batch_id: int) -> None:
        for row, batch in enumerate(self.model.batches()):
            if batch.id == batch_id:
                self.view.selectRow(row)
                return

    def _on_selection_changed(self, *_args) -> None:
        self._update_buttons()
        self._show_details()

    def _update_buttons(self) -> None:
        batch = self.selected_batch()
        self.refresh_button.setEnabled(any(row.is_active for row in self.model.batches()))
        self.copy_button.setEnabled(batch is not None and batch.remote_id is not None)
        self.cancel_button.setEnabled(batch is not None and batch.is_active and batch.remote_id is not None)

    def _show_details(self) -> None:
        batch = self.selected_batch()
        self.details.setText(describe_batch(batch, self._services.endpoint) if batch else "")

    # Actions

    def copy_remote_id(self) -> None:
        """Copy the selected batch's remote id to the clipboard."""
        batch = self.selected_batch()
        if batch is not None and batch.remote_id:
            QGuiApplication.clipboard().setText(batch.remote_id)

    def refresh_now(self) -> None:
        """Poll the selected batch, or every active batch of the job, once now."""
        selected = self.selected_batch()
        batches = [selected] if selected is not None else [row for row in self.model.batches() if row.is_active]
        for batch in batches:
            run_task(self._services.engine.refresh_batch(batch.id), name=f"refresh batch {batch.id}")

    def cancel_selected(self) -> None:
        """Ask for confirmation, then cancel the selected remote batch."""
        batch = self.selected_batch()
        if batch is None:
            return
        unfinished = batch.request_count - batch.completed_count - batch.failed_count
        text = (f"Cancel the batch {batch.remote_id}?\n\n"
                f"{unfinished:,} of its {batch.request_count:,} requests have not finished; "
                f"{self._services.endpoint} stops them. "
                "Requests that finished before the cancellation are still merged.")
        confirm(self, "Cancel batch", text, "Cancel batch",
                lambda: run_task(self._services.engine.cancel_batch(batch.id), name=f"cancel batch {batch.id}"))


def describe_batch(batch: BatchRow, endpoint: str = "OpenAI") -> str:
    """Return the multi-line text of the details box below the table.

    Args:
        batch: The batch.
        endpoint: The name of the endpoint that runs it (`Services.endpoint`).
    """
    lines = [
        f"Batch ID: {shown_remote_id(batch)}",
        f"Status: {shown_status(batch)} — {explain(batch, endpoint)}",
        f"Requests: {batch.completed_count:,} completed, {batch.failed_count:,} failed of {batch.request_count:,}; "
        f"{batch.merged_count:,} merged into entries",
    ]
    stages = [("Created", batch.created_at), ("Submitted", batch.submitted_at),
              ("Running since", batch.in_progress_at), ("Finalizing since", batch.finalizing_at),
              ("Ended", batch.ended_at)]
    lines.append(" · ".join(f"{name} {format_time(stamp)}" for name, stamp in stages if stamp))
    if batch.expires_at and batch.is_active:
        lines.append(f"Expires {format_time(batch.expires_at)} ({format_time_left(batch.expires_at)})")
    if batch.message:
        lines.append(batch.message)
    lines.extend(_error_lines(batch.errors))
    return "\n".join(lines)


def _error_lines(errors: str | None) -> list[str]:
    if not errors:
        return []
    try:
        parsed = json.loads(errors)
    except ValueError:
        return [f"Errors: {errors}"]
    if not isinstance(parsed, list):
        return [f"Errors: {errors}"]

    lines = [f"Errors ({len(parsed)}):"]
    for error in parsed[:5]:
        if isinstance(error, dict):
            where = f" (line {error['line']})" if error.get("line") else ""
            lines.append(f"  {error.get('code', 'error')}{where}: {error.get('message', '')}")
        else:
            lines.append(f"  {error}")
    return lines
