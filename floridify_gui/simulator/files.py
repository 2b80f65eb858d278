"""Stored files: batch input validation, file objects and their content."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from floridify_gui.simulator.chat import estimate_prompt_tokens
from floridify_gui.simulator.errors import ApiError, invalid_request, not_found

logger = logging.getLogger("floridify_gui.simulator")

# OpenAI's Batch API limits for one input file.
MAX_BATCH_LINES = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024

CHAT_COMPLETIONS_URL = "/v1/chat/completions"


@dataclass(frozen=True)
class BatchInput:
    """Summary of a validated batch input file: its custom ids in order, its model and its prompt tokens."""

    custom_ids: list[str]
    model: str
    prompt_tokens: int


@dataclass
class StoredFile:
    """A file with its content in memory. `batch_input` is set for validated batch input files."""

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int
    batch_input: BatchInput | None = None

    def to_object(self) -> dict[str, Any]:
        """Build the `FileObject` JSON."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": None,
        }


def new_file_id() -> str:
    return "file-" + uuid.uuid4().hex[:24]


class FileStore:
    """Thread-safe in-memory file storage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}

    def add_batch_input(self, filename: str, purpose: str, content: bytes) -> StoredFile:
        """Validate and store an uploaded file.

        Raises:
            ApiError: 400 naming the first invalid line, or the purpose or size problem.
        """
        if purpose != "batch":
            raise invalid_request(
                f"Invalid value for 'purpose': {purpose!r}. The simulator accepts only purpose 'batch'.", param="purpose"
            )

        batch_input = validate_batch_input(content)
        stored = StoredFile(new_file_id(), filename, purpose, content, int(time.time()), batch_input)
        self._put(stored)
        logger.debug("Stored batch input file %s: %d lines, model %s", stored.id, len(batch_input.custom_ids), batch_input.model)
        return stored

    def add_output(self, filename: str, content: bytes) -> StoredFile:
        """Store a batch output or error file, which has purpose `batch_output`."""
        stored = StoredFile(new_file_id(), filename, "batch_output", content, int(time.time()))
        self._put(stored)
        return stored

    def _put(self, stored: StoredFile) -> None:
        with self._lock:
            self._files[stored.id] = stored

    def get(self, file_id: str) -> StoredFile:
        """Return the file, or raise ApiError 404."""
        with self._lock:
            stored = self._files.get(file_id)

        if stored is None:
            raise not_found("File", file_id)

        return stored

    def delete(self, file_id: str) -> StoredFile:
        """Remove the file and return it, or raise ApiError 404."""
        with self._lock:
            stored = self._files.pop(file_id, None)

        if stored is None:
            raise not_found("File", file_id)

        logger.debug("Deleted file %s", file_id)
        return stored

    def all_files(self) -> list[StoredFile]:
        """Return every stored file, oldest first."""
        with self._lock:
            return list(self._files.values())

    def restore(self, files) -> None:
        """Add files saved by an earlier run (see `floridify_gui.simulator.state`)."""
        with self._lock:
            for stored in files:
                self._files[stored.id] = stored

    def list_newest_first(self, purpose: str | None) -> list[StoredFile]:
        with self._lock:
            files = [f for f in self._files.values() if purpose is None or f.purpose == purpose]

        return list(reversed(files))


def validate_batch_input(content: bytes) -> BatchInput:
    """Check a batch input file as OpenAI does and summarize it.

    The file must be UTF-8 without a byte order mark and contain at most 50,000 non-blank lines.
    Each line is a JSON object with a unique `custom_id`, `method` POST, `url` /v1/chat/completions
    and a `body` with `model`. All lines must name the same model. Blank lines are skipped.

    Raises:
        ApiError: 400 whose message names the first invalid line and how to fix it.
    """
    if len(content) > MAX_FILE_BYTES:
        raise _invalid_file(f"the file has {len(content)} bytes but the maximum is {MAX_FILE_BYTES} bytes (200 MB)")

    if content.startswith(b"\xef\xbb\xbf"):
        raise _invalid_file("line 1 starts with a UTF-8 byte order mark (BOM). Save the file as UTF-8 without a BOM")

    text = _decode_utf8(content)
    seen_ids: set[str] = set()
    custom_ids: list[str] = []
    model: str | None = None
    prompt_tokens = 0

    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue

        request = _parse_line(line, number)
        model = _check_request(request, number, seen_ids, model)
        seen_ids.add(request["custom_id"])
        custom_ids.append(request["custom_id"])
        prompt_tokens += estimate_prompt_tokens(request["body"])

        if len(custom_ids) > MAX_BATCH_LINES:
            raise _invalid_file(f"line {number} exceeds the maximum of {MAX_BATCH_LINES} requests per batch file")

    if model is None:
        raise _invalid_file("the file contains no requests")

    return BatchInput(custom_ids=custom_ids, model=model, prompt_tokens=prompt_tokens)


def _decode_utf8(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line_number = content.count(b"\n", 0, error.start) + 1
        raise _invalid_file(f"line {line_number} is not valid UTF-8 ({error.reason})") from error


def _parse_line(line: str, number: int) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except json.JSONDecodeError as error:
        raise _invalid_file(f"line {number} is not valid JSON ({error.msg} at column {error.colno})") from error

    if not isinstance(request, dict):
        raise _invalid_file(f"line {number} is not a JSON object")

    return request


def _check_request(request: dict[str, Any], number: int, seen_ids: set[str], model: str | None) -> str:
    """Check one request line and return its model."""
    custom_id = request.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise _invalid_file(f"line {number} has no 'custom_id' string")

    if custom_id in seen_ids:
        raise _invalid_file(f"line {number} repeats custom_id {custom_id!r}. Every custom_id must be unique")

    if request.get("method") != "POST":
        raise _invalid_file(f"line {number} has method {request.get('method')!r} but only 'POST' is supported")

    if request.get("url") != CHAT_COMPLETIONS_URL:
        raise _invalid_file(f"line {number} has url {request.get('url')!r} but the url must be {CHAT_COMPLETIONS_URL!r}")

    body = request.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
        raise _invalid_file(f"line {number} has no 'body' object with a 'model' string")

    if model is not None and body["model"] != model:
        raise _invalid_file(
            f"line {number} uses model {body['model']!r} but earlier lines use {model!r}. "
            "A batch file may use only one model, so split the requests by model"
        )

    return body["model"]


def _invalid_file(problem: str) -> ApiError:
    return invalid_request(f"Failed to validate the batch input file: {problem}. Fix the file and upload it again.")
