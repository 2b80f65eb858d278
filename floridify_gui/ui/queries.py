"""Read-only queries behind the app's views (no Qt here).

Every function runs on the calling thread's own connection (peewee keeps
one per thread), so the views can run the heavy ones on a reader thread and
the small page reads on the UI thread while the engine writes on its
worker thread; SQLite's WAL mode lets readers and the writer proceed
together.
"""

import json
import logging
from array import array
from dataclasses import dataclass, field
from typing import Iterator

import peewee
from peewee import fn

from floridify_gui.storage import CachedResponse, EntryValue, Job, JobItem, RemoteBatch, Sense, Word

log = logging.getLogger("floridify_gui.ui")

FAILED_STATUSES = ("failed", "refused", "truncated")
ACTIVE_STATUSES = ("pending", "submitted", "running", "retrying", "waiting")
ITEM_STATUSES = ("pending", "submitted", "running", "retrying", "waiting", "succeeded",
                 "failed", "refused", "truncated")
FINISHED_JOB_STATUSES = ("completed", "cancelled", "failed")

# Remote statuses after which a batch no longer changes on the server.
TERMINAL_BATCH_STATUSES = ("completed", "failed", "expired", "cancelled")

# Local steps after which this app has nothing more to do with a batch.
FINISHED_BATCH_STEPS = ("merged", "abandoned")

RESULT_PREVIEW_CHARS = 160

# Column keys of the result grid that can be sorted, and the field behind each.
SORT_FIELDS: dict[str, peewee.Field] = {
    "id": JobItem.id,
    "headword": JobItem.headword,
    "part_of_speech": JobItem.part_of_speech,
    "gloss": JobItem.gloss,
    "component": JobItem.component,
    "status": JobItem.status,
    "outcome_message": JobItem.outcome_message,
    "attempts": JobItem.attempts,
    "updated_at": JobItem.updated_at,
    "job": JobItem.job,
}


@dataclass(frozen=True)
class ItemFilter:
    """Which job items the result grid shows, and in what order.

    Attributes:
        status: A JobItem status, "failed*" for every failed-like status, or None for all.
        component: A component name, or None for all.
        job_id: A job id, or None for all jobs.
        text: Substring of the headword (case-insensitive for ASCII), or "" for all.
        sort_key: A key of SORT_FIELDS.
        descending: Sort direction.
    """

    status: str | None = None
    component: str | None = None
    job_id: int | None = None
    text: str = ""
    sort_key: str = "id"
    descending: bool = False


ANY_FAILED = "failed*"


def _conditions(item_filter: ItemFilter, with_status: bool = True) -> list[peewee.Expression]:
    conditions = []
    if with_status and item_filter.status == ANY_FAILED:
        conditions.append(JobItem.status.in_(FAILED_STATUSES))
    elif with_status and item_filter.status:
        conditions.append(JobItem.status == item_filter.status)

    if item_filter.component:
        conditions.append(JobItem.component == item_filter.component)
    if item_filter.job_id is not None:
        conditions.append(JobItem.job == item_filter.job_id)
    if item_filter.text:
        conditions.append(JobItem.headword.contains(item_filter.text))
    return conditions


def _where(query: peewee.Select, conditions: list[peewee.Expression]) -> peewee.Select:
    return query.where(*conditions) if conditions else query


def item_ids(item_filter: ItemFilter) -> array:
    """Return the ids of the items that match `item_filter`, in its order, as an array('q')."""
    sort_field = SORT_FIELDS.get(item_filter.sort_key, JobItem.id)
    order = [sort_field.desc() if item_filter.descending else sort_field.asc()]
    if sort_field is not JobItem.id:
        order.append(JobItem.id.desc() if item_filter.descending else JobItem.id.asc())

    query = _where(JobItem.select(JobItem.id), _conditions(item_filter)).order_by(*order)
    cursor = JobItem._meta.database.execute(query)
    return array("q", [row[0] for row in cursor.fetchall()])


def status_counts(item_filter: ItemFilter) -> dict[str, int]:
    """Return the number of items per status under every condition of `item_filter` but status."""
    query = _where(JobItem.select(JobItem.status, fn.COUNT(JobItem.id)),
                   _conditions(item_filter, with_status=False)).group_by(JobItem.status)
    return {status: count for status, count in query.tuples()}


