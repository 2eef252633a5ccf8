"""The texts `attn predict` and `attn inspect` read: command-line arguments, a plain text file (one
text per line), a dataset file (csv/tsv/json/jsonl/parquet/arrow, or a save_to_disk folder; its
other columns carried along), or standard input, read as it arrives. One record per input line or
row, numbered from 0, in order; lines end at "\\n" (or "\\r\\n") only. Plain Python readers: no
`datasets`, no type guessing, so an id such as "007" comes back as it went in."""

from __future__ import annotations

import codecs
import csv
import functools
import json
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.arrowfiles import arrow_batches, arrow_rows, arrow_schema, is_saved_dataset, saved_dataset_files
from attncli.columns import (
    Layout,
    choose_columns,
    layout_of_record,
    layout_of_schema,
    other_than_trained_note,
    value_at,
)
from attncli.encodings import (
    is_utf8,
    is_wide,
)
from attncli.errors import DataError
from attncli.lines import (
    READ_BYTES,
    arrivals,
    decode,
    decoded_lines,
    file_chunks,
    line_chunks,
    narrow,
    readable_encoding,
    with_end,
)
from attncli.sources import FILE_BUILDERS
from attncli.textfiles import (
    allow_long_fields,
    csv_dialect,
    delimiter_note,
    header_row,
    json_error_place,
    ragged_row_error,
    require_readable,
    require_records,
    require_unique_columns,
)

STDIN = "-"

# Records handed on at a time from a file: enough to batch well, few enough to keep memory flat.
CHUNK_RECORDS = 2048


@dataclass(frozen=True)
class Record:
    index: int
    """0-based number of the record in its input."""
    text: str | None
    """None when a dataset row has no text (a null, a number, a missing field)."""
    fields: dict[str, Any] = field(default_factory=dict)
    """The whole row of a dataset file (its text column included), as read; empty for plain text."""
    not_text: str | None = None
    """What the text column held instead of a text (a number, true), shown, where it held one."""


def carried_fields(fields: dict[str, Any], text: str | None, text_column: str | None) -> dict[str, Any]:
    """A row's columns as `--json` carries them beside its "text": the text column left out, unless
    its value was no text (a number), so nothing of the row is lost. A csv's empty cell is the
    missing text itself ("text": null)."""
    return {
        key: value
        for key, value in fields.items()
        if key != text_column or (value not in (None, "") and value != text)
    }


@dataclass
class RecordSource:
    """Where records come from, and in which chunks they become available."""

    name: str
    """For messages: the file, "standard input" or "arguments"."""
    chunks: Iterator[list[Record]]
    columns: list[str] = field(default_factory=list)
    """A dataset file's columns in order (empty for plain text)."""
    text_column: str | None = None
    streaming: bool = False
    """Records are handed on as they arrive (standard input), not in full chunks."""
    count: Callable[[], int | None] | None = None
    """How many records there are, where a quick pass can tell, counted only when asked (for the end
    of a progress bar, which is drawn only on a terminal)."""
    byte_order_mark: bool = False
    """Input from Windows tools: a file that opens with a byte-order mark (Excel's "CSV UTF-8",
    PowerShell's UTF-16), or input in another encoding than UTF-8 (Excel's cp1252 "CSV"). A csv
    written from it opens with a UTF-8 mark, without which Excel reads UTF-8 as cp1252 and garbles
    every accent."""
    delimiter: str | None = None
    """A .csv file's delimiter (`;` in an Excel export of many locales), which a csv file written
    from it keeps, so that the same spreadsheet opens it in columns."""
    notes: list[str] = field(default_factory=list)
    """What the reader decided on its own (a delimiter, a column found by a looser name), for the user."""


def _plain(text: str) -> str:
    return text.removesuffix("\n").removesuffix("\r")


