"""Plain word lists: one headword per line."""

from __future__ import annotations

import unicodedata

import pytest

from floridify_gui.wordlist import WordListError, read_word_list, read_word_list_bytes


def read_txt(data: bytes):
    return read_word_list_bytes(data, source="words.txt", suffix=".txt")


def headwords(report) -> list[str]:
    return [entry.headword for entry in report.entries]


def test_txt_skips_comments_and_blank_lines():
    report = read_txt(b"# exported list\r\napple\r\n\r\n   \r\n  # indented comment\r\nbanana\r\n")

    assert headwords(report) == ["apple", "banana"]
    assert report.rows_read == 2
    assert report.rejected == []


def test_txt_line_numbers_count_comments_and_blanks():
    report = read_txt(b"# comment\r\n\r\napple\r\n\r\nbanana\r\n")

    assert [entry.line for entry in report.entries] == [3, 5]


@pytest.mark.parametrize("newline", [b"\r\n", b"\n", b"\r"], ids=["crlf", "lf", "cr"])
def test_txt_accepts_each_line_ending(newline):
    report = read_txt(newline.join([b"apple", b"banana", b"cherry"]) + newline)

    assert headwords(report) == ["apple", "banana", "cherry"]
    assert [entry.line for entry in report.entries] == [1, 2, 3]


def test_txt_without_final_newline_keeps_last_line():
    report = read_txt(b"apple\nbanana")

    assert headwords(report) == ["apple", "banana"]


def test_txt_reports_format():
    report = read_txt(b"apple\n")

    assert report.format == "txt"
    assert report.delimiter is None
    assert report.has_header is False
    assert report.columns == {"headword": 0}


def test_multi_word_expressions_stay_whole():
    report = read_txt("ice cream\n  by   and\u00a0large \nself-esteem\nrock 'n' roll\n".encode())

    assert headwords(report) == ["ice cream", "by and large", "self-esteem", "rock 'n' roll"]


def test_case_variants_are_duplicates():
    report = read_txt(b"Apple\napple\nAPPLE\n")

    assert headwords(report) == ["Apple"]
    assert [(row.line, row.headword, row.first_line) for row in report.duplicates] == [
        (2, "apple", 1),
        (3, "APPLE", 1),
    ]


def test_nfc_and_nfd_spellings_are_duplicates():
    nfc = unicodedata.normalize("NFC", "café")
    nfd = unicodedata.normalize("NFD", "café")
    report = read_txt(f"{nfd}\n{nfc}\n".encode())

    assert report.accepted == 1
    assert report.entries[0].headword == nfc
    assert len(report.duplicates) == 1


@pytest.mark.parametrize("apostrophe", ["\u2019", "\u2018", "\u02bc", "\u2032"])
def test_curly_apostrophes_are_duplicates(apostrophe):
    report = read_txt(f"don't\ndon{apostrophe}t\n".encode())

    assert report.accepted == 1
    assert report.duplicates[0].line == 2
    assert report.duplicates[0].first_line == 1


def test_duplicate_keeps_first_spelling():
    report = read_txt("don\u2019t\ndon't\n".encode())

    assert report.entries[0].headword == "don\u2019t"
    assert report.entries[0].key == "don't"


def test_bare_headwords_have_no_senses():
    report = read_txt(b"apple\n")

    assert report.entries[0].senses == []
    assert report.sense_count == 0


def test_headword_without_letters_is_rejected():
    report = read_txt(b"apple\n1234\n--\n")

    assert [(row.line, row.text, row.reason) for row in report.rejected] == [
        (2, "1234", "headword contains no letters"),
        (3, "--", "headword contains no letters"),
    ]


def test_control_character_is_rejected():
    report = read_txt(b"apple\nbell\x07word\n")

    assert report.rejected[0].line == 2
    assert report.rejected[0].reason == "headword contains a control character U+0007"


def test_zero_width_space_is_rejected():
    report = read_txt("apple\nzero\u200bwidth\n".encode())

    assert report.rejected[0].reason == "headword contains an invisible character U+200B (zero width space)"


def test_headword_of_101_characters_is_rejected():
    report = read_txt(b"apple\n" + b"a" * 100 + b"\n" + b"b" * 101 + b"\n")

    assert report.accepted == 2
    assert report.rejected[0].line == 3
    assert report.rejected[0].reason == "headword is 101 characters long, more than the maximum of 100"


def test_rejected_text_is_cut_to_80_characters():
    report = read_txt(b"apple\n" + b"x" * 500 + b"\n")

    assert len(report.rejected[0].text) == 80
    assert report.rejected[0].text.endswith("…")


@pytest.mark.timeout(30)
def test_ten_megabyte_line_is_one_rejected_row():
    huge_line = b"a" * (10 * 1024 * 1024)
    report = read_txt(b"apple\n" + huge_line + b"\nbanana\n")

    assert headwords(report) == ["apple", "banana"]
    assert report.rejected[0].line == 2
    assert report.rejected[0].reason == "headword is 10,485,760 characters long, more than the maximum of 100"


@pytest.mark.timeout(30)
def test_ten_megabyte_single_line_file_is_an_error():
    with pytest.raises(WordListError) as caught:
        read_txt(b"a" * (10 * 1024 * 1024))

    assert str(caught.value) == (
        "Failed to read words.txt: its only row was rejected (line 1: headword is 10,485,760 characters long, "
        "more than the maximum of 100). Fix the rejected rows, or check the delimiter and column settings, "
        "and import the list again"
    )
    assert caught.value.line == 1


def test_all_rows_rejected_is_an_error():
    with pytest.raises(WordListError) as caught:
        read_txt(b"123\n456\n")

    assert "all 2 rows were rejected (line 1: headword contains no letters)" in str(caught.value)


def test_only_comments_is_an_error():
    with pytest.raises(WordListError) as caught:
        read_txt(b"# nothing here\n\n")

    assert str(caught.value) == (
        "Failed to read words.txt: the file contains no headwords, only blank lines and comments. "
        "Add at least one headword and import it again"
    )


def test_whitespace_only_file_is_an_error():
    with pytest.raises(WordListError) as caught:
        read_txt(b"  \r\n\t\r\n")

    assert str(caught.value).startswith("Failed to read words.txt: the file is empty.")


def test_txt_with_tab_columns_is_read_as_tsv():
    report = read_txt(b"cat\tnoun\ndog\tnoun\n")

    assert report.format == "tsv"
    assert report.entries[0].senses[0].part_of_speech == "noun"


def test_words_alpha_reads_every_line(shared_wordlist):
    report = read_word_list(shared_wordlist("words_alpha.txt"))

    # 370,098 CRLF line endings, plus a last line without one.
    assert report.rows_read == 370_099
    assert report.rejected == []


def test_words_alpha_accepts_each_unique_key(shared_wordlist):
    path = shared_wordlist("words_alpha.txt")
    unique_keys = {line.casefold() for line in path.read_text(encoding="utf-8").splitlines()}

    report = read_word_list(path)

    assert report.accepted == len(unique_keys)
    assert len(report.duplicates) == report.rows_read - len(unique_keys)


def test_words_2000_sample(shared_wordlist):
    report = read_word_list(shared_wordlist("words-2000.txt"))

    assert report.rows_read == 2000
    assert report.format == "txt"
    assert report.encoding == "utf-8"
