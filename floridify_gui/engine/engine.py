"""The engine: jobs from creation to the last merged result, shared by the CLI and the app."""

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from openai import AsyncOpenAI

from floridify_gui.connector import BatchSettings, OpenAIConnector, ledger
from floridify_gui.connector.accumulator import PendingRequest
from floridify_gui.connector.batch_files import split_into_files
from floridify_gui.connector.ledger import lookup_cache
from floridify_gui.cost import estimate_completion_tokens, estimate_prompt_tokens, pricing
from floridify_gui.engine import jobs
from floridify_gui.engine.pipeline import pairs_for_items
from floridify_gui.heap import collection_paused, frozen_until_run_ends, release
from floridify_gui.events import EventHub, ItemsChanged, JobChanged, JobFinished, JobProgress, Notice
from floridify_gui.storage import DatabaseWorker, Job, RemoteBatch, open_database
from floridify_gui.wordlist import Entry

log = logging.getLogger("floridify_gui.engine")

# Rounds of automatic retries for transient failures before they count as failed.
MAX_ROUNDS = 5
# Senses assumed per headword imported without senses, for estimates only.
ASSUMED_SENSES_PER_WORD = 2
CANCELLED_MESSAGE = "The job was cancelled before this item had a result"
HEARTBEAT_SECONDS = 15


@dataclass
class EngineSettings:
    """Connection and pacing settings of the engine."""

    api_key: str | None = None
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    max_in_flight: int = 8
    poll_interval: float = 10.0
    max_poll_interval: float = 300.0
    fallback_to_immediate: bool = True
    enqueued_token_budget: int = 20_000_000
    temperature: float | None = None
    max_retries: int = 4
    retry_delay: float = 2.0


