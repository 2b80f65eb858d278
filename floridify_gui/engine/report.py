"""Job summaries for `floridify batch status --json`, the CLI and exports.

The status object is read by scripts; its keys are documented in the README
and must stay stable.
"""

import csv
import io
import json
from pathlib import Path

from floridify_gui.engine.jobs import status_counts
from floridify_gui.storage import Job, JobItem, RemoteBatch

ENDED_FAILURES = ("failed", "refused", "truncated")


def job_status(job_id: int) -> dict:
    """Return the documented status object of a job."""
    job = Job.get_by_id(job_id)
    counts = status_counts(job_id)
    total = sum(counts.values())
    ended = {name: counts.get(name, 0) for name in ("succeeded", *ENDED_FAILURES)}
    return {
        "job": job.id,
        "name": job.name,
        "mode": job.mode,
        "model": job.model,
        "status": job.status,
        "stage": job.stage,
        "components": json.loads(job.components),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "fell_back_to_immediate": job.fell_back,
        "message": job.message,
        "items": {"total": total, **ended, "pending": total - sum(ended.values())},
        "batches": [_batch_status(batch) for batch in job.batches.order_by(RemoteBatch.id)],
        "requests_sent": job.requests_sent,
        "cache_hits": job.cache_hits,
        "tokens": {
            "estimated": job.estimated_tokens,
            "prompt": job.prompt_tokens,
            "completion": job.completion_tokens,
            "actual": job.prompt_tokens + job.completion_tokens,
        },
        "cost": {"estimated": round(job.estimated_cost, 6), "actual": round(job.cost, 6), "currency": "USD"},
    }


def _batch_status(batch: RemoteBatch) -> dict:
    return {
        "id": batch.remote_id,
        "status": batch.status,
        "step": batch.step,
        "request_counts": {
            "total": batch.request_count,
            "completed": batch.completed_count,
            "failed": batch.failed_count,
        },
        "merged": batch.merged_count,
        "expires_at": batch.expires_at,
        "message": batch.message,
    }


def latest_job_id() -> int | None:
    job = Job.select(Job.id).order_by(Job.id.desc()).first()
    return job.id if job else None


EXPORT_FIELDS = ["item", "headword", "part_of_speech", "gloss", "component", "status", "outcome_code",
                 "outcome_message", "attempts", "result"]


def export_rows(job_id: int):
    """Yield one dict per item of the job, in item order."""
    query = JobItem.select().where(JobItem.job == job_id).order_by(JobItem.id)
    for item in query.iterator():
        yield {
            "item": item.id, "headword": item.headword, "part_of_speech": item.part_of_speech,
            "gloss": item.gloss, "component": item.component, "status": item.status,
            "outcome_code": item.outcome_code, "outcome_message": item.outcome_message,
            "attempts": item.attempts, "result": json.loads(item.result) if item.result else None,
        }


def write_export(rows, path: Path, file_format: str) -> int:
    """Write rows as JSONL or CSV (UTF-8); return how many were written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        if file_format == "csv":
            writer = csv.DictWriter(handle, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
        for row in rows:
            if file_format == "csv":
                writer.writerow({**row, "result": json.dumps(row["result"], ensure_ascii=False)
                                 if row["result"] is not None else ""})
            else:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def format_summary(status: dict) -> str:
    """Render a status object as a few lines for the terminal."""
    items = status["items"]
    out = io.StringIO()
    out.write(f"Job {status['job']} ({status['name']}): {status['status']}, {status['mode']} mode, "
              f"model {status['model']}\n")
    out.write(f"  items: {items['total']} total, {items['succeeded']} succeeded, {items['failed']} failed, "
              f"{items['refused']} refused, {items['truncated']} truncated, {items['pending']} pending\n")
    out.write(f"  requests sent: {status['requests_sent']}, cache hits: {status['cache_hits']}\n")
    tokens, cost = status["tokens"], status["cost"]
    out.write(f"  tokens: {tokens['actual']} used (estimated {tokens['estimated']}); "
              f"cost: ${cost['actual']:.4f} (estimated ${cost['estimated']:.4f})\n")
    for batch in status["batches"]:
        counts = batch["request_counts"]
        out.write(f"  batch {batch['id'] or '(not created)'}: {batch['status'] or batch['step']}, "
                  f"{counts['completed']}/{counts['total']} completed, {counts['failed']} failed, "
                  f"{batch['merged']} merged\n")
    if status["fell_back_to_immediate"]:
        out.write("  note: the Batch API was unavailable; requests were sent immediately\n")
    return out.getvalue()
