"""Parser for CSV and TSV word lists with optional header row and any column order."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain, islice

from floridify_gui.wordlist.collector import EntryCollector
from floridify_gui.wordlist.errors import WordListError
from floridify_gui.wordlist.progress import ProgressTicker
from floridify_gui.wordlist.report import MAX_REPORTED_ROWS
from floridify_gui.wordlist.sniffing import apply_column_overrides, default_columns, detect_header_columns

_SAMPLE_ROWS = 200

# (line, cells, reason): cells is None when the row could not be parsed, and reason then explains why.
ParsedRow = tuple[int, list[str] | None, str | None]


@dataclass
class DelimitedLayout:
    """Header flag, field-to-column map and preview rows of a delimited file."""

    has_header: bool
    columns: dict[str, int]
    preview: list[list[str]]


def read_delimited(
    lines: list[str],
    first_line: int,
    delimiter: str,
    *,
    has_header: bool | None,
    overrides: Mapping[str, int | str] | None,
    collector: EntryCollector,
    ticker: ProgressTicker,
    source: str,
) -> DelimitedLayout:
    """Parse the rows, work out the columns from the header (or by position), and feed every row to the collector.

    Args:
        lines: The lines of the input, without line endings.
        first_line: The 1-based line number of ``lines[0]`` in the input.
        delimiter: The field delimiter.
        has_header: True or False to override header detection.
        overrides: Caller's column map, merged into the detected one.
        collector: Receives each row.
        ticker: Reports progress in lines.
        source: The path or label used in error messages.

    Raises:
        WordListError: No column can be the headword column, or an override names a missing header.
    """
    rows = iter_rows(lines, first_line, delimiter)
    sample = list(islice(rows, _SAMPLE_ROWS))
    layout = _plan_layout(sample, has_header, overrides, source)
    data_rows = chain(sample[1:] if layout.has_header else sample, rows)

    next_check = ticker.start()
    for line, cells, reason in data_rows:
        if line - first_line >= next_check:
            next_check = ticker.check(line - first_line)

        if cells is None:
            collector.reject_row(line, lines[line - first_line], reason or "row could not be parsed")
            continue

        _add_cells(collector, line, cells, layout.columns, delimiter)
        if len(layout.preview) < MAX_REPORTED_ROWS:
            layout.preview.append(cells)

    return layout


def iter_rows(lines: list[str], first_line: int, delimiter: str) -> Iterator[ParsedRow]:
    """Yield each row with the line it starts on, skipping blank rows and ``#`` comment lines.

    A row that the csv module cannot parse (a quoted field that never closes, or a field longer
    than ``csv.field_size_limit()``) is yielded with its reason. Parsing then resumes on the line
    after the one where that row started, so an unclosed quote costs one row, not the rest of the file.
    """
    index = 0
    while index < len(lines):
        # Line endings go back in, because the csv module needs them to keep line breaks inside quoted fields.
        reader = csv.reader(
            (line + "\n" for line in islice(lines, index, None)),
            delimiter=delimiter,
            skipinitialspace=True,
            strict=True,
        )
        row_start = 1
        try:
            for cells in reader:
                if _is_data_row(cells, lines[index + row_start - 1]):
                    yield first_line + index + row_start - 1, cells, None

                row_start = reader.line_num + 1

            return
        except csv.Error as error:
            yield first_line + index + row_start - 1, None, _describe_csv_error(error)
            index += row_start


def _is_data_row(cells: list[str], first_physical_line: str) -> bool:
    # A comment must start the physical line, so a quoted first cell such as "#tag" is still data.
    if first_physical_line.lstrip().startswith("#"):
        return False

    return any(cell.strip() for cell in cells)


def _describe_csv_error(error: csv.Error) -> str:
    message = str(error)
    if "field larger than field limit" in message:
        return f"a field is longer than the limit of {csv.field_size_limit():,} characters"

    if "unexpected end of data" in message:
        return "a quoted field starts on this line but its closing quote is missing"

    return f"invalid CSV quoting ({message})"


def _plan_layout(
    sample: list[ParsedRow],
    has_header: bool | None,
    overrides: Mapping[str, int | str] | None,
    source: str,
) -> DelimitedLayout:
    first_cells = sample[0][1] if sample else None
    detected = detect_header_columns(first_cells) if first_cells is not None else {}
    if has_header is None:
        # A column chosen by header name only makes sense if the first row is the header.
        named = overrides is not None and any(isinstance(target, str) for target in overrides.values())
        has_header = bool(detected) or named

    header = has_header and first_cells is not None
    data_cells = [cells for _, cells, _ in sample[1 if header else 0 :] if cells is not None]

    columns = detected if header and detected else default_columns(data_cells)
    if header and "headword" not in columns and 0 not in columns.values():
        columns = {"headword": 0, **columns}

    header_row = first_cells if header else None
    if overrides:
        columns = apply_column_overrides(columns, overrides, header_row, source)

    if "headword" not in columns:
        raise WordListError(
            source,
            f"no column contains the headwords (header: {', '.join(map(repr, header_row or []))})",
            "Name the headword column 'headword' or 'word', or choose it in the column map",
        )

    preview = [list(header_row)] if header_row is not None else []
    return DelimitedLayout(has_header=header, columns=columns, preview=preview)


def _add_cells(collector: EntryCollector, line: int, cells: list[str], columns: dict[str, int], delimiter: str) -> None:
    def cell(field: str) -> str | None:
        index = columns.get(field)
        return cells[index] if index is not None and index < len(cells) else None

    collector.add_row(
        line,
        cell("headword"),
        (cell("part_of_speech"), cell("definition"), cell("example")),
        lambda: delimiter.join(cells),
    )
