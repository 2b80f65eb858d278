"""The engine end to end against the simulator: both modes, cache, faults and retries."""

import json

import pytest

from floridify_gui.engine import jobs, report
from floridify_gui.events import Notice
from floridify_gui.storage import CachedResponse, EntryValue, JobItem, RemoteBatch, Sense
from tests.engine.conftest import SENSES_CSV, import_text

COMPONENTS = ["synonyms", "examples", "etymology"]


async def _run(engine, text, components=COMPONENTS, mode="immediate", **options):
    word_ids = await import_text(engine, text)
    job_id = await engine.create_job("test", word_ids, components, mode, **options)
    await engine.run_job(job_id)
    return job_id, await engine.worker.run(report.job_status, job_id)


@pytest.mark.parametrize("mode", ["immediate", "batch"])
def test_job_succeeds_in_both_modes(make_engine, mode):
    _, status = make_engine(lambda engine: _run(engine, SENSES_CSV, mode=mode))

    assert status["status"] == "completed"
    assert status["items"]["total"] == 4 * 2 + 3  # 4 senses x 2 sense components + 3 words
    assert status["items"]["succeeded"] == status["items"]["total"]
    assert status["requests_sent"] == status["items"]["total"]


def test_batch_mode_creates_one_batch_per_file(make_engine, simulator):
    _, status = make_engine(lambda engine: _run(engine, SENSES_CSV, mode="batch"))

    assert len(status["batches"]) == 1
    assert simulator.stats()["batches_created"] == 1
    assert simulator.stats()["duplicate_requests"] == 0


def test_results_are_applied_to_the_entry(make_engine):
    async def body(engine):
        await _run(engine, SENSES_CSV)
        return await engine.worker.run(lambda: [(v.scope, v.component, json.loads(v.value))
                                                for v in EntryValue.select()])

    values = make_engine(body)

    examples = [value for scope, component, value in values if component == "examples"]
    assert len(values) == 11
    assert all("bright" in sentence or "run" in sentence or "quiet" in sentence
               for value in examples for sentence in value["examples"])


def test_second_run_sends_no_request(make_engine, simulator):
    async def body(engine):
        await _run(engine, SENSES_CSV, mode="batch")
        calls_before = simulator.stats()["requests_total"]
        _, second = await _run(engine, SENSES_CSV, mode="batch")
        return calls_before, second

    calls_before, second = make_engine(body)

    assert second["requests_sent"] == 0
    assert second["cache_hits"] == second["items"]["total"]
    assert simulator.stats()["requests_total"] == calls_before
    assert second["items"]["succeeded"] == second["items"]["total"]


def test_force_refresh_sends_again_and_rewrites_cache(make_engine, simulator):
    async def body(engine):
        await _run(engine, SENSES_CSV)
        _, second = await _run(engine, SENSES_CSV, force_refresh=True)
        cached = await engine.worker.run(CachedResponse.select().count)
        return second, cached

    second, cached = make_engine(body)

    assert second["requests_sent"] == second["items"]["total"]
    assert cached == second["items"]["total"]


def test_identical_requests_in_a_job_are_sent_once(make_engine, simulator):
    async def body(engine):
        word_ids = await import_text(engine, "ocean\n")
        job_id = await engine.create_job("twice", word_ids * 2, ["etymology"], "batch")
        await engine.run_job(job_id)
        return await engine.worker.run(report.job_status, job_id)

    status = make_engine(body)

    assert status["items"]["total"] == 2
    assert status["items"]["succeeded"] == 2
    assert simulator.stats()["requests_total"] == 1


def test_words_without_senses_get_definitions_first(make_engine):
    async def body(engine):
        job_id, status = await _run(engine, "harbour\nlantern\n", ["synonyms"], mode="batch")
        senses = await engine.worker.run(lambda: list(Sense.select().where(Sense.source == "definitions")))
        return status, senses

    status, senses = make_engine(body)

    assert len(senses) >= 2
    assert status["items"]["total"] == 2 + len(senses)
    assert status["items"]["succeeded"] == status["items"]["total"]


def test_imported_senses_skip_the_definitions_stage(make_engine):
    async def body(engine):
        job_id, _ = await _run(engine, SENSES_CSV, ["synonyms"])
        return await engine.worker.run(
            lambda: JobItem.select().where((JobItem.job == job_id) & (JobItem.component == "definitions")).count())

    assert make_engine(body) == 0


