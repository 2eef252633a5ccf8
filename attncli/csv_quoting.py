"""How a csv/tsv file's double quotes are read: a tab-separated file's stray quotes as text, and a
comma-separated file's quote left open across lines refused, naming its line."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from attncli.csv_rows import Quoting, allow_long_fields, holds_cells
from attncli.errors import DataError
from attncli.textfiles import BOM


def quoting_of(path: Path, *, delimiter: str, encoding: str) -> tuple[Quoting, str | None]:
    """How double quotes in a csv/tsv file are read (a `csv` quoting constant), and a note when not
    as csv quoting. A tab-separated file needs no quotes, and many hold texts that start with one
    ("Great" movie) or leave one open: read as csv quoting, the first loses its quotes and the second
    takes every row up to the next quote into one text. So a tab-separated file whose quotes do not
    follow csv's rules is read with its quotes as text; a comma-separated file is always read as csv.
    A comma-separated file whose quote is left open across lines is refused, naming the line: read
    on, it joined every row after the quote into one text (1,000 rows gave 3 predictions). A quoted
    text may still span lines and hold a stray quote ("line one\nHe said "hi" there"), as pandas
    reads it (see `_refuse_open_quote` for what gives an open quote away). The check reads a file
    that holds a quote once more, at the csv module's speed, keeping no more of it than the csv
    module does."""
    if not _holds_quote(path):
        return csv.QUOTE_MINIMAL, None
    allow_long_fields()
    if delimiter == "\t":
        return _tab_quoting(path, encoding=encoding)
    try:
        _refuse_open_quote(path, delimiter=delimiter, encoding=encoding)
    except UnicodeDecodeError:  # the reader that follows names the line
        pass
    return csv.QUOTE_MINIMAL, None


def _refuse_backslash_escapes(path: Path, *, encoding: str) -> None:
    """Raise a DataError where a tab-separated file that csv's strict rules do not read writes a quote
    inside a quoted text as a backslash and a quote, as R's write.table does by default (its qmethod
    "escape"): read with its quotes as text, it trained on labels in quotes ('"sport"'). Only where
    the strict rules read the file with backslash escapes: a stray quote elsewhere ("Great" movie)
    keeps the file as it was read. (In a comma-separated file the same escapes leave the labels
    whole; its texts are read as pandas reads them.)"""
    if not _holds(path, b'\\"') or not _reads_with_backslash_escapes(path, delimiter="\t", encoding=encoding):
        return
    with path.open(encoding=encoding, newline="") as file:
        line = next((number for number, text in enumerate(file, 1) if '\\"' in text), 1)
    raise DataError(
        f"{path} writes a double quote inside a quoted text as \\\" (line {line}), as R's write.table does "
        'by default, where csv writes it as two (""): write it again with write.table(..., qmethod = '
        '"double", row.names = FALSE), write.csv or readr\'s write_csv/write_tsv'
    )


def _reads_with_backslash_escapes(path: Path, *, delimiter: str, encoding: str) -> bool:
    """Whether csv's strict rules read the whole file with a backslash escaping a quote (a quote may
    still be written as two: without them, the strict rules read no text after a closing quote)."""
    try:
        with path.open(encoding=encoding, newline="") as file:
            rows = csv.reader(file, delimiter=delimiter, strict=True, escapechar="\\")
            for _ in rows:
                pass
    except (csv.Error, UnicodeDecodeError):
        return False
    return True


def _tab_quoting(path: Path, *, encoding: str) -> tuple[Quoting, str | None]:
    start = 1  # the line the row being read starts on
    try:
        with path.open(encoding=encoding, newline="") as file:
            rows = csv.reader(file, delimiter="\t", strict=True)
            for _ in rows:
                start = rows.line_num + 1
    except UnicodeDecodeError:
        return csv.QUOTE_MINIMAL, None
    except csv.Error:
        _refuse_backslash_escapes(path, encoding=encoding)
        return csv.QUOTE_NONE, (
            f"{path.name}: the row on line {start} opens a double quote that csv quoting cannot close, "
            "so double quotes are read as part of the texts of this tab-separated file"
        )
    return csv.QUOTE_MINIMAL, None


def _refuse_open_quote(path: Path, *, delimiter: str, encoding: str) -> None:
    """Raise a DataError naming the line of a double quote that swallows the rows after it. Read as
    csv (and as pandas reads it), the row that starts there spans several lines, and one of three
    things gives the open quote away: the row ends with another number of fields than the header;
    one of its later lines reads on its own as a whole row of the header's width with a field that
    opens with a quote (the next rows, `"two",b` or `b,"two"`, their quotes taken for the closing
    one), unless the row's lines read as one row by csv's strict rules and that line's first quote
    closes a field rather than opening one, as R's `write.csv` writes a text of several lines after
    a column of its own (`"1","Hello\nWe won, they lost","sport"`); or it runs to the end of the
    file inside its quote (the one sign left when the file has a single column). A row of one field
    more than the header, the first a number, that the strict rules read is left to the check of
    rows too long (R's write.table writes row names so, which that check names). A quoted text
    whose later lines hold stray quotes but read as no row (`He said "hi" there",a`, `"Best movie" I
    said.",pos`) is read as pandas reads it."""
    read = 0  # lines read so far
    start = 1  # the line the row being read starts on
    fields = 0  # the header's fields, once it is read
    swallowed = ""  # a later line of the row being read that reads as a row of its own
    last_spans, last_start = False, 1  # whether the last row read spans lines, and its first line
    row_lines: list[str] = []  # the lines of the row being read
    last_lines: list[str] = []  # and of the row read before it
    with path.open(encoding=encoding, newline="") as file:

        def lines() -> Iterator[str]:
            nonlocal read, swallowed
            after_lone_cr = False  # a carriage return alone split the file here: no new line of it
            for line in file:
                read += 1
                if read == 1:
                    line = line.removeprefix(BOM)  # a byte-order mark is no part of the header
                # A quoted cell holding a carriage return (pandas' QUOTE_NONNUMERIC) reads on: the
                # part after it is the cell's, not a row swallowed by an open quote.
                if fields and read > start and not swallowed and not after_lone_cr:
                    swallowed = line if _reads_as_a_row(line, delimiter, fields) else ""
                after_lone_cr = line.endswith("\r")
                row_lines.append(line)
                yield line

        rows = csv.reader(lines(), delimiter=delimiter)
        try:
            for row in rows:
                last_spans = rows.line_num > start
                if not fields and holds_cells(row):  # the header, past the lines pandas skips
                    if last_spans and _is_last(rows):
                        raise DataError(open_quote_message(path, start, read, to_the_end=True))
                    fields = len(row)
                elif last_spans and _swallows(row, row_lines, swallowed, delimiter=delimiter, fields=fields):
                    stopped = rows.line_num
                    raise DataError(open_quote_message(path, start, stopped, to_the_end=_is_last(rows)))
                last_start, start, swallowed = start, rows.line_num + 1, ""
                # The finished row's lines kept as the last row's, a new list for the next row
                # (`lines` appends to whichever list `row_lines` names).
                last_lines, row_lines = row_lines, []
        except csv.Error:  # a field over the size limit, a NUL byte (Python 3.10)
            if rows.line_num > start:
                raise DataError(open_quote_message(path, start, rows.line_num, to_the_end=False)) from None
            return
    # The last row read to the end inside its quote, on one line or several (a file its writer is still
    # writing, `3,"New phone laun`, was labelled with exit 0: a data engineer's trial).
    if last_lines and ends_inside_quote(last_lines, delimiter=delimiter):
        raise DataError(open_quote_message(path, last_start, read, to_the_end=True))


def _swallows(row: list[str], lines: list[str], swallowed: str, *, delimiter: str, fields: int) -> bool:
    """Whether a row read across `lines` shows a quote left open (`_refuse_open_quote`'s signs)."""
    if len(row) == fields + 1 and row[0].strip().isdigit() and _one_strict_row(lines, delimiter, fields + 1):
        return False  # a row name, as R's write.table writes one: named by the check of long rows
    if len(row) != fields:
        return True
    if not swallowed:
        return False
    first_quote = swallowed.find('"')
    closes = first_quote > 0 and swallowed[first_quote - 1] != delimiter
    return not (closes and _one_strict_row(lines, delimiter, fields))


def _one_strict_row(lines: list[str], delimiter: str, fields: int) -> bool:
    """Whether `lines` read as one row of `fields` fields by csv's strict rules: every quote that
    opens a field closes it right before a delimiter or the line's end, as no open quote does where
    the next row's opening quote takes its place (`"one,a\n"two",b`)."""
    try:
        parsed = list(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error:
        return False
    return len(parsed) == 1 and len(parsed[0]) == fields


def _reads_as_a_row(line: str, delimiter: str, fields: int) -> bool:
    if not (line.startswith('"') or delimiter + '"' in line):
        return False
    try:
        parsed = list(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error:
        return False
    return len(parsed) == 1 and len(parsed[0]) == fields


def ends_inside_quote(lines: Iterable[str], *, delimiter: str) -> bool:
    """Whether `lines`, read by csv's strict rules, end inside a quote (the csv module's own reader
    reads such a field to the end without a word)."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        return "end of data" in str(error)
    return False


def _is_last(rows: Iterator[list[str]]) -> bool:
    """Whether `rows` has no row left (a row it cannot read is one left)."""
    try:
        return next(rows, None) is None
    except (UnicodeDecodeError, csv.Error):
        return False


def open_quote_message(path: Path | str, start: int, stopped: int, *, to_the_end: bool) -> str:
    if to_the_end and stopped == start:  # the last line
        joined = "the file ends inside that row's text (cut short, or still being written)"
        return (
            f"line {start} of {path} opens a double quote that its field does not close, and {joined}; "
            f'close the quote on line {start}, or write a double quote inside a quoted text as two ("")'
        )
    if to_the_end:
        joined = "every line after it"
    else:
        joined = f"line {stopped}" if stopped == start + 1 else f"lines {start + 1} to {stopped}"
    return (
        f"line {start} of {path} opens a double quote that its field does not close, so {joined} would "
        f"be read into that row's text; close the quote on line {start}, or write a double quote inside "
        'a quoted text as two ("")'
    )


def _holds_quote(path: Path) -> bool:
    return _holds(path, b'"')


def _holds(path: Path, sought: bytes) -> bool:
    """Whether the file's bytes hold `sought` (read in chunks that overlap by its length less one)."""
    tail = b""
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 22), b""):
            if sought in tail + chunk:
                return True
            tail = chunk[1 - len(sought) :] if len(sought) > 1 else b""
    return False
