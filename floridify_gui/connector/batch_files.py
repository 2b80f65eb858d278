"""Batch input files (JSONL) and the result lines OpenAI writes back."""

import json
import logging
from dataclasses import dataclass, field

from floridify_gui.connector.accumulator import PendingRequest
from floridify_gui.connector.requests import Outcome, failure, outcome_from_completion
from floridify_gui.cost import estimate_prompt_tokens

log = logging.getLogger("floridify_gui.connector")

ENDPOINT = "/v1/chat/completions"
# Limits of one Batch API input file, from OpenAI's Batch API guide.
MAX_REQUESTS_PER_FILE = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024

# Error-file codes for requests a batch never reached: not the request's fault,
# so they are sent again without spending an attempt.
UNFINISHED_CODES = {"batch_expired", "batch_cancelled"}


def encode_line(pending: PendingRequest) -> bytes:
    """Encode one request as a batch input line, UTF-8 without BOM whatever the locale.

    The request key is the custom_id: unique within a file because identical
    bodies were merged, and enough to map a result back without line order.
    """
    request = pending.request
    line = (
        '{"custom_id":"' + request.key + '","method":"POST","url":"' + ENDPOINT
        + '","body":' + request.body_json + "}\n"
    )
    return line.encode("utf-8")


@dataclass
class BatchFile:
    """The requests of one batch input file (a single model)."""

    model: str
    requests: list[PendingRequest] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    size: int = 0
    estimated_tokens: int = 0

    def content(self) -> bytes:
        return b"".join(self.lines)


def split_into_files(pending: list[PendingRequest], *, max_requests: int = MAX_REQUESTS_PER_FILE,
                     max_bytes: int = MAX_FILE_BYTES, max_tokens: int | None = None) -> list[BatchFile]:
    """Group requests by model and split them under the per-file limits.

    `max_tokens` caps a file's estimated input tokens so that one batch never
    exceeds the model's enqueued-token budget on its own.
    """
    files: list[BatchFile] = []
    current: dict[str, BatchFile] = {}

    for request in pending:
        line = encode_line(request)
        tokens = estimate_prompt_tokens(request.request.body, request.request.body_json)
        model = request.request.model
        batch_file = current.get(model)
        if batch_file is None or _is_full(batch_file, len(line), tokens, max_requests, max_bytes, max_tokens):
            batch_file = current[model] = BatchFile(model)
            files.append(batch_file)

        batch_file.requests.append(request)
        batch_file.lines.append(line)
        batch_file.size += len(line)
        batch_file.estimated_tokens += tokens
    return files


def _is_full(batch_file: BatchFile, line_size: int, tokens: int, max_requests: int, max_bytes: int,
             max_tokens: int | None) -> bool:
    if not batch_file.requests:
        return False
    if len(batch_file.requests) >= max_requests or batch_file.size + line_size > max_bytes:
        return True
    return max_tokens is not None and batch_file.estimated_tokens + tokens > max_tokens


@dataclass
class ParsedResults:
    """What a batch's output and error files say, by custom_id."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    unknown_ids: list[str] = field(default_factory=list)
    malformed_lines: int = 0


def parse_result_file(data: bytes | list[bytes], components: dict[str, str], results: ParsedResults) -> None:
    """Read one output or error file into `results`.

    Args:
        data: The file's bytes, whole or as the chunks it was downloaded in.
        components: Component name by custom_id, for every request of the batch.
        results: Collects outcomes; a custom_id that is not in `components`
            is reported in `unknown_ids` and never matched by position.
    """
    chunks = [data] if isinstance(data, bytes) else data
    for number, raw in enumerate(_lines(chunks), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            custom_id = line.get("custom_id")
        except (ValueError, AttributeError):
            results.malformed_lines += 1
            log.warning("Skipped malformed result line %s: not a JSON object", number)
            continue

        if custom_id not in components:
            results.unknown_ids.append(str(custom_id))
            continue
        results.outcomes[custom_id] = _line_outcome(line, components[custom_id])


def _lines(chunks: list[bytes]):
    """Yield the lines of a file given as chunks, one at a time; a line may span chunks.

    bytes.splitlines() on a 100 MB result file is one C call that holds the
    GIL for a tenth of a second, long enough to freeze the desktop app's
    event loop while this runs on a worker thread.
    """
    partial = b""
    for chunk in chunks:
        start = 0
        end = chunk.find(b"\n")
        while end >= 0:
            yield partial + chunk[start:end] if partial else chunk[start:end]
            partial = b""
            start = end + 1
            end = chunk.find(b"\n", start)
        partial += chunk[start:]
    if partial:
        yield partial


def _line_outcome(line: dict, component: str) -> Outcome:
    """Turn one result line into an outcome.

    A line is a success only with status code 200 and a body with choices.
    """
    error = line.get("error")
    if error:
        code = error.get("code") or "batch_error"
        return failure(code, error.get("message") or code, transient=code in UNFINISHED_CODES)

    response = line.get("response") or {}
    status_code = response.get("status_code")
    body = response.get("body")
    if status_code != 200:
        return _http_failure(status_code, body)
    return outcome_from_completion(body, component)


def _http_failure(status_code, body) -> Outcome:
    detail = body.get("error") if isinstance(body, dict) else None
    detail = detail if isinstance(detail, dict) else {}
    code = detail.get("code") or f"http_{status_code}"
    message = detail.get("message") or f"The request ended with HTTP status {status_code}"
    return failure(str(code), message)
