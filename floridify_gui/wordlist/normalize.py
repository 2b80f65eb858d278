"""Normalisation of headwords and fields, the duplicate key, and the per-row validity checks."""

from __future__ import annotations

import re
import unicodedata

MAX_HEADWORD_LENGTH = 100

# Apostrophe look-alikes that word processors and keyboards substitute for "'": right and left
# single quotation marks, modifier letter apostrophe, prime and fullwidth apostrophe.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'"})

# Characters that make a field unusable. Tab is left out because it is ordinary whitespace inside
# a cell, and line feed is checked separately because definitions may span lines. The invisible
# ones (soft hyphen, zero-width space, word joiner, stray byte order mark) would let two headwords
# that look the same get different keys.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b\u2028\u2029\u2060\ufeff\ud800-\udfff]")

_PART_OF_SPEECH_ALIASES = {
    "n": "noun",
    "n.": "noun",
    "nn": "noun",
    "v": "verb",
    "v.": "verb",
    "vb": "verb",
    "vb.": "verb",
    "adj": "adjective",
    "adj.": "adjective",
    "a": "adjective",  # WordNet's code
    "s": "adjective",  # WordNet's code for an adjective satellite
    "adv": "adverb",
    "adv.": "adverb",
    "r": "adverb",  # WordNet's code
    "prep": "preposition",
    "prep.": "preposition",
    "conj": "conjunction",
    "conj.": "conjunction",
    "pron": "pronoun",
    "pron.": "pronoun",
    "interj": "interjection",
    "interj.": "interjection",
    "det": "determiner",
    "det.": "determiner",
}

KNOWN_PARTS_OF_SPEECH = frozenset(_PART_OF_SPEECH_ALIASES) | frozenset(_PART_OF_SPEECH_ALIASES.values())


def normalize_headword(text: str) -> str:
    """Trim, collapse inner whitespace to one space and convert to Unicode NFC.

    Multi-word expressions stay whole: "by  and\\tlarge" becomes "by and large". Python's notion
    of whitespace applies, so a no-break space also becomes an ordinary space.
    """
    collapsed = " ".join(text.split())
    if collapsed.isascii():
        return collapsed

    return unicodedata.normalize("NFC", collapsed)


def headword_key(text: str) -> str:
    """Return the key under which two spellings of a headword count as duplicates.

    The key is the normalised headword (see `normalize_headword`), case-folded, with the
    apostrophe look-alikes ’ ‘ ʼ ′ and ＇ replaced by "'". So "Don’t", "don't" and "DON'T"
    share a key, and so do NFC and NFD spellings of "café".
    """
    return key_of_normalized(normalize_headword(text))


def key_of_normalized(headword: str) -> str:
    """Return `headword_key` of a headword that `normalize_headword` has already normalised."""
    folded = headword.casefold()
    if folded.isascii():
        return folded

    # Case folding can leave a decomposed sequence (e.g. "ǰ" folds to "j" + U+030C), so compose again.
    return unicodedata.normalize("NFC", folded.translate(_APOSTROPHES))


def normalize_field(text: str | None) -> str | None:
    """Normalise a definition or example like a headword, returning None for an empty field."""
    if text is None:
        return None

    normalized = normalize_headword(text)
    return normalized or None


def normalize_part_of_speech(text: str | None) -> str | None:
    """Lowercase a part of speech and expand common abbreviations ("n." to "noun", "adj" to "adjective").

    Any other value is kept (lowercased), because lexicographers use labels we cannot enumerate.
    """
    normalized = normalize_field(text)
    if normalized is None:
        return None

    lowered = normalized.lower()
    return _PART_OF_SPEECH_ALIASES.get(lowered, lowered)


def fold_definition(text: str | None) -> str:
    """Return the form of a definition used to compare senses: whitespace collapsed and case-folded."""
    if text is None:
        return ""

    return " ".join(text.split()).casefold()


def find_bad_character(text: str, *, allow_line_breaks: bool = False) -> str | None:
    """Describe the first control or invisible character in ``text`` ("a control character U+0007").

    Returns None when there is none. Line feeds count as bad unless ``allow_line_breaks`` is set.
    """
    if not allow_line_breaks and "\n" in text:
        return "a line break"

    match = _BAD_CHARACTER.search(text)
    if match is None:
        return None

    character = match.group()
    name = unicodedata.name(character, "")
    code = f"U+{ord(character):04X}"
    if "\ud800" <= character <= "\udfff":
        return f"an unpaired surrogate {code}"

    if name:
        return f"an invisible character {code} ({name.lower()})"

    return f"a control character {code}"


def check_headword(raw: str) -> tuple[str | None, str | None]:
    """Normalise a raw headword cell and validate it.

    Returns:
        ``(headword, None)`` when the headword is usable, otherwise ``(None, reason)``.
        An empty cell returns ``("", None)`` so that the caller decides whether it is an error.
    """
    bad_character = find_bad_character(raw)
    if bad_character is not None:
        return None, f"headword contains {bad_character}"

    headword = normalize_headword(raw)
    if len(headword) > MAX_HEADWORD_LENGTH:
        return None, f"headword is {len(headword):,} characters long, more than the maximum of {MAX_HEADWORD_LENGTH}"

    if headword and not any(map(str.isalpha, headword)):
        return None, "headword contains no letters"

    return headword, None
