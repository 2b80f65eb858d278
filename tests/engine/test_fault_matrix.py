"""Every way a batch or a request can end, one case per row, against the simulator."""

import asyncio
import json

import pytest

from floridify_gui.connector.batch_files import ParsedResults, parse_result_file
from floridify_gui.connector.pacing import RateLimitPacer, parse_reset
from floridify_gui.engine import jobs, report
from floridify_gui.events import BatchChanged, ItemsChanged
from floridify_gui.storage import CachedResponse, JobItem
from tests.engine.conftest import import_text

WORDS = "\n".join(f"item{n}" for n in range(12)) + "\n"


async def _run(engine, mode="batch", words=WORDS):
    word_ids = await import_text(engine, words)
    job_id = await engine.create_job("matrix", word_ids, ["etymology"], mode)
    await engine.run_job(job_id)
    status = await engine.worker.run(report.job_status, job_id)
    items = await engine.worker.run(lambda: list(JobItem.select().order_by(JobItem.id)))
    return status, items


def test_error_file_lines_fail_their_items(make_engine, simulator):
    simulator.configure(error_rate=0.3)

    status, items = make_engine(_run)

    failed = [item for item in items if item.status == "failed"]
    assert failed
    assert {item.outcome_code for item in failed} == {"server_error"}
    assert status["items"]["succeeded"] == 12 - len(failed)


def test_batch_without_output_file_fails_every_item(make_engine, simulator):
    simulator.configure(error_rate=1.0)

    status, items = make_engine(_run)

    assert status["items"]["failed"] == 12
    assert status["batches"][0]["status"] == "completed"
    assert all(item.attempts == 1 for item in items)


def test_cancelled_batch_keeps_results_and_requeues_rest(make_engine, simulator):
    simulator.configure(cancel_after_fraction=0.5)

    async def body(engine):
        engine.events.subscribe(lambda e: simulator.configure(cancel_after_fraction=None)
                                if isinstance(e, BatchChanged) else None)
        return await _run(engine)

    status, items = make_engine(body)

    assert status["batches"][0]["status"] == "cancelled"
    assert status["items"]["succeeded"] == 12
    assert max(item.attempts for item in items) == 1


def test_validation_failure_maps_line_to_item(make_engine, simulator):
    simulator.configure(fail_batches_with="duplicate_custom_id")

    status, items = make_engine(_run)

    messages = [item.outcome_message for item in items]
    assert status["items"]["failed"] == 12
    assert sum("(input line 2)" in message for message in messages) == 1
    assert sum(message.startswith("The batch failed validation") for message in messages) == 11
    assert status["batches"][0]["status"] == "failed"


def test_chat_rate_limit_is_retried_by_sdk(make_engine, simulator):
    simulator.configure(chat_429_count=2)

    status, _ = make_engine(lambda engine: _run(engine, "immediate", "ocean\n"), max_retries=3)

    assert status["items"]["succeeded"] == 1


def test_chat_server_errors_are_retried(make_engine, simulator):
    simulator.configure(chat_500_count=1)

    status, _ = make_engine(lambda engine: _run(engine, "immediate", "ocean\n"), max_retries=2)

    assert status["items"]["succeeded"] == 1


def test_persistent_server_errors_end_failed_after_rounds(make_engine, simulator):
    simulator.configure(chat_500_count=1000)

    status, items = make_engine(lambda engine: _run(engine, "immediate", "ocean\n"), max_retries=0)

    assert status["items"]["failed"] == 1
    assert items[0].outcome_code == "http_500"
    assert status["requests_sent"] == 0


@pytest.mark.allow_warnings
def test_failed_polls_do_not_fail_the_batch(make_engine, simulator, caplog):
    simulator.configure(poll_html_count=2, poll_500_count=2, poll_429_count=1)

    status, _ = make_engine(_run, max_retries=0)

    assert status["items"]["succeeded"] == 12
    assert "Failed to poll batch" in caplog.text
    assert "HTML error page" in caplog.text


