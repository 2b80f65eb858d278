"""Fault injection in batch lines and batch polls."""

from __future__ import annotations

import json

import openai
import pytest
from sim_helpers import batch_jsonl, read_jsonl, run_batch


def _client_for(simulator):
    return openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0)


def _run_with_faults(start_simulator, lines: int = 6, **faults):
    simulator = start_simulator(batch_duration=0, **faults)
    with _client_for(simulator) as client:
        batch = run_batch(client, batch_jsonl(lines))
        return batch, read_jsonl(client, batch.output_file_id), read_jsonl(client, batch.error_file_id)


def test_error_rate_writes_error_file(start_simulator):
    batch, output, errors = _run_with_faults(start_simulator, error_rate=1.0)

    assert batch.status == "completed"
    assert batch.output_file_id is None
    assert len(errors) == 6
    assert all(line["response"] is None for line in errors)
    assert {line["error"]["code"] for line in errors} == {"server_error"}
    assert batch.request_counts.failed == 6


def test_http_error_rate_writes_non_200_lines(start_simulator):
    batch, output, errors = _run_with_faults(start_simulator, http_error_rate=1.0)

    assert errors == []
    assert len(output) == 6
    assert {line["response"]["status_code"] for line in output} == {500}
    assert all(line["response"]["body"]["error"]["type"] == "server_error" for line in output)
    assert batch.request_counts.failed == 6


def test_refusal_rate_in_batch_lines(start_simulator):
    batch, output, errors = _run_with_faults(start_simulator, refusal_rate=1.0)

    messages = [line["response"]["body"]["choices"][0]["message"] for line in output]
    assert all(message["content"] is None for message in messages)
    assert all(message["refusal"] for message in messages)
    assert batch.request_counts.completed == 6


def test_truncation_rate_in_batch_lines(start_simulator):
    batch, output, errors = _run_with_faults(start_simulator, truncation_rate=1.0)

    for line in output:
        choice = line["response"]["body"]["choices"][0]
        assert choice["finish_reason"] == "length"
        with pytest.raises(json.JSONDecodeError):
            json.loads(choice["message"]["content"])


def test_invalid_json_rate_in_batch_lines(start_simulator):
    batch, output, errors = _run_with_faults(start_simulator, invalid_json_rate=1.0)

    for line in output:
        with pytest.raises(json.JSONDecodeError):
            json.loads(line["response"]["body"]["choices"][0]["message"]["content"])


def test_partial_rate_hits_some_lines(start_simulator):
    batch, output, errors = _run_with_faults(start_simulator, lines=40, error_rate=0.5)

    assert 0 < len(errors) < 40
    assert len(errors) + len(output) == 40


def test_batch_faults_repeat_for_same_requests(start_simulator):
    simulator = start_simulator(batch_duration=0, error_rate=0.5)
    with _client_for(simulator) as client:
        first = run_batch(client, batch_jsonl(20))
        second = run_batch(client, batch_jsonl(20))
        first_failed = {line["custom_id"] for line in read_jsonl(client, first.error_file_id)}
        second_failed = {line["custom_id"] for line in read_jsonl(client, second.error_file_id)}

    assert first_failed == second_failed


def test_batch_uses_config_from_creation(start_simulator):
    simulator = start_simulator(batch_duration=3600, error_rate=1.0)
    with _client_for(simulator) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(3)), purpose="batch")
        batch = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        simulator.configure(error_rate=0.0, batch_duration=0)
        unchanged = client.batches.retrieve(batch.id)

    assert unchanged.status == "validating"


def test_poll_429_then_success(start_simulator):
    simulator = start_simulator(batch_duration=0, poll_429_count=1)
    with _client_for(simulator) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
        batch = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        with pytest.raises(openai.RateLimitError) as caught:
            client.batches.retrieve(batch.id)
        polled = client.batches.retrieve(batch.id)

    assert caught.value.response.headers["retry-after"] == "1"
    assert polled.status == "completed"


def test_poll_500_count_alternates_502_and_500(start_simulator):
    simulator = start_simulator(batch_duration=0, poll_500_count=2)
    with _client_for(simulator) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
        batch = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        statuses = []
        for _ in range(2):
            with pytest.raises(openai.InternalServerError) as caught:
                client.batches.retrieve(batch.id)
            statuses.append(caught.value.status_code)
        polled = client.batches.retrieve(batch.id)

    assert statuses == [502, 500]
    assert polled.status == "completed"


def test_poll_html_page(start_simulator):
    simulator = start_simulator(batch_duration=0, poll_html_count=1)
    with _client_for(simulator) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
        batch = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        with pytest.raises(openai.InternalServerError) as caught:
            client.batches.retrieve(batch.id)

    response = caught.value.response
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text


def test_poll_faults_spare_other_endpoints(start_simulator):
    simulator = start_simulator(batch_duration=0, poll_500_count=5)
    with _client_for(simulator) as client:
        input_file = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")
        client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
        listed = client.batches.list()

    assert len(listed.data) == 1
    assert simulator.config.poll_500_count == 5
