"""CSV and TSV word lists: header detection, delimiter sniffing, columns and senses."""

from __future__ import annotations

import codecs

import pytest

from floridify_gui.wordlist import (
    SenseRow,
    WordListError,
    read_word_list,
    read_word_list_bytes,
    read_word_list_text,
)


def read_csv(text: str, suffix: str = ".csv", **options):
    return read_word_list_bytes(text.encode("utf-8"), source=f"words{suffix}", suffix=suffix, **options)


def test_csv_header_maps_columns():
    report = read_csv("headword,part_of_speech,definition,example\nrun,verb,move fast,she runs\n")

    assert report.has_header is True
    assert report.columns == {"headword": 0, "part_of_speech": 1, "definition": 2, "example": 3}
    assert report.entries[0].senses == [SenseRow("verb", "move fast", "she runs", 2)]


def test_header_names_any_order_and_case():
    report = read_csv("Example;Meaning;POS;Word\nshe runs;move fast;v.;run\n")

    assert report.delimiter == ";"
    assert report.columns == {"example": 0, "definition": 1, "part_of_speech": 2, "headword": 3}
    assert report.entries[0].headword == "run"
    assert report.entries[0].senses[0] == SenseRow("verb", "move fast", "she runs", 2)


def test_quoted_fields_keep_delimiters_and_curly_quotes():
    text = (
        "word,definition,example\n"
        '"by and large","on the whole, everything considered","“By and large, it works,” she said"\n'
    )
    report = read_csv(text)

    sense = report.entries[0].senses[0]
    assert report.entries[0].headword == "by and large"
    assert sense.definition == "on the whole, everything considered"
    assert sense.example == "“By and large, it works,” she said"


def test_quoted_field_may_span_lines():
    report = read_csv('word,definition\napple,"a round fruit,\nred or green"\nbanana,yellow fruit\n')

    assert report.entries[0].senses[0].definition == "a round fruit, red or green"
    assert report.entries[1].line == 4


def test_oewn_senses_counts(shared_wordlist):
    report = read_word_list(shared_wordlist("oewn-senses.csv"))

    assert report.accepted == 300
    assert report.sense_count == 832
    assert report.rows_read == 832
    assert report.duplicates == []
    assert report.rejected == []


def test_oewn_senses_layout(shared_wordlist):
    report = read_word_list(shared_wordlist("oewn-senses.csv"))

    assert report.format == "csv"
    assert report.delimiter == ","
    assert report.has_header is True
    assert report.columns == {"headword": 0, "part_of_speech": 1, "definition": 2, "example": 3}


def test_oewn_senses_keep_curly_quotes(shared_wordlist):
    report = read_word_list(shared_wordlist("oewn-senses.csv"))

    first_sense = report.entries[0].senses[0]
    assert report.entries[0].headword == "able"
    assert first_sense.definition.startswith("(usually followed by ‘to’)")
    assert first_sense.line == 2


def test_tsv_file():
    report = read_csv("word\tdefinition\ncat\ta small animal, often a pet\n", suffix=".tsv")

    assert report.format == "tsv"
    assert report.delimiter == "\t"
    assert report.entries[0].senses[0].definition == "a small animal, often a pet"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(delimiter):
    rows = ["word", "part_of_speech", "definition"], ["cat", "noun", "an animal"], ["dog", "noun", "another animal"]
    report = read_csv("\n".join(delimiter.join(row) for row in rows) + "\n")

    assert report.delimiter == delimiter
    assert report.accepted == 2


def test_excel_sep_line_sets_delimiter():
    report = read_csv("sep=;\nword;definition\ncat;an animal, a pet\n")

    assert report.delimiter == ";"
    assert report.entries[0].senses[0].definition == "an animal, a pet"
    assert report.entries[0].line == 3


def test_excel_sep_line_makes_txt_delimited():
    report = read_csv("sep=|\ncat|an animal\n", suffix=".txt")

    assert report.format == "csv"
    assert report.delimiter == "|"


