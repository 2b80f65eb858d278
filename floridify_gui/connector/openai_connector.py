"""The OpenAI connector: one code path for immediate calls and the Batch API.

In immediate mode a structured request is sent at once (a bounded number in
flight, the SDK retrying transient errors). In batch mode it is handed to a
BatchAccumulator and the caller gets a BatchPromise. `execute_batch()` then
writes the accumulated requests as JSONL and uploads the file. It creates
the batch, waits for it and reads the output and error files. Finally it
stores every result (cache, item and entry together) and resolves every promise.

Every step of a batch's life is recorded in the database as it completes,
so a process that dies at any point can be followed by one that adopts the
batch instead of paying for it again (see `resume_batch`).
"""

import asyncio
import io
import logging
import uuid
from dataclasses import dataclass
from typing import Callable, Sequence

import openai
from openai import AsyncOpenAI

from floridify_gui.connector import ledger
from floridify_gui.connector.accumulator import BatchAccumulator, BatchPromise, PendingRequest
from floridify_gui.connector.batch_files import (
    ENDPOINT,
    BatchFile,
    ParsedResults,
    parse_result_file,
    split_into_files,
)
from floridify_gui.connector.ledger import Resolution, Target
from floridify_gui.connector.pacing import RateLimitPacer
from floridify_gui.connector.requests import (
    Outcome,
    StructuredRequest,
    failure,
    outcome_from_cache,
    outcome_from_completion,
)
from floridify_gui.events import BatchChanged, EventHub, ItemsChanged, Notice
from floridify_gui.heap import collection_paused, release
from floridify_gui.storage import DatabaseWorker, RemoteBatch

log = logging.getLogger("floridify_gui.connector")

TERMINAL_STATUSES = {"completed", "failed", "expired", "cancelled"}
TOKEN_FIELD = "floridify_token"
MAX_TOKEN_LIMIT_RETRIES = 6
# Promises created between two returns to the event loop (about 10 ms of work).
PROMISE_SLICE = 2000
# Returned by _follow_batch when OpenAI refused the batch for the token limit.
_TOKEN_LIMIT: dict = {}
# Bytes read from a result file between two returns to the event loop.
DOWNLOAD_CHUNK_BYTES = 1 << 20
# RemoteBatch ids whose results a connector of this process is storing now.
_BATCHES_BEING_MERGED: set[int] = set()


class BatchUnavailable(Exception):
    """The endpoint cannot run batches at all (no Batch API, or no file upload)."""


class BatchLost(Exception):
    """A batch the endpoint returns 404 for (another account or endpoint, or a restarted simulator)."""


@dataclass
class BatchSettings:
    """How batches are submitted and waited for.

    Attributes:
        poll_interval: Seconds before the first poll; later polls back off.
        max_poll_interval: Longest wait between two polls, in seconds.
        fallback_to_immediate: Send the requests immediately when the
            endpoint cannot create batches.
        token_budget: Estimated input tokens this app keeps enqueued per
            model at most (OpenAI's enqueued-token limit of the account).
    """

    poll_interval: float = 10.0
    max_poll_interval: float = 300.0
    fallback_to_immediate: bool = True
    token_budget: int = 20_000_000


class _TokenBudget:
    """Keeps the estimated input tokens of unfinished batches under a limit, per model."""

    def __init__(self, limit: int):
        self.limit = limit
        self._enqueued: dict[str, int] = {}
        self._changed = asyncio.Condition()

    async def acquire(self, model: str, tokens: int) -> None:
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._enqueued.get(model, 0) == 0
                or self._enqueued[model] + tokens <= self.limit
            )
            self._enqueued[model] = self._enqueued.get(model, 0) + tokens

    async def release(self, model: str, tokens: int) -> None:
        async with self._changed:
            self._enqueued[model] = max(0, self._enqueued.get(model, 0) - tokens)
            self._changed.notify_all()


