"""Every database write of a running job, as plain synchronous functions.

They run on the DatabaseWorker's thread, each in its own short
transaction, so nothing is held across an await and whatever a function
committed survives a crash that follows it.
"""

import json
import logging
from dataclasses import dataclass
from typing import Iterable, Sequence

from floridify_gui.components import COMPONENTS, store_entry_value
from floridify_gui.connector.requests import FAILED, SUCCEEDED, TRUNCATED, Outcome, StructuredRequest
from floridify_gui.cost import pricing
from floridify_gui.storage import CachedResponse, Job, JobItem, RemoteBatch, chunked, now
from floridify_gui.storage.models import database_proxy

log = logging.getLogger("floridify_gui.connector")

MERGE_CHUNK = 2000


@dataclass(frozen=True)
class Target:
    """Destination of one request's result: a word or sense, and the job item if any."""

    word_id: int
    sense_id: int | None = None
    item_id: int | None = None


@dataclass
class Resolution:
    """One request's outcome with everything waiting for it."""

    request: StructuredRequest
    outcome: Outcome
    targets: Sequence[Target]
    cache_hit: bool = False


def lookup_cache(keys: Sequence[str]) -> dict[str, CachedResponse]:
    """Return the cached responses among `keys`."""
    found: dict[str, CachedResponse] = {}
    for chunk in chunked(list(keys), 1):
        for row in CachedResponse.select().where(CachedResponse.key.in_(chunk)):
            found[row.key] = row
    return found


def store_resolutions(resolutions: Sequence[Resolution], *, job_id: int | None, batch_id: int | None,
                      batch: bool) -> list[int]:
    """Write outcomes to the cache, their items, the entries and the job's totals.

    Each chunk of MERGE_CHUNK resolutions is one transaction, so the cache
    and the items it serves never disagree. Writing the same resolutions
    twice changes nothing but `updated_at`.

    Returns:
        The ids of the items that changed.
    """
    changed: list[int] = []
    for start in range(0, len(resolutions), MERGE_CHUNK):
        chunk = resolutions[start : start + MERGE_CHUNK]
        with database_proxy.atomic():
            changed.extend(_store_chunk(chunk, job_id=job_id, batch_id=batch_id, batch=batch))
    return changed


def _store_chunk(chunk: Sequence[Resolution], *, job_id, batch_id, batch: bool) -> list[int]:
    _write_cache([r for r in chunk if r.outcome.succeeded and not r.cache_hit])
    _apply_to_entries([r for r in chunk if r.outcome.succeeded])
    changed = _update_items(chunk, batch_id)

    if job_id is not None:
        _add_job_totals(job_id, chunk, batch=batch)
    if batch_id is not None:
        RemoteBatch.update(merged_count=RemoteBatch.merged_count + len(chunk), updated_at=now()).where(
            RemoteBatch.id == batch_id
        ).execute()
    return changed


