"""Database functions for words, jobs and items (run on the DatabaseWorker)."""

import json
import logging
import os
import socket
from dataclasses import dataclass
from typing import Sequence

import peewee

from floridify_gui.components import COMPONENTS, SENSE, WORD
from floridify_gui.storage import Job, JobItem, RemoteBatch, Sense, Word, chunked, now
from floridify_gui.storage.models import database_proxy
from floridify_gui.wordlist import Entry

log = logging.getLogger("floridify_gui.engine")

DEFINITIONS = "definitions"
TO_DO = ("pending", "retrying", "waiting")
ENDED = ("succeeded", "failed", "refused", "truncated")
RETRYABLE_STATUSES = ("failed", "refused", "truncated")
# A job whose owner has not written a heartbeat for this long is taken to
# belong to a process that died.
STALE_OWNER_SECONDS = 60


def owner_name() -> str:
    """Identify this process as "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def import_entries(entries: Sequence[Entry]) -> list[int]:
    """Store headwords and their imported senses; return the word ids in order.

    A headword already in the database (same key) is reused. An imported
    sense it already has (same part of speech and definition) is not added
    again. Writes use plain SQL in bulk because a list may contain 370,000 headwords.
    """
    with database_proxy.atomic():
        word_ids = _store_words(entries)
        _store_senses(entries, word_ids)
    return [word_ids[entry.key] for entry in entries]


def _store_words(entries: Sequence[Entry]) -> dict[str, int]:
    connection = database_proxy.obj.connection()
    stamp = now()
    connection.executemany(
        "INSERT OR IGNORE INTO word (headword, key, created_at) VALUES (?, ?, ?)",
        [(entry.headword, entry.key, stamp) for entry in entries])

    ids: dict[str, int] = {}
    keys = list({entry.key for entry in entries})
    for part in chunked(keys, 1):
        marks = ",".join("?" * len(part))
        ids.update((key, word_id) for word_id, key in connection.execute(
            f"SELECT id, key FROM word WHERE key IN ({marks})", part))
    return ids


def _store_senses(entries: Sequence[Entry], word_ids: dict[str, int]) -> None:
    with_senses = [entry for entry in entries if entry.senses]
    if not with_senses:
        return
    connection = database_proxy.obj.connection()
    existing: dict[int, set] = {}
    positions: dict[int, int] = {}
    ids = list({word_ids[entry.key] for entry in with_senses})
    for part in chunked(ids, 1):
        marks = ",".join("?" * len(part))
        for word_id, pos, definition, position in connection.execute(
                f"SELECT word_id, part_of_speech, definition, position FROM sense WHERE word_id IN ({marks})", part):
            existing.setdefault(word_id, set()).add((pos, definition))
            positions[word_id] = max(positions.get(word_id, -1), position)

    rows = []
    for entry in with_senses:
        word_id = word_ids[entry.key]
        seen = existing.setdefault(word_id, set())
        for sense in entry.senses:
            if not sense.definition or (sense.part_of_speech, sense.definition) in seen:
                continue
            positions[word_id] = positions.get(word_id, -1) + 1
            rows.append((word_id, positions[word_id], sense.part_of_speech, sense.definition, sense.example))
            seen.add((sense.part_of_speech, sense.definition))
    connection.executemany(
        "INSERT INTO sense (word_id, position, part_of_speech, definition, example, source) "
        "VALUES (?, ?, ?, ?, ?, 'import')", rows)


@dataclass(frozen=True)
class ItemPlan:
    """An item to create: one word or sense times one component."""

    word_id: int
    sense_id: int | None
    headword: str
    part_of_speech: str | None
    gloss: str | None
    component: str
    stage: int
    example: str | None = None


def plan_items(word_ids: Sequence[int], components: Sequence[str]) -> list[ItemPlan]:
    """List the items a job over these words and components starts with.

    Headwords without senses get a definitions item (stage 0) when any
    sense-level component is chosen; their sense items are planned once
    the definitions exist. Choosing "definitions" explicitly drafts senses
    for every headword.
    """
    word_level = [c for c in components if COMPONENTS[c].level == WORD and c != DEFINITIONS]
    sense_level = [c for c in components if COMPONENTS[c].level == SENSE]
    plans: list[ItemPlan] = []

    for part in chunked(list(word_ids), 1):
        words = {w.id: w for w in Word.select().where(Word.id.in_(part))}
        senses = _senses_by_word(part)
        for word_id in part:
            word = words[word_id]
            word_senses = senses.get(word_id, [])
            plans.extend(ItemPlan(word.id, None, word.headword, None, None, c, 1) for c in word_level)
            if DEFINITIONS in components or (sense_level and not word_senses):
                plans.append(ItemPlan(word.id, None, word.headword, None, None, DEFINITIONS, 0))
            if word_senses:
                plans.extend(_sense_plans(word, word_senses, sense_level))
    return plans


def _senses_by_word(word_ids: Sequence[int]) -> dict[int, list[Sense]]:
    grouped: dict[int, list[Sense]] = {}
    for sense in Sense.select().where(Sense.word.in_(word_ids)).order_by(Sense.word, Sense.position):
        grouped.setdefault(sense.word_id, []).append(sense)
    return grouped


def _sense_plans(word: Word, senses: Sequence[Sense], components: Sequence[str]) -> list[ItemPlan]:
    return [
        ItemPlan(word.id, sense.id, word.headword, sense.part_of_speech, sense.definition, component, 1,
                 sense.example)
        for sense in senses
        for component in components
    ]


def create_job(name: str, word_ids: Sequence[int], components: Sequence[str], mode: str, model: str,
               force_refresh: bool = False, options: dict | None = None, owner: str | None = None) -> int:
    """Create a queued job and its first items; return the job id.

    With `owner`, the job is claimed for that process from the start, so a
    desktop app open on the same database does not pick it up first.
    """
    plans = plan_items(word_ids, components)
    with database_proxy.atomic():
        position = (Job.select(peewee.fn.MAX(Job.position)).scalar() or 0) + 1
        job = Job.create(name=name, mode=mode, model=model, components=json.dumps(list(components)),
                         force_refresh=force_refresh, options=json.dumps(options or {}),
                         position=position, owner=owner, heartbeat_at=now() if owner else None)
        _insert_items(job.id, plans)
    log.debug("Created job %s with %s items", job.id, len(plans))
    return job.id


def _insert_items(job_id: int, plans: Sequence[ItemPlan]) -> None:
    rows = [
        {
            "job": job_id, "word": p.word_id, "sense": p.sense_id, "headword": p.headword,
            "part_of_speech": p.part_of_speech, "gloss": p.gloss, "component": p.component,
            "stage": p.stage, "status": "pending", "updated_at": now(),
        }
        for p in plans
    ]
    for part in chunked(rows, 10):
        JobItem.insert_many(part).execute()


def expand_after_definitions(job_id: int) -> int:
    """Plan sense items for headwords whose definitions item has succeeded.

    Returns:
        How many items were added.
    """
    job = Job.get_by_id(job_id)
    sense_level = [c for c in json.loads(job.components) if COMPONENTS[c].level == SENSE]
    if not sense_level:
        return 0

    connection = database_proxy.obj.connection()
    done_words = [row[0] for row in connection.execute(
        "SELECT word_id FROM job_item WHERE job_id = ? AND component = ? AND status = 'succeeded'",
        (job_id, DEFINITIONS))]
    planned = {row[0] for row in connection.execute(
        "SELECT DISTINCT word_id FROM job_item WHERE job_id = ? AND sense_id IS NOT NULL", (job_id,))}
    to_expand = [w for w in done_words if w not in planned]

    plans: list[ItemPlan] = []
    for part in chunked(to_expand, 1):
        words = {w.id: w for w in Word.select().where(Word.id.in_(part))}
        for word_id, senses in _senses_by_word(part).items():
            plans.extend(_sense_plans(words[word_id], senses, sense_level))
    with database_proxy.atomic():
        _insert_items(job_id, plans)
    return len(plans)


@dataclass(frozen=True)
class ItemContext:
    """Data needed to build one item's request."""

    item_id: int
    word_id: int
    sense_id: int | None
    component: str
    headword: str
    part_of_speech: str | None
    definition: str | None
    example: str | None
    max_tokens: int | None


