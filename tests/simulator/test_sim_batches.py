"""Batch API over real HTTP with the openai SDK: lifecycle, output files, stops, failures and listing."""

from __future__ import annotations

import json

import openai
import pytest
from sim_helpers import Entry, batch_jsonl, batch_line, read_jsonl, run_batch

from floridify_gui.simulator.batches import BatchStore
from floridify_gui.simulator.config import LiveConfig, SimulatorConfig
from floridify_gui.simulator.files import FileStore
from floridify_gui.simulator.stats import Stats


def test_batch_output_has_every_custom_id(client):
    batch = run_batch(client, batch_jsonl(30))

    output = read_jsonl(client, batch.output_file_id)
    custom_ids = [line["custom_id"] for line in output]
    assert batch.status == "completed"
    assert sorted(custom_ids) == sorted(f"entry-{index}" for index in range(30))
    assert len(set(custom_ids)) == 30
    assert batch.error_file_id is None
    assert batch.request_counts.total == 30
    assert batch.request_counts.completed == 30
    assert batch.request_counts.failed == 0


def test_batch_output_is_shuffled(client):
    batch = run_batch(client, batch_jsonl(30))

    custom_ids = [line["custom_id"] for line in read_jsonl(client, batch.output_file_id)]
    assert custom_ids != [f"entry-{index}" for index in range(30)]


def test_batch_output_keeps_order_without_shuffle(start_simulator):
    simulator = start_simulator(batch_duration=0, shuffle_output=False)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        batch = run_batch(client, batch_jsonl(10))
        custom_ids = [line["custom_id"] for line in read_jsonl(client, batch.output_file_id)]

    assert custom_ids == [f"entry-{index}" for index in range(10)]


def test_batch_output_lines_have_openai_shape(client):
    batch = run_batch(client, batch_jsonl(3))

    for line in read_jsonl(client, batch.output_file_id):
        completion = openai.types.chat.ChatCompletion.model_validate(line["response"]["body"])
        assert line["id"].startswith("batch_req_")
        assert line["error"] is None
        assert line["response"]["status_code"] == 200
        assert line["response"]["request_id"]
        assert completion.choices[0].finish_reason == "stop"


def test_batch_output_content_matches_schema(client):
    batch = run_batch(client, batch_jsonl(5))

    for line in read_jsonl(client, batch.output_file_id):
        content = line["response"]["body"]["choices"][0]["message"]["content"]
        entry = Entry.model_validate_json(content)
        headword = entry.headword
        assert line["custom_id"] == "entry-" + headword.removeprefix("entryword")
        for sense in entry.senses:
            assert all(headword in example for example in sense.examples)


def test_batch_timestamps_and_metadata(client):
    batch = run_batch(client, batch_jsonl(2), metadata={"job": "nightly", "part": "1"})

    assert batch.metadata == {"job": "nightly", "part": "1"}
    assert batch.model == "gpt-4o-mini"
    assert batch.in_progress_at is not None
    assert batch.finalizing_at is not None
    assert batch.completed_at is not None
    assert batch.expires_at == batch.created_at + 24 * 3600
    assert batch.usage.input_tokens > 0
    assert batch.usage.output_tokens > 0


def test_create_returns_validating(client):
    input_file = client.files.create(file=("input.jsonl", batch_jsonl(2)), purpose="batch")

    batch = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")

    assert batch.status == "validating"
    assert batch.output_file_id is None


def test_expired_batch_has_partial_output(start_simulator):
    simulator = start_simulator(batch_duration=0, expire_after_fraction=0.4)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        batch = run_batch(client, batch_jsonl(10))
        output = read_jsonl(client, batch.output_file_id)
        errors = read_jsonl(client, batch.error_file_id)

    assert batch.status == "expired"
    assert batch.expired_at is not None
    assert len(output) == 4
    assert len(errors) == 6
    assert {line["error"]["code"] for line in errors} == {"batch_expired"}
    assert all(line["response"] is None for line in errors)
    assert sorted(line["custom_id"] for line in output + errors) == sorted(f"entry-{i}" for i in range(10))
    assert batch.request_counts.completed == 4
    assert batch.request_counts.failed == 6