def failed_item_ids(item_filter: ItemFilter) -> list[int]:
    """Return the ids of the failed-like items among those `item_filter` shows."""
    conditions = _conditions(item_filter) + [JobItem.status.in_(FAILED_STATUSES)]
    query = _where(JobItem.select(JobItem.id), conditions).order_by(JobItem.id)
    return [item_id for (item_id,) in query.tuples()]


@dataclass(frozen=True)
class ItemRow:
    """One row of the result grid."""

    id: int
    job_id: int
    headword: str
    part_of_speech: str | None
    gloss: str | None
    component: str
    status: str
    outcome_message: str | None
    attempts: int
    updated_at: float
    result_preview: str | None


def item_rows(ids: list[int]) -> list[ItemRow | None]:
    """Return the rows of `ids` in the same order; None for an id that no longer exists."""
    if not ids:
        return []

    query = JobItem.select(
        JobItem.id, JobItem.job, JobItem.headword, JobItem.part_of_speech, JobItem.gloss,
        JobItem.component, JobItem.status, JobItem.outcome_message, JobItem.attempts,
        JobItem.updated_at, fn.SUBSTR(JobItem.result, 1, RESULT_PREVIEW_CHARS),
    ).where(JobItem.id.in_(ids))
    by_id = {row[0]: ItemRow(*row) for row in query.tuples()}
    return [by_id.get(item_id) for item_id in ids]


def existing_item_rows(ids: list[int], chunk: int = 500) -> list[ItemRow]:
    """Return the rows of `ids` in the same order, reading `chunk` ids per query; missing ids are left out.

    The chunks keep each query under SQLite's limit on parameters in one statement.
    """
    rows = []
    for start in range(0, len(ids), chunk):
        rows.extend(row for row in item_rows(list(ids[start:start + chunk])) if row is not None)
    return rows


def iter_item_rows(item_filter: ItemFilter, chunk: int = 500) -> Iterator[ItemRow]:
    """Yield every row `item_filter` shows, in its order, reading `chunk` rows at a time."""
    ids = item_ids(item_filter)
    for start in range(0, len(ids), chunk):
        for row in item_rows(list(ids[start:start + chunk])):
            if row is not None:
                yield row


def item_results(ids: list[int]) -> dict[int, str | None]:
    """Return the full result JSON of each id in `ids`."""
    query = JobItem.select(JobItem.id, JobItem.result).where(JobItem.id.in_(ids))
    return dict(query.tuples())


@dataclass(frozen=True)
class ItemDetail:
    """Everything the detail pane shows about one item.

    Attributes:
        item: The JobItem.
        job: Its job.
        batch_remote_id: Remote id of the batch that carried it, if any.
        cached_content: The validated response stored under its request key.
        entry_value: The value the component wrote into the entry, as JSON text.
        request_body: The request as the engine builds it for this item now,
            as indented JSON.
        request_matches: Whether that rebuilt request has the key the item
            was sent with (False when prompts or settings changed since).
    """

    item: JobItem
    job: Job
    batch_remote_id: str | None
    cached_content: str | None
    entry_value: str | None
    request_body: str | None
    request_matches: bool


def item_detail(item_id: int) -> ItemDetail | None:
    """Return the detail of one item, or None if it no longer exists."""
    item = JobItem.get_or_none(JobItem.id == item_id)
    if item is None:
        return None

    batch = RemoteBatch.get_or_none(RemoteBatch.id == item.batch_id) if item.batch_id else None
    cached = CachedResponse.get_or_none(CachedResponse.key == item.request_key) if item.request_key else None
    scope = f"sense:{item.sense_id}" if item.sense_id is not None else f"word:{item.word_id}"
    value = EntryValue.get_or_none((EntryValue.scope == scope) & (EntryValue.component == item.component))
    job = Job.get_by_id(item.job_id)
    request = _rebuild_request(item, job)
    return ItemDetail(
        item=item,
        job=job,
        batch_remote_id=batch.remote_id if batch else None,
        cached_content=cached.content if cached else None,
        entry_value=value.value if value else None,
        request_body=json.dumps(request.body, indent=2, ensure_ascii=False) if request else None,
        request_matches=request is not None and request.key == item.request_key,
    )


