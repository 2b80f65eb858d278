"""Table model of the job queue."""

import time

from PySide6.QtCore import QModelIndex, Qt

from floridify_gui.ui.delegates import SegmentsRole
from floridify_gui.ui.formatting import format_cost, format_duration, format_time, format_time_left
from floridify_gui.ui.queries import JobRow
from floridify_gui.ui.row_model import RowListModel

COLUMNS = [
    ("name", "Name"),
    ("mode", "Mode"),
    ("status", "Status"),
    ("progress", "Progress"),
    ("failures", "Failures"),
    ("cost", "Cost"),
    ("created", "Created"),
    ("elapsed", "Elapsed"),
    ("expiry", "Batch expiry"),
]
PROGRESS_COLUMN = 3
ELAPSED_COLUMN = 7
EXPIRY_COLUMN = 8

JobIdRole = Qt.ItemDataRole.UserRole + 1


class JobQueueModel(RowListModel):
    """The jobs in queue order, one row each.

    The pane replaces the rows with `set_rows` after reading them on the
    reader thread; rows of the same jobs in the same order are updated in
    place so that the view keeps its selection.
    """

    columns = COLUMNS

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        job, key = self.row_and_key(index)
        if job is None:
            return None

        if role == Qt.ItemDataRole.DisplayRole:
            return _display(job, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(job, key)
        if role == SegmentsRole and key == "progress":
            return (job.succeeded, job.failed, job.total)
        if role == JobIdRole:
            return job.id
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("failures", "cost"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def update_rows(self, rows: list[JobRow]) -> list[int]:
        """Replace the rows of jobs already shown and return the ids not shown."""
        positions = {row.id: number for number, row in enumerate(self._rows)}
        missing = []
        for row in rows:
            number = positions.get(row.id)
            if number is None:
                missing.append(row.id)
                continue
            self._rows[number] = row
            self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))
        return missing

    def order_changed(self) -> bool:
        """Return whether the rows are no longer in queue position order."""
        positions = [row.position for row in self._rows]
        return positions != sorted(positions)

    def tick_clocks(self) -> None:
        """Repaint the elapsed and expiry cells of jobs that have not ended."""
        for number, row in enumerate(self._rows):
            if not row.is_finished and row.started_at:
                self.dataChanged.emit(self.index(number, ELAPSED_COLUMN), self.index(number, EXPIRY_COLUMN))

    def job_at(self, row: int) -> JobRow | None:
        """Return the job shown at `row`, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, job_id: int) -> int:
        """Return the row of `job_id`, or -1."""
        for number, row in enumerate(self._rows):
            if row.id == job_id:
                return number
        return -1

    def jobs(self) -> list[JobRow]:
        """Return every row in queue order."""
        return list(self._rows)


def _display(job: JobRow, key: str):
    if key == "name":
        return job.name
    if key == "mode":
        return job.mode
    if key == "status":
        return job.status if not job.stage or job.is_finished else f"{job.status} ({job.stage})"
    if key == "progress":
        return f"{job.succeeded + job.failed} / {job.total}"
    if key == "failures":
        return job.failed
    if key == "cost":
        return format_cost(job.cost)
    if key == "created":
        return format_time(job.created_at)
    if key == "elapsed":
        return _elapsed(job)
    if key == "expiry":
        return format_time_left(job.batch_expires_at) if _shows_expiry(job) else ""
    return None


def _shows_expiry(job: JobRow) -> bool:
    """Return whether the job has a batch still running remotely, with an expiry time.

    A finished job shows none. The batches of a cancelled job may still be winding
    down remotely, but their expiry changes nothing for the job.
    """
    return not job.is_finished and job.active_batches > 0 and job.batch_expires_at is not None


def _elapsed(job: JobRow) -> str:
    if not job.started_at:
        return ""
    end = job.finished_at if job.is_finished and job.finished_at else time.time()
    return format_duration(end - job.started_at)


def _tooltip(job: JobRow, key: str) -> str | None:
    if key == "progress":
        return f"{job.succeeded} succeeded, {job.failed} failed, {job.pending} pending of {job.total}"
    if key == "status" and job.message:
        return job.message
    if key == "expiry" and _shows_expiry(job):
        return f"Earliest expiry of {job.active_batches} running batch(es): {format_time(job.batch_expires_at)}"
    if key == "name":
        return f"Job {job.id}, model {job.model}"
    return None