def test_cancel_fraction_passes_cancelling(start_simulator):
    simulator = start_simulator(batch_duration=0, cancel_after_fraction=0.5)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(10)), purpose="batch")
        batch = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        first_poll = client.batches.retrieve(batch.id)
        second_poll = client.batches.retrieve(batch.id)
        output = read_jsonl(client, second_poll.output_file_id)
        errors = read_jsonl(client, second_poll.error_file_id)

    assert first_poll.status == "cancelling"
    assert second_poll.status == "cancelled"
    assert second_poll.cancelling_at is not None
    assert second_poll.cancelled_at is not None
    assert len(output) == 5
    assert {line["error"]["code"] for line in errors} == {"batch_cancelled"}
    assert len(errors) == 5


def test_cancel_request_cancels_at_next_poll(start_simulator):
    simulator = start_simulator(batch_duration=3600)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(4)), purpose="batch")
        batch = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        cancelling = client.batches.cancel(batch.id)
        cancelled = client.batches.retrieve(batch.id)
        errors = read_jsonl(client, cancelled.error_file_id)

    assert cancelling.status == "cancelling"
    assert cancelled.status == "cancelled"
    assert cancelled.output_file_id is None
    assert sorted(line["custom_id"] for line in errors) == [f"entry-{i}" for i in range(4)]
    assert {line["error"]["code"] for line in errors} == {"batch_cancelled"}


def test_cancel_of_finished_batch_conflicts(client):
    batch = run_batch(client, batch_jsonl(2))

    with pytest.raises(openai.ConflictError):
        client.batches.cancel(batch.id)


@pytest.mark.parametrize("code", ["duplicate_custom_id", "token_limit_exceeded", "invalid_request"])
def test_forced_batch_failure_reports_errors(start_simulator, code):
    simulator = start_simulator(batch_duration=0, fail_batches_with=code)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        batch = run_batch(client, batch_jsonl(3))

    error = batch.errors.data[0]
    assert batch.status == "failed"
    assert batch.failed_at is not None
    assert batch.output_file_id is None
    assert error.code == code
    assert error.message


def test_forced_duplicate_failure_names_line(start_simulator):
    simulator = start_simulator(batch_duration=0, fail_batches_with="duplicate_custom_id")
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        batch = run_batch(client, batch_jsonl(3))

    assert batch.errors.data[0].line == 2
    assert batch.errors.data[0].param == "custom_id"


def test_token_limit_fails_excess_batch(start_simulator):
    simulator = start_simulator(batch_duration=3600)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        content = batch_jsonl(10)
        input_file = client.files.create(file=("input.jsonl", content), purpose="batch")
        first = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        first_tokens = _batch_prompt_tokens(content)
        simulator.configure(enqueued_token_limit=first_tokens * 2 - 1, batch_duration=0)
        second = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        second = client.batches.retrieve(second.id)
        first = client.batches.retrieve(first.id)

    assert second.status == "failed"
    assert second.errors.data[0].code == "token_limit_exceeded"
    assert first.status == "validating"


def test_token_limit_admits_batch_within_limit(start_simulator):
    content = batch_jsonl(10)
    simulator = start_simulator(batch_duration=0, enqueued_token_limit=_batch_prompt_tokens(content))
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        batch = run_batch(client, content)

    assert batch.status == "completed"


