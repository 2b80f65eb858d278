"""Writing the result grid's rows to CSV or JSON Lines (no Qt here; runs on the reader thread)."""

import csv
import datetime
import json
import os
import re
from pathlib import Path

from floridify_gui.ui import queries
from floridify_gui.ui.queries import ItemFilter, ItemRow

FIELDS = ["id", "job_id", "headword", "part_of_speech", "gloss", "component", "status", "outcome_message",
          "attempts", "updated_at", "result"]
CHUNK_ROWS = 500
# A tab or any line break that `str.splitlines` splits at. "\r\n" is matched whole, so it
# becomes one space.
_TSV_BREAKS = re.compile(r"\r\n|[\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029]")


def export_items(item_filter: ItemFilter, path: str | os.PathLike, file_format: str) -> int:
    """Write every item `item_filter` shows to `path` and return how many were written.

    Args:
        file_format: "csv" or "jsonl". In both, `result` is the full result
            JSON (a string in CSV, an object in JSON Lines), and `updated_at`
            is ISO 8601 local time with its UTC offset.

    Raises:
        OSError: the file cannot be written.
        ValueError: an unknown format.
    """
    if file_format not in ("csv", "jsonl"):
        raise ValueError(f"Failed to export: unknown format {file_format!r}; use csv or jsonl")

    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "w", encoding="utf-8", newline="") as stream:
        count = _write_csv(item_filter, stream) if file_format == "csv" else _write_jsonl(item_filter, stream)
    # Replace only a complete file, so a failed export never leaves half a file under the chosen name.
    os.replace(temporary, path)
    return count


def _chunks(item_filter: ItemFilter):
    ids = queries.item_ids(item_filter)
    for start in range(0, len(ids), CHUNK_ROWS):
        part = list(ids[start:start + CHUNK_ROWS])
        results = queries.item_results(part)
        yield [(row, results.get(row.id)) for row in queries.item_rows(part) if row is not None]


def _record(row: ItemRow, result: str | None) -> dict:
    record = {name: getattr(row, name) for name in FIELDS if name != "result"}
    record["updated_at"] = iso_local_time(row.updated_at)
    record["result"] = result
    return record


def iso_local_time(timestamp: float | None) -> str | None:
    """Return Unix seconds as ISO 8601 local time with its UTC offset ("2026-12-04T23:17:04+01:00"), or None."""
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.astimezone().isoformat(timespec="seconds")


def _write_csv(item_filter: ItemFilter, stream) -> int:
    writer = csv.DictWriter(stream, fieldnames=FIELDS)
    writer.writeheader()
    count = 0
    for chunk in _chunks(item_filter):
        writer.writerows(_record(row, result) for row, result in chunk)
        count += len(chunk)
    return count


def _write_jsonl(item_filter: ItemFilter, stream) -> int:
    count = 0
    for chunk in _chunks(item_filter):
        for row, result in chunk:
            record = _record(row, result)
            record["result"] = json.loads(result) if result else None
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += len(chunk)
    return count


def rows_as_tsv(rows: list[list[object]]) -> str:
    """Join cells with tabs and rows with newlines, replacing tabs and line breaks inside cells by spaces.

    None becomes an empty cell and any other value its `str`.
    """
    return "\n".join("\t".join(_tsv_cell(cell) for cell in row) for row in rows)


def _tsv_cell(cell: object) -> str:
    return "" if cell is None else _TSV_BREAKS.sub(" ", str(cell))
