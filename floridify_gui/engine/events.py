"""The engine's events (defined in floridify_gui.events, re-exported here)."""

from floridify_gui.events import (  # noqa: F401
    BatchChanged,
    Event,
    EventHub,
    ItemsChanged,
    JobChanged,
    JobFinished,
    JobProgress,
    Notice,
)
