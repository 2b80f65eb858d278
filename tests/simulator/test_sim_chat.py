"""Chat completions: schema-valid content, usage, headers and every fault kind."""

from __future__ import annotations

import json

import openai
import pytest
from sim_helpers import MODEL, Entry, chat_body, user_prompt

RATE_LIMIT_HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
)


def _create(client, headword: str = "lantern", **options):
    return client.chat.completions.create(**{**chat_body(headword), **options})


def _client_for(simulator):
    return openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0)


def test_parse_returns_schema_valid_entry(client):
    completion = client.chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "content": user_prompt("lantern", "noun", "a lamp with a handle")}],
        response_format=Entry,
    )

    entry = completion.choices[0].message.parsed
    assert isinstance(entry, Entry)
    assert entry.headword == "lantern"
    assert entry.senses[0].definition == "a lamp with a handle"
    assert entry.senses[0].part_of_speech == "noun"


def test_examples_contain_headword(client):
    entry = Entry.model_validate_json(_create(client, "quixotic").choices[0].message.content)

    examples = [example for sense in entry.senses for example in sense.examples]
    assert examples
    assert all("quixotic" in example for example in examples)


def test_arrays_have_two_or_three_items(client):
    entry = Entry.model_validate_json(_create(client).choices[0].message.content)

    assert 2 <= len(entry.senses) <= 3
    assert all(2 <= len(sense.examples) <= 3 for sense in entry.senses)


def test_nullable_fields_take_non_null_branch(client):
    entry = Entry.model_validate_json(_create(client).choices[0].message.content)

    assert entry.etymology is not None
    assert all(sense.usage_note is not None for sense in entry.senses)


def test_part_of_speech_enum_follows_request(client):
    body = chat_body("run")
    body["messages"][1]["content"] = user_prompt("run", "verb")

    entry = Entry.model_validate_json(client.chat.completions.create(**body).choices[0].message.content)

    assert {sense.part_of_speech for sense in entry.senses} == {"verb"}


def test_same_request_gives_same_content(client):
    first = _create(client).choices[0].message.content
    second = _create(client).choices[0].message.content

    assert first == second


def test_completion_shape_and_usage(client):
    body = chat_body("lantern")

    completion = client.chat.completions.create(**body, temperature=0.2, seed=7, max_completion_tokens=4000)

    characters = sum(len(message["content"]) for message in body["messages"])
    usage = completion.usage
    assert completion.object == "chat.completion"
    assert completion.model == MODEL
    assert completion.choices[0].finish_reason == "stop"
    assert usage.prompt_tokens == -(-characters // 4)
    assert usage.completion_tokens == -(-len(completion.choices[0].message.content) // 4)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_max_completion_tokens_cuts_content(client):
    completion = _create(client, max_completion_tokens=5)

    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    assert len(choice.message.content) == 20


def test_json_object_format_gives_json(client):
    completion = _create(client, response_format={"type": "json_object"})

    content = json.loads(completion.choices[0].message.content)
    assert content["headword"] == "lantern"


def test_text_format_gives_prose(client):
    body = chat_body("lantern", response_format=None)

    completion = client.chat.completions.create(**body)

    assert "lantern" in completion.choices[0].message.content


def test_rate_limit_headers_on_chat_answer(client):
    first = client.chat.completions.with_raw_response.create(**chat_body("a"))
    second = client.chat.completions.with_raw_response.create(**chat_body("b"))

    for name in RATE_LIMIT_HEADERS:
        assert first.headers.get(name), name
    assert first.headers["x-ratelimit-limit-requests"] == "10000"
    assert first.headers["x-ratelimit-remaining-requests"] == "9999"
    assert second.headers["x-ratelimit-remaining-requests"] == "9998"
    assert int(second.headers["x-ratelimit-remaining-tokens"]) < int(first.headers["x-ratelimit-remaining-tokens"])


def test_chat_429_sends_retry_headers(start_simulator):
    simulator = start_simulator(chat_429_count=1, ratelimit_requests=50)
    with _client_for(simulator) as client:
        with pytest.raises(openai.RateLimitError) as caught:
            _create(client)
        retried = _create(client)

    headers = caught.value.response.headers
    assert headers["retry-after"] == "1"
    assert headers["x-ratelimit-limit-requests"] == "50"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert all(headers.get(name) for name in RATE_LIMIT_HEADERS)
    assert caught.value.code == "rate_limit_exceeded"
    assert retried.choices[0].finish_reason == "stop"


def test_chat_500_count_then_success(start_simulator):
    simulator = start_simulator(chat_500_count=2)
    with _client_for(simulator) as client:
        for _ in range(2):
            with pytest.raises(openai.InternalServerError):
                _create(client)
        completion = _create(client)

    assert completion.choices[0].finish_reason == "stop"
    assert simulator.config.chat_500_count == 0


def test_sdk_retries_after_429(start_simulator):
    simulator = start_simulator(chat_429_count=1)
    with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=1) as client:
        completion = _create(client)

    assert completion.choices[0].finish_reason == "stop"
    assert simulator.stats()["chat_calls"] == 2


@pytest.mark.parametrize("rate_field", ["error_rate", "http_error_rate"])
def test_error_rates_answer_500(start_simulator, rate_field):
    simulator = start_simulator(**{rate_field: 1.0})
    with _client_for(simulator) as client, pytest.raises(openai.InternalServerError) as caught:
        _create(client)

    assert caught.value.status_code == 500
    assert caught.value.body["type"] == "server_error"


def test_refusal_sets_refusal_and_null_content(start_simulator):
    simulator = start_simulator(refusal_rate=1.0)
    with _client_for(simulator) as client:
        message = _create(client).choices[0].message

    assert message.content is None
    assert message.refusal


def test_truncation_cuts_json(start_simulator):
    simulator = start_simulator(truncation_rate=1.0)
    with _client_for(simulator) as client:
        choice = _create(client).choices[0]

    assert choice.finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content)


def test_invalid_json_content(start_simulator):
    simulator = start_simulator(invalid_json_rate=1.0)
    with _client_for(simulator) as client:
        choice = _create(client).choices[0]

    assert choice.finish_reason == "stop"
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content)


def test_fault_choice_is_deterministic(start_simulator):
    simulator = start_simulator(refusal_rate=0.5, seed=3)
    headwords = [f"word{index}" for index in range(40)]
    with _client_for(simulator) as client:
        first = [_create(client, word).choices[0].message.refusal is not None for word in headwords]
        second = [_create(client, word).choices[0].message.refusal is not None for word in headwords]

    assert first == second
    assert any(first)
    assert not all(first)


def test_retry_succeeds_after_faults_switched_off(start_simulator):
    simulator = start_simulator(error_rate=1.0)
    with _client_for(simulator) as client:
        with pytest.raises(openai.InternalServerError):
            _create(client)
        simulator.configure(error_rate=0.0)
        completion = _create(client)

    assert completion.choices[0].message.content


@pytest.mark.parametrize(
    ("changes", "param"),
    [({"messages": []}, "messages"), ({"stream": True}, "stream"), ({"response_format": {"type": "xml"}}, "response_format")],
)
def test_invalid_chat_request_is_400(client, changes, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/chat/completions", body={**chat_body("a"), **changes}, cast_to=openai.types.chat.ChatCompletion)

    assert caught.value.body["param"] == param
