"""Keeping the simulator's files and batches in a folder between runs.

OpenAI keeps a batch running while the client is closed. The demo mode's
simulator runs inside the desktop app, so without this every batch in flight
was lost when the app quit, and the next start sent its requests again.

The folder contains `state.json` (file and batch records) and `files/` (one file
per stored file, named by its id). Time goes on while the simulator is
stopped: a batch restored after a pause is as far along as the pause allows.
"""

import json
import logging
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from floridify_gui.simulator.batches import Batch, BatchStore
from floridify_gui.simulator.config import SimulatorConfig
from floridify_gui.simulator.files import FileStore, StoredFile, validate_batch_input

logger = logging.getLogger("floridify_gui.simulator")

STATE_VERSION = 1
STATE_FILE = "state.json"
FILES_FOLDER = "files"
# Batches created longer ago than this are dropped with their files. OpenAI's
# completion window is 24 hours; the rest leaves time to download the results.
KEEP_SECONDS = 48 * 3600

# Batch fields stored as they are; `input_file`, `config`, `started` and `lock` are handled apart.
_PLAIN_FIELDS = [f.name for f in fields(Batch) if f.name not in ("input_file", "config", "started", "lock")]


def save_state(files: FileStore, batches: BatchStore, folder: Path) -> None:
    """Write the files and batches of the last KEEP_SECONDS to `folder`."""
    now_wall = time.time()
    recent_batches = [batch for batch in batches.all_batches() if now_wall - batch.created_wall < KEEP_SECONDS]
    referenced_ids = _file_ids_of(recent_batches)
    recent_files = [stored for stored in files.all_files() if stored.id in referenced_ids]

    files_folder = folder / FILES_FOLDER
    files_folder.mkdir(parents=True, exist_ok=True)
    for stored_file in recent_files:
        _write_content(files_folder / stored_file.id, stored_file.content)

    state = {
        "version": STATE_VERSION,
        "saved_at": now_wall,
        "files": [_file_record(stored_file) for stored_file in recent_files],
        "batches": [_batch_record(batch, batches.elapsed(batch)) for batch in recent_batches],
    }
    _write_atomically(folder / STATE_FILE, json.dumps(state).encode("utf-8"))
    _remove_unlisted(files_folder, referenced_ids)
    logger.debug("Saved %d batches and %d files to %s", len(recent_batches), len(recent_files), folder)


def load_state(files: FileStore, batches: BatchStore, folder: Path) -> None:
    """Restore what `save_state` wrote to `folder`; a missing or unreadable state restores nothing."""
    path = folder / STATE_FILE
    if not path.exists():
        return
    try:
        state = json.loads(path.read_bytes())
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown version {state.get('version')!r}")
        restored_files = {record["id"]: _read_file(folder / FILES_FOLDER, record) for record in state["files"]}
        paused = max(0.0, time.time() - state["saved_at"])
        restored_batches = [_batch_from(record, restored_files) for record in state["batches"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("Failed to restore the simulator state from %s, starting empty: %s", folder, error)
        return

    files.restore(restored_files.values())
    batches.restore(restored_batches, [record["elapsed"] + paused for record in state["batches"]])
    logger.debug("Restored %d batches and %d files from %s", len(restored_batches), len(restored_files), folder)


def _file_ids_of(batches: list[Batch]) -> set[str]:
    ids = set()
    for batch in batches:
        ids.add(batch.input_file.id)
        ids.update(file_id for file_id in (batch.output_file_id, batch.error_file_id) if file_id)
    return ids


def _file_record(stored: StoredFile) -> dict[str, Any]:
    return {"id": stored.id, "filename": stored.filename, "purpose": stored.purpose,
            "created_at": stored.created_at, "batch_input": stored.batch_input is not None}


def _batch_record(batch: Batch, elapsed: float) -> dict[str, Any]:
    record = {name: getattr(batch, name) for name in _PLAIN_FIELDS}
    record.update(input_file_id=batch.input_file.id, config=batch.config.to_dict(), elapsed=elapsed)
    return record


def _read_file(files_folder: Path, record: dict[str, Any]) -> StoredFile:
    content = (files_folder / record["id"]).read_bytes()
    # The summary of an input file is rebuilt rather than stored: it is derived from the content.
    batch_input = validate_batch_input(content) if record["batch_input"] else None
    return StoredFile(record["id"], record["filename"], record["purpose"], content, record["created_at"], batch_input)


def _batch_from(record: dict[str, Any], restored_files: dict[str, StoredFile]) -> Batch:
    values = {name: record[name] for name in _PLAIN_FIELDS}
    return Batch(input_file=restored_files[record["input_file_id"]],
                 config=SimulatorConfig.from_dict(record["config"]), started=0.0, **values)


def _write_content(path: Path, content: bytes) -> None:
    # Stored files never change, so one written by an earlier save is complete already.
    if not path.exists():
        _write_atomically(path, content)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def _remove_unlisted(files_folder: Path, referenced_ids: set[str]) -> None:
    for path in files_folder.iterdir():
        if path.name not in referenced_ids:
            path.unlink(missing_ok=True)
