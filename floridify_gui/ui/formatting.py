"""Formatting of times, durations and money for the views."""

import time


def format_time(timestamp: float | None) -> str:
    """Return a Unix time as local "YYYY-MM-DD HH:MM:SS", or "" for None."""
    if not timestamp:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def format_duration(seconds: float | None) -> str:
    """Return a duration as "1 h 05 min", "4 min 12 s" or "9 s"; "" for None."""
    if seconds is None:
        return ""

    seconds = max(0, int(seconds))
    hours, remainder = divmod(seconds, 3600)
    minutes, secs = divmod(remainder, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def format_cost(dollars: float | None) -> str:
    """Return a cost in US dollars with enough digits for sub-cent amounts."""
    if dollars is None:
        return ""
    if dollars and abs(dollars) < 0.01:
        return f"${dollars:.4f}"
    return f"${dollars:,.2f}"


def format_time_left(deadline: float | None, now: float | None = None) -> str:
    """Return the time until `deadline` ("3 h 10 min left"), "expired", or "" for None."""
    if deadline is None:
        return ""

    remaining = deadline - (time.time() if now is None else now)
    if remaining <= 0:
        return "expired"
    return f"{format_duration(remaining)} left"