def _write_cache(resolutions: Sequence[Resolution]) -> None:
    rows = [
        (r.request.key, r.request.model, r.request.component, r.outcome.content,
         r.outcome.prompt_tokens, r.outcome.completion_tokens, now())
        for r in resolutions
    ]
    if rows:
        database_proxy.obj.connection().executemany(
            "INSERT OR REPLACE INTO cached_response (key, model, component, content, prompt_tokens, "
            "completion_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


_UPSERT_ENTRY_VALUE = (
    "INSERT INTO entry_value (word_id, sense_id, scope, component, value, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, component) "
    "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)


def _apply_to_entries(resolutions: Sequence[Resolution]) -> None:
    """Apply results to their entries: one executemany for plain values, the rest one by one.

    Building one peewee query per value cost far more than SQLite's work
    on 50,000-item batches, hence the raw statement for the common case.
    """
    rows = []
    stamp = now()
    for resolution in resolutions:
        component = COMPONENTS[resolution.request.component]
        for target in resolution.targets:
            if component.apply is not store_entry_value:
                component.apply(target.word_id, target.sense_id, resolution.outcome.parsed)
                continue
            scope = f"sense:{target.sense_id}" if target.sense_id is not None else f"word:{target.word_id}"
            rows.append((target.word_id, target.sense_id, scope, component.name,
                         resolution.outcome.content, stamp))
    if rows:
        database_proxy.obj.connection().executemany(_UPSERT_ENTRY_VALUE, rows)


_UPDATE_ITEM = (
    "UPDATE job_item SET status = ?, outcome_code = ?, outcome_message = ?, request_key = ?, "
    "cache_hit = ?, updated_at = ?, result = ?, attempts = attempts + ?, "
    "batch_id = CASE WHEN ? THEN NULL ELSE batch_id END, max_tokens = COALESCE(?, max_tokens) "
    "WHERE id = ? AND status != 'succeeded'"
)
_IN_THIS_BATCH = " AND (batch_id = ? OR batch_id IS NULL)"


def _update_items(chunk: Sequence[Resolution], batch_id: int | None) -> list[int]:
    """Record each outcome on its items; return the ids of the items addressed.

    An item that already succeeded keeps its result, and an item that has
    moved to another batch is left alone: a batch merged twice, or merged
    after the user retried the item immediately, changes nothing. The ids
    returned may include such unchanged items; they only cause a repaint.
    """
    by_item = {t.item_id: r for r in chunk for t in r.targets if t.item_id is not None}
    rows = [_item_row(item_id, resolution) for item_id, resolution in by_item.items()]
    if batch_id is not None:
        sql, rows = _UPDATE_ITEM + _IN_THIS_BATCH, [row + (batch_id,) for row in rows]
    else:
        sql = _UPDATE_ITEM
    if rows:
        database_proxy.obj.connection().executemany(sql, rows)
    return list(by_item)


def _item_row(item_id: int, resolution: Resolution) -> tuple:
    outcome = resolution.outcome
    if outcome.transient:
        # A rate limit, an expired batch or a cancelled batch is nobody's
        # fault: the item goes out again without spending an attempt.
        status, result, attempts, release = "retrying", None, 0, True
    else:
        status, release = outcome.status, False
        result = outcome.content if outcome.succeeded else None
        attempts = 0 if resolution.cache_hit else 1
    budget = _larger_budget(resolution.request) if outcome.status == TRUNCATED else None
    return (status, outcome.code, outcome.message, resolution.request.key, resolution.cache_hit, now(),
            result, attempts, release, budget, item_id)


def _larger_budget(request: StructuredRequest) -> int:
    """Double the output budget of a truncated item so its retry is not sent unchanged."""
    budget = request.body.get("max_completion_tokens") or COMPONENTS[request.component].max_tokens
    return budget * 2


def _add_job_totals(job_id: int, chunk: Sequence[Resolution], *, batch: bool) -> None:
    sent = [r for r in chunk if not r.cache_hit and not r.outcome.transient]
    hits = sum(len(r.targets) for r in chunk if r.cache_hit)
    prompt = sum(r.outcome.prompt_tokens for r in sent)
    completion = sum(r.outcome.completion_tokens for r in sent)
    cost = sum(
        pricing().cost(r.request.model, r.outcome.prompt_tokens, r.outcome.completion_tokens, batch=batch)
        for r in sent
    )
    Job.update(
        requests_sent=Job.requests_sent + len(sent),
        cache_hits=Job.cache_hits + hits,
        prompt_tokens=Job.prompt_tokens + prompt,
        completion_tokens=Job.completion_tokens + completion,
        cost=Job.cost + cost,
    ).where(Job.id == job_id).execute()


def mark_items(item_ids: Iterable[int], status: str, **fields) -> None:
    """Set the status (and other fields) of many items."""
    ids = list(item_ids)
    for part in chunked(ids, 1):
        JobItem.update(status=status, updated_at=now(), **fields).where(JobItem.id.in_(part)).execute()


def record_intent(job_id: int | None, model: str, token: str, item_ids: Sequence[int],
                  request_count: int, estimated_tokens: int) -> int:
    """Record, before anything is uploaded, that a batch is about to be submitted.

    The items are tied to the batch in the same transaction, so after a
    crash they are found through it and not sent a second time.
    """
    with database_proxy.atomic():
        batch = RemoteBatch.create(
            job=job_id, token=token, model=model, step="intent",
            request_count=request_count, estimated_tokens=estimated_tokens,
        )
        stamp = now()
        connection = database_proxy.obj.connection()
        for part in chunked(list(item_ids), 1):
            connection.execute(
                "UPDATE job_item SET status = 'submitted', batch_id = ?, updated_at = ? "
                f"WHERE id IN ({','.join('?' * len(part))})", [batch.id, stamp, *part])
    log.debug("Recorded intent for batch %s (%s requests)", token, request_count)
    return batch.id


def update_batch(batch_id: int, fields: dict) -> None:
    """Record a step or a remote status change of a batch."""
    fields = dict(fields, updated_at=now())
    RemoteBatch.update(**fields).where(RemoteBatch.id == batch_id).execute()


def release_batch(batch_id: int, message: str) -> list[int]:
    """Give a batch that was never created its items back, as pending."""
    with database_proxy.atomic():
        ids = [i.id for i in JobItem.select(JobItem.id).where(
            (JobItem.batch == batch_id) & (JobItem.status == "submitted"))]
        JobItem.update(status="pending", batch=None, updated_at=now()).where(
            (JobItem.batch == batch_id) & (JobItem.status == "submitted")
        ).execute()
        update_batch(batch_id, {"step": "abandoned", "message": message})
    return ids


def fail_batch_items(batch_id: int, code: str, message: str) -> list[int]:
    """Fail every item of a batch still waiting for it (a batch that ended `failed`)."""
    with database_proxy.atomic():
        ids = [i.id for i in JobItem.select(JobItem.id).where(
            (JobItem.batch == batch_id) & (JobItem.status == "submitted"))]
        JobItem.update(
            status=FAILED, outcome_code=code, outcome_message=message,
            attempts=JobItem.attempts + 1, updated_at=now(),
        ).where((JobItem.batch == batch_id) & (JobItem.status == "submitted")).execute()
    return ids


def requeue_batch_items(batch_id: int, code: str, message: str, status: str = "pending") -> list[int]:
    """Send a batch's unanswered items back to the queue without spending an attempt."""
    with database_proxy.atomic():
        ids = [i.id for i in JobItem.select(JobItem.id).where(
            (JobItem.batch == batch_id) & (JobItem.status == "submitted"))]
        JobItem.update(
            status=status, batch=None, outcome_code=code, outcome_message=message, updated_at=now()
        ).where((JobItem.batch == batch_id) & (JobItem.status == "submitted")).execute()
    return ids


def batch_errors_json(errors: list[dict]) -> str:
    return json.dumps(errors, ensure_ascii=False)
