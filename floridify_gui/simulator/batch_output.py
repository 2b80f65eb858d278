"""Output and error files of a finished batch."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from floridify_gui.simulator import faults
from floridify_gui.simulator.chat import build_completion, validate_chat_request
from floridify_gui.simulator.config import SimulatorConfig
from floridify_gui.simulator.errors import SERVER_ERROR_MESSAGE, ApiError, error_body
from floridify_gui.simulator.stats import request_key

UNFINISHED_MESSAGES = {
    "batch_expired": "This request could not be executed before the completion window expired.",
    "batch_cancelled": "This request was not executed because the batch was cancelled.",
}


@dataclass
class BatchResults:
    """Lines of the output and error files, with the counts and usage they add up to."""

    output_lines: list[str] = field(default_factory=list)
    error_lines: list[str] = field(default_factory=list)
    request_keys: list[bytes] = field(default_factory=list)
    completed: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


def iter_requests(content: bytes) -> Iterator[dict[str, Any]]:
    """Parse the request lines of an input file that `validate_batch_input` has accepted.

    Lines are parsed one at a time. Keeping 50,000 parsed bodies alive at once would make the
    garbage collector rescan them over and over, which costs more than the parsing itself.
    """
    for line in content.decode("utf-8").split("\n"):
        if line.strip():
            yield json.loads(line)


def run_requests(
    content: bytes,
    *,
    processed: int,
    unfinished_code: str | None,
    config: SimulatorConfig,
    batch_id: str,
    created: int,
) -> BatchResults:
    """Run the first `processed` requests of the input file and list the rest as unfinished.

    Args:
        content: The batch input file.
        processed: How many requests, from the start, the batch finished.
        unfinished_code: `batch_expired` or `batch_cancelled` for the requests after `processed`.
        config: The config the batch was created with, which sets the fault rates.
        batch_id: The batch id, which seeds the shuffle of the output.
        created: Unix time in seconds for the completions' `created` field.
    """
    results = BatchResults()
    id_prefix = uuid.uuid4().hex[:16]
    message = UNFINISHED_MESSAGES.get(unfinished_code or "", "This request was not executed.")

    for index, request in enumerate(iter_requests(content)):
        line_id = f"{id_prefix}{index:06d}"
        if index < processed:
            _answer_request(request, line_id, config, created, results)
            continue

        error = {"code": unfinished_code, "message": message}
        results.error_lines.append(_line(f"batch_req_{line_id}", request["custom_id"], None, error))
        results.failed += 1

    if config.shuffle_output:
        shuffler = random.Random(f"{config.seed}:{batch_id}")
        shuffler.shuffle(results.output_lines)
        shuffler.shuffle(results.error_lines)

    return results


def _answer_request(
    request: dict[str, Any], line_id: str, config: SimulatorConfig, created: int, results: BatchResults
) -> None:
    body = request["body"]
    custom_id = request["custom_id"]
    request_id = f"req_{line_id}"
    results.request_keys.append(request_key(body))

    try:
        validate_chat_request(body)
    except ApiError as error:
        response = {"status_code": error.status, "request_id": request_id, "body": error.body()}
        results.output_lines.append(_line(f"batch_req_{line_id}", custom_id, response, None))
        results.failed += 1
        return

    fault = faults.pick_fault(config, body["messages"])
    if fault == faults.ERROR:
        error = {"code": "server_error", "message": SERVER_ERROR_MESSAGE}
        results.error_lines.append(_line(f"batch_req_{line_id}", custom_id, None, error))
        results.failed += 1
        return

    if fault == faults.HTTP_ERROR:
        response = {"status_code": 500, "request_id": request_id, "body": error_body(SERVER_ERROR_MESSAGE, "server_error")}
        results.output_lines.append(_line(f"batch_req_{line_id}", custom_id, response, None))
        results.failed += 1
        return

    completion = build_completion(body, completion_id=f"chatcmpl-{line_id}", created=created, fault=fault)
    response = {"status_code": 200, "request_id": request_id, "body": completion}
    results.output_lines.append(_line(f"batch_req_{line_id}", custom_id, response, None))
    results.completed += 1
    results.input_tokens += completion["usage"]["prompt_tokens"]
    results.output_tokens += completion["usage"]["completion_tokens"]


def _line(line_id: str, custom_id: str, response: dict[str, Any] | None, error: dict[str, Any] | None) -> str:
    return json.dumps({"id": line_id, "custom_id": custom_id, "response": response, "error": error}, ensure_ascii=False)


def join_lines(lines: list[str]) -> bytes:
    """Encode JSONL content, one line per request and a newline after each."""
    return "".join(line + "\n" for line in lines).encode("utf-8")
