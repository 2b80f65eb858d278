"""Chat completion bodies: request validation, simulated content, usage and content faults."""

from __future__ import annotations

import json
import math
from typing import Any

from floridify_gui.simulator import faults
from floridify_gui.simulator.errors import invalid_request
from floridify_gui.simulator.schema_content import (
    EntryContext,
    context_from_messages,
    generate_from_schema,
    generate_plain_entry,
    generate_text,
    message_text,
)

SYSTEM_FINGERPRINT = "fp_simulator"


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """Estimate prompt tokens as the characters of all message texts divided by 4, rounded up."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return 0

    characters = sum(len(message_text(message)) for message in messages)
    return math.ceil(characters / 4)


def validate_chat_request(body: Any) -> None:
    """Raise ApiError 400 unless `body` is a chat completion request that the simulator supports."""
    if not isinstance(body, dict):
        raise invalid_request("Invalid request body: expected a JSON object.")

    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid_request("Missing required parameter: 'model'.", param="model")

    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid_request("Missing required parameter: 'messages' must be a non-empty array.", param="messages")

    if body.get("stream"):
        raise invalid_request("Invalid value for 'stream': the simulator does not support streaming.", param="stream")

    choices = body.get("n", 1)
    if not isinstance(choices, int) or not 1 <= choices <= 128:
        raise invalid_request(f"Invalid value for 'n': {choices!r}. Use an integer from 1 to 128.", param="n")

    _validate_response_format(body.get("response_format"))


def _validate_response_format(response_format: Any) -> None:
    if response_format is None:
        return

    if not isinstance(response_format, dict) or response_format.get("type") not in ("text", "json_object", "json_schema"):
        raise invalid_request(
            "Invalid value for 'response_format.type': use 'text', 'json_object' or 'json_schema'.",
            param="response_format",
        )

    if response_format["type"] != "json_schema":
        return

    json_schema = response_format.get("json_schema")
    if not isinstance(json_schema, dict) or not isinstance(json_schema.get("name"), str):
        raise invalid_request(
            "Missing required parameter: 'response_format.json_schema.name'.", param="response_format.json_schema.name"
        )

    if not isinstance(json_schema.get("schema", {}), dict):
        raise invalid_request(
            "Invalid value for 'response_format.json_schema.schema': expected a JSON object.",
            param="response_format.json_schema.schema",
        )


def build_completion(body: dict[str, Any], *, completion_id: str, created: int, fault: str | None) -> dict[str, Any]:
    """Build the `chat.completion` object for a validated request.

    Args:
        body: The request, already checked by `validate_chat_request`.
        completion_id: The `id` of the completion.
        created: Unix time in seconds.
        fault: None, or the content fault `faults.REFUSAL`, `faults.TRUNCATION` or `faults.INVALID_JSON`.
    """
    context = context_from_messages(body["messages"])
    content = _content_for(body.get("response_format"), context)
    message, finish_reason = _apply_content_fault(content, fault)
    message, finish_reason = _apply_token_cap(message, finish_reason, _token_cap(body))

    choice_count = body.get("n", 1)
    choices = [
        {"index": index, "message": dict(message), "finish_reason": finish_reason, "logprobs": None}
        for index in range(choice_count)
    ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": body["model"],
        "choices": choices,
        "usage": _usage(body, message, choice_count),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def _content_for(response_format: Any, context: EntryContext) -> str:
    if not isinstance(response_format, dict) or response_format.get("type") == "text":
        return generate_text(context)

    if response_format["type"] == "json_object":
        return json.dumps(generate_plain_entry(context), ensure_ascii=False)

    schema = response_format["json_schema"].get("schema", {})
    return json.dumps(generate_from_schema(schema, context), ensure_ascii=False)


def _apply_content_fault(content: str, fault: str | None) -> tuple[dict[str, Any], str]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
    if fault == faults.REFUSAL:
        message["content"] = None
        message["refusal"] = faults.REFUSAL_MESSAGE
        return message, "stop"

    if fault == faults.TRUNCATION:
        message["content"] = faults.truncate_content(content)
        return message, "length"

    if fault == faults.INVALID_JSON:
        message["content"] = faults.make_invalid_json(content)

    return message, "stop"


def _token_cap(body: dict[str, Any]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value

    return None


def _apply_token_cap(message: dict[str, Any], finish_reason: str, cap: int | None) -> tuple[dict[str, Any], str]:
    """Cut content longer than `cap` tokens (4 characters each), as a model stops at its token limit."""
    content = message["content"]
    if cap is None or content is None or len(content) <= cap * 4:
        return message, finish_reason

    message["content"] = content[: cap * 4]
    return message, "length"


def _usage(body: dict[str, Any], message: dict[str, Any], choice_count: int) -> dict[str, Any]:
    prompt_tokens = estimate_prompt_tokens(body)
    answer = message["content"] if message["content"] is not None else message["refusal"]
    completion_tokens = math.ceil(len(answer or "") / 4) * choice_count
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }

