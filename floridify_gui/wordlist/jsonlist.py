"""Parser for JSON word lists: a list of strings, or a list of objects with headword and sense keys."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NoReturn

from floridify_gui.wordlist.collector import EntryCollector
from floridify_gui.wordlist.errors import WordListError
from floridify_gui.wordlist.progress import ProgressTicker
from floridify_gui.wordlist.report import MAX_REPORTED_ROWS
from floridify_gui.wordlist.sniffing import FIELDS, HEADER_FIELDS, header_token

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_OBJECT_COLUMNS = {field: index for index, field in enumerate(FIELDS)}
_FIX_JSON_HINT = "Fix the JSON (a list of strings, or of objects with headword and definition keys) and import it again"


def read_json(
    text: str, collector: EntryCollector, ticker: ProgressTicker, source: str
) -> tuple[dict[str, int], list[list[str]]]:
    """Feed every item of the top-level JSON list to the collector.

    Object keys are matched like CSV header names, so "headword" or "word", "part_of_speech"
    or "pos", "definition" and "example" all work. Each item gets the line where it starts.

    Returns:
        The field-to-column map used for preview rows, and the first 1000 items as preview rows.

    Raises:
        WordListError: The text is not valid JSON or its top level is not a list.
    """
    columns: dict[str, int] = {"headword": 0}
    preview: list[list[str]] = []
    line_counter = _LineCounter(text)

    next_check = ticker.start()
    for offset, item in _iter_list_items(text, source):
        if offset >= next_check:
            next_check = ticker.check(offset)

        line = line_counter.line_at(offset)
        if isinstance(item, dict):
            columns = _OBJECT_COLUMNS
            cells = _add_object(collector, line, item)
        else:
            cells = _add_scalar(collector, line, item)

        if len(preview) < MAX_REPORTED_ROWS:
            preview.append(cells)

    return dict(columns), preview


def _iter_list_items(text: str, source: str) -> Iterator[tuple[int, Any]]:
    """Yield ``(offset, value)`` for each element of the top-level list, decoding one element at a time."""
    decoder = json.JSONDecoder()
    position = _skip_whitespace(text, 0)
    if not text.startswith("[", position):
        _raise_not_a_list(text, source)

    position = _skip_whitespace(text, position + 1)
    if text.startswith("]", position):
        _check_end(text, position + 1, source)
        return

    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise _syntax_error(source, error.msg, text, error.pos) from None

        yield position, value
        position = _skip_whitespace(text, end)
        if text.startswith(",", position):
            position = _skip_whitespace(text, position + 1)
        elif text.startswith("]", position):
            _check_end(text, position + 1, source)
            return
        else:
            raise _syntax_error(source, "Expecting ',' delimiter", text, position)


def _raise_not_a_list(text: str, source: str) -> NoReturn:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise _syntax_error(source, error.msg, text, error.pos) from None

    raise WordListError(source, f"the JSON top level is {_describe_type(value)}, not a list", _FIX_JSON_HINT)


def _check_end(text: str, position: int, source: str) -> None:
    position = _skip_whitespace(text, position)
    if position < len(text):
        raise _syntax_error(source, "Extra data after the closing ']'", text, position)


def _syntax_error(source: str, message: str, text: str, position: int) -> WordListError:
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return WordListError(source, f"invalid JSON on line {line}, column {column}: {message}", _FIX_JSON_HINT, line=line)


def _skip_whitespace(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _add_scalar(collector: EntryCollector, line: int, item: object) -> list[str]:
    if isinstance(item, str):
        collector.add_headword(line, item)
        return [item]

    text = json.dumps(item, ensure_ascii=False)
    collector.reject_row(line, text, f"item is {_describe_type(item)}, expected a string or an object")
    return [text]


def _add_object(collector: EntryCollector, line: int, item: dict[str, Any]) -> list[str]:
    values: dict[str, Any] = {}
    for key, value in item.items():
        field = HEADER_FIELDS.get(header_token(key))
        if field is not None and field not in values:
            values[field] = value

    cells = [_cell_text(values.get(field)) for field in FIELDS]
    problem = _find_type_problem(values)
    if problem is not None:
        collector.reject_row(line, json.dumps(item, ensure_ascii=False), problem)
        return cells

    if values.get("headword") is None:
        reason = "object has no headword (expected a key such as 'headword' or 'word')"
        collector.reject_row(line, json.dumps(item, ensure_ascii=False), reason)
        return cells

    collector.add_row(
        line,
        values["headword"],
        (values.get("part_of_speech"), values.get("definition"), values.get("example")),
        lambda: json.dumps(item, ensure_ascii=False),
    )
    return cells


def _find_type_problem(values: dict[str, Any]) -> str | None:
    for field, value in values.items():
        if value is not None and not isinstance(value, str):
            return f"{field} is {_describe_type(value)}, expected a string"

    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _describe_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"

    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


class _LineCounter:
    """Convert increasing offsets to 1-based line numbers without rescanning the text from the start."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def line_at(self, offset: int) -> int:
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line
