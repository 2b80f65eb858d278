"""Builders of chat requests and batch input files, and batch helpers, for the simulator tests."""

from __future__ import annotations

import json
from typing import Any, Literal

from openai import OpenAI
from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel, Field

MODEL = "gpt-4o-mini"


class Sense(BaseModel):
    """A dictionary sense shaped like the ones the app requests from the model."""

    definition: str
    part_of_speech: Literal["noun", "verb", "adjective", "adverb"]
    examples: list[str]
    synonyms: list[str]
    usage_note: str | None
    frequency: int = Field(ge=1, le=5)
    confidence: float = Field(ge=0, le=1)
    is_informal: bool


class Entry(BaseModel):
    headword: str
    senses: list[Sense]
    etymology: str | None


ENTRY_RESPONSE_FORMAT = type_to_response_format_param(Entry)


def user_prompt(headword: str, part_of_speech: str = "noun", definition: str = "") -> str:
    lines = [f"Headword: {headword}", f"Part of speech: {part_of_speech}"]
    if definition:
        lines.append(f"Definition: {definition}")
    return "\n".join(lines)


def chat_body(headword: str, *, model: str = MODEL, response_format: Any = ENTRY_RESPONSE_FORMAT) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {"role": "system", "content": "You write dictionary entries as JSON."},
            {"role": "user", "content": user_prompt(headword, definition=f"a thing called {headword}")},
        ],
    }
    if response_format is not None:
        body["response_format"] = response_format
    return body


def batch_line(custom_id: str, headword: str, **body_options: Any) -> str:
    request = {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": chat_body(headword, **body_options),
    }
    return json.dumps(request)


def batch_jsonl(count: int, prefix: str = "entry") -> bytes:
    """Build a batch input file of `count` requests with custom ids `<prefix>-0`, `<prefix>-1`, ..."""
    lines = [batch_line(f"{prefix}-{index}", f"{prefix}word{index}") for index in range(count)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def run_batch(client: OpenAI, content: bytes, **create_options: Any) -> Any:
    """Upload `content`, create a batch and poll it until it reaches a final status."""
    input_file = client.files.create(file=("input.jsonl", content), purpose="batch")
    batch = client.batches.create(
        input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h", **create_options
    )
    for _ in range(100):
        batch = client.batches.retrieve(batch.id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return batch

    raise AssertionError(f"Batch {batch.id} did not finish: status {batch.status}")


def read_jsonl(client: OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    text = client.files.content(file_id).text
    return [json.loads(line) for line in text.splitlines()]
