"""Entry points of the reader: paths, pasted text, progress, cancellation and the report."""

from __future__ import annotations

import json

import pytest

from floridify_gui.wordlist import ReadCancelled, WordListError, read_word_list, read_word_list_text


def test_read_from_path(tmp_path):
    path = tmp_path / "words.txt"
    path.write_bytes(b"apple\r\nbanana\r\n")

    report = read_word_list(path)

    assert report.source == str(path)
    assert report.accepted == 2


def test_suffix_is_case_insensitive(tmp_path):
    path = tmp_path / "WORDS.CSV"
    path.write_bytes(b"word;definition\ncat;an animal, a pet\n")

    report = read_word_list(path)

    assert report.format == "csv"
    assert report.delimiter == ";"


def test_missing_file(tmp_path):
    with pytest.raises(WordListError) as caught:
        read_word_list(tmp_path / "missing.txt")

    assert str(caught.value) == (
        "Failed to read missing.txt: the file does not exist. Check the path and choose the file again"
    )


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(WordListError, match="the path is a folder, not a file"):
        read_word_list(tmp_path)


def test_pasted_plain_list():
    report = read_word_list_text("apple\nice cream\n\nApple\n")

    assert report.source == "pasted text"
    assert report.format == "txt"
    assert report.encoding == "unicode"
    assert [entry.headword for entry in report.entries] == ["apple", "ice cream"]


def test_pasted_spreadsheet_cells_are_tsv():
    report = read_word_list_text("word\tdefinition\r\ncat\tan animal, a pet\r\ndog\ta loyal animal\r\n")

    assert report.format == "tsv"
    assert report.entries[0].senses[0].definition == "an animal, a pet"


def test_pasted_csv():
    report = read_word_list_text('headword,definition\ncat,"an animal, a pet"\n')

    assert report.format == "csv"
    assert report.delimiter == ","


def test_pasted_json():
    report = read_word_list_text('["apple", "banana"]')

    assert report.format == "json"
    assert report.accepted == 2


def test_pasted_phrases_with_commas_stay_txt():
    report = read_word_list_text("well, well\napple\nby and large\nso to speak\n")

    assert report.format == "txt"
    assert report.entries[0].headword == "well, well"


def test_pasted_empty_text():
    with pytest.raises(WordListError) as caught:
        read_word_list_text("  \n ")

    assert str(caught.value) == (
        "Failed to read pasted text: the text is empty. Choose a word list that contains at least one headword"
    )


def write_word_list(tmp_path, count: int):
    path = tmp_path / "many.txt"
    path.write_text("\n".join(f"word{index:06d}x" for index in range(count)), encoding="utf-8")
    return path


def test_progress_reports_fractions_up_to_one(tmp_path):
    fractions: list[float] = []

    read_word_list(write_word_list(tmp_path, 50_000), progress=fractions.append)

    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert 10 <= len(fractions) <= 102


def test_progress_on_short_list(tmp_path):
    fractions: list[float] = []

    read_word_list(write_word_list(tmp_path, 3), progress=fractions.append)

    assert fractions[-1] == 1.0
    assert len(fractions) <= 4


def test_cancel_midway_raises(tmp_path):
    checks = 0

    def should_abort() -> bool:
        nonlocal checks
        checks += 1
        return checks > 3

    with pytest.raises(ReadCancelled, match="Reading many.txt was cancelled"):
        read_word_list(write_word_list(tmp_path, 50_000), should_abort=should_abort)


def test_cancel_before_start_raises(tmp_path):
    with pytest.raises(ReadCancelled):
        read_word_list(write_word_list(tmp_path, 10), should_abort=lambda: True)


def test_cancel_json_and_csv(tmp_path):
    json_path = tmp_path / "many.json"
    json_path.write_text(json.dumps([f"word{index}x" for index in range(20_000)]), encoding="utf-8")
    csv_path = tmp_path / "many.csv"
    csv_path.write_text("word,definition\n" + "".join(f"w{i}x,def\n" for i in range(20_000)), encoding="utf-8")

    for path in (json_path, csv_path):
        calls = iter([False, False, True])
        with pytest.raises(ReadCancelled):
            read_word_list(path, should_abort=lambda: next(calls, True))


def test_report_to_dict_is_json_ready():
    report = read_word_list_text("apple\n1234\nApple\n")

    summary = json.loads(json.dumps(report.to_dict()))

    assert summary["accepted"] == 1
    assert summary["duplicate_count"] == 1
    assert summary["rejected"] == [{"line": 2, "text": "1234", "reason": "headword contains no letters"}]
    assert summary["duplicates"] == [{"line": 3, "headword": "Apple", "first_line": 1}]
    assert "entries" not in summary


def test_report_to_dict_caps_listed_rows():
    report = read_word_list_text("apple\n" + "\n".join(str(number) for number in range(1500)))

    summary = report.to_dict()

    assert summary["rejected_count"] == 1500
    assert len(summary["rejected"]) == 1000


def test_report_format_text():
    report = read_word_list_text("apple\n1234\nApple\n")

    assert report.format_text() == (
        "pasted text: 3 rows read (txt, unicode)\n"
        "  accepted:   1 entries, 0 senses\n"
        "  duplicates: 1\n"
        "  rejected:   1\n"
        "Rejected rows:\n"
        "  line 2: headword contains no letters: '1234'\n"
        "Duplicate rows:\n"
        "  line 3: 'Apple' repeats line 1"
    )


def test_preview_rows_skip_comments():
    report = read_word_list_text("# list\napple\nbanana\ncherry\n")

    assert report.preview_rows(2) == [["apple"], ["banana"]]


def test_error_keeps_parts_and_pickles():
    import pickle

    with pytest.raises(WordListError) as caught:
        read_word_list_text("")

    copy = pickle.loads(pickle.dumps(caught.value))
    assert str(copy) == str(caught.value)
    assert copy.reason == "the text is empty"