def test_utf16_le_spreadsheet_export():
    # Excel's "Unicode Text" export: UTF-16 LE with a byte order mark, tab-separated, CRLF.
    text = "Word\tPart of speech\tDefinition\r\ncafé\tnoun\ta small restaurant\r\nnaïve\tadj\tinnocent\r\n"
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")

    report = read_word_list_bytes(data, source="export.txt", suffix=".txt")

    assert report.encoding == "utf-16-le"
    assert report.format == "tsv"
    assert [entry.headword for entry in report.entries] == ["café", "naïve"]
    assert report.entries[1].senses[0].part_of_speech == "adjective"


def test_utf8_bom_does_not_spoil_first_header():
    data = codecs.BOM_UTF8 + "headword,definition\ncat,an animal\n".encode()

    report = read_word_list_bytes(data, source="words.csv", suffix=".csv")

    assert report.encoding == "utf-8-sig"
    assert report.columns == {"headword": 0, "definition": 1}


def test_parts_of_speech_are_normalised():
    report = read_csv("word,pos,definition\na,n.,x\nb,V,x\nc,Adj.,x\nd,adv,x\ne,Phrasal Verb,x\n")

    parts = [entry.senses[0].part_of_speech for entry in report.entries]
    assert parts == ["noun", "verb", "adjective", "adverb", "phrasal verb"]


def test_rows_of_one_headword_are_senses():
    report = read_csv("word,pos,definition\nrun,verb,move fast\nrun,noun,a jog\nRun,verb,manage\n")

    assert report.accepted == 1
    assert [sense.line for sense in report.entries[0].senses] == [2, 3, 4]
    assert report.duplicates == []


def test_repeated_sense_is_duplicate():
    report = read_csv("word,pos,definition\nrun,verb,move fast\nRUN,verb,  Move   FAST \n")

    assert report.sense_count == 1
    assert [(row.line, row.headword, row.first_line) for row in report.duplicates] == [(3, "RUN", 2)]


def test_other_part_of_speech_is_new_sense():
    report = read_csv("word,pos,definition\nfast,adjective,quick\nfast,adverb,quick\n")

    assert report.sense_count == 2


def test_bare_row_after_senses_is_duplicate():
    report = read_csv("word,definition\nrun,move fast\nrun,\n")

    assert report.sense_count == 1
    assert report.duplicates[0].first_line == 2


def test_empty_headword_with_other_fields_is_rejected():
    report = read_csv("word,definition\ncat,an animal\n,orphan definition\n")

    assert [(row.line, row.text, row.reason) for row in report.rejected] == [
        (3, ",orphan definition", "headword is empty but the row has other fields"),
    ]


def test_empty_rows_are_skipped():
    report = read_csv("word,definition\ncat,an animal\n,\n ; \n\n")

    assert report.rows_read == 2
    assert report.rejected[0].line == 4


def test_comment_lines_are_skipped():
    report = read_csv("# exported from the dictionary\nword,definition\ncat,an animal\n")

    assert report.has_header is True
    assert report.rows_read == 1


def test_control_character_in_definition_is_rejected():
    report = read_csv("word,definition\ncat,an\x07animal\ndog,a pet\n")

    assert report.rejected[0].reason == "definition contains a control character U+0007"


def test_unclosed_quote_loses_one_row():
    report = read_csv('word,definition\ncat,"an animal\ndog,a pet\nfox,a wild animal\n')

    assert [entry.headword for entry in report.entries] == ["dog", "fox"]
    assert report.rejected[0].line == 2
    assert report.rejected[0].reason == "a quoted field starts on this line but its closing quote is missing"


@pytest.mark.timeout(30)
def test_ten_megabyte_field_is_rejected_row():
    report = read_csv("word,definition\ncat,an animal\n" + "a" * (10 * 1024 * 1024) + "\ndog,a pet\n")

    assert [entry.headword for entry in report.entries] == ["cat", "dog"]
    assert report.rejected[0].line == 3
    assert report.rejected[0].reason == "a field is longer than the limit of 131,072 characters"


def test_headerless_csv_with_parts_of_speech_column():
    report = read_csv("cat,noun,an animal,the cat sat\nrun,v,move fast,she runs\n")

    assert report.has_header is False
    assert report.columns == {"headword": 0, "part_of_speech": 1, "definition": 2, "example": 3}
    assert report.entries[0].line == 1


