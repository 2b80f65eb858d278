"""The inputs of one import (files or pasted text), their read options and reports."""

import threading
from dataclasses import dataclass, field
from pathlib import Path

from floridify_gui.wordlist import Entry, WordListReport, read_word_list, read_word_list_text

FIELDS = ("headword", "part_of_speech", "definition", "example")
FIELD_LABELS = {
    "headword": "Headword",
    "part_of_speech": "Part of speech",
    "definition": "Definition",
    "example": "Example",
}


@dataclass
class ImportSource:
    """One file or pasted text and the options the user chose for reading it.

    None in `encoding`, `delimiter` or `has_header` means "detect"; `columns`
    holds only the fields the user mapped by hand.
    """

    label: str
    path: Path | None = None
    text: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool | None = None
    columns: dict[str, int] = field(default_factory=dict)
    report: WordListReport | None = None
    error: str | None = None

    @classmethod
    def from_path(cls, path: str | Path) -> "ImportSource":
        """Return a source for a file."""
        path = Path(path)
        return cls(label=path.name, path=path)

    @classmethod
    def from_text(cls, text: str, label: str = "pasted text") -> "ImportSource":
        """Return a source for text such as the clipboard's."""
        return cls(label=label, text=text)

    def read(self, progress=None, should_abort=None) -> WordListReport:
        """Read the source with its options (on a worker thread; it may take seconds).

        Raises:
            WordListError, ReadCancelled, ValueError: as `read_word_list` does.
        """
        options = dict(delimiter=self.delimiter, has_header=self.has_header, columns=self.columns or None,
                       progress=progress, should_abort=should_abort)
        if self.path is not None:
            return read_word_list(self.path, encoding=self.encoding, **options)
        return read_word_list_text(self.text or "", source=self.label, **options)


class ReadProgress:
    """Progress and cancellation shared between the reading thread and the dialog.

    The thread writes `fraction` and polls `should_abort`; the dialog reads
    `fraction` on a timer, so no Qt object is touched from the thread.
    """

    def __init__(self) -> None:
        self.fraction = 0.0
        self._abort = threading.Event()

    def report(self, fraction: float) -> None:
        """Store the fraction done (called from the reading thread)."""
        self.fraction = fraction

    def should_abort(self) -> bool:
        """Return True once `abort` was called."""
        return self._abort.is_set()

    def abort(self) -> None:
        """Ask the reading thread to stop at its next check."""
        self._abort.set()


def merge_entries(reports: list[WordListReport]) -> list[Entry]:
    """Return the entries of all reports, a headword found in several inputs once with all its senses."""
    merged: dict[str, Entry] = {}
    for report in reports:
        for entry in report.entries:
            existing = merged.get(entry.key)
            if existing is None:
                merged[entry.key] = Entry(entry.headword, entry.key, entry.line, list(entry.senses))
            else:
                existing.senses.extend(entry.senses)
    return list(merged.values())


def describe_report(report: WordListReport) -> str:
    """Return the reader's findings as text for the importer's report box."""
    lines = [
        f"{_count(report.rows_read, 'row')} read",
        f"{_count(report.accepted, 'headword')} accepted ({_count(report.sense_count, 'sense')})",
        f"{_count(len(report.duplicates), 'duplicate')} collapsed",
        f"{_count(len(report.rejected), 'row')} rejected",
    ]
    if report.rejected:
        lines.append("")
        lines.append("Rejected rows:")
        lines.extend(f"  line {row.line}: {row.reason}: {row.text}" for row in report.rejected[:1000])
        if len(report.rejected) > 1000:
            lines.append(f"  … and {len(report.rejected) - 1000:,} more")
    if report.duplicates:
        lines.append("")
        lines.append("Duplicates collapsed:")
        lines.extend(f"  line {row.line}: “{row.headword}” repeats line {row.first_line}"
                     for row in report.duplicates[:200])
        if len(report.duplicates) > 200:
            lines.append(f"  … and {len(report.duplicates) - 200:,} more")
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