def _batch_prompt_tokens(content: bytes) -> int:
    """Compute the simulator's estimate: characters of each line's message texts / 4, rounded up."""
    total = 0
    for line in content.decode().splitlines():
        messages = json.loads(line)["body"]["messages"]
        characters = sum(len(message["content"]) for message in messages)
        total += -(-characters // 4)
    return total


def test_batch_list_pages_newest_first(client):
    input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
    created = [
        client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h").id
        for _ in range(5)
    ]

    first_page = client.batches.list(limit=2)
    all_ids = [batch.id for batch in client.batches.list(limit=2)]

    assert [batch.id for batch in first_page.data] == created[::-1][:2]
    assert first_page.has_more is True
    assert all_ids == created[::-1]


def test_batch_list_page_fields(client):
    input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
    ids = [
        client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h").id
        for _ in range(3)
    ]

    page = client.batches.with_raw_response.list(limit=2, after=ids[2]).http_response.json()

    assert page["object"] == "list"
    assert page["first_id"] == ids[1]
    assert page["last_id"] == ids[0]
    assert page["has_more"] is False


def test_unknown_batch_is_not_found(client):
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")


@pytest.mark.parametrize(
    ("option", "value"),
    [("endpoint", "/v1/embeddings"), ("completion_window", "1h"), ("metadata", {"k" * 65: "v"})],
)
def test_batch_create_rejects_invalid_parameter(client, option, value):
    input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
    params = {"input_file_id": input_file.id, "endpoint": "/v1/chat/completions", "completion_window": "24h", option: value}

    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/batches", body=params, cast_to=openai.types.Batch)

    assert caught.value.body["param"] == option


def test_batch_create_with_unknown_file_is_not_found(client):
    with pytest.raises(openai.NotFoundError):
        client.batches.create(input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h")


def test_batches_unsupported_answers_404(start_simulator):
    simulator = start_simulator(batch_duration=0, batches_supported=False)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
        with pytest.raises(openai.NotFoundError):
            client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        with pytest.raises(openai.NotFoundError):
            client.batches.list()


def test_invalid_line_gets_400_output(client):
    line = json.loads(batch_line("bad", "word"))
    line["body"]["messages"] = []
    content = (json.dumps(line) + "\n" + batch_line("good", "word") + "\n").encode()

    batch = run_batch(client, content)

    by_id = {line["custom_id"]: line for line in read_jsonl(client, batch.output_file_id)}
    assert by_id["bad"]["response"]["status_code"] == 400
    assert by_id["bad"]["response"]["body"]["error"]["param"] == "messages"
    assert by_id["good"]["response"]["status_code"] == 200
    assert batch.request_counts.failed == 1


class _FakeClock:
    """Seconds that the test advances by hand, in place of time.monotonic."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store_with_batch(lines: int, **config_fields):
    clock = _FakeClock()
    files = FileStore()
    store = BatchStore(files, Stats(), LiveConfig(SimulatorConfig(**config_fields)), clock=clock)
    input_file = files.add_batch_input("input.jsonl", "batch", batch_jsonl(lines))
    batch = store.create({"input_file_id": input_file.id, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    return store, clock, batch["id"]


def test_lifecycle_phases_follow_elapsed_time():
    store, clock, batch_id = _store_with_batch(10, batch_duration=100)
    statuses = []
    for seconds in (5, 50, 95, 100):
        clock.now = 1000.0 + seconds
        statuses.append(store.retrieve(batch_id)["status"])

    assert statuses == ["validating", "in_progress", "finalizing", "completed"]


def test_request_counts_grow_during_progress():
    store, clock, batch_id = _store_with_batch(10, batch_duration=100)
    completed = []
    for seconds in (10, 30, 50, 70, 100):
        clock.now = 1000.0 + seconds
        completed.append(store.retrieve(batch_id)["request_counts"]["completed"])

    assert completed == [0, 2, 5, 7, 10]


def test_progress_counts_include_failures():
    store, clock, batch_id = _store_with_batch(10, batch_duration=100, error_rate=1.0)
    clock.now = 1050.0

    counts = store.retrieve(batch_id)["request_counts"]

    assert counts == {"total": 10, "completed": 0, "failed": 5}


def test_cancel_mid_progress_keeps_finished_part():
    store, clock, batch_id = _store_with_batch(10, batch_duration=100)
    clock.now = 1050.0
    store.cancel(batch_id)
    clock.now = 1051.0

    batch = store.retrieve(batch_id)

    assert batch["status"] == "cancelled"
    assert batch["request_counts"] == {"total": 10, "completed": 5, "failed": 5}