def _in_chunks(records: Iterable[Record], size: int = CHUNK_RECORDS) -> Iterator[list[Record]]:
    """`records` in lists of `size`; the records read before one that cannot be read (a byte that
    is not in the encoding) are handed on before the error, so each of them gets its result."""
    chunk: list[Record] = []
    try:
        for record in records:
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except DataError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _stdin_chunks(descriptor: int, *, encoding: str) -> Iterator[list[Record]]:
    """Records of standard input as they arrive: the complete lines of each block are handed on
    at once, so a result can be printed before the input ends."""
    pending, index = b"", 0
    blocks, encoding = line_chunks(
        narrow(arrivals(descriptor), encoding=encoding), encoding=encoding, name="standard input"
    )
    for block in with_end(iter(blocks)):
        if block is None:  # the input ended; a last line without a newline is still a record
            complete, pending = ([pending] if pending else []), b""
        else:
            *complete, pending = (pending + block).split(b"\n")
        records: list[Record] = []
        for line in complete:
            try:
                text = decode(line, encoding=encoding, number=index + 1, name="standard input")
            except DataError:
                if records:  # the lines before it, read whole, still get their results
                    yield records
                raise
            text = text.removeprefix("\ufeff") if index == 0 else text
            records.append(Record(index=index, text=text.removesuffix("\r")))
            index += 1
        if records:
            yield records


def from_arguments(texts: list[str]) -> RecordSource:
    records = [Record(index=index, text=text) for index, text in enumerate(texts)]
    return RecordSource(name="arguments", chunks=iter([records]))


def from_stdin(*, encoding: str = "utf-8") -> RecordSource:
    import io
    import sys

    readable_encoding(encoding)  # refused before anything is read
    try:
        descriptor = sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # replaced by a test or an embedding host
        stream = getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode(encoding))
        blocks = narrow(file_chunks(stream), encoding=encoding)
        lines = decoded_lines(blocks, encoding=encoding, name="standard input")
        records = (Record(index=index, text=_plain(line)) for index, line in enumerate(lines))
        return RecordSource(
            name="standard input",
            chunks=_in_chunks(records),
            streaming=True,
            byte_order_mark=not is_utf8(encoding),
        )
    return RecordSource(
        name="standard input",
        chunks=_stdin_chunks(descriptor, encoding=encoding),
        streaming=True,
        byte_order_mark=not is_utf8(encoding),
    )


def record_shaped(line: str, *, text_column: str | None) -> str | None:
    """What a line of plain text input looks like when it is rather a record of a data file: a JSON
    object, or a csv/tsv header naming the text column (None: a text like any other)."""
    stripped = line.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            if isinstance(json.loads(stripped), dict):
                return "a JSON object"
        except ValueError:
            pass
    headers = [[name.strip().strip('"') for name in stripped.split(delimiter)] for delimiter in ",;\t"]
    if text_column and any(text_column in names for names in headers):
        return f"a csv/tsv header naming the text column {text_column!r}"
    return None


def require_input_file(path: Path) -> None:
    """Refuse a --file that is a folder (but one datasets' save_to_disk wrote) or does not exist; a
    pipe (`<(zcat texts.gz)`, /dev/stdin, a named pipe) is read as plain text."""
    if is_saved_dataset(path):
        saved_dataset_files(path)  # a DatasetDict, or a data file gone: said before the model loads
    elif not path.is_file() and not is_pipe(path):
        problem = "is a folder" if path.is_dir() else "does not exist"
        raise DataError(f"--file {path} {problem}; pass a text file (one text per line) or a data file")


