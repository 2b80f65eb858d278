"""Simulator configuration: fault rates, fault countdowns and timing, changeable while serving."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("floridify_gui.simulator")

BATCH_FAILURE_CODES = ("duplicate_custom_id", "token_limit_exceeded", "invalid_request")

_RATE_FIELDS = ("error_rate", "http_error_rate", "refusal_rate", "truncation_rate", "invalid_json_rate")
_FRACTION_FIELDS = ("expire_after_fraction", "cancel_after_fraction")
_COUNT_FIELDS = ("chat_429_count", "chat_500_count", "poll_429_count", "poll_500_count", "poll_html_count")


@dataclass
class SimulatorConfig:
    """Behaviour of a simulated OpenAI endpoint. Every fault is off by default.

    Rate faults are picked per request from a hash of the seed, the fault kind and the request's
    messages, so the same request gets the same fault while the config stays unchanged.
    Count faults (`*_count`) hit the next N matching calls and count down to 0 as they are used.
    """

    batch_duration: float = 2.0
    seed: int = 0
    error_rate: float = 0.0
    http_error_rate: float = 0.0
    refusal_rate: float = 0.0
    truncation_rate: float = 0.0
    invalid_json_rate: float = 0.0
    expire_after_fraction: float | None = None
    cancel_after_fraction: float | None = None
    fail_batches_with: str | None = None
    enqueued_token_limit: int | None = None
    batches_supported: bool = True
    chat_429_count: int = 0
    chat_500_count: int = 0
    poll_429_count: int = 0
    poll_500_count: int = 0
    poll_html_count: int = 0
    ratelimit_requests: int = 10000
    ratelimit_tokens: int = 2_000_000
    chat_latency: float = 0.0
    shuffle_output: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field whose value is out of range."""
        for name in _RATE_FIELDS:
            _check_fraction(name, getattr(self, name))

        for name in _FRACTION_FIELDS:
            value = getattr(self, name)
            if value is not None:
                _check_fraction(name, value)

        for name in _COUNT_FIELDS + ("ratelimit_requests", "ratelimit_tokens"):
            if getattr(self, name) < 0:
                raise ValueError(f"Invalid {name}: {getattr(self, name)!r}. Use a count of 0 or more.")

        if self.batch_duration < 0 or self.chat_latency < 0:
            raise ValueError("Invalid batch_duration or chat_latency: use 0 or more seconds.")

        if self.fail_batches_with is not None and self.fail_batches_with not in BATCH_FAILURE_CODES:
            raise ValueError(
                f"Invalid fail_batches_with: {self.fail_batches_with!r}. "
                f"Use one of {', '.join(BATCH_FAILURE_CODES)} or null."
            )

        if self.enqueued_token_limit is not None and self.enqueued_token_limit < 0:
            raise ValueError(f"Invalid enqueued_token_limit: {self.enqueued_token_limit!r}. Use 0 or more tokens.")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulatorConfig:
        """Build a config from a dict such as parsed JSON.

        Raises:
            ValueError: a key is not a config field, or a value is out of range.
        """
        _check_known_fields(data)
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> SimulatorConfig:
        """Read a config from a JSON file that contains one object.

        Raises:
            ValueError: the file is not a JSON object or contains an invalid field.
            OSError: the file cannot be read.
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"Failed to read simulator config {path}: the file must contain one JSON object.")

        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"Invalid {name}: {value!r}. Use a fraction from 0.0 to 1.0.")


def _check_known_fields(data: dict[str, Any]) -> None:
    known = {field.name for field in dataclasses.fields(SimulatorConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"Unknown simulator config field(s): {', '.join(unknown)}. Known fields: {', '.join(sorted(known))}.")


class LiveConfig:
    """Thread-safe holder of the current config, shared by all request handler threads."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._lock = threading.Lock()
        self._config = dataclasses.replace(config)

    def snapshot(self) -> SimulatorConfig:
        """Return a copy that later changes do not affect."""
        with self._lock:
            return dataclasses.replace(self._config)

    def update(self, changes: dict[str, Any]) -> SimulatorConfig:
        """Apply `changes` all at once and return the new config.

        Raises:
            ValueError: a key is unknown or a value is invalid. The config is then left unchanged.
        """
        _check_known_fields(changes)
        with self._lock:
            updated = dataclasses.replace(self._config, **changes)
            self._config = updated

        logger.debug("Simulator config changed: %s", changes)
        return dataclasses.replace(updated)

    def take_countdown(self, name: str) -> int:
        """Use one unit of the countdown field `name`.

        Returns:
            The count before this use, so 0 means the fault is not due.
        """
        with self._lock:
            remaining = getattr(self._config, name)
            if remaining <= 0:
                return 0

            setattr(self._config, name, remaining - 1)
            return remaining
