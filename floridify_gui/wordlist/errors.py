"""Exceptions raised by the word-list reader."""

from __future__ import annotations

from pathlib import PurePath


class WordListError(Exception):
    """A word list that cannot be used at all, such as an undecodable, binary or empty file.

    ``str(error)`` reads "Failed to read words.txt: <reason>. <what to do>". The parts are also
    available as attributes so that the importer can lay them out itself.

    Attributes:
        source: The path or label of the input, as passed to the reader.
        reason: What is wrong, without the "Failed to read" prefix.
        hint: What the user can do about it.
        line: The 1-based line the problem was found on, or None when it concerns the whole input.
    """

    def __init__(self, source: str, reason: str, hint: str, line: int | None = None) -> None:
        self.source = source
        self.reason = reason
        self.hint = hint
        self.line = line
        super().__init__(f"Failed to read {display_name(source)}: {reason}. {hint}")

    def __reduce__(self) -> tuple[type[WordListError], tuple[str, str, str, int | None]]:
        # The default reduction would call __init__ with the formatted message alone.
        return (type(self), (self.source, self.reason, self.hint, self.line))


class ReadCancelled(Exception):
    """Cancellation of a read, raised when the caller's ``should_abort`` callback returns True."""


def display_name(source: str) -> str:
    """Return the file name of a path, or the label itself (such as "pasted text")."""
    return PurePath(source).name or source
