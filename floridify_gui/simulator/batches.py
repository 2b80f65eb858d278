"""Batch state: creation checks, a lifecycle computed from elapsed time, cancel and list.

No timer thread runs. Every read computes the status from the time since creation:
validating for the first 10 % of `batch_duration`, in_progress until 90 %, finalizing until 100 %,
then completed. The output and error files are built on the first read that finds the batch finished.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from floridify_gui.simulator import faults
from floridify_gui.simulator.batch_output import iter_requests, join_lines, run_requests
from floridify_gui.simulator.chat import validate_chat_request
from floridify_gui.simulator.config import LiveConfig, SimulatorConfig
from floridify_gui.simulator.errors import ApiError, invalid_request, not_found
from floridify_gui.simulator.files import CHAT_COMPLETIONS_URL, FileStore, StoredFile
from floridify_gui.simulator.stats import Stats

logger = logging.getLogger("floridify_gui.simulator")

COMPLETION_WINDOW = "24h"
COMPLETION_WINDOW_SECONDS = 24 * 3600
UNFINISHED_STATUSES = ("validating", "in_progress", "finalizing", "cancelling")
FINAL_STATUSES = ("completed", "failed", "expired", "cancelled")

# Phase boundaries as fractions of batch_duration.
_VALIDATING_END = 0.1
_IN_PROGRESS_END = 0.9


@dataclass
class Batch:
    """One batch and the config snapshot it runs with. Guard every change with `lock`."""

    id: str
    input_file: StoredFile
    metadata: dict[str, str] | None
    config: SimulatorConfig
    created_wall: float
    started: float
    failure: dict[str, Any] | None = None
    status: str = "validating"
    timestamps: dict[str, int] = field(default_factory=dict)
    stopped_fraction: float | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})
    failure_prefix: list[int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def created_at(self) -> int:
        return int(self.created_wall)

    @property
    def model(self) -> str:
        return self.input_file.batch_input.model

    @property
    def total(self) -> int:
        return len(self.input_file.batch_input.custom_ids)

    @property
    def prompt_tokens(self) -> int:
        return self.input_file.batch_input.prompt_tokens


class BatchStore:
    """Thread-safe batch storage that runs the simulated lifecycle."""

    def __init__(
        self, files: FileStore, stats: Stats, live_config: LiveConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Create an empty store. `clock` returns seconds for measuring elapsed time, as time.monotonic does."""
        self._clock = clock
        self._files = files
        self._stats = stats
        self._live_config = live_config
        self._lock = threading.Lock()
        self._batches: dict[str, Batch] = {}

    def create(self, params: Any) -> dict[str, Any]:
        """Create a batch from `POST /v1/batches` parameters and return the batch object.

        Raises:
            ApiError: 400 for invalid parameters, 404 for an unknown input file.
        """
        input_file, metadata = self._check_create_params(params)
        config = self._live_config.snapshot()
        batch = Batch(
            id="batch_" + uuid.uuid4().hex[:24],
            input_file=input_file,
            metadata=metadata,
            config=config,
            created_wall=time.time(),
            started=self._clock(),
        )
        batch.failure = self._planned_failure(batch)

        with self._lock:
            self._batches[batch.id] = batch

        self._stats.record_batch_created()
        logger.debug("Created batch %s from %s with %d requests", batch.id, input_file.id, batch.total)
        return _to_object(batch)

    def _check_create_params(self, params: Any) -> tuple[StoredFile, dict[str, str] | None]:
        if not isinstance(params, dict):
            raise invalid_request("Invalid request body: expected a JSON object.")

        file_id = params.get("input_file_id")
        if not isinstance(file_id, str) or not file_id:
            raise invalid_request("Missing required parameter: 'input_file_id'.", param="input_file_id")

        if params.get("endpoint") != CHAT_COMPLETIONS_URL:
            raise invalid_request(
                f"Invalid value for 'endpoint': {params.get('endpoint')!r}. "
                f"The simulator supports only {CHAT_COMPLETIONS_URL!r}.",
                param="endpoint",
            )

        if params.get("completion_window") != COMPLETION_WINDOW:
            raise invalid_request(
                f"Invalid value for 'completion_window': {params.get('completion_window')!r}. Use '24h'.",
                param="completion_window",
            )

        input_file = self._files.get(file_id)
        if input_file.batch_input is None:
            raise invalid_request(
                f"Invalid 'input_file_id': {file_id} is not a batch input file. Upload it with purpose 'batch'.",
                param="input_file_id",
            )

        return input_file, _check_metadata(params.get("metadata"))

    def _planned_failure(self, batch: Batch) -> dict[str, Any] | None:
        """Return the `errors.data` item the batch will fail with, or None if it will run."""
        code = batch.config.fail_batches_with
        if code is not None:
            return _forced_failure(code, batch)

        limit = batch.config.enqueued_token_limit
        if limit is None:
            return None

        enqueued = self._enqueued_tokens(batch.model)
        if batch.prompt_tokens + enqueued <= limit:
            return None

        logger.debug("Batch %s exceeds the enqueued token limit: %d + %d > %d", batch.id, batch.prompt_tokens, enqueued, limit)
        return _token_limit_failure(batch.model, limit)

    def _enqueued_tokens(self, model: str) -> int:
        """Sum the prompt tokens of this model's unfinished batches that will not fail."""
        now = self._clock()
        total = 0
        for batch in self._all_batches():
            with batch.lock:
                self._advance(batch, now, observed=False)
                if batch.model == model and batch.status in UNFINISHED_STATUSES and batch.failure is None:
                    total += batch.prompt_tokens

        return total

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        batch = self._get(batch_id)
        with batch.lock:
            self._advance(batch, self._clock(), observed=True)
            return _to_object(batch)

    def cancel(self, batch_id: str) -> dict[str, Any]:
        """Start cancelling. The next read finds the batch cancelled, with the finished part in its output.

        Raises:
            ApiError: 404 for an unknown batch, 409 when the batch has already finished.
        """
        batch = self._get(batch_id)
        with batch.lock:
            now = self._clock()
            self._advance(batch, now, observed=False)
            if batch.status in FINAL_STATUSES:
                raise ApiError(409, f"Cannot cancel a batch with status '{batch.status}'.", param="batch_id")

            if batch.status != "cancelling":
                elapsed = now - batch.started
                batch.stopped_fraction = _progress(batch.config.batch_duration, elapsed)
                self._set_status(batch, "cancelling", elapsed)

            return _to_object(batch)

    def list_page(self, limit: int, after: str | None) -> dict[str, Any]:
        """Return a cursor page of batches, newest first, starting after the batch `after`."""
        batches = list(reversed(self._all_batches()))
        if after is not None:
            ids = [batch.id for batch in batches]
            if after not in ids:
                raise not_found("Batch", after)
            batches = batches[ids.index(after) + 1 :]

        page = batches[:limit]
        now = self._clock()
        data = []
        for batch in page:
            with batch.lock:
                self._advance(batch, now, observed=True)
                data.append(_to_object(batch))

        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(batches) > limit,
        }

    def count_by_status(self) -> dict[str, int]:
        """Count batches by their current status. Reading the counts does not count as a poll."""
        counts: dict[str, int] = {}
        now = self._clock()
        for batch in self._all_batches():
            with batch.lock:
                self._advance(batch, now, observed=False)
                counts[batch.status] = counts.get(batch.status, 0) + 1

        return counts

    def _get(self, batch_id: str) -> Batch:
        with self._lock:
            batch = self._batches.get(batch_id)

        if batch is None:
            raise not_found("Batch", batch_id)

        return batch

    def _all_batches(self) -> list[Batch]:
        with self._lock:
            return list(self._batches.values())

    def all_batches(self) -> list[Batch]:
        """Return every batch, oldest first, each brought up to date (unobserved) first."""
        now = self._clock()
        batches = self._all_batches()
        for batch in batches:
            with batch.lock:
                self._advance(batch, now, observed=False)
        return batches

    def elapsed(self, batch: Batch) -> float:
        """Return the seconds since the batch started, by this store's clock."""
        return self._clock() - batch.started

    def restore(self, batches: list[Batch], elapsed: list[float]) -> None:
        """Add batches saved by an earlier run, each `elapsed` seconds after its start."""
        now = self._clock()
        with self._lock:
            for batch, seconds in zip(batches, elapsed):
                batch.started = now - seconds
                self._batches[batch.id] = batch

    def _advance(self, batch: Batch, now: float, *, observed: bool) -> None:
        """Bring the batch to the status it has reached at `now`. Call with `batch.lock` held.

        A cancelling batch becomes cancelled only on an `observed` read, which is a client's poll.
        """
        if batch.status in FINAL_STATUSES:
            return

        duration = batch.config.batch_duration
        elapsed = now - batch.started
        if batch.status == "cancelling":
            if observed:
                self._finish(batch, "cancelled", batch.stopped_fraction or 0.0, "batch_cancelled", elapsed)
            return

        if elapsed < duration * _VALIDATING_END:
            return

        if batch.failure is not None:
            self._set_status(batch, "failed", duration * _VALIDATING_END)
            logger.debug("Batch %s failed with %s", batch.id, batch.failure["code"])
            return

        self._advance_running(batch, duration, elapsed)

    def _advance_running(self, batch: Batch, duration: float, elapsed: float) -> None:
        self._set_status(batch, "in_progress", duration * _VALIDATING_END)
        stop = _stop_point(batch.config)
        if stop is not None and elapsed >= _time_at_fraction(duration, stop[1]):
            kind, fraction = stop
            stop_time = _time_at_fraction(duration, fraction)
            if kind == "expired":
                self._finish(batch, "expired", fraction, "batch_expired", stop_time)
            else:
                batch.stopped_fraction = fraction
                self._set_status(batch, "cancelling", stop_time)
            return

        if elapsed < duration * _IN_PROGRESS_END:
            self._count_progress(batch, _progress(duration, elapsed))
            return

        self._set_status(batch, "finalizing", duration * _IN_PROGRESS_END)
        if elapsed >= duration:
            self._finish(batch, "completed", 1.0, None, duration)

    def _count_progress(self, batch: Batch, progress: float) -> None:
        done = math.floor(progress * batch.total)
        failed = self._failures_among_first(batch, done)
        batch.completed = done - failed
        batch.failed = failed

    def _failures_among_first(self, batch: Batch, done: int) -> int:
        """Count the requests among the first `done` that will fail, found once per batch."""
        config = batch.config
        if config.error_rate <= 0 and config.http_error_rate <= 0:
            return 0

        if batch.failure_prefix is None:
            flags = [_will_fail(request, config) for request in iter_requests(batch.input_file.content)]
            batch.failure_prefix = [0, *itertools.accumulate(flags)]

        return batch.failure_prefix[min(done, batch.total)]

    def _set_status(self, batch: Batch, status: str, elapsed: float) -> None:
        """Set the status and its `<status>_at` timestamp, the creation time plus `elapsed` seconds."""
        if batch.status == status:
            return

        batch.status = status
        batch.timestamps.setdefault(f"{status}_at", int(batch.created_wall + elapsed))
        logger.debug("Batch %s is now %s", batch.id, status)

    def _finish(self, batch: Batch, status: str, fraction: float, unfinished_code: str | None, elapsed: float) -> None:
        """Run the finished part of the batch, store its files and set the final status."""
        processed = math.floor(fraction * batch.total)
        results = run_requests(
            batch.input_file.content,
            processed=processed,
            unfinished_code=unfinished_code,
            config=batch.config,
            batch_id=batch.id,
            created=int(time.time()),
        )
        self._stats.record_batch_lines(results.request_keys)

        if results.output_lines:
            batch.output_file_id = self._files.add_output(f"{batch.id}_output.jsonl", join_lines(results.output_lines)).id
        if results.error_lines:
            batch.error_file_id = self._files.add_output(f"{batch.id}_error.jsonl", join_lines(results.error_lines)).id

        batch.completed = results.completed
        batch.failed = results.failed
        batch.usage = {"input_tokens": results.input_tokens, "output_tokens": results.output_tokens}
        self._set_status(batch, status, elapsed)
        logger.debug("Batch %s ended %s: %d of %d requests processed", batch.id, status, processed, batch.total)


