"""Deterministic choice of rate faults and the content changes they cause."""

from __future__ import annotations

import hashlib
from typing import Any

from floridify_gui.simulator.canonical import canonical_json
from floridify_gui.simulator.config import SimulatorConfig

ERROR = "error"
HTTP_ERROR = "http_error"
REFUSAL = "refusal"
TRUNCATION = "truncation"
INVALID_JSON = "invalid_json"

# When several rates hit the same request, the first kind in this order wins.
_KINDS_BY_PRECEDENCE = (
    (ERROR, "error_rate"),
    (HTTP_ERROR, "http_error_rate"),
    (REFUSAL, "refusal_rate"),
    (TRUNCATION, "truncation_rate"),
    (INVALID_JSON, "invalid_json_rate"),
)

REFUSAL_MESSAGE = "I'm sorry, but I can't help with that request."


def pick_fault(config: SimulatorConfig, messages: Any) -> str | None:
    """Return the fault kind for a request with these messages, or None for a normal completion.

    Each kind hits when a hash of (seed, kind, messages), read as a number in [0, 1), is below
    the kind's rate. The same messages thus get the same fault until the seed or a rate changes.
    """
    rates = [(kind, getattr(config, field)) for kind, field in _KINDS_BY_PRECEDENCE]
    if all(rate <= 0 for _, rate in rates):
        return None

    # Hashing the messages once and then the short digest per kind is cheaper than hashing the messages per kind.
    request_digest = hashlib.sha256(f"{config.seed}|".encode() + canonical_json(messages)).digest()
    for kind, rate in rates:
        if _hash_fraction(request_digest, kind) < rate:
            return kind

    return None


def _hash_fraction(request_digest: bytes, kind: str) -> float:
    digest = hashlib.blake2b(request_digest + kind.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def truncate_content(content: str) -> str:
    """Cut the content in its middle. A JSON object cut anywhere before its last brace is invalid JSON."""
    return content[: max(1, len(content) // 2)]


def make_invalid_json(content: str) -> str:
    """Imitate a model that wraps the JSON in prose and quotes like Python, which no JSON parser accepts."""
    return "Here is the entry you asked for:\n" + content.replace('"', "'")