def _rebuild_request(item: JobItem, job: Job):
    """Return the StructuredRequest the engine would send for `item`, or None if it cannot be built."""
    from floridify_gui.engine.jobs import items_by_id
    from floridify_gui.engine.pipeline import request_for_item

    contexts = items_by_id([item.id])
    if not contexts:
        return None
    temperature = _parse_json(job.options or "{}") or {}
    temperature = temperature.get("temperature") if isinstance(temperature, dict) else None
    try:
        return request_for_item(contexts[0], job.model, temperature)
    except (KeyError, OSError) as error:
        # An unknown component or a missing prompt file: show the rest of the detail anyway.
        log.debug("Failed to rebuild the request of item %s: %s", item.id, error)
        return None


@dataclass
class JobRow:
    """One row of the job queue, with its items counted by outcome.

    Attributes:
        active_batches: Batches of the job that may still change remotely
            (see `BatchRow.is_active`).
        batch_expires_at: The earliest expiry among those batches, or None.
    """

    id: int
    name: str
    mode: str
    model: str
    status: str
    stage: str | None
    position: int
    total: int
    succeeded: int
    failed: int
    in_flight: int
    cost: float
    created_at: float
    started_at: float | None
    finished_at: float | None
    message: str | None
    active_batches: int = 0
    batch_expires_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Items not ended yet."""
        return self.total - self.succeeded - self.failed

    @property
    def is_finished(self) -> bool:
        """Whether the job has ended (completed, cancelled or failed)."""
        return self.status in FINISHED_JOB_STATUSES


def job_rows(job_ids: list[int] | None = None) -> list[JobRow]:
    """Return the rows of `job_ids` (all jobs when None) in queue order."""
    query = Job.select().order_by(Job.position, Job.id)
    if job_ids is not None:
        query = query.where(Job.id.in_(job_ids))

    jobs = list(query)
    counts = _item_counts([job.id for job in jobs] if job_ids is not None else None)
    batches = _active_batches([job.id for job in jobs] if job_ids is not None else None)
    return [_job_row(job, counts.get(job.id, {}), batches.get(job.id, (0, None))) for job in jobs]


def _item_counts(job_ids: list[int] | None) -> dict[int, dict[str, int]]:
    query = JobItem.select(JobItem.job, JobItem.status, fn.COUNT(JobItem.id)).group_by(JobItem.job, JobItem.status)
    if job_ids is not None:
        query = query.where(JobItem.job.in_(job_ids))

    counts: dict[int, dict[str, int]] = {}
    for job_id, status, count in query.tuples():
        counts.setdefault(job_id, {})[status] = count
    return counts


def _active_batches(job_ids: list[int] | None) -> dict[int, tuple[int, float | None]]:
    """Return per job the number of batches that may still change remotely and the earliest expiry among them.

    A batch counts until this app has merged or abandoned it and while its remote status
    is not final. A completed batch whose results are not merged yet no longer expires,
    and one still on this computer (no remote status yet) counts without an expiry.
    """
    still_running = RemoteBatch.status.is_null() | RemoteBatch.status.not_in(TERMINAL_BATCH_STATUSES)
    query = (RemoteBatch
             .select(RemoteBatch.job, fn.COUNT(RemoteBatch.id), fn.MIN(RemoteBatch.expires_at))
             .where(RemoteBatch.step.not_in(FINISHED_BATCH_STEPS) & still_running)
             .group_by(RemoteBatch.job))
    if job_ids is not None:
        query = query.where(RemoteBatch.job.in_(job_ids))
    return {job_id: (count, expires) for job_id, count, expires in query.tuples()}


def _job_row(job: Job, counts: dict[str, int], batches: tuple[int, float | None]) -> JobRow:
    return JobRow(
        id=job.id, name=job.name, mode=job.mode, model=job.model, status=job.status, stage=job.stage,
        position=job.position, total=sum(counts.values()), succeeded=counts.get("succeeded", 0),
        failed=sum(counts.get(status, 0) for status in FAILED_STATUSES),
        in_flight=counts.get("running", 0) + counts.get("submitted", 0),
        cost=job.cost or 0.0, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at, message=job.message, active_batches=batches[0],
        batch_expires_at=batches[1], counts=counts,
    )


@dataclass(frozen=True)
class BatchRow:
    """One remote batch of a job as the batch status view shows it."""

    id: int
    remote_id: str | None
    step: str
    status: str | None
    request_count: int
    completed_count: int
    failed_count: int
    merged_count: int
    message: str | None
    errors: str | None
    created_at: float
    submitted_at: float | None
    in_progress_at: float | None
    finalizing_at: float | None
    ended_at: float | None
    expires_at: float | None
    updated_at: float

    @property
    def is_active(self) -> bool:
        """Whether the batch may still change on the server."""
        return self.step not in FINISHED_BATCH_STEPS and self.status not in TERMINAL_BATCH_STATUSES


def batch_rows(job_id: int) -> list[BatchRow]:
    """Return the remote batches of a job, oldest first."""
    query = (RemoteBatch
             .select(RemoteBatch.id, RemoteBatch.remote_id, RemoteBatch.step, RemoteBatch.status,
                     RemoteBatch.request_count, RemoteBatch.completed_count, RemoteBatch.failed_count,
                     RemoteBatch.merged_count, RemoteBatch.message, RemoteBatch.errors,
                     RemoteBatch.created_at, RemoteBatch.submitted_at, RemoteBatch.in_progress_at,
                     RemoteBatch.finalizing_at, RemoteBatch.ended_at, RemoteBatch.expires_at,
                     RemoteBatch.updated_at)
             .where(RemoteBatch.job == job_id)
             .order_by(RemoteBatch.id))
    return [BatchRow(*row) for row in query.tuples()]


def job_choices() -> list[tuple[int, str]]:
    """Return (id, name) of every job, newest first, for the result grid's job filter."""
    return list(Job.select(Job.id, Job.name).order_by(Job.id.desc()).tuples())


