"""Turn the bytes of a word-list file into text, rejecting binary files and non-UTF-8 bytes.

Without an explicit encoding, only UTF-8 (with or without a byte order mark) and UTF-16 or
UTF-32 with a byte order mark are accepted. Bytes that are not valid UTF-8 raise an error
naming the line and the byte. There is deliberately no fallback to Latin-1 or Windows-1252,
because a wrong guess silently turns "café" into "cafÃ©" in every imported entry.
"""

from __future__ import annotations

import codecs
import logging

from floridify_gui.wordlist.errors import WordListError

logger = logging.getLogger("floridify_gui.wordlist")

# NOTE: a chosen limit, not a measured need. A list of 370,000 English words is about 4 MB, and
# the limit makes a mistaken pick (a video, a disk image) fail at once instead of filling memory.
MAX_INPUT_BYTES = 256 * 1024 * 1024

SAVE_AS_UTF8_HINT = (
    "Save the file as UTF-8 (in Excel: Save As > CSV UTF-8; in a text editor: encoding UTF-8) and import it again"
)
BINARY_HINT = "Export the list as UTF-8 text, CSV or JSON (in Excel: Save As > CSV UTF-8) and import that file"

# UTF-32 marks come first because the UTF-32 LE mark starts with the UTF-16 LE one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_FILE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive, which is what .xlsx, .ods and .docx files are"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office file such as .xls or .doc"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
)

# Control bytes other than tab, line feed, vertical tab, form feed, carriage return and escape.
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x1B)) + bytes(range(0x1C, 0x20))
_SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.1


def decode_input(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode the whole input and return the text (without byte order mark) and the encoding used.

    Args:
        data: The raw file content.
        source: The path or label used in error messages.
        encoding: A codec name that overrides detection, or None to detect.

    Raises:
        WordListError: The input is empty, too large, binary or not valid in its encoding.
    """
    _check_size(data, source)
    _check_signature(data, source)
    if encoding is not None:
        return _decode_with(data, source, encoding)

    for mark, label in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            text = _decode_strict(data, source, label.removesuffix("-sig"), skip=len(mark))
            logger.debug("decoded %s as %s (byte order mark)", source, label)
            return text, label

    _check_not_binary(data, source)
    text = _decode_strict(data, source, "utf-8")
    return text, "utf-8"


def _check_size(data: bytes, source: str) -> None:
    if not data:
        raise WordListError(source, "the file is empty", "Choose a file that contains at least one headword")

    check_size_limit(len(data), source)


def check_size_limit(size: int, source: str) -> None:
    """Raise WordListError when an input of ``size`` bytes exceeds `MAX_INPUT_BYTES`."""
    if size > MAX_INPUT_BYTES:
        raise WordListError(
            source,
            f"the file is {size:,} bytes, more than the limit of {MAX_INPUT_BYTES:,} bytes",
            "Split it into smaller files and import them one by one",
        )


def _check_signature(data: bytes, source: str) -> None:
    for signature, kind in _FILE_SIGNATURES:
        if data.startswith(signature):
            raise WordListError(source, f"the file looks like a binary file ({kind}), not a word list", BINARY_HINT)


def _check_not_binary(data: bytes, source: str) -> None:
    """Reject NUL bytes and samples dominated by control bytes, which text files do not contain."""
    nul_offset = data.find(b"\x00")
    if nul_offset >= 0:
        line = _line_of(data, nul_offset)
        raise WordListError(
            source,
            f"the file looks like a binary file: it contains a NUL byte on line {line} (byte offset {nul_offset:,})",
            "If it is UTF-16 text, save it again as UTF-8 or as UTF-16 with a byte order mark. "
            f"Otherwise: {BINARY_HINT}",
            line=line,
        )

    sample = data[:_SNIFF_BYTES]
    control_count = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if control_count > _MAX_CONTROL_SHARE * len(sample):
        raise WordListError(
            source,
            f"the file looks like a binary file: {control_count} of its first {len(sample)} bytes are control bytes",
            BINARY_HINT,
        )


def _decode_with(data: bytes, source: str, encoding: str) -> tuple[str, str]:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise WordListError(
            source, f"the encoding {encoding!r} is unknown", "Choose an encoding such as utf-8, utf-16 or cp1252"
        ) from None

    text = _decode_strict(data, source, codec)
    logger.debug("decoded %s as %s (requested)", source, codec)
    return text.removeprefix("\ufeff"), codec


def _decode_strict(data: bytes, source: str, codec: str, skip: int = 0) -> str:
    try:
        return codecs.decode(data[skip:] if skip else data, codec)
    except UnicodeDecodeError as error:
        raise _decode_error(data, source, codec, skip + error.start) from None


def _decode_error(data: bytes, source: str, codec: str, offset: int) -> WordListError:
    """Build the error for an undecodable byte, naming its line for UTF-8 input."""
    byte = data[offset]
    if not codec.startswith("utf-8"):
        return WordListError(
            source,
            f"byte 0x{byte:02X} at byte offset {offset:,} is not valid {codec}",
            "Check that the file really is in that encoding, or save it as UTF-8 and import it again",
        )

    line = _line_of(data, offset)
    column = offset - _line_start(data, offset) + 1
    return WordListError(
        source,
        f"line {line} is not valid UTF-8: byte 0x{byte:02X} at byte {column} of the line{_legacy_reading(byte)}",
        f"The file is probably in a legacy encoding such as Windows-1252. {SAVE_AS_UTF8_HINT}",
        line=line,
    )


def _legacy_reading(byte: int) -> str:
    """Show what the byte would mean in Windows-1252, which helps the user find the character."""
    try:
        character = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return ""

    return f" (which is {character!r} in Windows-1252)"


def _line_of(data: bytes, offset: int) -> int:
    """Return the 1-based line of a byte offset, counting CRLF, LF and lone CR as line breaks."""
    prefix = data[:offset]
    return prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n") + 1


def _line_start(data: bytes, offset: int) -> int:
    return max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
