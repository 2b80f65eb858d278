"""Entry points of the word-list reader: read a file, raw bytes or pasted text into a report."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from floridify_gui.wordlist.collector import EntryCollector
from floridify_gui.wordlist.decoding import check_size_limit, decode_input
from floridify_gui.wordlist.delimited import read_delimited
from floridify_gui.wordlist.errors import WordListError
from floridify_gui.wordlist.jsonlist import read_json
from floridify_gui.wordlist.plain import read_plain
from floridify_gui.wordlist.progress import AbortCallback, ProgressCallback, ProgressTicker, raise_if_cancelled
from floridify_gui.wordlist.report import WordListReport
from floridify_gui.wordlist.sniffing import (
    DELIMITED_SUFFIXES,
    TXT_SUFFIXES,
    sniff_delimiter,
    split_sep_line,
    take_sample,
    validate_delimiter,
)

logger = logging.getLogger("floridify_gui.wordlist")

_FIX_ROWS_HINT = "Fix the rejected rows, or check the delimiter and column settings, and import the list again"


@dataclass(frozen=True)
class _Options:
    delimiter: str | None
    has_header: bool | None
    columns: Mapping[str, int | str] | None
    progress: ProgressCallback | None
    should_abort: AbortCallback | None


def read_word_list(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
    columns: Mapping[str, int | str] | None = None,
    progress: ProgressCallback | None = None,
    should_abort: AbortCallback | None = None,
) -> WordListReport:
    """Read a .txt, .csv, .tsv or .json word list. Other suffixes are read like pasted text.

    In plain and delimited files, blank lines and lines whose first non-blank character is "#"
    are skipped. A .txt file whose lines are consistently split by tabs is read as TSV.

    Args:
        path: The file to read.
        encoding: A codec name that overrides detection. Without it, only UTF-8 and UTF-16 or
            UTF-32 with a byte order mark are accepted.
        delimiter: The field delimiter of a delimited file. Passing one makes a .txt file delimited too.
        has_header: True or False to override header detection in delimited files.
        columns: Field name (headword, part_of_speech, definition, example) to 0-based column
            index or header name, merged into the detected columns. Ignored for plain lists and JSON.
        progress: Called about 100 times with the fraction done, from 0 to 1.
        should_abort: Checked periodically. When it returns True, the read stops.

    Raises:
        WordListError: The file cannot be used at all (unreadable, empty, binary, undecodable,
            invalid JSON, or no row accepted).
        ReadCancelled: ``should_abort`` returned True.
        ValueError: An invalid delimiter or column map.
    """
    path = Path(path)
    source = str(path)
    data = _read_file(path, source)
    return read_word_list_bytes(
        data,
        source=source,
        suffix=path.suffix,
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        columns=columns,
        progress=progress,
        should_abort=should_abort,
    )


def read_word_list_bytes(
    data: bytes,
    *,
    source: str,
    suffix: str | None,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
    columns: Mapping[str, int | str] | None = None,
    progress: ProgressCallback | None = None,
    should_abort: AbortCallback | None = None,
) -> WordListReport:
    """Read a word list from the bytes of a file, such as an upload or a drag-and-drop.

    ``suffix`` (".csv", or None when unknown) selects the format like a file name would. The
    other arguments and the exceptions are those of `read_word_list`.
    """
    options = _Options(delimiter, has_header, columns, progress, should_abort)
    raise_if_cancelled(should_abort, source)
    text, used_encoding = decode_input(data, source, encoding)
    raise_if_cancelled(should_abort, source)
    return _read_text(text, source, suffix, used_encoding, options, kind="file")


def read_word_list_text(
    text: str,
    *,
    source: str = "pasted text",
    delimiter: str | None = None,
    has_header: bool | None = None,
    columns: Mapping[str, int | str] | None = None,
    progress: ProgressCallback | None = None,
    should_abort: AbortCallback | None = None,
) -> WordListReport:
    """Read a word list from text that has no file name, such as the clipboard.

    The format is sniffed: JSON when the text starts with "[" or "{", delimited when a delimiter
    splits the rows consistently, otherwise one headword per line. The report's encoding is
    "unicode". The other arguments and the exceptions are those of `read_word_list`.
    """
    options = _Options(delimiter, has_header, columns, progress, should_abort)
    return _read_text(text.removeprefix("\ufeff"), source, None, "unicode", options, kind="text")


def _read_file(path: Path, source: str) -> bytes:
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise WordListError(source, "the path is a folder, not a file", "Choose a word-list file")

        if not stat.S_ISREG(status.st_mode):
            raise WordListError(source, "the path is not a regular file", "Choose a word-list file")

        check_size_limit(status.st_size, source)
        return path.read_bytes()
    except FileNotFoundError:
        raise WordListError(source, "the file does not exist", "Check the path and choose the file again") from None
    except PermissionError:
        raise WordListError(
            source,
            "permission to read the file was denied",
            "Check the file's permissions, or copy it to your own folder",
        ) from None
    except OSError as error:
        raise WordListError(
            source,
            f"the file could not be read ({error.strerror or error})",
            "Check that the disk or network share is available",
        ) from None


def _read_text(
    text: str, source: str, suffix: str | None, encoding: str, options: _Options, kind: str
) -> WordListReport:
    """Detect the layout of decoded text, parse it and build the report."""
    if options.delimiter is not None:
        validate_delimiter(options.delimiter)

    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    if not text.strip():
        raise WordListError(source, f"the {kind} is empty", "Choose a word list that contains at least one headword")

    sep_delimiter, body = split_sep_line(text)
    first_line = 1 if sep_delimiter is None else 2
    file_format, delimiter = _detect_format(body, suffix, options.delimiter or sep_delimiter)
    logger.debug("reading %s as %s, delimiter %r, encoding %s", source, file_format, delimiter, encoding)

    report = _parse(body, first_line, file_format, delimiter, source, options)
    report.encoding = encoding  # the parsers never see the bytes, so the caller of decode_input fills this in
    _check_accepted(report, kind)
    logger.debug(
        "read %s: %d rows, %d entries, %d duplicates, %d rejected",
        source,
        report.rows_read,
        report.accepted,
        len(report.duplicates),
        len(report.rejected),
    )
    return report


def _detect_format(text: str, suffix: str | None, delimiter: str | None) -> tuple[str, str | None]:
    """Return "txt", "delimited" or "json", and the delimiter for a delimited file."""
    suffix = (suffix or "").lower()
    if suffix == ".json":
        return "json", None

    if delimiter is not None:
        return "delimited", delimiter

    if suffix in DELIMITED_SUFFIXES:
        return "delimited", DELIMITED_SUFFIXES[suffix] or sniff_delimiter(take_sample(text)) or ","

    if suffix in TXT_SUFFIXES:
        # Excel's "Unicode Text" export is a tab-separated .txt file, so tabs still count as a delimiter.
        tab = sniff_delimiter(take_sample(text), ("\t",))
        return ("delimited", tab) if tab else ("txt", None)

    if text.lstrip()[:1] in ("[", "{"):
        return "json", None

    sniffed = sniff_delimiter(take_sample(text))
    return ("delimited", sniffed) if sniffed else ("txt", None)


def _parse(
    text: str, first_line: int, file_format: str, delimiter: str | None, source: str, options: _Options
) -> WordListReport:
    collector = EntryCollector()
    if file_format == "json":
        ticker = ProgressTicker(len(text), source, options.progress, options.should_abort)
        columns, preview = read_json(text, collector, ticker, source)
        ticker.finish()
        return _build_report(source, "json", None, False, columns, collector, preview)

    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()

    ticker = ProgressTicker(len(lines), source, options.progress, options.should_abort)
    if file_format == "txt" or delimiter is None:
        preview = read_plain(lines, first_line, collector, ticker)
        ticker.finish()
        return _build_report(source, "txt", None, False, {"headword": 0}, collector, preview)

    layout = read_delimited(
        lines,
        first_line,
        delimiter,
        has_header=options.has_header,
        overrides=options.columns,
        collector=collector,
        ticker=ticker,
        source=source,
    )
    ticker.finish()
    format_name = "tsv" if delimiter == "\t" else "csv"
    return _build_report(source, format_name, delimiter, layout.has_header, layout.columns, collector, layout.preview)


def _build_report(
    source: str,
    file_format: str,
    delimiter: str | None,
    has_header: bool,
    columns: dict[str, int],
    collector: EntryCollector,
    preview: list[list[str]],
) -> WordListReport:
    return WordListReport(
        source=source,
        format=file_format,
        encoding="",
        delimiter=delimiter,
        has_header=has_header,
        columns=columns,
        rows_read=collector.rows_read,
        entries=collector.entries,
        duplicates=collector.duplicates,
        rejected=collector.rejected,
        raw_rows=preview,
    )


def _check_accepted(report: WordListReport, kind: str) -> None:
    """Raise WordListError when the input has no data rows or none of them was accepted."""
    if report.rows_read == 0:
        if report.has_header:
            contents = "a header row but no data rows"
        else:
            contents = "no headwords, only blank lines and comments"
        raise WordListError(
            report.source, f"the {kind} contains {contents}", "Add at least one headword and import it again"
        )

    if report.accepted == 0:
        first = report.rejected[0]
        if report.rows_read == 1:
            summary = "its only row was rejected"
        else:
            summary = f"all {report.rows_read:,} rows were rejected"
        raise WordListError(
            report.source,
            f"{summary} (line {first.line}: {first.reason})",
            _FIX_ROWS_HINT,
            line=first.line,
        )