def _check_metadata(metadata: Any) -> dict[str, str] | None:
    """Check OpenAI's metadata limits: at most 16 pairs, keys up to 64 and values up to 512 characters."""
    if metadata is None:
        return None

    if not isinstance(metadata, dict) or len(metadata) > 16:
        raise invalid_request("Invalid 'metadata': use an object with at most 16 string pairs.", param="metadata")

    for key, value in metadata.items():
        if not isinstance(value, str) or len(key) > 64 or len(value) > 512:
            raise invalid_request(
                f"Invalid 'metadata' entry {key!r}: keys may have 64 and string values 512 characters at most.",
                param="metadata",
            )

    return dict(metadata)


def _forced_failure(code: str, batch: Batch) -> dict[str, Any]:
    custom_ids = batch.input_file.batch_input.custom_ids
    if code == "duplicate_custom_id":
        line = 2 if len(custom_ids) > 1 else 1
        message = f"The custom_id {custom_ids[line - 1]!r} on line {line} duplicates another request's custom_id."
        return {"code": code, "message": message, "param": "custom_id", "line": line}

    if code == "token_limit_exceeded":
        return _token_limit_failure(batch.model, batch.config.enqueued_token_limit)

    return {
        "code": code,
        "message": "The request on line 1 is invalid for /v1/chat/completions (simulated failure).",
        "param": "body",
        "line": 1,
    }


