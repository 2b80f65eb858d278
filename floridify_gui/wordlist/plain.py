"""Parser for plain word lists: one headword per line, with ``#`` comment lines and blank lines ignored."""

from __future__ import annotations

from itertools import islice

from floridify_gui.wordlist.collector import EntryCollector
from floridify_gui.wordlist.progress import ProgressTicker
from floridify_gui.wordlist.report import MAX_REPORTED_ROWS


def read_plain(lines: list[str], first_line: int, collector: EntryCollector, ticker: ProgressTicker) -> list[list[str]]:
    """Feed every headword line to the collector and return the first 1000 of them as preview rows.

    Args:
        lines: The lines of the input, without line endings.
        first_line: The 1-based line number of ``lines[0]`` in the input.
        collector: Receives each headword.
        ticker: Reports progress in lines.
    """
    preview = [[line] for line in islice(filter(_is_headword_line, lines), MAX_REPORTED_ROWS)]

    # This loop runs once per line of lists with hundreds of thousands of words, so it stays minimal.
    next_check = ticker.start()
    for index, line in enumerate(lines):
        if index >= next_check:
            next_check = ticker.check(index)

        stripped = line.strip()
        if stripped and stripped[0] != "#":
            collector.add_headword(first_line + index, line)

    return preview


def _is_headword_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and stripped[0] != "#"
