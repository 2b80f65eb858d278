"""The x-ratelimit-* headers of chat completion responses, counted over a fixed 60-second window."""

from __future__ import annotations

import threading
import time

from floridify_gui.simulator.config import SimulatorConfig

WINDOW_SECONDS = 60.0


class RateLimitWindow:
    """Counts chat calls and their tokens since the current window began.

    The limits are only advertised: a call past a limit still succeeds, and its remaining
    count stays at 0. Use `chat_429_count` to inject rate-limit errors.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window_start: float | None = None
        self._requests = 0
        self._tokens = 0

    def record_call(self, tokens: int, config: SimulatorConfig) -> dict[str, str]:
        """Count one chat call that used `tokens` tokens and return the rate-limit headers."""
        now = time.monotonic()
        with self._lock:
            if self._window_start is None or now - self._window_start >= WINDOW_SECONDS:
                self._window_start = now
                self._requests = 0
                self._tokens = 0

            self._requests += 1
            self._tokens += tokens
            reset = format_duration(self._window_start + WINDOW_SECONDS - now)
            return {
                "x-ratelimit-limit-requests": str(config.ratelimit_requests),
                "x-ratelimit-remaining-requests": str(max(0, config.ratelimit_requests - self._requests)),
                "x-ratelimit-reset-requests": reset,
                "x-ratelimit-limit-tokens": str(config.ratelimit_tokens),
                "x-ratelimit-remaining-tokens": str(max(0, config.ratelimit_tokens - self._tokens)),
                "x-ratelimit-reset-tokens": reset,
            }


def format_duration(seconds: float) -> str:
    """Format a duration as OpenAI's reset headers do, such as "20ms", "1s", "59.5s" or "1m0s"."""
    if seconds >= 60:
        return "1m0s"

    if seconds < 1:
        return f"{max(0, int(seconds * 1000))}ms"

    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"