class AbortFlag:
    """Set by the caller to stop a job at the next safe point."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


@dataclass(frozen=True)
class Estimate:
    """Cost estimate of a job before it is created.

    Attributes:
        headwords_without_senses: Headwords whose sense-level requests are
            counted with ASSUMED_SENSES_PER_WORD senses each, because the
            definitions stage drafts their senses first.
    """

    requests: int
    cache_hits: int
    duplicates: int
    tokens: int
    cost_immediate: float
    cost_batch: float
    batch_files: int
    headwords_without_senses: int = 0


class Engine:
    """Runs jobs against the OpenAI API (or the simulator) on one database.

    Args:
        db_path: The SQLite file.
        settings: API and pacing settings.
        events: Hub that receives every event; one is created if omitted.
    """

    def __init__(self, db_path: str | Path, settings: EngineSettings, events: EventHub | None = None):
        self.settings = settings
        self.events = events or EventHub()
        self.db = open_database(db_path)
        self.worker = DatabaseWorker(self.db)
        self.owner = jobs.owner_name()
        self._client: AsyncOpenAI | None = None
        self._client_lock = asyncio.Lock()
        # One merge of cancelled batches at a time: a second one would fail items
        # while the first is still storing their results.
        self._merge_lock = asyncio.Lock()

    @property
    def client(self) -> AsyncOpenAI:
        """The SDK client, created on first use."""
        if self._client is None:
            self._client = self._new_client()
        return self._client

    async def open_client(self) -> AsyncOpenAI:
        """Return the SDK client, creating it on a worker thread the first time.

        Creating it loads the system's CA certificates, which takes 40 to
        60 ms: long enough to stall the desktop app's event loop.
        """
        async with self._client_lock:
            if self._client is None:
                self._client = await asyncio.to_thread(self._new_client)
        return self._client

    def _new_client(self) -> AsyncOpenAI:
        return AsyncOpenAI(
            api_key=self.settings.api_key or "missing-key",
            base_url=self.settings.base_url,
            max_retries=self.settings.max_retries,
        )

    def connector(self, job_id: int | None, *, batch_mode: bool, model: str | None = None,
                  abort: AbortFlag | None = None) -> OpenAIConnector:
        """Create a connector for one job run."""
        settings = BatchSettings(
            poll_interval=self.settings.poll_interval,
            max_poll_interval=self.settings.max_poll_interval,
            fallback_to_immediate=self.settings.fallback_to_immediate,
            token_budget=self.settings.enqueued_token_budget,
        )
        return OpenAIConnector(
            self.client, self.worker, model=model or self.settings.model, batch_mode=batch_mode,
            job_id=job_id, max_in_flight=self.settings.max_in_flight, batch_settings=settings,
            events=self.events, is_aborted=abort.is_set if abort else (lambda: False),
        )

    # -- creating jobs ----------------------------------------------------

    async def import_entries(self, entries: Sequence[Entry]) -> list[int]:
        """Store the entries' headwords and senses; return their word ids."""
        # Without the pause, full collections on the database thread held the GIL
        # for 50 to 80 ms at a time while 5,000 headwords were imported.
        with collection_paused():
            return await self.worker.run(jobs.import_entries, list(entries))

    async def create_job(self, name: str, word_ids: Sequence[int], components: Sequence[str], mode: str,
                         model: str | None = None, force_refresh: bool = False,
                         estimate: "Estimate | None" = None, claim: bool = False) -> int:
        """Create a queued job; return its id.

        `estimate` is stored for the status report. With `claim`, this
        process owns the job from the start (the command line, which runs
        it at once, while a desktop app may watch the same database).
        """
        with collection_paused():
            job_id = await self.worker.run(jobs.create_job, name, list(word_ids), list(components), mode,
                                           model or self.settings.model, force_refresh, None,
                                           self.owner if claim else None)
        if estimate is not None:
            cost = estimate.cost_batch if mode == "batch" else estimate.cost_immediate
            await self.worker.run(lambda: jobs.update_job(job_id, estimated_tokens=estimate.tokens,
                                                          estimated_cost=cost))
        log.info("Created job %s (%r, %s mode, %s headwords, components %s)", job_id, name, mode, len(word_ids),
                 ", ".join(components))
        self.events.emit(JobChanged(job_id))
        return job_id

    async def estimate(self, word_ids: Sequence[int], components: Sequence[str], mode: str,
                       model: str | None = None) -> Estimate:
        """Estimate requests, cache hits, tokens and cost of a job before creating it.

        Headwords without senses are counted with ASSUMED_SENSES_PER_WORD
        senses for the sense-level components.
        """
        model = model or self.settings.model
        plans = await self.worker.run(jobs.plan_items, list(word_ids), list(components))
        contexts = [jobs.ItemContext(0, p.word_id, p.sense_id, p.component, p.headword,
                                     p.part_of_speech, p.gloss, p.example, None) for p in plans]
        pairs = await asyncio.to_thread(pairs_for_items, contexts, model, self.settings.temperature)
        distinct = {request.key: request for request, _ in pairs}
        cached = await self.worker.run(lookup_cache, list(distinct))

        without_senses = _headwords_without_senses(plans, components)
        # Counting tokens and batch files of 50,000 requests takes about a second.
        return await asyncio.to_thread(self._price, len(pairs), distinct, cached, without_senses,
                                       _sense_level_count(components), model, mode)

    def _price(self, planned: int, distinct: dict, cached: dict, without_senses: int, sense_level: int,
               model: str, mode: str) -> Estimate:
        to_send = [r for key, r in distinct.items() if key not in cached]
        extra = without_senses * sense_level * ASSUMED_SENSES_PER_WORD
        prompt = sum(estimate_prompt_tokens(r.body, r.body_json) for r in to_send)
        completion = sum(estimate_completion_tokens(r.body["max_completion_tokens"]) for r in to_send)
        if to_send:
            # The requests of senses not drafted yet are priced like the average request.
            prompt += extra * prompt // len(to_send)
            completion += extra * completion // len(to_send)

        table = pricing()
        files = split_into_files([PendingRequest(r) for r in to_send],
                                 max_tokens=self.settings.enqueued_token_budget)
        return Estimate(
            requests=len(to_send) + extra, cache_hits=len(distinct) - len(to_send),
            duplicates=planned - len(distinct), tokens=prompt + completion,
            cost_immediate=table.cost(model, prompt, completion, batch=False),
            cost_batch=table.cost(model, prompt, completion, batch=True),
            batch_files=len(files) if mode == "batch" else 0,
            headwords_without_senses=without_senses,
        )

    # -- running jobs -----------------------------------------------------

    async def run_job(self, job_id: int, abort: AbortFlag | None = None) -> None:
        """Run a job until every item has an outcome, or until `abort` is set.

        Unfinished batches of the job are adopted and merged first, so
        running a job again after a crash never resubmits them.
        """
        abort = abort or AbortFlag()
        if not await self.worker.run(jobs.claim_job, job_id, self.owner):
            self.events.emit(Notice(job_id, f"Job {job_id} is being run by another process", "warning"))
            return

        heartbeat = asyncio.create_task(self._heartbeat(job_id))
        try:
            with frozen_until_run_ends():
                await self._run_claimed(job_id, abort)
        finally:
            heartbeat.cancel()
            await self.worker.run(jobs.release_job, job_id, self.owner)

    async def _run_claimed(self, job_id: int, abort: AbortFlag) -> None:
        job = await self.worker.run(Job.get_by_id, job_id)
        await self._set_job(job_id, status="running", started_at=job.started_at or _now(), message=None)
        log.info("Running job %s (%s mode, model %s)", job_id, job.mode, job.model)
        await self.open_client()
        connector = self.connector(job_id, batch_mode=job.mode == "batch", model=job.model, abort=abort)

        await self._resume_batches(job_id, connector)
        for stage in (0, 1):
            if stage == 1:
                await self.worker.run(jobs.expand_after_definitions, job_id)
            await self._run_stage(job, stage, connector, abort)
            if abort.is_set():
                break

        await self._finish(job_id, connector, aborted=abort.is_set())

    async def _run_stage(self, job: Job, stage: int, connector: OpenAIConnector, abort: AbortFlag) -> None:
        """Send the stage's items, round after round, until none is left to do."""
        stage_name = "definitions" if stage == 0 else "components"
        for round_number in range(MAX_ROUNDS):
            with collection_paused():
                items = await self.worker.run(jobs.items_to_do, job.id, stage)
            if await self._stopped_elsewhere(job.id):
                abort.set()
            if not items or abort.is_set():
                return
            if round_number:
                await asyncio.sleep(self.settings.retry_delay * 2 ** (round_number - 1))

            await self._set_job(job.id, stage=stage_name)
            self.events.emit(JobProgress(job.id, 0, len(items), f"Sending {len(items):,} {stage_name} requests"))
            # Built on a worker thread: 50,000 bodies take a second, which would
            # freeze the desktop app's event loop.
            with collection_paused():
                pairs = await asyncio.to_thread(pairs_for_items, items, job.model, self._temperature(job))
                answers = await connector.request_many(pairs, force_refresh=job.force_refresh)
            outcomes = {}
            if connector.batch_mode:
                await self._set_status_unless_stopped(job.id, "waiting")
                outcomes = await connector.execute_batch()
                await self._set_status_unless_stopped(job.id, "running")
            await release(answers, outcomes, pairs, items)

        await self.worker.run(jobs.give_up_retrying, job.id, stage)

    async def _set_status_unless_stopped(self, job_id: int, status: str) -> None:
        """Change a running job's status, leaving a cancel or pause made meanwhile in place."""
        await self.worker.run(lambda: Job.update(status=status).where(
            (Job.id == job_id) & Job.status.not_in(["cancelled", "paused"])).execute())
        self.events.emit(JobChanged(job_id))

    async def _stopped_elsewhere(self, job_id: int) -> bool:
        """Tell whether the job was cancelled or paused while it ran (from the app or another process)."""
        status = await self.worker.run(lambda: Job.get_by_id(job_id).status)
        return status in ("cancelled", "paused")

    def _temperature(self, job: Job) -> float | None:
        options = json.loads(job.options or "{}")
        return options.get("temperature", self.settings.temperature)

    async def _resume_batches(self, job_id: int, connector: OpenAIConnector) -> None:
        """Adopt, poll and merge the batches an earlier run of this job left behind."""
        batches = await self.worker.run(jobs.unfinished_batches, job_id)
        for batch in batches:
            await self._follow_recorded_batch(batch, connector)

    async def _follow_recorded_batch(self, batch: RemoteBatch, connector: OpenAIConnector, *,
                                     resubmit: bool = True) -> None:
        """Rebuild a recorded batch's requests from its items, then wait for it and merge it."""
        items = await self.worker.run(jobs.items_in_batch, batch.id)
        temperature = await self._job_temperature(batch.job_id)
        # Rebuilding 50,000 requests and their file lines takes seconds, too long for the event loop.
        batch_file = await asyncio.to_thread(_recorded_batch_file, items, batch.model, temperature)
        if batch_file is None:
            await self.worker.run(_mark_merged, batch.id)
            return

        log.info("Resuming batch %s of job %s (%s requests)", batch.remote_id or batch.token, batch.job_id,
                 len(batch_file.requests))
        await connector.resume_batch(batch.id, batch_file, resubmit=resubmit)

    async def _job_temperature(self, job_id: int) -> float | None:
        return self._temperature(await self.worker.run(Job.get_by_id, job_id))

    async def _finish(self, job_id: int, connector: OpenAIConnector, *, aborted: bool) -> None:
        counts = await self.worker.run(jobs.status_counts, job_id)
        failed = sum(counts.get(s, 0) for s in ("failed", "refused", "truncated"))
        left = sum(counts.get(s, 0) for s in ("pending", "retrying", "waiting", "submitted", "running"))
        fields = {"fell_back": connector.fell_back} if connector.fell_back else {}

        job = await self.worker.run(Job.get_by_id, job_id)
        if aborted or left:
            # A run stopped by a shutdown stays runnable, so the next start finishes it. It may
            # have nothing left yet still owe the sense items of newly drafted definitions.
            status = job.status if job.status in ("paused", "cancelled") else "waiting"
            await self._set_job(job_id, status=status, **fields)
            log.info("Job %s stopped (%s) with %s items left", job_id, status, left)
            return

        await self._set_job(job_id, status="completed", finished_at=_now(), stage=None, **fields)
        log.info("Job %s completed: %s succeeded, %s failed", job_id, counts.get("succeeded", 0), failed)
        self.events.emit(JobFinished(job_id, counts.get("succeeded", 0), failed))

    async def _set_job(self, job_id: int, **fields) -> None:
        await self.worker.run(lambda: jobs.update_job(job_id, **fields))
        self.events.emit(JobChanged(job_id))

    async def _heartbeat(self, job_id: int) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await self.worker.run(jobs.heartbeat, job_id, self.owner)

    async def requeue_interrupted_retries(self) -> list[int]:
        """Queue again the ended jobs that still have items to send; return their ids.

        Retrying items of a completed or cancelled job puts them back to
        pending and sends them at once. When the process stops before they are
        sent, nothing else would pick them up.
        """
        job_ids = await self.worker.run(jobs.queue_ended_jobs_with_items_to_do)
        for job_id in job_ids:
            log.info("Job %s has retried items that were never sent; it is queued again", job_id)
            self.events.emit(JobChanged(job_id))
        return job_ids

    async def resume_unfinished(self) -> list[int]:
        """Run every job an earlier process left running or waiting; return their ids."""
        await self.requeue_interrupted_retries()
        job_ids = await self.worker.run(_unfinished_job_ids)
        for job_id in job_ids:
            await self.run_job(job_id)
        return job_ids

    async def retry_items(self, item_ids: Sequence[int], immediate: bool = True) -> None:
        """Send failed, refused and truncated items again, at once (immediate) or by re-queueing their jobs.

        Other items among `item_ids` are left as they are (see `jobs.reset_for_retry`).
        """
        item_ids = await self.worker.run(jobs.reset_for_retry, list(item_ids))
        log.info("Retrying %s items (%s)", len(item_ids), "immediate" if immediate else "queued with their jobs")
        contexts = await self.worker.run(jobs.items_by_id, item_ids)
        by_job: dict[int, list] = {}
        job_of = await self.worker.run(_jobs_of_items, list(item_ids))
        for context in contexts:
            by_job.setdefault(job_of[context.item_id], []).append(context)

        await self.open_client()
        for job_id, items in by_job.items():
            job = await self.worker.run(Job.get_by_id, job_id)
            if immediate:
                connector = self.connector(job_id, batch_mode=False, model=job.model)
                pairs = await asyncio.to_thread(pairs_for_items, items, job.model, self._temperature(job))
                await connector.request_many(pairs)
                await self._send_new_sense_items(job, connector)
                await self._finish(job_id, connector, aborted=False)
            else:
                await self._set_job(job_id, status="queued", finished_at=None)

    async def _send_new_sense_items(self, job: Job, connector: OpenAIConnector) -> None:
        """Send the sense items of headwords whose retried definitions now succeeded."""
        if not await self.worker.run(jobs.expand_after_definitions, job.id):
            return
        items = await self.worker.run(jobs.items_to_do, job.id, 1)
        pairs = await asyncio.to_thread(pairs_for_items, items, job.model, self._temperature(job))
        await connector.request_many(pairs)

    async def cancel_job(self, job_id: int) -> bool:
        """Cancel a job and ask OpenAI to cancel its unfinished batches.

        Items not sent yet fail at once. The items of batches already created
        wait for `merge_cancelled_batches`, because OpenAI bills the requests
        a batch finished before it stopped.

        Returns:
            False when the job had already completed or been cancelled, so nothing changed.
        """
        job = await self.worker.run(Job.get_by_id, job_id)
        if job.status in ("completed", "cancelled"):
            log.info("Job %s is already %s; nothing to cancel", job_id, job.status)
            return False

        await self._set_job(job_id, status="cancelled", finished_at=_now())
        log.info("Cancelled job %s", job_id)
        for batch in await self.worker.run(jobs.unfinished_batches, job_id):
            if batch.remote_id:
                await self.cancel_batch(batch.id)
            else:
                await self.worker.run(ledger.update_batch, batch.id, {
                    "step": "abandoned", "message": "The job was cancelled before this batch was created"})
        changed = await self.worker.run(
            lambda: jobs.fail_unfinished(job_id, "cancelled", CANCELLED_MESSAGE, except_sent=True))
        if changed:
            self.events.emit(ItemsChanged(job_id, tuple(changed)))
        return True

    async def merge_cancelled_batches(self, job_id: int | None = None) -> int:
        """Wait for the batches of cancelled jobs to end, store what they finished and fail the rest.

        Args:
            job_id: The cancelled job, or None for every cancelled job.

        Returns:
            How many batches were merged.
        """
        async with self._merge_lock:
            return await self._merge_cancelled(job_id)

    async def _merge_cancelled(self, job_id: int | None) -> int:
        batches = await self.worker.run(jobs.sent_batches_of_cancelled_jobs, job_id)
        for batch in batches:
            await self.open_client()
            connector = self.connector(batch.job_id, batch_mode=True, model=batch.model)
            await self._follow_recorded_batch(batch, connector, resubmit=False)

            changed = await self.worker.run(jobs.fail_unfinished, batch.job_id, "cancelled", CANCELLED_MESSAGE)
            if changed:
                self.events.emit(ItemsChanged(batch.job_id, tuple(changed)))
            self.events.emit(JobChanged(batch.job_id))
        return len(batches)

    async def refresh_batch(self, batch_id: int) -> None:
        """Poll one batch now."""
        batch = await self.worker.run(RemoteBatch.get_by_id, batch_id)
        if batch.remote_id and batch.step not in ("merged", "abandoned"):
            await self.open_client()
            await self.connector(batch.job_id, batch_mode=True).poll_once(batch_id, batch.remote_id)

    async def cancel_batch(self, batch_id: int) -> None:
        """Ask OpenAI to cancel a batch; its finished part is merged when it ends."""
        batch = await self.worker.run(RemoteBatch.get_by_id, batch_id)
        if batch.remote_id:
            await self.open_client()
            connector = self.connector(batch.job_id, batch_mode=True)
            await connector.cancel_remote(batch_id, batch.remote_id)
            await self.refresh_batch(batch_id)

    async def aclose(self) -> None:
        """Close the API client and the database worker."""
        if self._client is not None:
            await self._client.close()
            self._client = None
        await asyncio.to_thread(self.worker.close)


