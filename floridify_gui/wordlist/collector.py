"""Turn parsed rows into entries, collapsing duplicates and recording rejected rows."""

from __future__ import annotations

from collections.abc import Callable

from floridify_gui.wordlist.normalize import (
    MAX_HEADWORD_LENGTH,
    check_headword,
    find_bad_character,
    fold_definition,
    key_of_normalized,
    normalize_field,
    normalize_part_of_speech,
)
from floridify_gui.wordlist.report import DuplicateRow, Entry, RejectedRow, SenseRow, shorten

# Builds the text shown for a rejected row only when a row is rejected, so accepted rows cost nothing.
RowText = Callable[[], str]


class EntryCollector:
    """Accumulator of entries, duplicate rows and rejected rows, in file order.

    A bare headword (a row without part of speech, definition and example) whose key was seen
    before is a duplicate. A row with sense fields adds a sense to the entry of its key, and is
    a duplicate only when key, part of speech and folded definition all repeat an earlier row.
    """

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.duplicates: list[DuplicateRow] = []
        self.rejected: list[RejectedRow] = []
        self.rows_read = 0
        self._entries_by_key: dict[str, Entry] = {}
        # Maps "key\0part of speech\0folded definition" to the line of the first such row. Unlike a
        # tuple, a string key is not tracked by the garbage collector, which keeps large reads faster.
        self._sense_lines: dict[str, int] = {}

    def add_headword(self, line: int, raw: str) -> None:
        """Add a bare headword from a plain list, or reject it."""
        self.rows_read += 1
        if raw.isalpha() and raw.isascii() and len(raw) <= MAX_HEADWORD_LENGTH:
            # Fast path for most lines of large lists: a headword of ASCII letters only is already
            # normalised and valid, and its key is its lowercase form.
            self._add_bare(line, raw, raw if raw.islower() else raw.lower())
            return

        headword, reason = check_headword(raw)
        if headword is None or not headword:
            self.reject(line, raw, reason or "headword is empty")
            return

        self._add_bare(line, headword, _key_sharing_memory(headword))

    def add_row(
        self,
        line: int,
        raw_headword: str | None,
        fields: tuple[str | None, str | None, str | None],
        row_text: RowText,
    ) -> None:
        """Add a row with optional part of speech, definition and example, or reject it.

        Args:
            line: 1-based line the row starts on.
            raw_headword: The headword cell as parsed, or None when the row has no such cell.
            fields: The raw part of speech, definition and example, None where missing.
            row_text: Returns the row as text for the rejected-rows list.
        """
        self.rows_read += 1
        headword, reason = check_headword(raw_headword or "")
        if reason is None:
            reason = _find_field_problem(fields)

        if reason is None and not headword:
            reason = "headword is empty but the row has other fields"

        if headword is None or reason is not None:
            self.reject(line, row_text(), reason or "headword is invalid")
            return

        part_of_speech = normalize_part_of_speech(fields[0])
        definition = normalize_field(fields[1])
        example = normalize_field(fields[2])
        if part_of_speech is None and definition is None and example is None:
            self._add_bare(line, headword, _key_sharing_memory(headword))
            return

        self._add_sense(headword, SenseRow(part_of_speech, definition, example, line))

    def reject_row(self, line: int, text: str, reason: str) -> None:
        """Count a row that the parser could not split into fields, and record it as rejected."""
        self.rows_read += 1
        self.reject(line, text, reason)

    def reject(self, line: int, text: str, reason: str) -> None:
        """Record a row that is not imported."""
        self.rejected.append(RejectedRow(line, shorten(text), reason))

    def _add_bare(self, line: int, headword: str, key: str) -> None:
        entry = self._entries_by_key.get(key)
        if entry is not None:
            self.duplicates.append(DuplicateRow(line, headword, entry.line))
            return

        entry = Entry(headword, key, line, [])
        self._entries_by_key[key] = entry
        self.entries.append(entry)

    def _add_sense(self, headword: str, sense: SenseRow) -> None:
        key = _key_sharing_memory(headword)
        identity = f"{key}\0{sense.part_of_speech or ''}\0{fold_definition(sense.definition)}"
        first_line = self._sense_lines.get(identity)
        if first_line is not None:
            self.duplicates.append(DuplicateRow(sense.line, headword, first_line))
            return

        self._sense_lines[identity] = sense.line
        entry = self._entries_by_key.get(key)
        if entry is None:
            entry = Entry(headword, key, sense.line, [])
            self._entries_by_key[key] = entry
            self.entries.append(entry)

        entry.senses.append(sense)


def _key_sharing_memory(headword: str) -> str:
    """Return the headword's key, reusing the headword string when both are equal (most lowercase words)."""
    key = key_of_normalized(headword)
    return headword if key == headword else key


def _find_field_problem(fields: tuple[str | None, str | None, str | None]) -> str | None:
    for name, value in zip(("part of speech", "definition", "example"), fields):
        if value is None:
            continue

        bad_character = find_bad_character(value, allow_line_breaks=True)
        if bad_character is not None:
            return f"{name} contains {bad_character}"

    return None
