"""JSON word lists: a list of strings, or a list of objects."""

from __future__ import annotations

import json

import pytest

from floridify_gui.wordlist import SenseRow, WordListError, read_word_list_bytes


def read_json(value: object | str):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
    return read_word_list_bytes(text.encode("utf-8"), source="words.json", suffix=".json")


def test_list_of_strings():
    report = read_json(["apple", "ice cream", "Apple"])

    assert report.format == "json"
    assert [entry.headword for entry in report.entries] == ["apple", "ice cream"]
    assert report.duplicates[0].first_line == 2


def test_items_get_their_line_numbers():
    report = read_json('[\n  "apple",\n\n  "banana"\n]')

    assert [entry.line for entry in report.entries] == [2, 4]


def test_list_of_objects_with_senses():
    items = [
        {"headword": "run", "part_of_speech": "verb", "definition": "move fast", "example": "she runs"},
        {"word": "run", "pos": "n.", "definition": "a jog"},
        {"word": "cat"},
    ]
    report = read_json(items)

    assert report.columns == {"headword": 0, "part_of_speech": 1, "definition": 2, "example": 3}
    assert report.entries[0].senses == [
        SenseRow("verb", "move fast", "she runs", 2),
        SenseRow("noun", "a jog", None, 8),
    ]
    assert report.entries[1].senses == []


def test_object_without_headword_is_rejected():
    report = read_json([{"word": "cat"}, {"definition": "an orphan"}])

    assert report.rejected[0].reason == "object has no headword (expected a key such as 'headword' or 'word')"


def test_non_string_field_is_rejected():
    report = read_json([{"word": "cat"}, {"word": "dog", "definition": ["a pet", "a friend"]}])

    assert report.rejected[0].reason == "definition is a list, expected a string"


def test_number_item_is_rejected():
    report = read_json(["cat", 42])

    assert report.rejected[0].text == "42"
    assert report.rejected[0].reason == "item is a number, expected a string or an object"


def test_invalid_json_names_line_and_column():
    with pytest.raises(WordListError) as caught:
        read_json('[\n  "apple",\n  "banana"\n  "cherry"\n]')

    assert str(caught.value) == (
        "Failed to read words.json: invalid JSON on line 4, column 3: Expecting ',' delimiter. "
        "Fix the JSON (a list of strings, or of objects with headword and definition keys) and import it again"
    )
    assert caught.value.line == 4


def test_trailing_comma_is_invalid_json():
    with pytest.raises(WordListError, match="invalid JSON on line 1, column 10: Expecting value"):
        read_json('["apple",]')


def test_top_level_object_is_an_error():
    with pytest.raises(WordListError, match="the JSON top level is an object, not a list"):
        read_json({"words": ["apple"]})


def test_data_after_list_is_an_error():
    with pytest.raises(WordListError, match="Extra data after the closing"):
        read_json('["apple"] ["banana"]')


def test_empty_list_is_an_error():
    with pytest.raises(WordListError, match="the file contains no headwords"):
        read_json([])


def test_preview_rows_of_objects():
    report = read_json([{"word": "cat", "definition": "an animal"}])

    assert report.preview_rows() == [["cat", "", "an animal", ""]]