def _token_limit_failure(model: str, limit: int | None) -> dict[str, Any]:
    limit_text = f" Limit: {limit} enqueued tokens." if limit is not None else ""
    message = (
        f"Enqueued token limit reached for {model} in organization org-simulator.{limit_text} "
        "Please try again once some in_progress batches have been completed."
    )
    return {"code": "token_limit_exceeded", "message": message, "param": None, "line": None}


def _will_fail(request: dict[str, Any], config: SimulatorConfig) -> bool:
    body = request["body"]
    try:
        validate_chat_request(body)
    except ApiError:
        return True

    return faults.pick_fault(config, body["messages"]) in (faults.ERROR, faults.HTTP_ERROR)


def _stop_point(config: SimulatorConfig) -> tuple[str, float] | None:
    """Return ("expired" or "cancelled", fraction) for the earliest configured stop, or None."""
    stops = []
    if config.expire_after_fraction is not None:
        stops.append(("expired", config.expire_after_fraction))
    if config.cancel_after_fraction is not None:
        stops.append(("cancelled", config.cancel_after_fraction))

    return min(stops, key=lambda stop: stop[1]) if stops else None


def _progress(duration: float, elapsed: float) -> float:
    """Return the finished fraction of the requests after `elapsed` seconds."""
    if duration <= 0:
        return 1.0

    running = duration * (_IN_PROGRESS_END - _VALIDATING_END)
    return min(1.0, max(0.0, (elapsed - duration * _VALIDATING_END) / running))