def is_pipe(path: Path) -> bool:
    """A pipe or a terminal: something read once, from start to end."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def from_file(
    path: Path,
    *,
    encoding: str = "utf-8",
    text_column: str | None = None,
    trained_column: str | None = None,
    delimiter: str | None = None,
) -> RecordSource:
    """Records of a file: a dataset file by its suffix (text from `text_column`, else the column the
    model was trained on, else the usual names), any other file one text per line. A csv/tsv file
    is split at `delimiter`, else at its suffix's, else at the one its header line shows."""
    readable_encoding(encoding)  # refused before anything is read
    require_input_file(path)
    if is_saved_dataset(path):
        return _arrow_source(
            path, saved_dataset_files(path), text_column=text_column, trained_column=trained_column
        )
    suffix = path.suffix.lower()
    if is_pipe(path):
        if suffix in FILE_BUILDERS:
            raise DataError(
                f"--file {path} is a pipe, and a {suffix} file is read more than once (its header "
                "first); write it to a file and pass that, or pipe plain text (one text per line)"
            )
    else:  # a pipe is read once: what these checks read first would be lost to it
        require_readable(path, encoding)
    if delimiter is not None and suffix not in (".csv", ".tsv"):
        raise DataError(f"--delimiter is for csv/tsv files; {path} is not one")
    if suffix in (".csv", ".tsv"):
        return _csv_source(
            path,
            encoding=encoding,
            text_column=text_column,
            trained_column=trained_column,
            delimiter=delimiter,
        )
    if suffix in (".json", ".jsonl", ".ndjson"):
        return _json_source(path, encoding=encoding, text_column=text_column, trained_column=trained_column)
    if suffix == ".parquet":
        return _parquet_source(path, text_column=text_column, trained_column=trained_column)
    if suffix == ".arrow":
        return _arrow_source(path, [path], text_column=text_column, trained_column=trained_column)
    if text_column is not None:
        raise DataError(
            f"--text-column needs a data file (csv/tsv/json/jsonl/parquet/arrow); {path} is plain text"
        )

    def records() -> Iterator[Record]:
        with path.open("rb") as file:
            chunks = file_chunks(file)
            if is_pipe(path):  # read once: checked as it is read, as standard input is
                chunks = narrow(chunks, encoding=encoding, name=str(path))
            lines = decoded_lines(chunks, encoding=encoding, name=str(path))
            for index, line in enumerate(lines):
                yield Record(index=index, text=_plain(line))

    count = None if is_pipe(path) else functools.partial(_lines_in, path, encoding=encoding)
    return RecordSource(
        name=str(path),
        chunks=_in_chunks(records()),
        count=count,
        byte_order_mark=_from_windows(path, encoding),
    )


def _from_windows(path: Path, encoding: str) -> bool:
    """Whether a file came from Windows tools, whose csv output Excel opens: it opens with a
    byte-order mark, or it is in another encoding than UTF-8 (see RecordSource.byte_order_mark)."""
    if not is_utf8(encoding):
        return True
    if is_pipe(path):
        return False  # read once, by the reader
    with path.open("rb") as start:
        return start.read(4).startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _lines_in(path: Path, *, encoding: str = "utf-8") -> int | None:
    """How many lines a plain text file has (one record each): its line ends, and a last line
    without one."""
    count, last = 0, b""
    with path.open("rb") as file:
        blocks: Iterable[bytes] = iter(lambda: file.read(READ_BYTES * 16), b"")
        if is_wide(encoding):  # for a progress bar: a bad byte is the reader's to name
            blocks = (text.encode() for text in codecs.iterdecode(blocks, encoding, errors="replace"))
        try:
            for block in blocks:
                if block:
                    count, last = count + block.count(b"\n"), block[-1:]
        except UnicodeError:  # utf-16 without a byte-order mark: the reader says so
            return None
    return count + (last not in (b"", b"\n"))


def _text_column(
    layout: Layout, requested: str | None, trained: str | None, name: str
) -> tuple[str, list[str]]:
    """The text column (maybe a dotted path into nested records), and a note if found loosely."""
    chosen = choose_columns(
        layout, where=name, text=requested, with_label=False, text_first=(trained,) if trained else ()
    )
    note = chosen.note or other_than_trained_note(name, chosen.text, trained=trained, named=requested)
    return chosen.text, [note] if note else []


def _next_row(rows: Iterator[list[str]]) -> list[str] | None:
    """The next row of a csv reader, or None at the end or where it cannot be read."""
    try:
        return next(rows, None)
    except (csv.Error, DataError):
        return None


