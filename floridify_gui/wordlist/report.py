"""Result types of the word-list reader: entries, senses, rejected and duplicate rows, and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_REPORTED_ROWS = 1000
MAX_TEXT_LENGTH = 80
_TEXT_REPORT_ROWS = 20


@dataclass(frozen=True, slots=True)
class SenseRow:
    """One sense of an entry: a row of a file with definitions. ``line`` is 1-based."""

    part_of_speech: str | None
    definition: str | None
    example: str | None
    line: int


@dataclass(slots=True)
class Entry:
    """A distinct headword with the line it first appears on and its senses (empty for a bare headword)."""

    headword: str
    key: str
    line: int
    senses: list[SenseRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported, with its text cut to 80 characters and the reason."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    """A row that repeats an earlier one and was collapsed into it."""

    line: int
    headword: str
    first_line: int


@dataclass
class WordListReport:
    """Everything the reader found in one input: how it was parsed, the entries and the skipped rows.

    ``columns`` maps field names (headword, part_of_speech, definition, example) to 0-based column
    indexes. ``rows_read`` counts data rows, so blank lines, comment lines, the header and an
    Excel ``sep=`` line are not included. ``raw_rows`` contains the parsed cells of up to 1000
    rows for `preview_rows`. JSON objects appear as [headword, part_of_speech, definition, example].
    """

    source: str
    format: str
    encoding: str
    delimiter: str | None
    has_header: bool
    columns: dict[str, int]
    rows_read: int
    entries: list[Entry]
    duplicates: list[DuplicateRow]
    rejected: list[RejectedRow]
    raw_rows: list[list[str]] = field(default_factory=list, repr=False)

    @property
    def accepted(self) -> int:
        """Number of entries (distinct headwords)."""
        return len(self.entries)

    @property
    def sense_count(self) -> int:
        """Number of senses over all entries."""
        return sum(len(entry.senses) for entry in self.entries)

    def preview_rows(self, n: int = 50) -> list[list[str]]:
        """Return the parsed cells of the first ``n`` rows, header included, for the importer preview.

        Blank and comment lines are left out. At most the first 1000 rows are kept.
        """
        return [list(row) for row in self.raw_rows[:n]]

    def to_dict(self) -> dict[str, Any]:
        """Summarise the report as JSON-ready data: counts and the first 1000 rejected and duplicate rows."""
        return {
            "source": self.source,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "has_header": self.has_header,
            "columns": dict(self.columns),
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "sense_count": self.sense_count,
            "duplicate_count": len(self.duplicates),
            "rejected_count": len(self.rejected),
            "duplicates": [asdict(row) for row in self.duplicates[:MAX_REPORTED_ROWS]],
            "rejected": [asdict(row) for row in self.rejected[:MAX_REPORTED_ROWS]],
        }

    def format_text(self) -> str:
        """Render a multi-line summary for the CLI, listing the first 20 rejected and duplicate rows."""
        lines = [
            f"{self.source}: {self.rows_read:,} rows read ({self._describe_parsing()})",
            f"  accepted:   {self.accepted:,} entries, {self.sense_count:,} senses",
            f"  duplicates: {len(self.duplicates):,}",
            f"  rejected:   {len(self.rejected):,}",
        ]
        if self.rejected:
            lines.append("Rejected rows:")
            lines.extend(f"  line {row.line}: {row.reason}: {row.text!r}" for row in self.rejected[:_TEXT_REPORT_ROWS])
            lines.extend(_more_line(len(self.rejected)))

        if self.duplicates:
            lines.append("Duplicate rows:")
            lines.extend(
                f"  line {row.line}: {row.headword!r} repeats line {row.first_line}"
                for row in self.duplicates[:_TEXT_REPORT_ROWS]
            )
            lines.extend(_more_line(len(self.duplicates)))

        return "\n".join(lines)

    def _describe_parsing(self) -> str:
        parts = [self.format, self.encoding]
        if self.delimiter is not None:
            parts.append(f"delimiter {self.delimiter!r}")

        if self.format in ("csv", "tsv"):
            parts.append("header" if self.has_header else "no header")

        return ", ".join(parts)


def _more_line(total: int) -> list[str]:
    if total <= _TEXT_REPORT_ROWS:
        return []

    return [f"  … and {total - _TEXT_REPORT_ROWS:,} more"]


def shorten(text: str) -> str:
    """Cut ``text`` to at most 80 characters, ending with "…" when it was cut."""
    if len(text) <= MAX_TEXT_LENGTH:
        return text

    return text[: MAX_TEXT_LENGTH - 1] + "…"