@pytest.mark.parametrize("mode", ["immediate", "batch"])
def test_faults_end_with_right_outcomes_and_retry_fixes_them(make_engine, simulator, mode):
    words = "\n".join(f"word{n}" for n in range(60)) + "\n"
    simulator.configure(error_rate=0.08, refusal_rate=0.08, truncation_rate=0.08, invalid_json_rate=0.05)

    async def body(engine):
        job_id, first = await _run(engine, words, ["etymology"], mode=mode)
        codes = await engine.worker.run(lambda: {(i.status, i.outcome_code) for i in JobItem.select()})
        simulator.configure(error_rate=0, refusal_rate=0, truncation_rate=0, invalid_json_rate=0)
        failed = await engine.worker.run(lambda: [i.id for i in JobItem.select().where(JobItem.status != "succeeded")])
        await engine.retry_items(failed, immediate=True)
        second = await engine.worker.run(report.job_status, job_id)
        budgets = await engine.worker.run(
            lambda: [i.max_tokens for i in JobItem.select().where(JobItem.outcome_code == "length")])
        return first, codes, second, budgets

    first, codes, second, budgets = make_engine(body)

    assert first["items"]["failed"] > 0
    assert first["items"]["refused"] > 0
    assert first["items"]["truncated"] > 0
    assert ("failed", "invalid_json") in codes
    assert ("refused", "refusal") in codes
    assert first["items"]["succeeded"] + first["items"]["failed"] + first["items"]["refused"] \
        + first["items"]["truncated"] == 60
    assert second["items"]["succeeded"] == 60
    assert second["status"] == "completed"


def test_truncated_item_is_retried_with_larger_budget(make_engine, simulator):
    simulator.configure(truncation_rate=1.0)

    async def body(engine):
        await _run(engine, "ocean\n", ["etymology"])
        item = await engine.worker.run(lambda: JobItem.get())
        simulator.configure(truncation_rate=0)
        await engine.retry_items([item.id])
        return item, await engine.worker.run(lambda: JobItem.get())

    truncated, retried = make_engine(body)

    assert truncated.status == "truncated"
    assert truncated.max_tokens == 1200
    assert retried.status == "succeeded"
    assert retried.attempts == 2


def test_retry_leaves_items_in_flight_alone(make_engine, simulator):
    async def body(engine):
        await _run(engine, "ocean\n", ["etymology"])
        item = await engine.worker.run(lambda: JobItem.get())
        # As if the item were in a batch that is still running.
        await engine.worker.run(lambda: JobItem.update(status="submitted").execute())
        requests_before = simulator.stats()["requests_total"]
        await engine.retry_items([item.id])
        return await engine.worker.run(lambda: JobItem.get()), requests_before

    after_retry, requests_before = make_engine(body)

    assert after_retry.status == "submitted"
    assert simulator.stats()["requests_total"] == requests_before


def test_expired_batch_keeps_results_and_requeues_the_rest(make_engine, simulator):
    simulator.configure(expire_after_fraction=0.5)
    words = "\n".join(f"word{n}" for n in range(20)) + "\n"

    async def body(engine):
        word_ids = await import_text(engine, words)
        job_id = await engine.create_job("expiring", word_ids, ["etymology"], "batch")
        engine.events.subscribe(lambda e: simulator.configure(expire_after_fraction=None)
                                if simulator.stats()["batches_created"] >= 1 else None)
        await engine.run_job(job_id)
        items = await engine.worker.run(lambda: list(JobItem.select()))
        return await engine.worker.run(report.job_status, job_id), items

    status, items = make_engine(body)

    assert status["items"]["succeeded"] == 20
    assert len(status["batches"]) == 2
    assert status["batches"][0]["status"] == "expired"
    assert max(item.attempts for item in items) == 1


def test_failed_batch_fails_only_its_items(make_engine, simulator):
    simulator.configure(fail_batches_with="invalid_request")

    _, status = make_engine(lambda engine: _run(engine, SENSES_CSV, ["etymology"], mode="batch"))

    assert status["items"]["failed"] == 3
    assert status["batches"][0]["status"] == "failed"


def test_token_limit_requeues_without_spending_attempts(make_engine, simulator):
    simulator.configure(enqueued_token_limit=400)
    words = "\n".join(f"word{n}" for n in range(6)) + "\n"

    async def body(engine):
        _, status = await _run(engine, words, ["etymology"], mode="batch")
        attempts = await engine.worker.run(lambda: [i.attempts for i in JobItem.select()])
        return status, attempts

    status, attempts = make_engine(body)

    assert status["items"]["succeeded"] == 6
    assert status["batches"][0]["status"] == "failed"
    assert set(attempts) == {1}


