"""Read word lists (.txt, .csv, .tsv, .json or pasted text) into deduplicated entries with senses.

The reader only parses and validates. It never touches storage, so the importer can show the
report, let the user adjust delimiter and columns, and read again before saving anything.
"""

from floridify_gui.wordlist.errors import ReadCancelled, WordListError
from floridify_gui.wordlist.normalize import headword_key, normalize_headword
from floridify_gui.wordlist.reader import read_word_list, read_word_list_bytes, read_word_list_text
from floridify_gui.wordlist.report import DuplicateRow, Entry, RejectedRow, SenseRow, WordListReport

__all__ = [
    "DuplicateRow",
    "Entry",
    "ReadCancelled",
    "RejectedRow",
    "SenseRow",
    "WordListError",
    "WordListReport",
    "headword_key",
    "normalize_headword",
    "read_word_list",
    "read_word_list_bytes",
    "read_word_list_text",
]
