"""Pacing immediate requests by the rate-limit headers OpenAI returns.

Each chat response carries x-ratelimit-remaining-{requests,tokens} and
x-ratelimit-reset-{requests,tokens} (a duration such as "6m0s", "1.5s" or
"20ms"). When the remaining count falls to a few percent of the limit, new
requests wait for the reset instead of bouncing off a 429.
"""

import asyncio
import logging
import re
import time

log = logging.getLogger("floridify_gui.connector")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

# Keep this share of the limit in reserve for requests already in flight.
RESERVE_FRACTION = 0.02


def parse_reset(value: str | None) -> float:
    """Return the seconds in a reset header value such as "1m30s"; 0 when absent or unreadable."""
    if not value:
        return 0.0
    return sum(float(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(value))


class RateLimitPacer:
    """Delays requests while the last response showed the rate limit nearly used up."""

    def __init__(self) -> None:
        self._resume_at = 0.0

    def update(self, headers) -> None:
        """Read the rate-limit headers of a response."""
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            limit = headers.get(f"x-ratelimit-limit-{kind}")
            if remaining is None or limit is None:
                continue
            try:
                nearly_spent = int(remaining) <= max(1, int(int(limit) * RESERVE_FRACTION))
            except ValueError:
                continue
            if nearly_spent:
                delay = parse_reset(headers.get(f"x-ratelimit-reset-{kind}"))
                self._resume_at = max(self._resume_at, time.monotonic() + delay)
                log.debug("Pacing: %s remaining %s of %s, waiting %.2fs", kind, remaining, limit, delay)

    async def wait(self) -> None:
        """Sleep until the reset time of a nearly spent limit, if any."""
        delay = self._resume_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
