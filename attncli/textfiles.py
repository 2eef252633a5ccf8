"""Local csv/tsv/json/jsonl files as people write them: the delimiter an Excel export uses, a
byte-order mark, and which line of the file a row starts on. Plain Python; it reads only the header
line, or, when something is wrong, the file again to name the line."""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from attncli.encodings import (
    COMPRESSED_MAGIC,
    OFFICE_UNDER_ANOTHER_NAME,
    OFFICE_ZIP,
    SAVE_AS_CSV,
    is_wide,
    require_narrow_encoding,
)
from attncli.errors import DataError

# The separators an export may use instead of the one its suffix promises, in order of preference.
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
# The header line is read in one gulp of at most this much: a file that is one huge line costs no more.
HEADER_BYTES = 1 << 16
BOM = "\ufeff"
Quoting = Literal[0, 1, 2, 3]
"""One of the csv module's quoting constants (csv.QUOTE_MINIMAL, csv.QUOTE_NONE, ...)."""


# Compressed files are not read: the command that gives the file attn reads, by suffix.
DECOMPRESS = {".gz": "gunzip -k", ".bz2": "bunzip2 -k", ".xz": "unxz -k", ".zst": "unzstd", ".zip": "unzip"}


# Data files that are binary, with no text encoding and no lines.
BINARY_SUFFIXES = (".parquet", ".arrow")
# Office files, which are zip archives (or, the old ones, binary): saved as CSV, they are data.
OFFICE_FILES = {
    ".xlsx": "an Excel workbook", ".xlsm": "an Excel workbook", ".xls": "an Excel workbook",
    ".ods": "a spreadsheet", ".numbers": "a Numbers spreadsheet", ".docx": "a Word document",
}  # fmt: skip


def require_uncompressed(path: Path) -> None:
    """Refuse a compressed file (train.csv.gz) by name, or by its first bytes where the name does
    not say so (a gzip file named data.csv read as text was 'not valid utf-8; pass --encoding'),
    before its bytes are taken for text."""
    office = OFFICE_FILES.get(path.suffix.lower())
    if office is not None:  # zip archives inside: 'run unzip -p' gave XML, not rows
        raise DataError(f"{path} is {office}, not a data file attn reads; {SAVE_AS_CSV}")
    command = DECOMPRESS.get(path.suffix.lower())
    if command is not None:
        raise DataError(
            f"{path} is compressed ({path.suffix}), and attn reads data files uncompressed; run "
            f"`{command} {path}` and pass the file it gives"
        )
    if path.suffix.lower() in BINARY_SUFFIXES or not path.is_file():
        return  # parquet's own pages may be compressed; a pipe is read once
    with path.open("rb") as file:
        head = file.read(64)
    if OFFICE_ZIP.match(head):  # a zip too, whose unzip gives XML, not rows
        raise DataError(f"{path} is {OFFICE_UNDER_ANOTHER_NAME}, not a data file attn reads; {SAVE_AS_CSV}")
    for magic, (kind, decompress) in COMPRESSED_MAGIC.items():
        if magic.match(head):
            raise DataError(
                f"{path} is {kind}-compressed, though its name does not say so, and attn reads data files "
                f"uncompressed; run `{decompress} {path} > {path.stem}-plain{path.suffix}` and pass that file"
            )


def require_readable(path: Path, encoding: str) -> None:
    """Refuse, before reading it, a data file attn cannot read as it stands: a compressed one, or a
    UTF-16/32 one read as another encoding (parquet and Arrow files are binary: no text encoding)."""
    require_uncompressed(path)
    if path.suffix.lower() not in BINARY_SUFFIXES:
        require_narrow_encoding(path, encoding)


def suffix_delimiter(path: Path) -> str:
    """The delimiter a file's suffix promises: tab for .tsv, else a comma."""
    return "\t" if path.suffix.lower() == ".tsv" else ","


def shown(delimiter: str) -> str:
    """A delimiter as a user types it in --delimiter: ';' or '\\t'."""
    return "'\\t'" if delimiter == "\t" else repr(delimiter)


