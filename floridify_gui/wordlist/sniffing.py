"""Guess how a word list is laid out: its format, delimiter, header row and columns."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from floridify_gui.wordlist.errors import WordListError
from floridify_gui.wordlist.normalize import KNOWN_PARTS_OF_SPEECH, normalize_headword

FIELDS = ("headword", "part_of_speech", "definition", "example")
DELIMITERS = (",", ";", "\t", "|")
TXT_SUFFIXES = frozenset({".txt", ".text", ".lst", ".list"})
DELIMITED_SUFFIXES = {".csv": None, ".tsv": "\t", ".tab": "\t"}

_SAMPLE_CHARACTERS = 64 * 1024
_SAMPLE_ROWS = 200
_MIN_CONSISTENT_SHARE = 0.8

# Header cells are compared after `header_token`, which case-folds them and turns every run of
# spaces and punctuation into one "_". Names that are also common first headwords ("item",
# "class", "entry") are left out, because they would make a header-less list lose its first row.
_HEADER_NAMES = {
    "headword": ("headword", "head_word", "headwords", "word", "words", "lemma", "term", "expression", "vocabulary"),
    "part_of_speech": (
        "part_of_speech",
        "partofspeech",
        "parts_of_speech",
        "pos",
        "word_class",
        "wordclass",
        "lexical_category",
        "grammatical_category",
    ),
    "definition": ("definition", "definitions", "meaning", "meanings", "gloss", "def", "description"),
    "example": ("example", "examples", "example_sentence", "example_sentences", "usage_example", "sample_sentence"),
}
HEADER_FIELDS = {name: field for field, names in _HEADER_NAMES.items() for name in names}

# Excel writes the line as sep=; and some tools quote it. Letters, digits and quotes cannot be delimiters.
_SEP_LINE = re.compile(r'"?sep=([^\w"\n])"?[ \t]*', re.IGNORECASE)


def header_token(cell: str) -> str:
    """Reduce a header cell or JSON key to the form used to look it up ("Part of Speech" -> "part_of_speech")."""
    return re.sub(r"[\W_]+", "_", cell.casefold()).strip("_")


def split_sep_line(text: str) -> tuple[str | None, str]:
    """Detect Excel's ``sep=;`` first line and return its delimiter and the text after that line.

    Returns ``(None, text)`` when the first line is not a ``sep=`` line.
    """
    first_line, _, rest = text.partition("\n")
    match = _SEP_LINE.fullmatch(first_line)
    if match is None:
        return None, text

    return match.group(1), rest


def take_sample(text: str) -> str:
    """Return the first 64 KiB of the text, cut after the last complete line when there is one."""
    if len(text) <= _SAMPLE_CHARACTERS:
        return text

    sample = text[:_SAMPLE_CHARACTERS]
    last_newline = sample.rfind("\n")
    return sample[: last_newline + 1] if last_newline > 0 else sample


def sniff_delimiter(sample: str, candidates: Sequence[str] = DELIMITERS) -> str | None:
    """Return the candidate that splits the sample rows into the same number (2 or more) of fields.

    A candidate qualifies when at least 80% of the non-blank, non-comment rows share the most
    common field count. A qualifying tab wins outright, because prose never contains tabs but
    often contains commas and semicolons. Otherwise the candidate with the most consistent rows
    wins, then the one with more fields. Returns None when no candidate qualifies.
    """
    best: tuple[float, int] | None = None
    best_delimiter = None
    for delimiter in candidates:
        share, field_count = _measure_consistency(sample, delimiter)
        if field_count < 2 or share < _MIN_CONSISTENT_SHARE:
            continue

        if delimiter == "\t":
            return delimiter

        if best is None or (share, field_count) > best:
            best = (share, field_count)
            best_delimiter = delimiter

    return best_delimiter


def _measure_consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """Return the share of rows with the most common field count, and that count."""
    counts: Counter[int] = Counter()
    reader = csv.reader(io.StringIO(sample, newline="\n"), delimiter=delimiter, skipinitialspace=True)
    try:
        for cells in reader:
            if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
                continue

            counts[len(cells)] += 1
            if counts.total() >= _SAMPLE_ROWS:
                break
    except csv.Error:
        # A quoting error with this delimiter is itself evidence against it, so use what was counted.
        pass

    if not counts:
        return 0.0, 0

    field_count, rows = counts.most_common(1)[0]
    return rows / counts.total(), field_count


def validate_delimiter(delimiter: str) -> None:
    """Raise ValueError unless the delimiter is one character that can separate CSV fields."""
    if len(delimiter) != 1 or delimiter in '"\r\n' or delimiter.isalnum():
        raise ValueError(
            f"Failed to use delimiter {delimiter!r}: it must be one character other than a quote, "
            "a letter, a digit or a line break. Pass a delimiter such as ',', ';', '\\t' or '|'"
        )


def detect_header_columns(first_row: Sequence[str]) -> dict[str, int]:
    """Map fields to the columns whose header cell is a known name, e.g. "Part of speech" -> part_of_speech.

    Returns an empty dict when no cell is a known name, which means the row is probably data.
    The first column with a given field wins.
    """
    columns: dict[str, int] = {}
    for index, cell in enumerate(first_row):
        field = HEADER_FIELDS.get(header_token(cell))
        if field is not None and field not in columns:
            columns[field] = index

    return columns


def default_columns(sample_rows: Sequence[Sequence[str]]) -> dict[str, int]:
    """Assign fields by position for a file without a recognisable header.

    Column 0 is the headword. If column 1 mostly contains parts of speech ("noun", "v."), it is
    the part of speech and columns 2 and 3 are definition and example. Otherwise columns 1 and 2
    are definition and example.
    """
    width = max((len(row) for row in sample_rows), default=1)
    if width >= 2 and _looks_like_parts_of_speech(row[1] for row in sample_rows if len(row) > 1):
        order = FIELDS
    else:
        order = ("headword", "definition", "example")

    return {field: index for index, field in enumerate(order) if index < width}


def _looks_like_parts_of_speech(cells: Iterable[str]) -> bool:
    values = [normalize_headword(cell).lower() for cell in cells]
    values = [value for value in values if value]
    if not values:
        return False

    known = sum(1 for value in values if value in KNOWN_PARTS_OF_SPEECH)
    return known >= _MIN_CONSISTENT_SHARE * len(values)


def apply_column_overrides(
    columns: dict[str, int],
    overrides: Mapping[str, int | str],
    header_row: Sequence[str] | None,
    source: str,
) -> dict[str, int]:
    """Merge a caller's column map into the detected one.

    An override value is a 0-based column index or a header name (compared like detected
    header names). A field that the override moves into a column takes it from whichever
    detected field had it.

    Raises:
        ValueError: An unknown field name, a negative index or a value of another type.
        WordListError: A header name that the file does not have.
    """
    merged = dict(columns)
    for field, target in overrides.items():
        if field not in FIELDS:
            raise ValueError(f"Failed to apply column map: unknown field {field!r}. Use one of {', '.join(FIELDS)}")

        index = _resolve_column(target, header_row, source)
        merged = {name: column for name, column in merged.items() if column != index and name != field}
        merged[field] = index

    return dict(sorted(merged.items(), key=lambda item: item[1]))


def _resolve_column(target: int | str, header_row: Sequence[str] | None, source: str) -> int:
    if isinstance(target, bool) or not isinstance(target, int | str):
        raise ValueError(f"Failed to apply column map: {target!r} is neither a column index nor a header name")

    if isinstance(target, int):
        if target < 0:
            raise ValueError(f"Failed to apply column map: column index {target} is negative. Indexes start at 0")
        return target

    tokens = [header_token(cell) for cell in header_row or ()]
    requested = header_token(target)
    if requested in tokens:
        return tokens.index(requested)

    found = f"found: {', '.join(map(repr, header_row))}" if header_row else "the file has no header row"
    raise WordListError(
        source,
        f"the column {target!r} is not in the header ({found})",
        "Choose one of the header names or a 0-based column index",
    )
