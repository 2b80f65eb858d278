"""Fixtures for the word-list reader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_WORDLISTS = ROOT.parent / "shared" / "wordlists"


@pytest.fixture
def shared_wordlist():
    """Return a function that gives the path of a shared word list, skipping the test if it is missing."""

    def locate(name: str) -> Path:
        path = SHARED_WORDLISTS / name
        if not path.is_file():
            pytest.skip(f"shared word list {path} is missing")
        return path

    return locate
