"""Opening the SQLite file, migrating its schema and running work on one thread."""

import asyncio
import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import peewee
from playhouse.migrate import SqliteMigrator

from floridify_gui.storage.models import ALL_TABLES, Meta, database_proxy

log = logging.getLogger("floridify_gui.storage")

T = TypeVar("T")

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 15_000

# SQLite before 3.32 allows 999 bound variables per statement; chunks stay
# under that whatever the library version.
MAX_VARIABLES = 999


class DatabaseError(Exception):
    """The database file cannot be opened or is of an unknown schema."""


def _migrate_to_1(migrator: SqliteMigrator) -> None:
    """Create the tables of the first release."""
    migrator.database.create_tables(ALL_TABLES, safe=True)


# Each entry upgrades the schema from version N-1 to N. A later release
# appends a function here that uses playhouse.migrate's operations.
MIGRATIONS: dict[int, Callable[[SqliteMigrator], None]] = {1: _migrate_to_1}


def open_database(path: str | os.PathLike) -> peewee.SqliteDatabase:
    """Open (creating if needed) the database at `path` and bind the models to it.

    Raises:
        DatabaseError: the file is not a database or comes from a newer release.
    """
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = peewee.SqliteDatabase(
        str(path),
        pragmas={
            "journal_mode": "wal",
            "busy_timeout": BUSY_TIMEOUT_MS,
            "foreign_keys": 1,
            "synchronous": "normal",
            # 64 MiB of page cache (negative means KiB): merging a large batch
            # updates items all over the table and its indexes, and SQLite's
            # 2 MiB default re-reads pages from the OS for each chunk.
            "cache_size": -65536,
        },
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    database_proxy.initialize(db)

    try:
        db.connect(reuse_if_open=True)
        migrate(db)
    except DatabaseError as exc:
        db.close()
        raise DatabaseError(f"Failed to open the database {path}: {exc}") from exc
    except peewee.DatabaseError as exc:
        db.close()
        raise DatabaseError(f"Failed to open the database {path}: {exc}") from exc

    _restrict_to_owner(path)
    return db


def _restrict_to_owner(path: Path) -> None:
    """Make the database and its WAL files readable only by their owner."""
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            os.chmod(candidate, stat.S_IRUSR | stat.S_IWUSR)


def schema_version(db: peewee.SqliteDatabase) -> int:
    """Return the schema version stored in the file, 0 for a new file."""
    if not db.table_exists("meta"):
        return 0
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else 0


def migrate(db: peewee.SqliteDatabase) -> None:
    """Bring the schema up to SCHEMA_VERSION, one migration per transaction."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise DatabaseError(
            f"its schema version {current} is newer than this release supports "
            f"({SCHEMA_VERSION}); update Floridify"
        )

    migrator = SqliteMigrator(db)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.atomic():
            MIGRATIONS[version](migrator)
            Meta.insert(key="schema_version", value=str(version)).on_conflict_replace().execute()
        log.debug("Migrated database schema to version %s", version)


def chunked(rows: list[T], columns: int) -> Iterable[list[T]]:
    """Split `rows` so that no statement binds more than MAX_VARIABLES values."""
    size = max(1, MAX_VARIABLES // max(1, columns))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class DatabaseWorker:
    """Runs every database call on one dedicated thread.

    One writer thread means no two writes from this process contend, and
    the event loop (the UI thread in the desktop app) never waits on SQLite.
    Callers must not await inside the functions they submit, so no
    transaction is ever held across an await.
    """

    def __init__(self, db: peewee.SqliteDatabase):
        self.db = db
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floridify-db")

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the database thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, function, args)

    def _call(self, function: Callable[..., T], args: tuple) -> T:
        self.db.connect(reuse_if_open=True)
        return function(*args)

    def close(self) -> None:
        """Finish queued work, then close the worker thread's connection."""
        self._executor.submit(self._close_connection).result()
        self._executor.shutdown(wait=True)

    def _close_connection(self) -> None:
        if not self.db.is_closed():
            self.db.close()