def _is_missing(value: Any) -> bool:
    """None, a NaN of any float type (Python's, numpy's), or pandas' NA: what a missing cell becomes."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, dict)):
        return False
    try:
        return bool(value != value)  # only NaN differs from itself
    except (TypeError, ValueError):  # pandas' NA has no truth value; an array has none either
        return type(value).__name__ == "NAType"


def record_of(index: int, value: Any) -> Record:
    """The record of one value of a text column: a text, a missing one (None, or NaN, as pandas
    writes a missing cell), or a value of another kind, which gets no label."""
    return Record(index=index, text=_text_of(value), not_text=_not_text(value))


def _text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _not_text(value: Any) -> str | None:
    """A value of the text column that is neither a text nor missing, shown as the file wrote it."""
    if isinstance(value, str) or _is_missing(value):
        return None
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a numpy number: as Python's
        value = value.item()
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _csv_source(
    path: Path, *, encoding: str, text_column: str | None, trained_column: str | None, delimiter: str | None
) -> RecordSource:
    dialect = csv_dialect(path, configured=delimiter, encoding=encoding)
    notes = [delimiter_note([path], dialect.delimiter)] if dialect.sniffed else []
    notes += [dialect.quoting_note] if dialect.quoting_note else []
    allow_long_fields()
    file = path.open("rb")
    last_line = [""]  # the raw line the csv reader took last: a row of one line is that line

    def lines() -> Iterator[str]:
        for line in decoded_lines(file_chunks(file), encoding=encoding, name=str(path)):
            last_line[0] = line
            yield line

    rows = csv.reader(lines(), delimiter=dialect.delimiter, quoting=dialect.quoting)
    header: list[str] = []
    try:
        header = header_row(rows) or []
        if not header:
            raise DataError(f"{path} is empty; give it a header row and one row per text")
        require_unique_columns(header, path)
        column, found = _text_column(Layout(columns=tuple(header)), text_column, trained_column, str(path))
    except csv.Error as error:
        file.close()
        raise DataError(f"{path} is not valid csv ({error})") from None
    except DataError:
        second = _next_row(rows) if len(header) == 1 else None
        file.close()
        if second is not None and len(second) > 1:
            raise ragged_row_error(
                path, line=rows.line_num, fields=len(second), header=header, delimiter=dialect.delimiter
            ) from None
        raise
    position = header.index(column)

    def records() -> Iterator[Record]:
        index, start = 0, rows.line_num + 1
        with file:
            try:
                for row in rows:
                    if len(row) > len(header):
                        raise ragged_row_error(
                            path, line=start, fields=len(row), header=header, delimiter=dialect.delimiter
                        )
                    start = rows.line_num + 1
                    if not row or not last_line[0].strip():
                        continue  # a blank line, or spaces alone, is no row (as pandas reads it for train)
                    row += [""] * (len(header) - len(row))  # a short (ragged) row: missing cells are empty
                    # An empty cell is a missing value, as training reads it (pandas' NA).
                    text = row[position] or None
                    yield Record(index=index, text=text, fields=dict(zip(header, row, strict=True)))
                    index += 1
            except csv.Error as error:
                raise DataError(f"line {rows.line_num} of {path} is not valid csv ({error})") from None

    return RecordSource(
        name=str(path), chunks=_in_chunks(records()), columns=header, text_column=column, notes=notes + found,
        byte_order_mark=_from_windows(path, encoding),
        delimiter=dialect.delimiter if path.suffix.lower() == ".csv" else None,
    )  # fmt: skip


def json_rows(path: Path, *, encoding: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) of a JSON-lines file, or of a file holding one JSON array."""
    with path.open("rb") as file:
        # A character cut at the end of the block waits in the decoder; only the start matters here.
        try:
            first = codecs.getincrementaldecoder(encoding)(errors="replace").decode(file.read(READ_BYTES))
        except UnicodeError:  # UTF-16 without a byte-order mark: the line reader below says so
            first = ""
        file.seek(0)
        if first.lstrip("\ufeff \t\r\n").startswith("["):
            try:
                content = file.read().decode(encoding).removeprefix("\ufeff")
                values = json.loads(content)
            except json.JSONDecodeError as error:
                if not _first_line_whole(content, error):
                    raise DataError(f"{path} is not valid JSON ({error})") from None
                values = None  # one JSON value a line, the first an array: JSON lines
            except UnicodeDecodeError as error:
                raise DataError(
                    f"{path} is not valid JSON ({error}); pass --encoding if it is not {encoding}"
                ) from None
            if values is not None:
                yield from ((0, value) for value in values)
                return
            file.seek(0)
        lines = decoded_lines(file_chunks(file), encoding=encoding, name=str(path))
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(
                    f"line {number} of {path} is not JSON: {error.msg} {json_error_place(error)}; "
                    "give one JSON object per line"
                ) from None


