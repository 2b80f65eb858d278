"""Importer job options: the Definitions checkbox shows when senses are drafted without being chosen."""

from PySide6.QtCore import Qt

from floridify_gui.ui.import_sources import ImportSource

from .helpers import WAIT_MS, write_words

WORDS = ["lantern", "harbour", "meadow"]


def _dialog_with_estimate(qtbot, window, tmp_path, components: list[str]):
    """Open the importer on three headwords without senses, choose `components` and wait for the estimate."""
    dialog = window.open_importer([ImportSource.from_path(write_words(tmp_path / "words.txt", WORDS))])
    qtbot.waitUntil(lambda: not dialog.is_reading and dialog.current_source().report is not None, timeout=WAIT_MS)
    dialog.options.set_components(components)
    qtbot.waitUntil(lambda: dialog._current_estimate() is not None, timeout=WAIT_MS)
    return dialog


def test_definitions_shown_for_headwords_without_senses(qtbot, open_window, tmp_path):
    window = open_window()
    dialog = _dialog_with_estimate(qtbot, window, tmp_path, ["synonyms"])
    checkbox = dialog.options.checkboxes["definitions"]

    assert checkbox.checkState() == Qt.CheckState.PartiallyChecked
    assert "3 without senses" in checkbox.text()
    assert "3 headwords without senses" in checkbox.toolTip()
    assert dialog.options.components() == ["synonyms"]


def test_definitions_choice_restored_without_sense_components(qtbot, open_window, tmp_path):
    window = open_window()
    dialog = _dialog_with_estimate(qtbot, window, tmp_path, ["synonyms"])
    checkbox = dialog.options.checkboxes["definitions"]

    dialog.options.set_components(["etymology"])

    assert checkbox.checkState() == Qt.CheckState.Unchecked
    assert checkbox.text() == "Definitions"
    assert dialog.options.components() == ["etymology"]


def test_definitions_click_switches_between_some_and_all(qtbot, open_window, tmp_path):
    window = open_window()
    dialog = _dialog_with_estimate(qtbot, window, tmp_path, ["synonyms"])
    checkbox = dialog.options.checkboxes["definitions"]

    checkbox.click()
    after_first_click = (checkbox.checkState(), dialog.options.components())
    checkbox.click()
    after_second_click = (checkbox.checkState(), dialog.options.components())

    assert after_first_click == (Qt.CheckState.Checked, ["definitions", "synonyms"])
    assert after_second_click == (Qt.CheckState.PartiallyChecked, ["synonyms"])


def test_definitions_chosen_stays_checked(qtbot, open_window, tmp_path):
    window = open_window()
    dialog = _dialog_with_estimate(qtbot, window, tmp_path, ["definitions", "synonyms"])
    checkbox = dialog.options.checkboxes["definitions"]
    checked_with_synonyms = checkbox.checkState()

    dialog.options.set_components(["definitions"])

    assert checked_with_synonyms == Qt.CheckState.Checked
    assert checkbox.checkState() == Qt.CheckState.Checked
    assert checkbox.text() == "Definitions"
