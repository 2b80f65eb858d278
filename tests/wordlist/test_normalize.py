"""Headword normalisation and the duplicate key."""

from __future__ import annotations

import unicodedata

import pytest

from floridify_gui.wordlist import headword_key, normalize_headword


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  apple  ", "apple"),
        ("ice \t cream", "ice cream"),
        ("by\u00a0and  large", "by and large"),
        (unicodedata.normalize("NFD", "crème brûlée"), unicodedata.normalize("NFC", "crème brûlée")),
    ],
)
def test_normalize_headword(raw, expected):
    assert normalize_headword(raw) == expected


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Apple", "apple"),
        ("don\u2019t", "don't"),
        ("o\u2018clock", "o'clock"),
        ("rock \u02bcn\u02bc roll", "rock 'n' roll"),
        ("five\u2032", "five'"),
        (unicodedata.normalize("NFD", "Café"), "café"),
        ("Straße", "STRASSE"),
        ("ice  cream", "Ice Cream"),
    ],
)
def test_headword_key_matches_variants(first, second):
    assert headword_key(first) == headword_key(second)


def test_headword_key_keeps_distinct_words_apart():
    assert headword_key("resume") != headword_key("résumé")


def test_headword_key_is_nfc():
    key = headword_key(unicodedata.normalize("NFD", "ǰ"))

    assert unicodedata.is_normalized("NFC", key)
