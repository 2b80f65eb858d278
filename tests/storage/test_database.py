"""Opening, migrating and protecting the SQLite file."""

import os
import sqlite3
import stat

import pytest

from floridify_gui.storage import SCHEMA_VERSION, DatabaseError, Meta, chunked, open_database
from floridify_gui.storage.database import BUSY_TIMEOUT_MS, MAX_VARIABLES, schema_version


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "floridify.sqlite3"


@pytest.fixture
def opened(db_path):
    db = open_database(db_path)
    yield db
    db.close()


def _pragma(db, name: str):
    return db.execute_sql(f"PRAGMA {name}").fetchone()[0]


def _write_schema_version(db_path, version: int) -> None:
    db = open_database(db_path)
    Meta.replace(key="schema_version", value=str(version)).execute()
    db.close()


def test_open_uses_wal_journal(opened):
    assert _pragma(opened, "journal_mode") == "wal"


def test_open_enables_foreign_keys(opened):
    assert _pragma(opened, "foreign_keys") == 1


def test_open_sets_busy_timeout(opened):
    assert _pragma(opened, "busy_timeout") == BUSY_TIMEOUT_MS


def test_open_stores_schema_version(opened):
    assert schema_version(opened) == SCHEMA_VERSION


def test_open_creates_parent_folder(opened, db_path):
    assert db_path.is_file()


def test_database_file_is_owner_only(opened, db_path):
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600


def test_wal_files_are_owner_only(opened, db_path):
    # The migration writes, so SQLite has created both WAL companions by the time open_database returns.
    for suffix in ("-wal", "-shm"):
        companion = db_path.with_name(db_path.name + suffix)
        assert stat.S_IMODE(os.stat(companion).st_mode) == 0o600, companion.name


def test_reopen_keeps_data(db_path):
    db = open_database(db_path)
    Meta.replace(key="probe", value="kept").execute()
    db.close()

    db = open_database(db_path)
    value = Meta.get(Meta.key == "probe").value
    version = schema_version(db)
    db.close()

    assert value == "kept"
    assert version == SCHEMA_VERSION


def test_reopen_keeps_one_version_row(db_path):
    open_database(db_path).close()
    db = open_database(db_path)
    rows = Meta.select().where(Meta.key == "schema_version").count()
    db.close()

    assert rows == 1


def test_newer_schema_is_rejected(db_path):
    _write_schema_version(db_path, SCHEMA_VERSION + 1)

    with pytest.raises(DatabaseError, match="newer"):
        open_database(db_path)


def test_newer_schema_is_left_unchanged(db_path):
    _write_schema_version(db_path, SCHEMA_VERSION + 1)

    with pytest.raises(DatabaseError):
        open_database(db_path)

    # Read the row with the sqlite3 module so that no migration can run.
    connection = sqlite3.connect(db_path)
    stored = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    connection.close()

    assert stored == str(SCHEMA_VERSION + 1)


def test_random_bytes_file_is_rejected(db_path):
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(os.urandom(8192))

    with pytest.raises(DatabaseError, match="Failed to open the database"):
        open_database(db_path)


def test_random_bytes_file_is_not_modified(db_path):
    db_path.parent.mkdir(parents=True)
    content = os.urandom(8192)
    db_path.write_bytes(content)

    with pytest.raises(DatabaseError):
        open_database(db_path)

    assert db_path.read_bytes() == content


def test_text_file_is_rejected(db_path):
    db_path.parent.mkdir(parents=True)
    db_path.write_text("headword\nocean\nriver\n" * 200, encoding="utf-8")

    with pytest.raises(DatabaseError):
        open_database(db_path)


@pytest.mark.parametrize("columns", [1, 2, 3, 7, 10, 18, 333, 500, 998, 999])
def test_chunked_stays_under_variable_limit(columns):
    rows = list(range(5000))

    for chunk in chunked(rows, columns):
        assert len(chunk) * columns <= MAX_VARIABLES


def test_variable_limit_is_sqlite_default():
    assert MAX_VARIABLES <= 999


@pytest.mark.parametrize("columns", [1, 7, 999])
def test_chunked_keeps_every_row_in_order(columns):
    rows = list(range(2500))

    rejoined = [row for chunk in chunked(rows, columns) for row in chunk]

    assert rejoined == rows


def test_chunked_of_nothing_yields_nothing():
    assert list(chunked([], 5)) == []


def test_chunked_never_yields_empty_chunk():
    assert all(chunk for chunk in chunked(list(range(10)), 0))