def test_endpoint_without_batches_falls_back_to_immediate(make_engine, simulator):
    simulator.configure(batches_supported=False)
    notices = []

    async def body(engine):
        engine.events.subscribe(lambda e: notices.append(e) if isinstance(e, Notice) else None)
        return await _run(engine, SENSES_CSV, ["etymology"], mode="batch")

    _, status = make_engine(body)

    assert status["items"]["succeeded"] == 3
    assert status["fell_back_to_immediate"] is True
    assert any("immediately" in notice.text for notice in notices)


def test_resumed_job_adopts_its_batch(make_engine, simulator):
    from floridify_gui.engine import AbortFlag
    from floridify_gui.events import BatchChanged

    async def body(engine):
        word_ids = await import_text(engine, SENSES_CSV)
        job_id = await engine.create_job("resume", word_ids, ["etymology"], "batch")
        abort = AbortFlag()
        engine.events.subscribe(lambda e: abort.set() if isinstance(e, BatchChanged) else None)
        await engine.run_job(job_id, abort)
        waiting = await engine.worker.run(report.job_status, job_id)
        await engine.run_job(job_id)
        return waiting, await engine.worker.run(report.job_status, job_id)

    waiting, done = make_engine(body)

    assert waiting["status"] == "waiting"
    assert waiting["items"]["pending"] == 3
    assert done["items"]["succeeded"] == 3
    assert simulator.stats()["batches_created"] == 1
    assert simulator.stats()["duplicate_requests"] == 0


def test_crash_after_intent_adopts_created_batch(make_engine, simulator):
    """A process that died after creating the batch but before recording its id."""
    async def body(engine):
        word_ids = await import_text(engine, SENSES_CSV)
        job_id = await engine.create_job("crash", word_ids, ["etymology"], "batch")
        connector = engine.connector(job_id, batch_mode=True)
        items = await engine.worker.run(jobs.items_to_do, job_id, 1)
        from floridify_gui.engine.pipeline import pairs_for_items
        await connector.request_many(pairs_for_items(items, "gpt-4o-mini"))
        [batch_file] = __import__("floridify_gui.connector.batch_files", fromlist=["x"]).split_into_files(
            connector.batch_accumulator.drain())
        batch_id = await connector._record_intent(batch_file)
        row = await engine.worker.run(RemoteBatch.get_by_id, batch_id)
        file_id = await connector._upload(batch_id, row.token, batch_file)
        await engine.client.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions",
                                           completion_window="24h", metadata={"floridify_token": row.token})
        await engine.worker.run(lambda: jobs.update_job(job_id, status="running"))
        await engine.resume_unfinished()
        return await engine.worker.run(report.job_status, job_id)

    status = make_engine(body)

    assert status["items"]["succeeded"] == 3
    assert simulator.stats()["batches_created"] == 1
    assert simulator.stats()["files_uploaded"] == 1


def test_estimate_assumes_senses_only_without_senses(make_engine):
    async def body(engine):
        word_ids = await import_text(engine, SENSES_CSV + "harbour,,,\nmeadow,,,\n")
        return await engine.estimate(word_ids, ["definitions", "synonyms"], "batch")

    estimate = make_engine(body)

    # 5 definitions requests, synonyms for the 4 stored senses, 2 assumed senses for each new headword.
    assert estimate.headwords_without_senses == 2
    assert estimate.requests == 5 + 4 + 2 * 2


def test_estimate_assumes_nothing_without_sense_components(make_engine):
    async def body(engine):
        word_ids = await import_text(engine, "harbour\nmeadow\n")
        return await engine.estimate(word_ids, ["etymology"], "immediate")

    estimate = make_engine(body)

    assert estimate.headwords_without_senses == 0
    assert estimate.requests == 2


def test_estimate_counts_cache_hits(make_engine):
    async def body(engine):
        await _run(engine, SENSES_CSV, ["etymology"])
        word_ids = await import_text(engine, SENSES_CSV + "ocean,noun,a large sea,the ocean\n")
        return await engine.estimate(word_ids, ["etymology"], "batch")

    estimate = make_engine(body)

    assert estimate.requests == 1
    assert estimate.cache_hits == 3
    assert estimate.batch_files == 1
    assert estimate.cost_batch == pytest.approx(estimate.cost_immediate / 2)
