"""csv rows as pandas reads them (blank lines skipped, fields of any size), and the checks of a csv
file's rows that name the line: a column named twice, a row with more fields than the header."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from attncli.errors import DataError
from attncli.textfiles import BOM

Quoting = Literal[0, 1, 2, 3]
"""One of the csv module's quoting constants (csv.QUOTE_MINIMAL, csv.QUOTE_NONE, ...)."""


def shown(delimiter: str) -> str:
    """A delimiter as a user types it in --delimiter: ';' or '\\t'."""
    return "'\\t'" if delimiter == "\t" else repr(delimiter)


def holds_cells(row: list[str]) -> bool:
    """Whether a csv reader's row is a row: a blank line, or spaces alone, is none to pandas."""
    return len(row) > 1 or (len(row) == 1 and bool(row[0].strip()))


def table_delimiter(line: str, following: str, delimiters: Sequence[str] = ("\t", ";", ",")) -> str | None:
    """The delimiter at which `line` splits into several named cells, and the line after it into as
    many: a table's header over its first row (None: no table). The row's cells are read as csv
    quotes them (a post `"id,text"` is one cell), and a row whose quoted cell goes on to the next line
    (a text of several lines) is taken for one of as many cells where it has no more than the header:
    a social post's comma or line break left the refusal to almost no real file (a trial)."""
    allow_long_fields()  # a first line of 200,000 characters is a text too
    for delimiter in delimiters:
        cells = line.split(delimiter)
        named = _named_cells(cells)
        if named is not None:
            row = next(csv.reader([following], delimiter=delimiter), [])
            # A cell that opens with a quote never closed on this line (not any quote: 5'10" tall);
            # the first cell's, a row of one cell so far.
            cut_in_a_cell = re.search(f'(?:^|{re.escape(delimiter)})"(?:[^"]|"")*$', following) is not None
            fewest = 1 if following.startswith('"') else 2
            # A row may leave out the empty columns past the named ones (text,label,, over good,pos),
            # as a csv file's rows may.
            if named <= len(row) <= len(cells) or (cut_in_a_cell and fewest <= len(row) <= len(cells)):
                return delimiter
    return None


def _named_cells(cells: list[str]) -> int | None:
    """How many of a header line's cells there are up to its last name, where they name at least two
    columns with empty cells at most first (the index pandas' `to_csv` writes, `,text,label`) or last
    (a spreadsheet's empty columns past the table, `text;label;;`); None where they do not. A header
    so written, piped in, was read as a text a line (a trial)."""
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    named = names[1:] if names and not names[0] else names
    return len(names) if len(named) >= 2 and all(named) else None


def header_naming(line: str, column: str, delimiter: str | None) -> dict[str, str]:
    """Each delimiter at which `line` splits into several short names, as a csv header's, among
    which is `column` (in any case, with spaces around it; each part of a joined column, as named),
    with the column as that header names it: empty where none does. A sentence that starts with the
    column's name (`text, images and video are great`) is no header: its other cell is no name
    (a stricter rule, names of word characters alone, left `is_spam?` and `2023 score` unread)."""
    from attncli.joined_columns import SEPARATOR, parts_of

    if "\r" in line:  # lines ended by a carriage return alone, which their own check refuses
        return {}
    allow_long_fields()
    named: dict[str, str] = {}
    for candidate in (delimiter,) if delimiter else ("\t", ";", ","):
        names = next(csv.reader([line], delimiter=candidate), [])
        if len(names) < 2 or not all(_names_a_column(name) for name in names):
            continue
        # Joined, each part as the header names it, as the text is read through them: a header of
        # `subject,description` piped in for a model of `Subject,Description` was read by its subject
        # alone, where a file is read by both (a trial).
        found = [_as_named(part, names) for part in parts_of(column)]
        if all(found):
            named[candidate] = SEPARATOR.join(name for name in found if name is not None)
    return named