def header_line(path: Path, *, encoding: str) -> str:
    """The header line of `path` (its first line that is not blank), decoded, without its
    byte-order mark and line end."""
    with path.open("rb") as file:
        head = file.read(HEADER_BYTES)
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head)  # a character cut at the end waits
    except UnicodeDecodeError as error:
        text = head[: error.start].decode(encoding)
        if "\n" not in text:  # the bad byte is in the header line itself
            raise DataError(
                f"line 1 of {path} is not valid {encoding}; pass --encoding (or set data.encoding) with "
                "the file's encoding, for example cp1252 (from Windows) or latin-1"
            ) from None
    except UnicodeError as error:  # the file does not start as the encoding must (utf-16 without a BOM)
        raise DataError(
            f"{path} does not read as {encoding} ({error}); pass --encoding (or set data.encoding) with the "
            "file's encoding, for example utf-8"
        ) from None
    if "\r" in text and "\n" not in text:
        raise DataError(
            f'{path} ends its lines with a carriage return alone (as Excel for Mac\'s "CSV (Macintosh)" '
            "writes them); convert them to line feeds first, for example with "
            + _to_line_feeds(path, encoding)
        )
    lines = text.removeprefix(BOM).split("\n")
    # pandas skips blank lines (spaces alone included) above the header, and so do attn's own
    # readers (`header_row`).
    return next((line.removesuffix("\r") for line in lines if line.strip()), "")


def _to_line_feeds(path: Path, encoding: str) -> str:
    """A command that turns a file's lone carriage returns into line feeds: `tr` works on bytes, so
    a UTF-16/32 file (where it would change characters such as U+010D) goes through utf-8 first."""
    converted = f"{path.stem}-lf{path.suffix}"
    if is_wide(encoding):
        name = codecs.lookup(encoding).name.replace("-le", "le").replace("-be", "be")  # as iconv knows it
        return (
            f"iconv -f {name} -t utf-8 {path} | tr '\\r' '\\n' > {converted}, and read that without "
            "--encoding (it is utf-8)"
        )
    return f"tr '\\r' '\\n' < {path} > {converted}"


def holds_cells(row: list[str]) -> bool:
    """Whether a csv reader's row is a row: a blank line, or spaces alone, is none to pandas."""
    return len(row) > 1 or (len(row) == 1 and bool(row[0].strip()))


def header_row(rows: Iterator[list[str]]) -> list[str] | None:
    """The header of a csv reader's rows, past the blank lines (or spaces alone) pandas skips
    above it; None when there is none."""
    return next((row for row in rows if holds_cells(row)), None)


# The line Excel writes (and reads) above a csv's header to name its delimiter: `sep=;`.
EXCEL_DELIMITER_LINE = re.compile(r'"?sep=."?,*;*')


def choose_delimiter(path: Path, *, configured: str | None, encoding: str) -> tuple[str, bool]:
    """The delimiter of a csv/tsv file, and whether it was read off the header line: the one
    configured; else the suffix's one if the header has it; else the only other one it has."""
    first = header_line(path, encoding=encoding)
    if EXCEL_DELIMITER_LINE.fullmatch(first):
        raise DataError(
            f"the first line of {path} is Excel's delimiter hint ({first!r}), not the header line that "
            "names the columns; delete that line (attn reads the delimiter off the header line below it)"
        )
    if configured is not None:
        return configured, False
    expected = suffix_delimiter(path)
    # A delimiter inside a quoted name ("price, in EUR";"label") separates nothing.
    header = re.sub(r'"(?:[^"]|"")*"', "", first)
    if expected in header:
        return expected, False
    found = [delimiter for delimiter in DELIMITERS if delimiter != expected and delimiter in header]
    if len(found) > 1:
        listed = " and ".join(DELIMITER_NAMES[delimiter] for delimiter in found)
        raise DataError(
            f"the header line of {path} has no {DELIMITER_NAMES[expected]} but has {listed}; pass "
            f"--delimiter (or --set data.delimiter=...) with the one that separates its columns, "
            f"for example --delimiter {shown(found[0])}"
        )
    if not found:  # one column, or no header: the usual delimiter, and the column checks say the rest
        return expected, False
    return found[0], True


