"""SQLite storage through peewee: jobs, items, remote batches and the response cache."""

from floridify_gui.storage.database import (
    SCHEMA_VERSION,
    DatabaseError,
    DatabaseWorker,
    chunked,
    open_database,
)
from floridify_gui.storage.models import (
    CachedResponse,
    EntryValue,
    Job,
    JobItem,
    Meta,
    RemoteBatch,
    Sense,
    Word,
    now,
)

__all__ = [
    "SCHEMA_VERSION",
    "CachedResponse",
    "DatabaseError",
    "DatabaseWorker",
    "EntryValue",
    "Job",
    "JobItem",
    "Meta",
    "RemoteBatch",
    "Sense",
    "Word",
    "chunked",
    "now",
    "open_database",
]