def _json_source(
    path: Path, *, encoding: str, text_column: str | None, trained_column: str | None
) -> RecordSource:
    rows = json_rows(path, encoding=encoding)
    first = next(rows, None)
    if first is None:
        raise DataError(f"{path} holds no rows; give it one JSON object per line")
    require_records(first[1], path)
    merged, total = _every_field(path, encoding=encoding) if isinstance(first[1], dict) else ({}, None)
    columns = list(merged)
    column: str | None = None
    found: list[str] = []
    if columns:
        column, found = _text_column(layout_of_record(merged), text_column, trained_column, str(path))

    def records() -> Iterator[Record]:
        for index, (_, value) in enumerate(_chain(first, rows)):
            if isinstance(value, str):
                yield Record(index=index, text=value)
            elif isinstance(value, dict):
                cell = value_at(value, column) if column is not None else None
                yield Record(index=index, text=_text_of(cell), fields=value, not_text=_not_text(cell))
            else:
                yield Record(index=index, text=None)

    return RecordSource(
        name=str(path),
        chunks=_in_chunks(records()),
        columns=columns,
        text_column=column,
        notes=found,
        count=None if total is None else lambda: total,
        byte_order_mark=_from_windows(path, encoding),
    )


def _first_line_whole(content: str, error: json.JSONDecodeError) -> bool:
    """Whether a file that failed to read as one JSON value is rather JSON lines of arrays: its first
    line is a whole array holding no objects (a row, `["soup", "food"]`), and more follows it. A
    whole array of records on the first line with more after it stays a broken JSON file."""
    if error.msg != "Extra data":
        return False
    try:
        first = json.loads(content.split("\n", 1)[0])
    except json.JSONDecodeError:
        return False
    return isinstance(first, list) and not any(isinstance(item, dict) for item in first)


def _every_field(path: Path, *, encoding: str) -> tuple[dict[str, Any], int]:
    """Every key the file's records hold, in the order first met, each with its first value that is
    not null, and how many records there are: records need not all hold the same keys, the text
    column is chosen among them all (not only the first record's), and a csv written from them keeps
    each (a pass over the file of its own, before predicting)."""
    fields: dict[str, Any] = {}
    count = 0
    for _, value in json_rows(path, encoding=encoding):
        count += 1
        if isinstance(value, dict):
            _merge_into(fields, value)
    return fields, count


def _merge_into(fields: dict[str, Any], record: dict[str, Any]) -> None:
    """`record`'s keys added to `fields` where missing or null, nested records merged the same way
    (a nested text path that only later records hold is found too)."""
    for key, value in record.items():
        if isinstance(fields.get(key), dict) and isinstance(value, dict):
            _merge_into(fields[key], value)
        elif fields.get(key) is None:
            fields[key] = dict(value) if isinstance(value, dict) else value


def _chain(first: tuple[int, Any], rest: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    yield first
    yield from rest


def _parquet_source(path: Path, *, text_column: str | None, trained_column: str | None) -> RecordSource:
    import pyarrow.parquet as parquet  # type: ignore[import-untyped]

    try:
        file = parquet.ParquetFile(path)
    except Exception as error:  # pyarrow raises its own error types for a damaged file
        raise DataError(f"could not read {path} as parquet ({error})") from None
    return _table_source(
        str(path), file.schema_arrow, lambda: file.iter_batches(batch_size=CHUNK_RECORDS),
        count=lambda: file.metadata.num_rows, text_column=text_column, trained_column=trained_column,
    )  # fmt: skip


def _arrow_source(
    path: Path, files: list[Path], *, text_column: str | None, trained_column: str | None
) -> RecordSource:
    """Records of Arrow files: one written by datasets, or those of a folder save_to_disk wrote."""
    schema = arrow_schema(files)
    if schema is None:  # a Dataset saved without rows: nothing to read, and no columns
        return RecordSource(name=str(path), chunks=iter(()), count=lambda: 0)
    return _table_source(
        str(path), schema, lambda: arrow_batches(files), count=lambda: arrow_rows(files),
        text_column=text_column, trained_column=trained_column,
    )  # fmt: skip


def _table_source(
    name: str,
    schema: Any,
    batches: Callable[[], Iterable[Any]],
    *,
    count: Callable[[], int],
    text_column: str | None,
    trained_column: str | None,
) -> RecordSource:
    """Records of a columnar file (parquet, Arrow), read a batch of Arrow rows at a time."""
    column, found = _text_column(layout_of_schema(schema), text_column, trained_column, name)

    def records() -> Iterator[Record]:
        index = 0
        for batch in batches():
            for row in batch.to_pylist():
                cell = value_at(row, column)
                yield Record(index=index, text=_text_of(cell), fields=row, not_text=_not_text(cell))
                index += 1

    return RecordSource(
        name=name,
        chunks=_in_chunks(records()),
        columns=list(schema.names),
        text_column=column,
        notes=found,
        count=count,
    )