def _as_named(column: str, names: list[str]) -> str | None:
    """`column` as `names` name it: itself, else one equal to it as a person reads names (case,
    accents and surrounding spaces aside: `name_key`)."""
    from attncli.column_detection import name_key

    if column in names:
        return column
    return next((name for name in names if name_key(name) == name_key(column)), None)


def table_header(
    line: str, following: str | None, column: str, delimiter: str | None
) -> tuple[str, str] | None:
    """The delimiter of a table whose header `line` names `column` (`header_naming`) over the line
    `following` of as many cells (`table_delimiter`), with the column as the header names it; None
    where there is no such table. `following` None: the header came alone (a filter that matched no
    row), a table of no rows."""
    named = header_naming(line, column, delimiter)
    if not named:
        return None
    found = next(iter(named)) if following is None else table_delimiter(line, following, tuple(named))
    return (found, named[found]) if found is not None else None


def _names_a_column(name: str) -> bool:
    """Whether a header's cell reads as a column's name, not a sentence: at most 40 characters and
    four words (`is_spam?`, `2023 score`, `Unnamed: 0`; not `images and video are great`)."""
    return len(name.strip()) <= 40 and len(name.split()) <= 4


def header_row(rows: Iterator[list[str]]) -> list[str] | None:
    """The header of a csv reader's rows, past the blank lines (or spaces alone) pandas skips
    above it; None when there is none."""
    return next((row for row in rows if holds_cells(row)), None)


# The csv module stops at fields over 128 KB by default; a text may be a whole book, and every reader
# of a csv file (the checks here, predict's records) must read what `datasets` reads.
LONGEST_FIELD = 1 << 30


def allow_long_fields() -> None:
    csv.field_size_limit(LONGEST_FIELD)


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


def unnamed_apart(names: list[str]) -> list[str]:
    """A header's empty names, where it has more than one, as pandas names them when training reads
    the file ('Unnamed: 0', 'Unnamed: 3'): a pandas index column beside Excel's empty columns past
    the table (`,Text,`) made one name of two, and predict's output carried the last one's values
    in both. A single empty name stays as it is."""
    empty = [position for position, name in enumerate(names) if not name]  # pandas keeps " " as it is
    if len(empty) < 2:
        return names
    named, taken = list(names), set(names)
    for position in empty:
        name, copy = f"Unnamed: {position}", 0
        while name in taken:  # a column truly called so: pandas' next copy, "Unnamed: 2.1"
            copy += 1
            name = f"Unnamed: {position}.{copy}"
        named[position] = name
        taken.add(name)
    return named