@pytest.mark.allow_warnings
def test_unknown_custom_ids_are_reported_not_matched():
    line = {"custom_id": "stranger", "response": {"status_code": 200, "body": {"choices": []}}, "error": None}
    data = (json.dumps(line) + "\n" + "not json\n").encode()
    results = ParsedResults()

    parse_result_file(data, {"known": "etymology"}, results)

    assert results.unknown_ids == ["stranger"]
    assert results.outcomes == {}
    assert results.malformed_lines == 1


def test_result_lines_may_span_chunks():
    body = {"error": {"code": "invalid_request_error", "message": "Bad schema"}}
    lines = [{"custom_id": f"item{n}", "response": {"status_code": 400, "body": body}, "error": None}
             for n in range(3)]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    chunks = [data[:7], data[7:100], data[100:101], data[101:]]
    whole, chunked = ParsedResults(), ParsedResults()

    parse_result_file(data, {f"item{n}": "etymology" for n in range(3)}, whole)
    parse_result_file(chunks, {f"item{n}": "etymology" for n in range(3)}, chunked)

    assert sorted(chunked.outcomes) == ["item0", "item1", "item2"]
    assert chunked.outcomes == whole.outcomes
    assert chunked.malformed_lines == 0


def test_non_200_line_is_a_failure():
    body = {"error": {"code": "invalid_request_error", "message": "Bad schema"}}
    line = {"custom_id": "known", "response": {"status_code": 400, "body": body}, "error": None}
    results = ParsedResults()

    parse_result_file((json.dumps(line) + "\n").encode(), {"known": "etymology"}, results)

    assert results.outcomes["known"].status == "failed"
    assert results.outcomes["known"].code == "invalid_request_error"


