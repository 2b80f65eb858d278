"""Table model of the remote batches of one job."""

from PySide6.QtCore import QModelIndex, Qt

from floridify_gui.ui.delegates import SegmentsRole
from floridify_gui.ui.formatting import format_time, format_time_left
from floridify_gui.ui.queries import BatchRow
from floridify_gui.ui.row_model import RowListModel

# What each remote status of the Batch API means, for users who never read its docs.
STATUS_EXPLANATIONS = {
    "validating": "OpenAI is checking the input file",
    "in_progress": "OpenAI is running the requests",
    "finalizing": "OpenAI has run the requests and is writing the output file",
    "completed": "OpenAI has finished; the results can be downloaded",
    "failed": "OpenAI rejected the input file; see the errors",
    "expired": "OpenAI did not finish within the 24-hour window; unfinished requests were not run",
    "cancelling": "OpenAI is cancelling the batch; requests already running finish first",
    "cancelled": "The batch was cancelled; finished requests are kept",
}

# Local steps before the batch exists remotely and after its results arrived.
STEP_EXPLANATIONS = {
    "intent": "Writing the input file on this computer",
    "uploaded": "Input file uploaded; creating the batch",
    "downloaded": "Results downloaded; merging them into the entries",
    "merged": "Results merged into the entries",
    "abandoned": "Never created at OpenAI; its items went back to the queue",
}

COLUMNS = [
    ("remote_id", "Batch ID"),
    ("status", "Status"),
    ("explanation", "Meaning"),
    ("requests", "Requests"),
    ("merged", "Merged"),
    ("submitted", "Submitted"),
    ("in_progress", "Running since"),
    ("finalizing", "Finalizing since"),
    ("ended", "Ended"),
    ("expires", "Expires"),
]
EXPIRES_COLUMN = 9

BatchIdRole = Qt.ItemDataRole.UserRole + 1


def explain(batch: BatchRow) -> str:
    """Return a plain-language sentence for the batch's current state."""
    if batch.step in ("downloaded", "merged", "abandoned"):
        return STEP_EXPLANATIONS[batch.step]
    if batch.status in STATUS_EXPLANATIONS:
        return STATUS_EXPLANATIONS[batch.status]
    return STEP_EXPLANATIONS.get(batch.step, batch.status or batch.step)


class BatchStatusModel(RowListModel):
    """The remote batches of the selected job, one row each."""

    columns = COLUMNS

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        batch, key = self.row_and_key(index)
        if batch is None:
            return None

        if role == Qt.ItemDataRole.DisplayRole:
            return _display(batch, key)
        if role == Qt.ItemDataRole.ToolTipRole and key == "requests":
            return (f"{batch.completed_count} completed, {batch.failed_count} failed "
                    f"of {batch.request_count} requests")
        if role == Qt.ItemDataRole.ToolTipRole and key in ("status", "explanation") and batch.message:
            return batch.message
        if role == SegmentsRole and key == "requests":
            return (batch.completed_count, batch.failed_count, batch.request_count)
        if role == BatchIdRole:
            return batch.id
        return None

    def tick_clocks(self) -> None:
        """Repaint the time-left cells of batches that may still change."""
        for number, row in enumerate(self._rows):
            if row.is_active and row.expires_at:
                self.dataChanged.emit(self.index(number, EXPIRES_COLUMN), self.index(number, EXPIRES_COLUMN))

    def batch_at(self, row: int) -> BatchRow | None:
        """Return the batch shown at `row`, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def batches(self) -> list[BatchRow]:
        """Return every row."""
        return list(self._rows)


def _display(batch: BatchRow, key: str):
    if key == "remote_id":
        return batch.remote_id or "(not created yet)"
    if key == "status":
        return batch.status or batch.step
    if key == "explanation":
        return explain(batch)
    if key == "requests":
        return f"{batch.completed_count + batch.failed_count} / {batch.request_count}"
    if key == "merged":
        return batch.merged_count
    if key == "expires":
        return format_time_left(batch.expires_at) if batch.is_active else format_time(batch.expires_at)
    stage_times = {"submitted": batch.submitted_at, "in_progress": batch.in_progress_at,
                   "finalizing": batch.finalizing_at, "ended": batch.ended_at}
    return format_time(stage_times.get(key))