def component_choices() -> list[str]:
    """Return the component names that occur in any job item."""
    query = JobItem.select(JobItem.component).distinct().order_by(JobItem.component)
    return [name for (name,) in query.tuples()]


@dataclass
class SenseEntry:
    """One sense of an entry with the values components contributed to it."""

    id: int
    position: int
    part_of_speech: str | None
    definition: str
    example: str | None
    source: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass
class EntryData:
    """A whole enriched entry: word-level values and its senses."""

    word_id: int
    headword: str
    values: dict[str, object] = field(default_factory=dict)
    senses: list[SenseEntry] = field(default_factory=list)


def find_word(headword: str) -> Word | None:
    """Return the Word spelled `headword`, trying an exact match, then any case."""
    word = Word.get_or_none(Word.headword == headword)
    if word is None:
        word = Word.select().where(fn.LOWER(Word.headword) == headword.lower()).first()
    return word


def entry(headword: str) -> EntryData | None:
    """Return the enriched entry of `headword`, or None if no such word was imported."""
    word = find_word(headword.strip())
    if word is None:
        return None

    data = EntryData(word_id=word.id, headword=word.headword)
    senses = {}
    for sense in Sense.select().where(Sense.word == word.id).order_by(Sense.position):
        senses[sense.id] = SenseEntry(sense.id, sense.position, sense.part_of_speech, sense.definition,
                                      sense.example, sense.source)
    data.senses = list(senses.values())

    for value in EntryValue.select().where(EntryValue.word == word.id):
        parsed = _parse_json(value.value)
        if value.sense_id is None:
            data.values[value.component] = parsed
        elif value.sense_id in senses:
            senses[value.sense_id].values[value.component] = parsed
    return data


def headword_suggestions(prefix: str, limit: int = 50) -> list[str]:
    """Return up to `limit` headwords that start with `prefix`."""
    query = (Word.select(Word.headword).where(Word.headword.startswith(prefix))
             .order_by(Word.headword).limit(limit))
    return [headword for (headword,) in query.tuples()]


def _parse_json(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
