"""Table model of the remote batches of one job."""

from PySide6.QtCore import QModelIndex, Qt

from floridify_gui.ui.delegates import SegmentsRole
from floridify_gui.ui.formatting import format_time, format_time_left
from floridify_gui.ui.queries import BatchRow
from floridify_gui.ui.row_model import RowListModel

# What each remote status of the Batch API means, for users who never read its docs.
# {endpoint} is the name of the endpoint that runs the batch (Services.endpoint).
STATUS_EXPLANATIONS = {
    "validating": "{endpoint} is checking the input file",
    "in_progress": "{endpoint} is running the requests",
    "finalizing": "{endpoint} has run the requests and is writing the output file",
    "completed": "{endpoint} has finished; the results can be downloaded",
    "failed": "{endpoint} rejected the input file; see the errors",
    "expired": "{endpoint} did not finish within the 24-hour window; unfinished requests were not run",
    "cancelling": "{endpoint} is cancelling the batch; requests already running finish first",
    "cancelled": "The batch was cancelled; finished requests are kept",
}

# Local steps before the batch exists remotely and after its results arrived.
STEP_EXPLANATIONS = {
    "intent": "Writing the input file on this computer",
    "uploaded": "Input file uploaded; creating the batch",
    "downloaded": "Results downloaded; merging them into the entries",
    "merged": "Results merged into the entries",
    "abandoned": "Never created, so none of its requests ran in it",
}

# An abandoned batch with a remote id was created, but a later poll or cancel got "not found"
# from the endpoint, for example after a change of API key or base URL.
LOST_EXPLANATION = "The endpoint no longer knows this batch; its requests were sent again"
ABANDONED = "abandoned"

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


def explain(batch: BatchRow, endpoint: str = "OpenAI") -> str:
    """Return a plain-language sentence for the batch's current state.

    Args:
        batch: The batch.
        endpoint: The name of the endpoint that runs it (`Services.endpoint`).
    """
    if batch.step == ABANDONED and batch.remote_id:
        return LOST_EXPLANATION
    if batch.step in ("downloaded", "merged", ABANDONED):
        return STEP_EXPLANATIONS[batch.step]
    if batch.status in STATUS_EXPLANATIONS:
        text = STATUS_EXPLANATIONS[batch.status].format(endpoint=endpoint)
        return text[0].upper() + text[1:]
    return STEP_EXPLANATIONS.get(batch.step, batch.status or batch.step)


class BatchStatusModel(RowListModel):
    """The remote batches of the selected job, one row each.

    Attributes:
        endpoint: The name of the endpoint that runs the batches, used in the explanations.
    """

    columns = COLUMNS
    endpoint = "OpenAI"

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        batch, key = self.row_and_key(index)
        if batch is None:
            return None

        if role == Qt.ItemDataRole.DisplayRole:
            return explain(batch, self.endpoint) if key == "explanation" else _display(batch, key)
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


def shown_status(batch: BatchRow) -> str:
    """Return the status the table and the details show.

    An abandoned batch shows "abandoned", because its remote status is the last one
    polled before the endpoint lost the batch. Other batches show their remote status,
    or their local step until they have one.
    """
    if batch.step == ABANDONED:
        return ABANDONED
    return batch.status or batch.step


def shown_remote_id(batch: BatchRow) -> str:
    """Return the remote id, or a note saying why there is none."""
    if batch.remote_id:
        return batch.remote_id
    return "(never created)" if batch.step == ABANDONED else "(not created yet)"


def _display(batch: BatchRow, key: str):
    if key == "remote_id":
        return shown_remote_id(batch)
    if key == "status":
        return shown_status(batch)
    if key == "requests":
        return f"{batch.completed_count + batch.failed_count} / {batch.request_count}"
    if key == "merged":
        return batch.merged_count
    if key == "expires":
        return format_time_left(batch.expires_at) if batch.is_active else format_time(batch.expires_at)
    stage_times = {"submitted": batch.submitted_at, "in_progress": batch.in_progress_at,
                   "finalizing": batch.finalizing_at, "ended": batch.ended_at}
    return format_time(stage_times.get(key))