def _time_at_fraction(duration: float, fraction: float) -> float:
    return duration * (_VALIDATING_END + fraction * (_IN_PROGRESS_END - _VALIDATING_END))


def _to_object(batch: Batch) -> dict[str, Any]:
    """Build the `Batch` JSON."""
    stamps = batch.timestamps
    errors = {"object": "list", "data": [batch.failure]} if batch.status == "failed" else None
    input_tokens = batch.usage["input_tokens"]
    output_tokens = batch.usage["output_tokens"]
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": CHAT_COMPLETIONS_URL,
        "model": batch.model,
        "errors": errors,
        "input_file_id": batch.input_file.id,
        "completion_window": COMPLETION_WINDOW,
        "status": batch.status,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "created_at": batch.created_at,
        "in_progress_at": stamps.get("in_progress_at"),
        "expires_at": batch.created_at + COMPLETION_WINDOW_SECONDS,
        "finalizing_at": stamps.get("finalizing_at"),
        "completed_at": stamps.get("completed_at"),
        "failed_at": stamps.get("failed_at"),
        "expired_at": stamps.get("expired_at"),
        "cancelling_at": stamps.get("cancelling_at"),
        "cancelled_at": stamps.get("cancelled_at"),
        "request_counts": {"total": batch.total, "completed": batch.completed, "failed": batch.failed},
        "metadata": batch.metadata,
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }
