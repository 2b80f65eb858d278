"""Entry view layout: examples one per line, short word lists inline, labelled values as prose, text escaped."""

import json
import sqlite3
from pathlib import Path

from PySide6.QtGui import QTextDocument

from floridify_gui.ui.entry_html import render_entry
from floridify_gui.ui.queries import EntryData, SenseEntry

from .helpers import WAIT_MS

EXAMPLES = ["The harbour was full of boats.", "Type <harbour> to search."]
SENSE_VALUES = {
    "examples": {"examples": EXAMPLES},
    "synonyms": {"synonyms": ["port", "haven"]},
    "usage_notes": {"notes": ["Spelled harbor in American English."]},
    "collocations": {"collocations": [{"phrase": "safe harbour", "pattern": "adjective + noun"}]},
}


def _add_entry(db_path: Path, headword: str, sense_values: dict[str, object]) -> None:
    """Store a headword with one sense and the sense's component values, with plain SQL."""
    connection = sqlite3.connect(db_path)
    with connection:
        word_id = connection.execute("INSERT INTO word (headword, key, created_at) VALUES (?, ?, 0)",
                                     (headword, headword)).lastrowid
        sense_id = connection.execute(
            "INSERT INTO sense (word_id, position, part_of_speech, definition, example, source)"
            " VALUES (?, 0, 'noun', 'a sheltered place for ships', NULL, 'import')", (word_id,)).lastrowid
        connection.executemany(
            "INSERT INTO entry_value (word_id, sense_id, scope, component, value, updated_at) VALUES (?, ?, ?, ?, ?, 0)",
            [(word_id, sense_id, f"sense:{sense_id}", name, json.dumps(value)) for name, value in sense_values.items()],
        )
    connection.close()


def _blocks(document) -> list[tuple[str, bool, bool]]:
    """Return (text, in a list, starts in italics) for each paragraph of `document`."""
    blocks = []
    block = document.begin()
    while block.isValid():
        italic = not block.begin().atEnd() and block.begin().fragment().charFormat().fontItalic()
        blocks.append((block.text(), block.textList() is not None, italic))
        block = block.next()
    return blocks


def _shown_entry_blocks(qtbot, open_window, tmp_path) -> list[tuple[str, bool, bool]]:
    """Show the stored entry of "harbour" and return the entry view's blocks (see `_blocks`)."""
    window = open_window()
    _add_entry(tmp_path / "floridify.sqlite3", "harbour", SENSE_VALUES)

    window.show_entry("harbour")
    qtbot.waitUntil(lambda: "Examples" in window.entry_view.browser.toPlainText(), timeout=WAIT_MS)
    return _blocks(window.entry_view.browser.document())


def test_examples_render_as_italic_list_items(qtbot, open_window, tmp_path):
    blocks = _shown_entry_blocks(qtbot, open_window, tmp_path)
    list_items = [text for text, in_list, _italic in blocks if in_list]
    italic = {text for text, _in_list, is_italic in blocks if is_italic}

    assert EXAMPLES[0] in list_items
    assert EXAMPLES[1] in list_items
    assert EXAMPLES[0] in italic
    assert EXAMPLES[1] in italic


def test_entry_view_keeps_word_lists_inline(qtbot, open_window, tmp_path):
    blocks = _shown_entry_blocks(qtbot, open_window, tmp_path)
    texts = [text for text, _in_list, _italic in blocks]
    list_items = [text for text, in_list, _italic in blocks if in_list]

    assert "Synonyms: port, haven" in texts
    assert "Spelled harbor in American English." in list_items
    assert "safe harbour (adjective + noun)" in list_items


def test_entry_html_escapes_examples():
    sense = SenseEntry(1, 0, "noun", "a sheltered place for ships", None, "import",
                       {"examples": {"examples": EXAMPLES}})
    html = render_entry(EntryData(1, "harbour", {}, [sense]))

    assert "Type &lt;harbour&gt; to search." in html
    assert "<harbour>" not in html


def _plain_text(entry: EntryData) -> str:
    """Return the entry as the entry view's browser shows it, without formatting."""
    document = QTextDocument()
    document.setHtml(render_entry(entry))
    return document.toPlainText()


def test_object_components_read_without_field_names(qapp):
    sense = SenseEntry(1, 0, "noun", "a sheltered place for ships", None, "import", {
        "cefr_level": {"level": "B1", "rationale": "Common in everyday texts."},
        "register": {"label": "slang", "note": "British English only."},
        "frequency_band": {"band": "common", "note": None},
    })
    word_values = {
        "pronunciation": {"ipa_british": "ˈhɑːbə", "ipa_american": "/ˈhɑrbər/", "syllables": ["har", "bour"]},
        "etymology": {"origin_language": "Old English", "first_attested": "before 1150",
                      "summary": "From herebeorg, shelter."},
    }
    text = _plain_text(EntryData(1, "harbour", word_values, [sense]))
    lines = text.splitlines()

    assert "CEFR level: B1 — Common in everyday texts." in lines
    assert "Register: slang — British English only." in lines
    assert "Frequency band: common" in lines
    assert "Pronunciation: BrE /ˈhɑːbə/; AmE /ˈhɑrbər/; syllables har·bour" in lines
    assert "Etymology: From herebeorg, shelter. (from Old English, first attested before 1150)" in lines
    for field_name in ("rationale", "note", "ipa british", "syllables", "summary", "origin language"):
        assert f"{field_name}:" not in text


def test_etymology_without_origin_shows_summary_only(qapp):
    values = {"etymology": {"origin_language": None, "first_attested": None, "summary": "Of unknown origin."}}

    lines = _plain_text(EntryData(1, "quiz", values, [])).splitlines()

    assert "Etymology: Of unknown origin." in lines
