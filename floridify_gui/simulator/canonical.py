"""Canonical JSON encoding, used to compare request bodies and to key compiled schemas."""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Encode `value` with sorted keys and no spaces, so equal values give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class CanonicalCache:
    """`canonical_json` that remembers its last input, because batch lines usually repeat one schema.

    Comparing a parsed schema with the previous one costs far less than encoding it again.
    Values that Python compares equal, such as 1, 1.0 and true, may share one encoding.
    The cache is safe to share between threads because it swaps one tuple, which is atomic in CPython.
    """

    def __init__(self) -> None:
        self._last: tuple[Any, bytes] | None = None

    def encode(self, value: Any) -> bytes:
        last = self._last
        if last is not None and last[0] == value:
            return last[1]

        encoded = canonical_json(value)
        self._last = (value, encoded)
        return encoded
