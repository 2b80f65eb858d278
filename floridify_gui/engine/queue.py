"""The job queue: jobs run one at a time, in queue order, and survive restarts.

The queue's order and each job's status live in the database, so a new
process picks up where the last one stopped: jobs left running or waiting
for batches go first, then queued jobs by position.
"""

import asyncio
import logging

import peewee

from floridify_gui.engine.engine import AbortFlag, Engine
from floridify_gui.events import JobChanged
from floridify_gui.storage import Job

log = logging.getLogger("floridify_gui.engine")

RUNNABLE = ("running", "waiting", "queued")
FINISHED = ("completed", "cancelled", "failed")


class JobQueue:
    """Runs the database's runnable jobs one after another.

    Args:
        engine: The engine that runs each job.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.current_job: int | None = None
        self._abort: AbortFlag | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._merges: set[asyncio.Task] = set()
        # Set when no job runs. A cancelled job's batches are merged only then, because
        # the job's own run may be merging the same batch at that moment.
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    def start(self) -> None:
        """Start running jobs in the background, and merging the batches of cancelled jobs."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run_forever())
            self._merge_cancelled(None)

    def wake(self) -> None:
        """Look for a runnable job now (after a job was added or resumed)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the running job at its next safe point and stop the queue.

        Remote batches keep running at OpenAI; the next start resumes them.
        """
        self._stopping = True
        if self._abort:
            self._abort.set()
        self._wake.set()
        # A merge waits for OpenAI to end a cancelled batch; the next start merges it instead.
        for merge in list(self._merges):
            merge.cancel()
        await asyncio.gather(*self._merges, return_exceptions=True)
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=30)
            except asyncio.TimeoutError:
                self._task.cancel()
            self._task = None

    async def _run_forever(self) -> None:
        await self.engine.requeue_interrupted_retries()
        while not self._stopping:
            job_id = await self.engine.worker.run(_next_runnable)
            if job_id is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._run_one(job_id)

    async def _run_one(self, job_id: int) -> None:
        self.current_job, self._abort = job_id, AbortFlag()
        self._idle.clear()
        try:
            await self.engine.run_job(job_id, self._abort)
        except Exception as exc:
            log.exception("Job %s stopped by an error", job_id)
            await self._set(job_id, status="failed", message=f"Failed to run the job: {exc}")
        finally:
            self.current_job, self._abort = None, None
            self._idle.set()

        job = await self.engine.worker.run(Job.get_by_id, job_id)
        if job.status in ("running", "waiting") and not self._stopping:
            # Items are left but the job did not finish (another process owns
            # it, say): step back so the queue does not spin on it.
            await asyncio.sleep(self.engine.settings.poll_interval)

    async def pause(self, job_id: int) -> None:
        """Pause a job: the running one stops at its next safe point."""
        await self._set(job_id, status="paused")
        if job_id == self.current_job and self._abort:
            self._abort.set()

    async def resume(self, job_id: int) -> None:
        """Put a paused or finished job back in the queue."""
        await self._set(job_id, status="queued", finished_at=None)
        self.wake()

    async def cancel(self, job_id: int) -> bool:
        """Cancel a job and its remote batches; their finished part is merged in the background.

        Returns:
            False when the job had already completed or been cancelled.
        """
        if job_id == self.current_job and self._abort:
            self._abort.set()
        if not await self.engine.cancel_job(job_id):
            return False
        self._merge_cancelled(job_id)
        return True

    def _merge_cancelled(self, job_id: int | None) -> None:
        merge = asyncio.get_running_loop().create_task(self._merge(job_id), name=f"merge cancelled job {job_id}")
        self._merges.add(merge)
        merge.add_done_callback(self._merges.discard)

    async def _merge(self, job_id: int | None) -> None:
        try:
            await self._idle.wait()
            await self.engine.merge_cancelled_batches(job_id)
        except Exception:
            # The batches stay recorded, so the next start tries again.
            log.exception("Failed to merge the batches of cancelled job %s", job_id)

    async def move(self, job_id: int, delta: int) -> None:
        """Move a job up (negative delta) or down the queue."""
        await self.engine.worker.run(_move, job_id, delta)
        self.engine.events.emit(JobChanged(job_id))

    async def remove(self, job_id: int) -> bool:
        """Delete a job that is not running; return False for a running job."""
        if job_id == self.current_job:
            return False
        deleted = await self.engine.worker.run(_delete_unless_running, job_id)
        self.engine.events.emit(JobChanged(job_id))
        return deleted

    async def clear_finished(self) -> int:
        """Delete every finished job; return how many."""
        count = await self.engine.worker.run(
            lambda: Job.delete().where(Job.status.in_(FINISHED)).execute())
        self.engine.events.emit(JobChanged(0))
        return count

    async def _set(self, job_id: int, **fields) -> None:
        await self.engine.worker.run(lambda: Job.update(**fields).where(Job.id == job_id).execute())
        self.engine.events.emit(JobChanged(job_id))


def _next_runnable() -> int | None:
    priority = peewee.Case(Job.status, [("running", 0), ("waiting", 1)], 2)
    job = Job.select(Job.id).where(Job.status.in_(RUNNABLE)).order_by(priority, Job.position).first()
    return job.id if job else None


def _move(job_id: int, delta: int) -> None:
    ordered = list(Job.select(Job.id, Job.position).order_by(Job.position, Job.id))
    index = next(i for i, job in enumerate(ordered) if job.id == job_id)
    target = max(0, min(len(ordered) - 1, index + delta))
    ordered.insert(target, ordered.pop(index))
    for position, job in enumerate(ordered, start=1):
        Job.update(position=position).where(Job.id == job.id).execute()


def _delete_unless_running(job_id: int) -> bool:
    return bool(Job.delete().where((Job.id == job_id) & (Job.status != "running")).execute())