def csv_rows(
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


# What Python's csv module says of a carriage return alone in a cell without quotes (as pandas'
# to_csv writes a text holding one), and what to say instead.
UNQUOTED_CARRIAGE_RETURN = "new-line character seen in unquoted field"
CARRIAGE_RETURN_REMEDY = (
    "a carriage return (\\r) stands inside a cell that is not in quotes, which ends the row there "
    "(pandas' to_csv writes such cells); quote every cell (to_csv(..., quoting=csv.QUOTE_NONNUMERIC)) or "
    "replace the carriage returns"
)


def csv_reason(error: csv.Error) -> str:
    """Python's csv error in words a user can act on."""
    return CARRIAGE_RETURN_REMEDY if UNQUOTED_CARRIAGE_RETURN in str(error) else str(error)


def unquoted_carriage_return(
    path: Path, *, delimiter: str, encoding: str, quoting: Quoting = csv.QUOTE_MINIMAL
) -> int | None:
    """The line of the first cell holding a carriage return outside quotes, if one does (lines
    split at line feeds only, as predict reads them): the row breaks there, so training said its
    first half had no label."""
    allow_long_fields()
    if not _has_lone_carriage_return(path, encoding):  # most files: read at C speed, and done
        return None
    try:
        with path.open(encoding=encoding, newline="\n") as file:
            rows = csv.reader(file, delimiter=delimiter, quoting=quoting)
            try:
                for _ in rows:
                    pass
            except csv.Error as error:
                return rows.line_num if UNQUOTED_CARRIAGE_RETURN in str(error) else None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _has_lone_carriage_return(path: Path, encoding: str) -> bool:
    """Whether the file holds a carriage return not followed by a line feed (for a UTF-16 or UTF-32
    file, which this byte scan cannot read: assumed so)."""
    from attncli.encodings import is_wide

    if is_wide(encoding):
        return True
    try:
        with path.open("rb") as file:
            carried = b""  # a carriage return that ended the last chunk: its line feed may be next
            while chunk := file.read(1 << 22):
                body = carried + chunk
                body, carried = (body[:-1], b"\r") if body.endswith(b"\r") else (body, b"")
                if re.search(rb"\r(?!\n)", body):
                    return True
            return carried == b"\r"
    except OSError:
        return False


def first_ragged_row(
    path: Path, *, delimiter: str, encoding: str, quoting: Quoting = csv.QUOTE_MINIMAL
) -> DataError | None:
    """The first row with more fields than the header, as `ragged_row_error` says it, if one has."""
    allow_long_fields()
    with path.open(encoding=encoding, newline="") as file:
        lines = (line.removeprefix(BOM) for line in file)
        header = header_row(csv.reader(lines, delimiter=delimiter, quoting=quoting)) or []
    for number, fields in csv_rows(path, delimiter=delimiter, encoding=encoding, quoting=quoting):
        if len(fields) > len(header):
            return ragged_row_error(path, line=number, fields=len(fields), header=header, delimiter=delimiter)
    return None


def is_type_line(line: str) -> bool:
    """Whether `line` is the type line Windows PowerShell 5.1's Export-Csv and ConvertTo-Csv write
    above a table's header (`#TYPE System.Management.Automation.PSCustomObject`): `#TYPE` and a .NET
    type's dotted name, where a text may begin "#TYPE of thing"."""
    return TYPE_LINE.fullmatch(line.lstrip("\ufeff").strip()) is not None


TYPE_LINE = re.compile(r"#TYPE [\w`+\[\],]+(?:\.[\w`+\[\],]+)+")


def type_line_error(name: str, line: str) -> DataError:
    """The refusal of a table that opens with PowerShell's type line, in a file or piped in."""
    return DataError(
        f"line 1 of {name} ({line[:60]!r}) is the type line PowerShell's Export-Csv writes; delete it, or "
        "export again with Export-Csv -NoTypeInformation (ConvertTo-Csv -NoTypeInformation)"
    )


def ragged_row_error(
    path: Path, *, line: int, fields: int, header: Sequence[str], delimiter: str
) -> DataError:
    """The error for a csv row with more fields than the header line (train, eval and predict
    alike); where the header is one field and line 2 the first with more, a title or a note sits
    above the real header line."""
    if len(header) == 1 and line == 2 and is_type_line(header[0]):
        return type_line_error(str(path), header[0])
    if len(header) == 1 and line == 2:
        # Or the header of a file of one column, whose texts hold the delimiter unquoted (a European
        # Excel's export, separated by ';', whose texts hold commas).
        return DataError(
            f"line 1 of {path} ({header[0][:60]!r}) has 1 field but line 2 has {fields}; if line 1 is a "
            "title above the header line, delete it, so that the header is the first line; if it is the "
            f"header of a file of one column whose texts hold {shown(delimiter)}, pass --delimiter with "
            "what its exports separate columns with (such as ';')"
        )
    if line == 2 and fields == len(header) + 1:
        return DataError(
            f"line 2 of {path} has {fields} fields but its header line has {len(header)}; if each row starts "
            "with a row name, as R's write.table writes one with no column name above it, write the file "
            f"with row.names = FALSE; else put a text that holds {shown(delimiter)} in double quotes, or "
            "pass --delimiter if another character separates the columns"
        )
    return DataError(
        f"line {line} of {path} has {fields} fields but its header line has {len(header)}; put a text "
        f"that holds {shown(delimiter)} in double quotes, or pass --delimiter if another character "
        "separates the columns"
    )
