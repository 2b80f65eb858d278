"""Decoding of word-list bytes: byte order marks, UTF-8 errors and binary files."""

from __future__ import annotations

import codecs

import pytest

from floridify_gui.wordlist import WordListError, read_word_list_bytes


def read_bytes(data: bytes, suffix: str = ".txt", **options):
    return read_word_list_bytes(data, source=f"/home/ana/words{suffix}", suffix=suffix, **options)


def test_plain_utf8():
    report = read_bytes("café\nnaïve\n".encode())

    assert report.encoding == "utf-8"
    assert [entry.headword for entry in report.entries] == ["café", "naïve"]


def test_utf8_bom_is_removed():
    report = read_bytes(codecs.BOM_UTF8 + "apple\n".encode())

    assert report.encoding == "utf-8-sig"
    assert report.entries[0].headword == "apple"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le")],
)
def test_utf16_and_utf32_with_bom(bom, codec):
    report = read_bytes(bom + "café\r\nthé\r\n".encode(codec))

    assert report.encoding == codec
    assert [entry.headword for entry in report.entries] == ["café", "thé"]


def test_windows_1252_names_line_and_byte():
    data = "apple\r\nbanana\r\ncafé\r\n".encode("cp1252")

    with pytest.raises(WordListError) as caught:
        read_bytes(data)

    assert str(caught.value) == (
        "Failed to read words.txt: line 3 is not valid UTF-8: byte 0xE9 at byte 4 of the line "
        "(which is 'é' in Windows-1252). The file is probably in a legacy encoding such as Windows-1252. "
        "Save the file as UTF-8 (in Excel: Save As > CSV UTF-8; in a text editor: encoding UTF-8) and import it again"
    )
    assert caught.value.line == 3


def test_windows_1252_curly_quote_is_rejected():
    data = "word,definition\ndon\u2019t,do not\n".encode("cp1252")

    with pytest.raises(WordListError, match="line 2 is not valid UTF-8: byte 0x92 at byte 4 of the line"):
        read_bytes(data, suffix=".csv")


def test_explicit_encoding_reads_windows_1252():
    report = read_bytes("apple\ncafé\n".encode("cp1252"), encoding="cp1252")

    assert report.encoding == "cp1252"
    assert report.entries[1].headword == "café"


def test_unknown_explicit_encoding():
    with pytest.raises(WordListError) as caught:
        read_bytes(b"apple\n", encoding="klingon-8")

    assert str(caught.value) == (
        "Failed to read words.txt: the encoding 'klingon-8' is unknown. "
        "Choose an encoding such as utf-8, utf-16 or cp1252"
    )


def test_nul_bytes_without_bom_are_binary():
    # UTF-16 LE without a byte order mark is indistinguishable from binary data.
    with pytest.raises(WordListError) as caught:
        read_bytes("apple\nbanana\n".encode("utf-16-le"))

    assert str(caught.value).startswith(
        "Failed to read words.txt: the file looks like a binary file: "
        "it contains a NUL byte on line 1 (byte offset 1). "
        "If it is UTF-16 text, save it again as UTF-8 or as UTF-16 with a byte order mark."
    )


def test_png_is_binary():
    png_header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"

    with pytest.raises(WordListError) as caught:
        read_bytes(png_header)

    assert str(caught.value) == (
        "Failed to read words.txt: the file looks like a binary file (a PNG image), not a word list. "
        "Export the list as UTF-8 text, CSV or JSON (in Excel: Save As > CSV UTF-8) and import that file"
    )


def test_xlsx_is_binary():
    with pytest.raises(WordListError, match=r"a ZIP archive, which is what \.xlsx, \.ods and \.docx files are"):
        read_bytes(b"PK\x03\x04\x14\x00\x06\x00", suffix=".csv")


def test_control_bytes_are_binary():
    with pytest.raises(WordListError, match="the file looks like a binary file: 80 of its first 100 bytes"):
        read_bytes(b"\x01\x02\x03\x04" * 20 + b"a" * 20)


def test_empty_file():
    with pytest.raises(WordListError) as caught:
        read_bytes(b"")

    assert str(caught.value) == (
        "Failed to read words.txt: the file is empty. Choose a file that contains at least one headword"
    )