# The csv module stops at fields over 128 KB by default; a text may be a whole book, and every reader
# of a csv file (the checks here, predict's records) must read what `datasets` reads.
LONGEST_FIELD = 1 << 30


def allow_long_fields() -> None:
    csv.field_size_limit(LONGEST_FIELD)


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
    one); or it runs to the end of the file inside its quote (the one sign left when the file has a
    single column). A quoted text whose later lines hold stray quotes but read as no row
    (`He said "hi" there",a`, `"Best movie" I said.",pos`) is read as pandas reads it."""
    read = 0  # lines read so far
    start = 1  # the line the row being read starts on
    fields = 0  # the header's fields, once it is read
    swallowed = False  # whether a later line of the row being read reads as a row of its own
    last_spans, last_start = False, 1  # whether the last row read spans lines, and its first line
    with path.open(encoding=encoding, newline="") as file:

        def lines() -> Iterator[str]:
            nonlocal read, swallowed
            for line in file:
                read += 1
                if read == 1:
                    line = line.removeprefix(BOM)  # a byte-order mark is no part of the header
                if fields and read > start and not swallowed:
                    swallowed = _reads_as_a_row(line, delimiter, fields)
                yield line

        rows = csv.reader(lines(), delimiter=delimiter)
        try:
            for row in rows:
                last_spans = rows.line_num > start
                if not fields and holds_cells(row):  # the header, past the lines pandas skips
                    if last_spans and _is_last(rows):
                        raise DataError(_open_quote_message(path, start, read, to_the_end=True))
                    fields = len(row)
                elif last_spans and (len(row) != fields or swallowed):
                    stopped = rows.line_num
                    raise DataError(_open_quote_message(path, start, stopped, to_the_end=_is_last(rows)))
                last_start, start, swallowed = start, rows.line_num + 1, False
        except csv.Error:  # a field over the size limit, a NUL byte (Python 3.10)
            if rows.line_num > start:
                raise DataError(_open_quote_message(path, start, rows.line_num, to_the_end=False)) from None
            return
    if last_spans and _ends_inside_quote(path, encoding=encoding, delimiter=delimiter, start=last_start):
        raise DataError(_open_quote_message(path, last_start, read, to_the_end=True))


def _reads_as_a_row(line: str, delimiter: str, fields: int) -> bool:
    if not (line.startswith('"') or delimiter + '"' in line):
        return False
    try:
        parsed = list(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error:
        return False
    return len(parsed) == 1 and len(parsed[0]) == fields


def _ends_inside_quote(path: Path, *, encoding: str, delimiter: str, start: int) -> bool:
    """Whether the rows from line `start` on, read by csv's strict rules, run to the end of the file
    inside a quote (the csv module's own reader reads such a field to the end without a word)."""
    with path.open(encoding=encoding, newline="") as file:
        try:
            for _ in csv.reader(itertools.islice(file, start - 1, None), delimiter=delimiter, strict=True):
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


def _open_quote_message(path: Path, start: int, stopped: int, *, to_the_end: bool) -> str:
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
    with path.open("rb") as file:
        return any(b'"' in chunk for chunk in iter(lambda: file.read(1 << 22), b""))


@dataclass(frozen=True)
class CsvDialect:
    """How a csv/tsv file is read: its delimiter (and whether it was read off the header line) and
    its quoting, with the note that says when quotes are read as text."""

    delimiter: str
    sniffed: bool
    quoting: Quoting
    quoting_note: str | None


def csv_dialect(path: Path, *, configured: str | None, encoding: str) -> CsvDialect:
    """`choose_delimiter` then `quoting_of`: what train, eval and predict all need of a csv/tsv file."""
    delimiter, sniffed = choose_delimiter(path, configured=configured, encoding=encoding)
    quoting, note = quoting_of(path, delimiter=delimiter, encoding=encoding)
    return CsvDialect(delimiter=delimiter, sniffed=sniffed, quoting=quoting, quoting_note=note)


def delimiter_note(paths: list[Path], delimiter: str) -> str:
    """The line that says a delimiter was read off the header lines of `paths` (of one suffix)."""
    expected = suffix_delimiter(paths[0])
    return (
        f"{', '.join(path.name for path in paths)}: the header line has no {DELIMITER_NAMES[expected]} "
        f"but has {DELIMITER_NAMES[delimiter]}, so it is read as {shown(delimiter)}-separated "
        "(--delimiter chooses another)"
    )


def require_unique_columns(names: list[str], path: Path) -> None:
    """Refuse a header line that names a column twice: which of the two is meant cannot be known,
    and joined output would carry only one of them."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name.strip():  # a spreadsheet's empty columns past the table (text;label;;): never chosen
            continue
        if name in seen:
            raise DataError(
                f"the header line of {path} names column {name!r} twice (columns {seen[name]} and "
                f"{position}); rename one"
            )
        seen[name] = position


def require_records(value: object, path: Path) -> None:
    """Refuse a JSON file that is one object holding whole columns (pandas' `to_json()` default:
    {"text": {"0": ..., "1": ...}, ...}, or {"text": [...], ...}) or holding the records under one
    key ({"data": [{...}, ...]}): read as it is, it is one row whose cells are whole columns. Rows
    that are arrays (["text", "label"]) name no fields to find the text and label by."""
    if isinstance(value, list):
        raise DataError(
            f"{path} holds its rows as JSON arrays ([...]), whose fields have no names; give each row "
            'as a JSON object, such as {"text": "...", "label": "..."}'
        )
    if not isinstance(value, dict) or not value:
        return
    cells = list(value.values())
    if {"columns", "data"} <= set(value) and isinstance(value["data"], list):
        raise DataError(
            f"{path} holds pandas' 'split' layout (columns, data), not records; write one record per "
            "line (pandas: df.to_json(path, orient='records', lines=True))"
        )
    if len(value) == 1 and isinstance(cells[0], list) and cells[0] and isinstance(cells[0][0], dict):
        raise DataError(
            f"{path} holds its records under the key {next(iter(value))!r}; write the list itself, "
            "as a JSON array or one record per line"
        )
    if all(isinstance(cell, (dict, list)) for cell in cells) and len({len(cell) for cell in cells}) == 1:
        if len(cells[0]) > 1:
            raise DataError(
                f"{path} holds one JSON object of columns, not records; write one record per line "
                "(pandas: df.to_json(path, orient='records', lines=True))"
            )


def _csv_rows(
    path: Path, *, delimiter: str, encoding: str, quoting: Quoting = csv.QUOTE_MINIMAL
) -> Iterator[tuple[int, list[str]]]:
    """(line the row starts on, fields) of every data row of a csv file, skipping the header and the
    blank lines pandas skips; a quoted field may span lines."""
    allow_long_fields()
    with path.open(encoding=encoding, newline="") as file:
        rows = csv.reader(file, delimiter=delimiter, quoting=quoting)
        header_row(rows)
        start = rows.line_num + 1
        for fields in rows:
            if holds_cells(fields):
                yield start, fields
            start = rows.line_num + 1


def first_ragged_row(
    path: Path, *, delimiter: str, encoding: str, quoting: Quoting = csv.QUOTE_MINIMAL
) -> DataError | None:
    """The first row with more fields than the header, as `ragged_row_error` says it, if one has."""
    allow_long_fields()
    with path.open(encoding=encoding, newline="") as file:
        lines = (line.removeprefix(BOM) for line in file)
        header = header_row(csv.reader(lines, delimiter=delimiter, quoting=quoting)) or []
    for number, fields in _csv_rows(path, delimiter=delimiter, encoding=encoding, quoting=quoting):
        if len(fields) > len(header):
            return ragged_row_error(path, line=number, fields=len(fields), header=header, delimiter=delimiter)
    return None


def ragged_row_error(
    path: Path, *, line: int, fields: int, header: Sequence[str], delimiter: str
) -> DataError:
    """The error for a csv row with more fields than the header line (train, eval and predict
    alike); where the header is one field and line 2 the first with more, a title or a note sits
    above the real header line."""
    if len(header) == 1 and line == 2 and header[0].startswith("#TYPE "):
        return DataError(
            f"line 1 of {path} ({header[0][:60]!r}) is the type line PowerShell's Export-Csv writes; delete "
            "it, or export again with Export-Csv -NoTypeInformation"
        )
    if len(header) == 1 and line == 2:
        return DataError(
            f"line 1 of {path} ({header[0][:60]!r}) has 1 field but line 2 has {fields}; if line 1 is a "
            "title above the header line, delete it, so that the header is the first line"
        )
    return DataError(
        f"line {line} of {path} has {fields} fields but its header line has {len(header)}; put a text "
        f"that holds {shown(delimiter)} in double quotes, or pass --delimiter if another character "
        "separates the columns"
    )


def json_error_place(error: json.JSONDecodeError) -> str:
    """Where on its line a JSON line is wrong: the decoder, given the line with its line end, puts an
    object left open at column 1 of the next line."""
    return "at the end of the line" if error.lineno > 1 else f"at column {error.colno}"


def first_bad_json_line(path: Path, *, encoding: str) -> tuple[int, str] | None:
    """(line, reason) of the first non-blank line of a JSON-lines file that is not a JSON object."""
    with path.open(encoding=encoding) as file:
        for number, line in enumerate(file, start=1):
            line = line.removeprefix(BOM) if number == 1 else line
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                return number, f"not JSON: {error.msg} {json_error_place(error)}"
            if not isinstance(value, dict):
                return number, f"a JSON {type(value).__name__}, not an object"
    return None


def is_json_array(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(HEADER_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def _json_lines(path: Path, *, encoding: str) -> Iterator[int]:
    """The line of every record of a JSON-lines file (blank lines hold none)."""
    with path.open(encoding=encoding) as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                yield number


@dataclass(frozen=True)
class Origin:
    """Where the rows of one split came from, so a row can be named as the user finds it."""

    split: str
    path: Path | None = None
    """The local file (None: a Hub dataset or a save_to_disk folder)."""
    delimiter: str = ","
    encoding: str = "utf-8"
    rows: Sequence[int] | None = None
    """The file's rows this split holds when only some are (None: all of them, in order)."""
    quoting: Quoting = csv.QUOTE_MINIMAL
    """How a csv/tsv file's double quotes were read (`quoting_of`)."""

    @property
    def name(self) -> str:
        """The file's name, else the split's: for messages about all its rows."""
        return self.path.name if self.path is not None else f"split {self.split!r}"

    def locate(self, row: int) -> str:
        """Row `row` (from 0) of the split as a place in the file: "line 5 of train.csv"."""
        row = self.rows[row] if self.rows is not None else row
        suffix = self.path.suffix.lower() if self.path is not None else ""
        if self.path is None or suffix in BINARY_SUFFIXES or (suffix == ".json" and is_json_array(self.path)):
            where = f"split {self.split!r}" if self.path is None else str(self.path)
            return f"row {row + 1} of {where} (counting from 1)"
        if suffix in (".csv", ".tsv"):
            lines: Iterator[int] = (
                line
                for line, _ in _csv_rows(
                    self.path, delimiter=self.delimiter, encoding=self.encoding, quoting=self.quoting
                )
            )
        else:
            lines = _json_lines(self.path, encoding=self.encoding)
        line = next((line for index, line in enumerate(lines) if index == row), None)
        return f"line {line} of {self.path}" if line is not None else f"row {row + 1} of {self.path}"