_CONTEXT_SQL = (
    "SELECT i.id, i.word_id, i.sense_id, i.component, i.headword, i.part_of_speech, i.gloss, "
    "s.example, i.max_tokens FROM job_item i LEFT JOIN sense s ON s.id = i.sense_id "
)


def _contexts(where: str, params: Sequence) -> list[ItemContext]:
    """Run the item-context query with a WHERE clause; raw rows because there may be 100,000s."""
    cursor = database_proxy.obj.connection().execute(_CONTEXT_SQL + where, list(params))
    return [ItemContext(*row) for row in cursor.fetchall()]


def items_to_do(job_id: int, stage: int) -> list[ItemContext]:
    """Return the job's items of `stage` that still need a request."""
    marks = ",".join("?" * len(TO_DO))
    return _contexts(f"WHERE i.job_id = ? AND i.stage = ? AND i.status IN ({marks}) ORDER BY i.id",
                     [job_id, stage, *TO_DO])


def items_by_id(item_ids: Sequence[int]) -> list[ItemContext]:
    """Return the request context of the given items."""
    contexts = []
    for part in chunked(list(item_ids), 1):
        contexts.extend(_contexts(f"WHERE i.id IN ({','.join('?' * len(part))})", part))
    return contexts


def items_in_batch(batch_id: int) -> list[ItemContext]:
    """Return the items a batch still owes a result."""
    return _contexts("WHERE i.batch_id = ? AND i.status = 'submitted'", [batch_id])