@pytest.mark.parametrize("text, seconds", [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1m30.5s", 90.5), ("", 0.0)])
def test_reset_durations_parse(text, seconds):
    assert parse_reset(text) == pytest.approx(seconds)


def test_pacer_waits_when_limit_nearly_spent():
    pacer = RateLimitPacer()

    pacer.update({"x-ratelimit-limit-requests": "100", "x-ratelimit-remaining-requests": "1",
                  "x-ratelimit-reset-requests": "2s"})

    assert pacer._resume_at > 0


@pytest.mark.allow_warnings
def test_batch_unknown_to_endpoint_is_sent_again(make_engine, simulator, caplog):
    from floridify_gui.engine import AbortFlag
    from floridify_gui.simulator import Simulator, SimulatorConfig

    async def body(engine):
        word_ids = await import_text(engine, WORDS)
        job_id = await engine.create_job("lost", word_ids, ["etymology"], "batch")
        abort = AbortFlag()
        engine.events.subscribe(lambda e: abort.set() if isinstance(e, BatchChanged) else None)
        await engine.run_job(job_id, abort)

        # A restarted demo simulator: same app, new endpoint without the batch.
        with Simulator(SimulatorConfig(batch_duration=0.1)) as fresh:
            engine.settings.base_url = fresh.base_url
            await engine.client.close()
            engine._client = None
            await engine.run_job(job_id)
            batches = fresh.stats()["batches_created"]
        return await engine.worker.run(report.job_status, job_id), batches

    status, batches = make_engine(body)

    assert status["items"]["succeeded"] == 12
    assert status["batches"][0]["step"] == "abandoned"
    assert batches == 1
    assert "does not know batch" in caplog.text


def test_cancelled_job_fails_unfinished_items(make_engine, simulator):
    simulator.configure(batch_duration=30)
    from floridify_gui.engine import AbortFlag

    async def body(engine):
        word_ids = await import_text(engine, WORDS)
        job_id = await engine.create_job("cancel", word_ids, ["etymology"], "batch")
        abort = AbortFlag()
        engine.events.subscribe(lambda e: abort.set() if isinstance(e, BatchChanged) else None)
        await engine.run_job(job_id, abort)
        await engine.cancel_job(job_id)
        waiting = await engine.worker.run(report.job_status, job_id)
        merged = await engine.merge_cancelled_batches(job_id)
        return waiting, merged, await engine.worker.run(report.job_status, job_id), await engine.worker.run(
            lambda: {i.outcome_code for i in JobItem.select()})

    waiting, merged, status, codes = make_engine(body)

    assert waiting["items"]["pending"] == 12
    assert merged == 1
    assert status["status"] == "cancelled"
    assert status["items"]["failed"] == 12
    assert codes == {"cancelled"}
    assert status["batches"][0]["status"] == "cancelled"


def test_stopped_run_stays_runnable(make_engine):
    from floridify_gui.engine import AbortFlag

    async def body(engine):
        word_ids = await import_text(engine, WORDS)
        job_id = await engine.create_job("stopped", word_ids, ["definitions", "synonyms"], "batch")
        # A shutdown right after the definitions: nothing is left to do, but the senses they
        # drafted still need their synonyms.
        abort = AbortFlag()
        engine.events.subscribe(lambda e: abort.set() if isinstance(e, ItemsChanged) else None)
        await engine.run_job(job_id, abort)
        stopped = await engine.worker.run(report.job_status, job_id)
        await engine.run_job(job_id)
        return stopped, await engine.worker.run(report.job_status, job_id)

    stopped, finished = make_engine(body)

    assert stopped["status"] == "waiting"
    assert finished["status"] == "completed"
    assert finished["items"]["succeeded"] == finished["items"]["total"]
    assert finished["items"]["total"] > 12


def test_interrupted_retry_is_queued_again(make_engine, simulator):
    simulator.configure(error_rate=1.0)

    async def body(engine):
        status, items = await _run(engine, mode="immediate")
        simulator.configure(error_rate=0.0)
        # As if a retry had put the items back to pending and the process had stopped then.
        await engine.worker.run(jobs.reset_for_retry, [item.id for item in items])
        resumed = await engine.resume_unfinished()
        return status, resumed, await engine.worker.run(report.job_status, status["job"])

    first, resumed, final = make_engine(body)

    assert first["items"]["failed"] == 12
    assert resumed == [first["job"]]
    assert final["status"] == "completed"
    assert final["items"]["succeeded"] == 12


async def _cancel_half_way(engine) -> int:
    """Create a batch job, stop its run once the batch exists and cancel the job half way; return its id.

    The simulator's batches must take 4 s (batch_duration=4.0).
    """
    from floridify_gui.engine import AbortFlag

    word_ids = await import_text(engine, WORDS)
    job_id = await engine.create_job("cancel", word_ids, ["etymology"], "batch")
    abort = AbortFlag()
    engine.events.subscribe(lambda e: abort.set() if isinstance(e, BatchChanged) else None)
    await engine.run_job(job_id, abort)
    await asyncio.sleep(2.0)  # about half of the simulated batch is processed by then
    await engine.cancel_job(job_id)
    return job_id


def test_cancelled_batch_is_merged_once(make_engine, simulator):
    simulator.configure(batch_duration=4.0)

    async def body(engine):
        job_id = await _cancel_half_way(engine)
        await asyncio.gather(engine.merge_cancelled_batches(job_id), engine.merge_cancelled_batches(job_id))
        return await engine.worker.run(report.job_status, job_id)

    status = make_engine(body)

    assert 0 < status["items"]["succeeded"] < 12
    assert status["items"]["succeeded"] + status["items"]["failed"] == 12
    assert status["requests_sent"] == status["items"]["succeeded"]


def test_cancel_leaves_completed_job_alone(make_engine):
    async def body(engine):
        status, _items = await _run(engine)
        job_id = status["job"]
        cancelled = await engine.cancel_job(job_id)
        return cancelled, await engine.worker.run(report.job_status, job_id)

    cancelled, status = make_engine(body)

    assert cancelled is False
    assert status["status"] == "completed"
    assert status["items"]["succeeded"] == 12


def test_cancelled_job_keeps_finished_batch_results(make_engine, simulator):
    simulator.configure(batch_duration=4.0)

    async def body(engine):
        job_id = await _cancel_half_way(engine)
        await engine.merge_cancelled_batches()
        return await engine.worker.run(report.job_status, job_id), await engine.worker.run(
            lambda: CachedResponse.select().count())

    status, cached = make_engine(body)

    assert status["status"] == "cancelled"
    assert 0 < status["items"]["succeeded"] < 12
    assert status["items"]["succeeded"] + status["items"]["failed"] == 12
    assert cached == status["items"]["succeeded"]
    assert simulator.stats()["batches_created"] == 1
    assert simulator.stats()["duplicate_requests"] == 0