def _recorded_batch_file(items, model: str, temperature: float | None):
    """Return the one batch file of a recorded batch's items, or None when they owe nothing."""
    pending = _pending_requests(pairs_for_items(items, model, temperature))
    if not pending:
        return None
    [batch_file] = split_into_files(pending, max_requests=len(pending) + 1, max_bytes=2**62)
    return batch_file


def _pending_requests(pairs) -> list[PendingRequest]:
    grouped: dict[str, PendingRequest] = {}
    for request, target in pairs:
        grouped.setdefault(request.key, PendingRequest(request)).targets.append(target)
    return list(grouped.values())


def _mark_merged(batch_id: int) -> None:
    RemoteBatch.update(step="merged").where(RemoteBatch.id == batch_id).execute()


def _unfinished_job_ids() -> list[int]:
    # Queued jobs count too: a process may have died between creating a job and starting it.
    query = Job.select(Job.id).where(Job.status.in_(["running", "waiting", "queued"])).order_by(Job.position)
    return [job.id for job in query]


def _jobs_of_items(item_ids: Sequence[int]) -> dict[int, int]:
    from floridify_gui.storage import JobItem, chunked

    result = {}
    for part in chunked(list(item_ids), 1):
        for item in JobItem.select(JobItem.id, JobItem.job).where(JobItem.id.in_(part)):
            result[item.id] = item.job_id
    return result


def _now() -> float:
    from floridify_gui.storage import now

    return now()


def _sense_level_count(components: Sequence[str]) -> int:
    from floridify_gui.components import COMPONENTS, SENSE

    return sum(1 for component in components if COMPONENTS[component].level == SENSE)


def _headwords_without_senses(plans, components: Sequence[str]) -> int:
    """Count the headwords whose sense items wait for the definitions stage to draft their senses.

    `jobs.expand_after_definitions` plans sense items only for headwords
    that had none, so a headword whose senses exist is not counted even
    when "definitions" is chosen.
    """
    if not _sense_level_count(components):
        return 0
    with_senses = {plan.word_id for plan in plans if plan.sense_id is not None}
    return len({plan.word_id for plan in plans
                if plan.component == jobs.DEFINITIONS and plan.word_id not in with_senses})