def unfinished_batches(job_id: int) -> list[RemoteBatch]:
    """Return the job's batches whose results are not merged yet."""
    return list(RemoteBatch.select().where(
        (RemoteBatch.job == job_id) & (RemoteBatch.step.not_in(["merged", "abandoned"]))))


def queue_ended_jobs_with_items_to_do() -> list[int]:
    """Queue again every completed or cancelled job that has items to do outside a batch.

    A job that failed with an error is left for the user to resume, so that
    the error does not come back at every start.

    Items of unmerged batches do not count: a cancelled job's batches are
    merged apart (see `sent_batches_of_cancelled_jobs`).

    Returns:
        The ids of the jobs queued.
    """
    to_do = (JobItem.select(JobItem.job).where(JobItem.status.in_(TO_DO) & JobItem.batch.is_null()))
    with database_proxy.atomic():
        ids = [row[0] for row in Job.select(Job.id).where(
            Job.status.in_(["completed", "cancelled"]) & Job.id.in_(to_do)).tuples()]
        if ids:
            Job.update(status="queued", finished_at=None).where(Job.id.in_(ids)).execute()
    return ids


def sent_batches_of_cancelled_jobs(job_id: int | None = None) -> list[RemoteBatch]:
    """Return the batches of cancelled jobs that were created at OpenAI and are not merged yet.

    Args:
        job_id: Only this job's batches, or None for every cancelled job's.
    """
    condition = (Job.status == "cancelled") & RemoteBatch.remote_id.is_null(False) & RemoteBatch.step.not_in(
        ["merged", "abandoned"])
    if job_id is not None:
        condition &= RemoteBatch.job == job_id
    return list(RemoteBatch.select().join(Job).where(condition).order_by(RemoteBatch.id))