def test_headerless_csv_with_definition_column():
    report = read_csv("cat,a small animal\ndog,a loyal animal\n")

    assert report.columns == {"headword": 0, "definition": 1}
    assert report.entries[1].senses[0].definition == "a loyal animal"


def test_has_header_false_keeps_first_row():
    report = read_csv("word,definition\ncat,an animal\n", has_header=False)

    assert [entry.headword for entry in report.entries] == ["word", "cat"]


def test_has_header_true_skips_unknown_header():
    report = read_csv("Lemma form,Gloss text\ncat,an animal\n", has_header=True)

    assert report.has_header is True
    assert [entry.headword for entry in report.entries] == ["cat"]


def test_column_override_by_index():
    report = read_csv("an animal,cat\na pet,dog\n", columns={"headword": 1, "definition": 0})

    assert [entry.headword for entry in report.entries] == ["cat", "dog"]
    assert report.entries[0].senses[0].definition == "an animal"


def test_column_override_by_header_name():
    text = "id,Lemma form,Gloss text\n1,cat,an animal\n"

    report = read_csv(text, columns={"headword": "lemma form", "definition": 2})

    assert report.columns == {"headword": 1, "definition": 2}
    assert report.entries[0].headword == "cat"


def test_column_override_replaces_detected_field():
    report = read_csv("word,definition,notes\ncat,an animal,a pet\n", columns={"definition": "notes"})

    assert report.columns == {"headword": 0, "definition": 2}
    assert report.entries[0].senses[0].definition == "a pet"


def test_column_override_with_missing_header_name():
    with pytest.raises(WordListError) as caught:
        read_csv("word,definition\ncat,an animal\n", columns={"example": "usage notes"})

    assert str(caught.value) == (
        "Failed to read words.csv: the column 'usage notes' is not in the header (found: 'word', 'definition'). "
        "Choose one of the header names or a 0-based column index"
    )


def test_column_override_with_unknown_field():
    with pytest.raises(ValueError, match="unknown field 'meaning'"):
        read_csv("word,definition\ncat,an animal\n", columns={"meaning": 1})


def test_column_override_with_negative_index():
    with pytest.raises(ValueError, match="column index -1 is negative"):
        read_csv("word,definition\ncat,an animal\n", columns={"headword": -1})


def test_explicit_delimiter_overrides_sniffing():
    report = read_csv("cat;an animal, a pet\n", delimiter=";")

    assert report.delimiter == ";"
    assert report.entries[0].senses[0].definition == "an animal, a pet"


def test_invalid_delimiter_is_value_error():
    with pytest.raises(ValueError, match="Failed to use delimiter 'ab'"):
        read_csv("cat,dog\n", delimiter="ab")


def test_header_without_headword_column_uses_first_column():
    report = read_csv("Lemma form,definition\ncat,an animal\n")

    assert report.columns == {"headword": 0, "definition": 1}
    assert report.entries[0].headword == "cat"


def test_header_without_usable_headword_column():
    with pytest.raises(WordListError) as caught:
        read_csv("definition,example\nan animal,the cat sat\n")

    assert "no column contains the headwords" in str(caught.value)


def test_header_only_is_an_error():
    with pytest.raises(WordListError) as caught:
        read_csv("headword,definition\n")

    assert str(caught.value) == (
        "Failed to read words.csv: the file contains a header row but no data rows. "
        "Add at least one headword and import it again"
    )


def test_preview_rows_include_header():
    report = read_csv("word,definition\ncat,an animal\ndog,a pet\n")

    assert report.preview_rows(2) == [["word", "definition"], ["cat", "an animal"]]


def test_tab_wins_over_commas_in_definitions():
    text = "word\tdefinition\ncat\ta small, furry, domestic animal\ndog\ta loyal, friendly, domestic animal\n"

    report = read_word_list_text(text)

    assert report.delimiter == "\t"


def test_comma_wins_over_semicolons_in_definitions():
    report = read_word_list_text("cat,noun,a pet; a feline\ndog,noun,a pet; a canine\n")

    assert report.delimiter == ","