class OpenAIConnector:
    """Sends structured requests, immediately or through the Batch API.

    Args:
        client: The SDK client; its `max_retries` governs retries of 429,
            5xx, timeouts and connection errors, honouring retry-after.
        worker: Database worker; every result is stored through it.
        model: Model of the requests built through this connector.
        batch_mode: Accumulate requests for `execute_batch` instead of sending.
        job_id: Job the batches belong to, if any.
        max_in_flight: Immediate requests sent at once at most.
        events: Hub that receives ItemsChanged, BatchChanged and Notice events.
        is_aborted: Returns True when the caller wants the work to stop.
    """

    def __init__(self, client: AsyncOpenAI, worker: DatabaseWorker, *, model: str = "gpt-4o-mini",
                 batch_mode: bool = False, job_id: int | None = None, max_in_flight: int = 8,
                 batch_settings: BatchSettings | None = None, events: EventHub | None = None,
                 is_aborted: Callable[[], bool] = lambda: False):
        self.client = client
        self.worker = worker
        self.model = model
        self.batch_mode = batch_mode
        self.batch_accumulator = BatchAccumulator() if batch_mode else None
        self.job_id = job_id
        self.settings = batch_settings or BatchSettings()
        self.events = events or EventHub()
        self.is_aborted = is_aborted
        self.fell_back = False
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._pacer = RateLimitPacer()
        self._budget = _TokenBudget(self.settings.token_budget)
        self._store_queue: list[tuple[Resolution, asyncio.Future]] = []
        self._flush_task: asyncio.Task | None = None

    # -- requests -------------------------------------------------------

    async def structured_request(self, request: StructuredRequest, target: Target | None = None, *,
                                 force_refresh: bool = False) -> Outcome | BatchPromise:
        """Resolve one request: from the cache, at once, or as a promise in batch mode."""
        [answer] = await self.request_many([(request, target)], force_refresh=force_refresh)
        return answer

    async def request_many(self, pairs: Sequence[tuple[StructuredRequest, Target | None]], *,
                           force_refresh: bool = False) -> list[Outcome | BatchPromise]:
        """Resolve many requests; identical bodies are sent once and fan out.

        A cached body is never sent. `force_refresh` skips the cache read but
        still writes the new result to it. Immediate mode returns outcomes,
        batch mode promises (already resolved for cache hits).
        """
        groups = await asyncio.to_thread(_group_by_key, pairs)
        cached = {} if force_refresh else await self.worker.run(ledger.lookup_cache, list(groups))
        await self._store_cache_hits(groups, cached)

        if self.batch_mode:
            answers = await self._promises_for(pairs, groups, cached)
        else:
            misses = [pending for key, pending in groups.items() if key not in cached]
            await asyncio.gather(*(self._send_now(pending) for pending in misses))
            answers = [groups[request.key].outcome for request, _ in pairs]

        await release(groups, cached)
        return answers

    async def _promises_for(self, pairs, groups, cached) -> list[BatchPromise]:
        """Create the promises, yielding to the event loop between slices of a large job."""
        promises = []
        for start in range(0, len(pairs), PROMISE_SLICE):
            promises.extend(self._promise_for(request, target, groups, cached)
                            for request, target in pairs[start : start + PROMISE_SLICE])
            await asyncio.sleep(0)
        return promises

    def _promise_for(self, request, target, groups, cached) -> BatchPromise:
        if request.key in cached:
            promise = BatchPromise(request)
            promise.resolve(groups[request.key].outcome)
            return promise
        return self.batch_accumulator.add_request(request, target)

    async def _store_cache_hits(self, groups: dict[str, PendingRequest], cached: dict) -> None:
        resolutions = []
        for key, row in cached.items():
            pending = groups[key]
            pending.outcome = outcome_from_cache(row.content, row.component, row.prompt_tokens,
                                                 row.completion_tokens)
            resolutions.append(Resolution(pending.request, pending.outcome, pending.targets, cache_hit=True))
        if resolutions:
            await self._store(resolutions, batch_id=None)

    async def _send_now(self, pending: PendingRequest) -> None:
        pending.outcome = await self._execute_request(pending.request)
        await self._store_soon(Resolution(pending.request, pending.outcome, pending.targets))

    async def _store_soon(self, resolution: Resolution) -> None:
        """Store an immediate response together with the others that arrived meanwhile.

        One transaction per response could not keep up with many requests in
        flight, so responses waiting in the queue were lost when the process
        was stopped. Grouping keeps the backlog to one transaction's worth.
        """
        stored = asyncio.get_running_loop().create_future()
        self._store_queue.append((resolution, stored))
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.ensure_future(self._flush_store_queue())
        await stored

    async def _flush_store_queue(self) -> None:
        while self._store_queue:
            group, self._store_queue = self._store_queue, []
            try:
                await self._store([resolution for resolution, _ in group], batch_id=None)
            except Exception as exc:  # handed to every waiting caller, who re-raises it
                for _, stored in group:
                    if not stored.done():
                        stored.set_exception(exc)
                continue
            for _, stored in group:
                if not stored.done():
                    stored.set_result(None)

    async def _execute_request(self, request: StructuredRequest) -> Outcome:
        """Send one chat completion now and turn the answer into an Outcome."""
        async with self._in_flight:
            if self.is_aborted():
                return failure("aborted", "The job was stopped before this request was sent",
                               transient=True)
            await self._pacer.wait()
            try:
                raw = await self.client.chat.completions.with_raw_response.create(**request.body)
            except openai.APIStatusError as exc:
                return _status_failure(exc)
            except (openai.APIConnectionError, openai.APITimeoutError) as exc:
                return failure("connection_error", f"Failed to reach the API: {exc}", transient=True)

        self._pacer.update(raw.headers)
        completion = raw.parse()
        return outcome_from_completion(completion.model_dump(), request.component)

    async def _store(self, resolutions: list[Resolution], *, batch_id: int | None) -> None:
        changed = await self.worker.run(
            lambda: ledger.store_resolutions(resolutions, job_id=self.job_id, batch_id=batch_id,
                                             batch=batch_id is not None)
        )
        if changed:
            self.events.emit(ItemsChanged(self.job_id, tuple(changed)))

    # -- batches ---------------------------------------------------------

    async def execute_batch(self) -> dict[str, Outcome]:
        """Send everything accumulated as batches, wait, store and resolve every promise.

        Returns:
            The outcome of every accumulated request, by request key.
        """
        if not self.batch_accumulator:
            return {}
        pending = self.batch_accumulator.drain()
        if not pending:
            return {}

        files = await asyncio.to_thread(split_into_files, pending, max_tokens=self.settings.token_budget)
        log.debug("Executing %s requests as %s batch files", len(pending), len(files))
        results = await asyncio.gather(*(self._run_file(batch_file) for batch_file in files))

        outcomes: dict[str, Outcome] = {}
        for part in results:
            outcomes.update(part)
        await self._resolve_promises(pending, outcomes)

        for batch_file in files:
            await release(batch_file.requests, batch_file.lines)
        await release(pending)
        return outcomes

    async def _resolve_promises(self, pending: list[PendingRequest], outcomes: dict[str, Outcome]) -> None:
        """Resolve every caller's promise, yielding to the event loop between slices of a large batch."""
        for start in range(0, len(pending), PROMISE_SLICE):
            for request in pending[start : start + PROMISE_SLICE]:
                outcome = outcomes.get(request.request.key) or failure("no_result", "No result")
                for promise in request.promises:
                    promise.resolve(outcome)
            await asyncio.sleep(0)

    async def _run_file(self, batch_file: BatchFile, attempt: int = 0) -> dict[str, Outcome]:
        await self._budget.acquire(batch_file.model, batch_file.estimated_tokens)
        try:
            batch_id = await self._record_intent(batch_file)
            outcomes = await self._follow_batch(batch_id, batch_file, attempt)
        finally:
            await self._budget.release(batch_file.model, batch_file.estimated_tokens)

        if outcomes is _TOKEN_LIMIT:
            # Retried only after this file's tokens are released, so the
            # smaller files do not wait for the budget this one held.
            return await self._retry_after_token_limit(batch_file, attempt)
        return outcomes

    async def _record_intent(self, batch_file: BatchFile) -> int:
        item_ids = [t.item_id for p in batch_file.requests for t in p.targets if t and t.item_id]
        token = uuid.uuid4().hex
        return await self.worker.run(
            ledger.record_intent, self.job_id, batch_file.model, token, item_ids,
            len(batch_file.requests), batch_file.estimated_tokens,
        )

    async def resume_batch(self, batch_id: int, batch_file: BatchFile, *, resubmit: bool = True) -> dict[str, Outcome]:
        """Finish a batch a previous process recorded, adopting it where it got to.

        Args:
            batch_id: The RemoteBatch row.
            batch_file: The batch's requests, rebuilt from its items.
            resubmit: Send the requests again in smaller batches when OpenAI
                rejected the batch for the enqueued-token limit. Without it,
                the requests are only put back in the queue.
        """
        await self._budget.acquire(batch_file.model, batch_file.estimated_tokens)
        try:
            # attempt -1 marks a batch recorded by an earlier process.
            outcomes = await self._follow_batch(batch_id, batch_file, -1)
        finally:
            await self._budget.release(batch_file.model, batch_file.estimated_tokens)

        if outcomes is _TOKEN_LIMIT:
            return await self._retry_after_token_limit(batch_file, 0) if resubmit else {}
        return outcomes

    async def _follow_batch(self, batch_id: int, batch_file: BatchFile, attempt: int) -> dict[str, Outcome]:
        try:
            remote_id = await self._ensure_submitted(batch_id, batch_file, reconcile=attempt < 0)
        except BatchUnavailable as exc:
            return await self._fall_back(batch_id, batch_file, str(exc))

        try:
            remote = await self._wait_for(batch_id, remote_id)
        except BatchLost:
            return await self._requeue_lost(batch_id, remote_id)
        if remote is None:
            return {}  # aborted while waiting: the batch runs on and is resumed later
        if _failed_for_token_limit(remote) and attempt < MAX_TOKEN_LIMIT_RETRIES:
            await self._requeue_for_token_limit(batch_id, batch_file)
            return _TOKEN_LIMIT
        return await self._collect(batch_id, batch_file, remote)

    async def _ensure_submitted(self, batch_id: int, batch_file: BatchFile, *, reconcile: bool) -> str:
        """Upload and create the batch, skipping whatever an earlier process already did.

        With `reconcile`, a batch recorded without a remote id is first looked
        for among the remote batches by its token: the earlier process may
        have died after creating it but before recording the id.
        """
        row = await self.worker.run(RemoteBatch.get_by_id, batch_id)
        if row.remote_id:
            return row.remote_id

        adopted = await self._find_remote_batch(row.token, row.created_at) if reconcile else None
        if adopted is not None:
            log.info("Adopted batch %s created before a restart", adopted.id)
            await self._record_remote(batch_id, adopted, step="created")
            return adopted.id

        file_id = row.input_file_id or await self._upload(batch_id, row.token, batch_file)
        return await self._create(batch_id, row.token, file_id)

    async def _find_remote_batch(self, token: str, recorded_at: float):
        """Return the remote batch whose metadata carries `token`, if one was created.

        The list is newest first, so the search stops at batches created well
        before the intent was recorded (an hour of clock skew allowed).
        """
        try:
            async for batch in self.client.batches.list(limit=100):
                if (batch.metadata or {}).get(TOKEN_FIELD) == token:
                    return batch
                if batch.created_at < recorded_at - 3600:
                    break
        except openai.NotFoundError as exc:
            raise BatchUnavailable(f"the endpoint has no Batch API ({exc.status_code})") from exc
        return None

    async def _upload(self, batch_id: int, token: str, batch_file: BatchFile) -> str:
        # A file object rather than bytes: the SDK then sends it in chunks,
        # so uploading 100 MB does not hold the event loop in one long copy.
        content = io.BytesIO(await asyncio.to_thread(batch_file.content))
        try:
            uploaded = await self.client.files.create(
                file=(f"floridify-{token}.jsonl", content, "application/jsonl"),
                purpose="batch",
            )
        except openai.NotFoundError as exc:
            raise BatchUnavailable(f"the endpoint does not accept batch files ({exc.status_code})") from exc
        await self.worker.run(ledger.update_batch, batch_id, {"step": "uploaded", "input_file_id": uploaded.id})
        return uploaded.id

    async def _create(self, batch_id: int, token: str, file_id: str) -> str:
        metadata = {TOKEN_FIELD: token}
        if self.job_id is not None:
            metadata["floridify_job"] = str(self.job_id)
        try:
            remote = await self.client.batches.create(
                input_file_id=file_id, endpoint=ENDPOINT, completion_window="24h", metadata=metadata
            )
        except openai.NotFoundError as exc:
            raise BatchUnavailable(f"the endpoint has no Batch API ({exc.status_code})") from exc
        await self._record_remote(batch_id, remote, step="created")
        log.info("Created batch %s for job %s", remote.id, self.job_id)
        return remote.id

    async def _record_remote(self, batch_id: int, remote, step: str | None = None) -> None:
        fields = _batch_fields(remote)
        if step:
            fields["step"] = step
        await self.worker.run(ledger.update_batch, batch_id, fields)
        self.events.emit(BatchChanged(self.job_id, batch_id))

    async def _wait_for(self, batch_id: int, remote_id: str):
        """Poll until the batch ends, backing off; return None when aborted."""
        interval = self.settings.poll_interval
        last_seen = None
        while not self.is_aborted():
            remote = await self._poll(batch_id, remote_id)
            if remote is not None:
                seen = (remote.status, _counts(remote))
                if seen != last_seen:
                    await self._record_remote(batch_id, remote)
                    last_seen = seen
                if remote.status in TERMINAL_STATUSES:
                    return remote

            await asyncio.sleep(interval)
            interval = min(interval * 1.5, max(self.settings.max_poll_interval, self.settings.poll_interval))
        return None

    async def poll_once(self, batch_id: int, remote_id: str) -> None:
        """Poll a batch once now and record its status (the Refresh action)."""
        try:
            remote = await self._poll(batch_id, remote_id)
        except BatchLost:
            await self._requeue_lost(batch_id, remote_id)
            return
        if remote is not None:
            await self._record_remote(batch_id, remote)

    async def _poll(self, batch_id: int, remote_id: str):
        """Retrieve the batch; a failed poll is logged and tried again later.

        Raises:
            BatchLost: the endpoint does not know the batch (404).
        """
        try:
            return await self.client.batches.retrieve(remote_id)
        except openai.NotFoundError as exc:
            raise BatchLost(remote_id) from exc
        except (openai.APIStatusError, openai.APIConnectionError, openai.APITimeoutError) as exc:
            log.warning("Failed to poll batch %s, will try again: %s", remote_id, _short(exc))
            await self.worker.run(ledger.update_batch, batch_id, {"message": f"Polling is retrying: {_short(exc)}"})
            return None

    async def _collect(self, batch_id: int, batch_file: BatchFile, remote) -> dict[str, Outcome]:
        """Read a finished batch's files and store every request's outcome, unless that was done already.

        Two connectors may follow the same batch (a cancelled job's run and the
        merge after the cancel), and storing its results twice would count its
        requests, tokens and cost twice.
        """
        if batch_id in _BATCHES_BEING_MERGED:
            log.debug("Batch %s is being merged by another connector", remote.id)
            return {}
        _BATCHES_BEING_MERGED.add(batch_id)
        try:
            step = await self.worker.run(lambda: RemoteBatch.get_by_id(batch_id).step)
            if step in ("merged", "abandoned"):
                return {}
            return await self._collect_files(batch_id, batch_file, remote)
        finally:
            _BATCHES_BEING_MERGED.discard(batch_id)

    async def _collect_files(self, batch_id: int, batch_file: BatchFile, remote) -> dict[str, Outcome]:
        components = {p.request.key: p.request.component for p in batch_file.requests}
        if remote.status == "failed":
            return await self._fail_batch(batch_id, batch_file, remote)

        results = ParsedResults()
        for file_id in (remote.output_file_id, remote.error_file_id):
            if file_id:
                data = await self._download(file_id)
                with collection_paused():
                    await asyncio.to_thread(parse_result_file, data, components, results)
        await self.worker.run(ledger.update_batch, batch_id, {"step": "downloaded"})
        self._report_unknown_ids(batch_id, results)

        with collection_paused():
            outcomes, resolutions = await asyncio.to_thread(_resolve_file, batch_file, results, remote.status)
            await self._store(resolutions, batch_id=batch_id)
        await release(resolutions, results.outcomes, components)
        await self.worker.run(ledger.update_batch, batch_id, {"step": "merged"})
        log.info("Merged batch %s of job %s (%s): %s requests", remote.id, self.job_id, remote.status, len(outcomes))
        self.events.emit(BatchChanged(self.job_id, batch_id))
        return outcomes

    async def _download(self, file_id: str) -> list[bytes]:
        """Return a file's content as the chunks it arrived in.

        Joining a 50 MB result file into one bytes object on the event loop
        was one long copy that stalled the desktop app, so the parser reads
        the chunks instead.
        """
        async with self.client.files.with_streaming_response.content(file_id) as response:
            return [chunk async for chunk in response.iter_bytes(DOWNLOAD_CHUNK_BYTES)]

    def _report_unknown_ids(self, batch_id: int, results: ParsedResults) -> None:
        if results.unknown_ids or results.malformed_lines:
            text = (f"Batch result files had {len(results.unknown_ids)} lines with unknown custom_ids "
                    f"and {results.malformed_lines} malformed lines; they were ignored")
            log.warning("%s (batch row %s)", text, batch_id)
            self.events.emit(Notice(self.job_id, text, "warning"))

    async def _fail_batch(self, batch_id: int, batch_file: BatchFile, remote) -> dict[str, Outcome]:
        """A batch that ended `failed` fails its own items only, with OpenAI's reason.

        An error that names an input line goes to the request on that line.
        Lines are numbered from 1 in the order the file was written. The
        other requests get the batch's first error.
        """
        errors = [e.model_dump() for e in ((remote.errors and remote.errors.data) or [])]
        first = errors[0] if errors else {}
        batch_outcome = failure(first.get("code") or "batch_failed",
                                "The batch failed validation: " + (first.get("message") or "no reason given"))
        outcomes = {p.request.key: batch_outcome for p in batch_file.requests}
        for error in errors:
            line = error.get("line")
            if isinstance(line, int) and 1 <= line <= len(batch_file.requests):
                key = batch_file.requests[line - 1].request.key
                outcomes[key] = failure(error.get("code") or "batch_failed",
                                        f"{error.get('message') or 'Invalid request'} (input line {line})")

        await self.worker.run(ledger.update_batch, batch_id, {
            "step": "merged", "errors": ledger.batch_errors_json(errors), "message": batch_outcome.message})
        resolutions = [Resolution(p.request, outcomes[p.request.key], p.targets) for p in batch_file.requests]
        await self._store(resolutions, batch_id=batch_id)
        return outcomes

    async def _requeue_lost(self, batch_id: int, remote_id: str) -> dict[str, Outcome]:
        """Send the requests of a batch the endpoint does not know again, without spending attempts.

        Its results cannot be fetched any more, so sending again is the only
        way to get them. A warning notice goes out because the user may pay twice.
        """
        text = (f"The endpoint does not know batch {remote_id} (a different API key or base URL, or "
                "the demo simulator was restarted); its requests are sent again")
        log.warning("%s", text)
        await self.worker.run(ledger.requeue_batch_items, batch_id, "batch_not_found", text)
        await self.worker.run(ledger.update_batch, batch_id, {"step": "abandoned", "message": text})
        self.events.emit(Notice(self.job_id, text, "warning"))
        self.events.emit(BatchChanged(self.job_id, batch_id))
        return {}

    async def _requeue_for_token_limit(self, batch_id: int, batch_file: BatchFile) -> None:
        """Put a batch refused for the enqueued-token limit back in the queue.

        OpenAI refuses the whole batch when the model's enqueued-token limit
        is exceeded; no request was processed, so no attempt is spent.
        """
        await self.worker.run(ledger.requeue_batch_items, batch_id, "token_limit_exceeded",
                              "Waiting for the model's enqueued-token budget", "waiting")
        await self.worker.run(ledger.update_batch, batch_id, {"step": "merged", "message": "token_limit_exceeded"})
        self._budget.limit = max(1, min(self._budget.limit, batch_file.estimated_tokens // 2))
        self.events.emit(Notice(self.job_id, "The batch exceeded the model's enqueued-token limit; "
                                "its requests wait and go out again in smaller batches", "warning"))

    async def _retry_after_token_limit(self, batch_file: BatchFile, attempt: int) -> dict[str, Outcome]:
        """Send a refused file's requests again in smaller files, after a pause."""
        await asyncio.sleep(self.settings.poll_interval * (attempt + 1))
        smaller = split_into_files(batch_file.requests, max_tokens=self._budget.limit)
        parts = await asyncio.gather(*(self._run_file(f, attempt + 1) for f in smaller))
        return {key: outcome for part in parts for key, outcome in part.items()}

    async def _fall_back(self, batch_id: int, batch_file: BatchFile, reason: str) -> dict[str, Outcome]:
        """Send a batch that could not be created as immediate requests, if allowed."""
        await self.worker.run(ledger.release_batch, batch_id, f"Batch not created: {reason}")
        if not self.settings.fallback_to_immediate:
            outcome = failure("batch_unavailable", f"Failed to create a batch: {reason}")
            await self._store([Resolution(p.request, outcome, p.targets) for p in batch_file.requests],
                              batch_id=None)
            return {p.request.key: outcome for p in batch_file.requests}

        self.fell_back = True
        self.events.emit(Notice(self.job_id, f"Failed to create a batch ({reason}); "
                                "sent the requests immediately instead, at the full price", "warning"))
        await asyncio.gather(*(self._send_now(p) for p in batch_file.requests))
        return {p.request.key: p.outcome for p in batch_file.requests}

    async def cancel_remote(self, batch_id: int, remote_id: str) -> None:
        """Ask OpenAI to cancel a batch; finished requests stay billed and are merged.

        A batch the endpoint does not know is marked abandoned and its items
        requeued, since there is nothing left to cancel.
        """
        try:
            await self.client.batches.cancel(remote_id)
        except openai.NotFoundError:
            await self._requeue_lost(batch_id, remote_id)
        except openai.ConflictError:
            # 409: the batch ended before the request arrived; it is merged like any other.
            log.debug("Batch %s had already ended when it was cancelled", remote_id)


def _resolve_file(batch_file: BatchFile, results: ParsedResults, status: str):
    """Pair every request of a finished batch with its outcome (run off the event loop)."""
    outcomes = {p.request.key: results.outcomes.get(p.request.key) or _missing(status)
                for p in batch_file.requests}
    resolutions = [Resolution(p.request, outcomes[p.request.key], p.targets) for p in batch_file.requests]
    return outcomes, resolutions


def _group_by_key(pairs) -> dict[str, PendingRequest]:
    groups: dict[str, PendingRequest] = {}
    for request, target in pairs:
        pending = groups.get(request.key)
        if pending is None:
            pending = groups[request.key] = PendingRequest(request)
        if target is not None:
            pending.targets.append(target)
    return groups


def _status_failure(exc: openai.APIStatusError) -> Outcome:
    """Map an HTTP error (after the SDK's retries) to an outcome."""
    status = exc.status_code
    transient = status == 429 or status >= 500
    code = getattr(exc, "code", None) or f"http_{status}"
    return failure(str(code), f"The API answered HTTP {status}: {_short(exc)}", transient=transient)


def _short(exc: Exception) -> str:
    """Describe an API error in one line; an HTML error page from a proxy is named as such."""
    response = getattr(exc, "response", None)
    content_type = response.headers.get("content-type", "") if response is not None else ""
    if "text/html" in content_type or "<html" in str(exc).lower():
        return f"an HTML error page instead of JSON (HTTP {response.status_code if response is not None else '?'})"
    return str(exc)[:300]


def _failed_for_token_limit(remote) -> bool:
    if remote.status != "failed" or not remote.errors or not remote.errors.data:
        return False
    return any(error.code == "token_limit_exceeded" for error in remote.errors.data)


def _missing(status: str) -> Outcome:
    """Outcome of a request the batch's files do not mention."""
    if status in ("expired", "cancelled"):
        return failure(f"batch_{status}", f"The batch {status} before this request was processed",
                       transient=True)
    return failure("missing_result", "The batch completed without a result for this request")


def _counts(remote) -> tuple:
    counts = remote.request_counts
    return (counts.total, counts.completed, counts.failed) if counts else (0, 0, 0)


def _batch_fields(remote) -> dict:
    total, completed, failed = _counts(remote)
    fields = {
        "remote_id": remote.id,
        "status": remote.status,
        "input_file_id": remote.input_file_id,
        "output_file_id": remote.output_file_id,
        "error_file_id": remote.error_file_id,
        "completed_count": completed,
        "failed_count": failed,
        "submitted_at": float(remote.created_at),
        "in_progress_at": remote.in_progress_at,
        "finalizing_at": remote.finalizing_at,
        "expires_at": remote.expires_at,
        "ended_at": remote.completed_at or remote.failed_at or remote.expired_at or remote.cancelled_at,
    }
    return {key: value for key, value in fields.items() if value is not None}