def status_counts(job_id: int) -> dict[str, int]:
    """Count the job's items by status."""
    query = JobItem.select(JobItem.status, peewee.fn.COUNT(JobItem.id).alias("n")).where(
        JobItem.job == job_id).group_by(JobItem.status)
    return {row.status: row.n for row in query}


def give_up_retrying(job_id: int, stage: int) -> None:
    """Turn items still retrying after the last round into failures."""
    JobItem.update(status="failed", attempts=JobItem.attempts + 1, updated_at=now()).where(
        (JobItem.job == job_id) & (JobItem.stage == stage) & (JobItem.status.in_(TO_DO))).execute()


def fail_unfinished(job_id: int, code: str, message: str, *, except_sent: bool = False) -> list[int]:
    """Fail every item of the job that has no outcome yet, so that it can be retried later.

    With `except_sent`, the items of batches created at OpenAI and not merged
    yet are left as they are, so that the finished part of their batch can
    still be merged.
    """
    condition = (JobItem.job == job_id) & JobItem.status.in_(
        ("pending", "retrying", "waiting", "submitted", "running"))
    if except_sent:
        sent = RemoteBatch.select(RemoteBatch.id).where(
            (RemoteBatch.job == job_id) & RemoteBatch.remote_id.is_null(False)
            & RemoteBatch.step.not_in(["merged", "abandoned"]))
        condition &= JobItem.batch.is_null() | JobItem.batch.not_in(sent)

    with database_proxy.atomic():
        ids = [row[0] for row in JobItem.select(JobItem.id).where(condition).tuples()]
        for part in chunked(ids, 1):
            JobItem.update(status="failed", outcome_code=code, outcome_message=message, batch=None,
                           updated_at=now()).where(JobItem.id.in_(part)).execute()
    return ids


def reset_for_retry(item_ids: Sequence[int]) -> list[int]:
    """Put failed, refused and truncated items back in the queue, keeping their attempt count.

    A succeeded item would cost a request for a result already stored, and
    an item that is pending, submitted or running is already on its way, so
    both are left alone.

    Returns:
        The ids of the items put back, in the given order.
    """
    reset: set[int] = set()
    for part in chunked(list(item_ids), 1):
        with database_proxy.atomic():
            ids = [row[0] for row in JobItem.select(JobItem.id).where(
                JobItem.id.in_(part) & JobItem.status.in_(RETRYABLE_STATUSES)).tuples()]
            JobItem.update(status="pending", batch=None, updated_at=now()).where(JobItem.id.in_(ids)).execute()
        reset.update(ids)
    return [item_id for item_id in item_ids if item_id in reset]


def claim_job(job_id: int, owner: str) -> bool:
    """Make `owner` the process running the job, unless a live process runs it.

    Returns:
        True when the claim succeeded.
    """
    stale = now() - STALE_OWNER_SECONDS
    with database_proxy.atomic("IMMEDIATE"):
        current = Job.get_by_id(job_id).owner
        if current and _is_dead_local_process(current):
            current_is_dead = Job.owner == current
        else:
            current_is_dead = Job.heartbeat_at < stale
        claimed = Job.update(owner=owner, heartbeat_at=now()).where(
            (Job.id == job_id) & (Job.owner.is_null() | (Job.owner == owner) | current_is_dead)
        ).execute()
    return bool(claimed)


def _is_dead_local_process(owner: str) -> bool:
    """Tell whether `owner` names a process on this host that no longer exists.

    Owners on other hosts (a database on a shared folder) can only be
    judged by their heartbeat.
    """
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def heartbeat(job_id: int, owner: str) -> None:
    Job.update(heartbeat_at=now()).where((Job.id == job_id) & (Job.owner == owner)).execute()


def release_job(job_id: int, owner: str) -> None:
    Job.update(owner=None, heartbeat_at=None).where((Job.id == job_id) & (Job.owner == owner)).execute()


def update_job(job_id: int, **fields) -> None:
    Job.update(**fields).where(Job.id == job_id).execute()
