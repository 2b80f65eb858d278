"""Counters of what the simulator received, exposed by `Simulator.stats()` and `GET /_simulator/stats`."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from typing import Any

from floridify_gui.simulator.canonical import CanonicalCache, canonical_json

_RESPONSE_FORMATS = CanonicalCache()


def request_key(body: Any) -> bytes:
    """Return a 16-byte digest of the request body's canonical JSON, used to detect repeated requests.

    The response format is encoded on its own through a cache, because batch lines repeat it.
    Equal bodies still give equal keys whatever the order of their keys.
    """
    if not isinstance(body, dict) or not isinstance(body.get("response_format"), dict):
        return hashlib.blake2b(canonical_json(body), digest_size=16).digest()

    rest = {key: value for key, value in body.items() if key != "response_format"}
    encoded = canonical_json(rest) + b"\x00" + _RESPONSE_FORMATS.encode(body["response_format"])
    return hashlib.blake2b(encoded, digest_size=16).digest()


class Stats:
    """Thread-safe counters. A request body counts as a duplicate once it is seen a second time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files_uploaded = 0
        self._batches_created = 0
        self._batch_lines_processed = 0
        self._chat_calls = 0
        self._duplicate_requests = 0
        self._times_seen: dict[bytes, int] = {}

    def record_file_upload(self) -> None:
        with self._lock:
            self._files_uploaded += 1

    def record_batch_created(self) -> None:
        with self._lock:
            self._batches_created += 1

    def record_chat_call(self, key: bytes | None) -> None:
        """Count a chat call. `key` is None when the body was not valid JSON, which then takes no part in duplicates."""
        with self._lock:
            self._chat_calls += 1
            if key is not None:
                self._see(key)

    def record_batch_lines(self, keys: Iterable[bytes]) -> None:
        """Count processed batch lines, given the `request_key` of each line's body."""
        with self._lock:
            for key in keys:
                self._batch_lines_processed += 1
                self._see(key)

    def _see(self, key: bytes) -> None:
        count = self._times_seen.get(key, 0) + 1
        self._times_seen[key] = count
        if count == 2:
            self._duplicate_requests += 1

    def snapshot(self, batches_by_status: dict[str, int]) -> dict[str, Any]:
        """Return the counters as a JSON-ready dict.

        `duplicate_requests` is the number of distinct request bodies seen more than once across chat
        calls and processed batch lines. A chat call retried after an injected 429 or 500 counts too.
        """
        with self._lock:
            return {
                "files_uploaded": self._files_uploaded,
                "batches_created": self._batches_created,
                "batch_lines_processed": self._batch_lines_processed,
                "chat_calls": self._chat_calls,
                "requests_total": self._chat_calls + self._batch_lines_processed,
                "duplicate_requests": self._duplicate_requests,
                "batches_by_status": dict(batches_by_status),
            }
