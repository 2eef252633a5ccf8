"""Records of a data file, by its format: csv/tsv, JSON (lines, or one array), parquet and Arrow,
each row's other columns carried along and its text column chosen as training chooses it. Values
are read as written, so an id such as "007" comes back as it went in."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import itertools
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from attncli.arrowfiles import arrow_batches, arrow_rows, arrow_schema
from attncli.columns import choose_columns, other_than_trained_note
from attncli.csv_dialect import csv_dialect, delimiter_note
from attncli.csv_quoting import ends_inside_quote, open_quote_message
from attncli.csv_rows import (
    Quoting,
    allow_long_fields,
    csv_reason,
    header_naming,
    header_row,
    holds_cells,
    ragged_row_error,
    require_unique_columns,
    table_header,
    unnamed_apart,
)
from attncli.errors import DataError
from attncli.joined_columns import columns_named, is_joined, parts_of, text_cell
from attncli.jsonfiles import (
    JSON_SPACE,
    broken_json,
    json_depth,
    json_problem,
    opens_json,
    require_records,
    too_deep,
    whole_json_values,
)
from attncli.layouts import (
    Layout,
    flat_columns,
    layout_of_record,
    layout_of_schema,
    schema_fields,
)
from attncli.lines import READ_BYTES, decoded_lines, file_chunks
from attncli.raw_data import PANDAS_INDEX
from attncli.records import CHUNK_RECORDS, Record, RecordSource, from_windows, in_chunks, not_text, text_of

if TYPE_CHECKING:
    import _csv


def _text_column(
    layout: Layout, requested: str | None, trained: str | None, name: str
) -> tuple[str, list[str]]:
    """The text column (maybe a dotted path into nested records), and a note if found loosely."""
    chosen = choose_columns(
        layout, where=name, text=requested, with_label=False, text_first=(trained,) if trained else ()
    )
    other = other_than_trained_note(name, chosen.text, trained=trained, named=requested)
    # Where the model read columns joined, that some are missing matters more than how one was found.
    note = other if other is not None and is_joined(trained, ()) else chosen.note or other
    return chosen.text, [note] if note else []


def no_records(path: Path, notes: list[str]) -> RecordSource:
    """A data file of no rows at all (0 bytes, or blank lines): no result, as standard input with
    nothing on it gives none; which column would hold the text does not matter."""
    return RecordSource(name=str(path), chunks=iter(()), notes=notes, count=lambda: 0)


def _next_row(rows: Iterator[list[str]]) -> list[str] | None:
    """The next row of a csv reader, or None at the end or where it cannot be read."""
    try:
        return next(rows, None)
    except (csv.Error, DataError):
        return None


def csv_source(
    path: Path, *, encoding: str, text_column: str | None, trained_column: str | None, delimiter: str | None
) -> RecordSource:
    dialect = csv_dialect(path, configured=delimiter, encoding=encoding)
    notes = [delimiter_note([path], dialect.delimiter)] if dialect.sniffed else []
    notes += [dialect.quoting_note] if dialect.quoting_note else []
    allow_long_fields()
    file = path.open("rb")
    rows, last_line = _csv_reader(
        file, path, encoding=encoding, delimiter=dialect.delimiter, quoting=dialect.quoting
    )
    header: list[str] = []
    try:
        header = header_row(rows) or []
        if not header:  # nothing to predict, as for a header alone: a filter that matched no row
            file.close()
            return no_records(path, notes)
        require_unique_columns(header, path)
        written = header
        header = unnamed_apart(header)
        column, found = _text_column(Layout(columns=tuple(header)), text_column, trained_column, str(path))
    except csv.Error as error:
        file.close()
        raise DataError(f"{path} is not valid csv ({csv_reason(error)})") from None
    except DataError:
        second = _next_row(rows) if len(header) == 1 else None
        file.close()
        if second is not None and len(second) > 1:
            raise ragged_row_error(
                path, line=rows.line_num, fields=len(second), header=header, delimiter=dialect.delimiter
            ) from None
        raise

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
                    if not _is_record(row, last_line[0]):
                        continue
                    row += [""] * (len(header) - len(row))  # a short (ragged) row: missing cells are empty
                    fields = dict(zip(header, row, strict=True))
                    # An empty cell is a missing value, as training reads it (pandas' NA).
                    text = text_cell(fields, column) or None
                    yield Record(index=index, text=text, fields=fields)
                    index += 1
            except csv.Error as error:
                raise DataError(
                    f"line {rows.line_num} of {path} is not valid csv ({csv_reason(error)})"
                ) from None

    def count() -> int | None:
        return _csv_records(path, encoding=encoding, delimiter=dialect.delimiter, quoting=dialect.quoting)

    return RecordSource(
        name=str(path), chunks=in_chunks(records()), columns=header, text_column=column, notes=notes + found,
        written_columns=written if written != header else None, count=count,
        byte_order_mark=from_windows(path, encoding),
        delimiter=dialect.delimiter if path.suffix.lower() == ".csv" else None,
    )  # fmt: skip


def _csv_records(path: Path, *, encoding: str, delimiter: str, quoting: Quoting) -> int | None:
    """The records `csv_source` reads from `path`, counted in a pass of its own for a progress bar's
    end (a csv's lines are not its records where quoted texts span lines); None where the file is
    not valid csv, which the reading itself then says."""
    count = 0
    with path.open("rb") as file:
        rows, last_line = _csv_reader(file, path, encoding=encoding, delimiter=delimiter, quoting=quoting)
        try:
            if not header_row(rows):
                return 0
            for row in rows:
                count += _is_record(row, last_line[0])
        except (csv.Error, DataError):
            return None
    return count


def _csv_reader(
    file: BinaryIO, path: Path, *, encoding: str, delimiter: str, quoting: Quoting
) -> tuple[_csv.Reader, list[str]]:
    """A csv reader over `file`'s decoded lines, and a one-item list holding the raw line it took
    last (a row of one line is that line)."""
    last_line = [""]

    def lines() -> Iterator[str]:
        for line in decoded_lines(file_chunks(file), encoding=encoding, name=str(path)):
            last_line[0] = line
            yield line

    return csv.reader(lines(), delimiter=delimiter, quoting=quoting), last_line


def _is_record(row: list[str], line: str) -> bool:
    """A blank line, or spaces alone, is no row (as pandas reads it for train)."""
    return bool(row and line.strip())


def json_rows(path: Path, *, encoding: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) of a JSON-lines file, or of a file read whole: one JSON array, or records
    written over several lines each (`jq .`, PowerShell's ConvertTo-Json of one object), whose
    values come with line number 0."""
    with path.open("rb") as file:
        # A character cut at the end of the block waits in the decoder; only the start matters here.
        try:
            first = codecs.getincrementaldecoder(encoding)(errors="replace").decode(file.read(READ_BYTES))
        except UnicodeError:  # UTF-16 without a byte-order mark: the line reader below says so
            first = ""
        file.seek(0)
        start = first.lstrip(JSON_SPACE)
        # An object over several lines: its first line begins one that the next lines go on with, or
        # holds records one after another (a first line longer than the block read is read a line at
        # a time, as JSON lines are).
        line = start.split("\n", 1)[0]
        spread = start.startswith("{") and "\n" in start and opens_json(line, values_in_a_row=True)
        if start.startswith("[") or spread:
            try:
                content = file.read().decode(encoding).removeprefix("\ufeff")
                values = (
                    json.loads(content) if start.startswith("[") else whole_json_values(content, str(path))
                )
            except RecursionError:
                raise too_deep(path, None, json_depth(content.encode("utf-8"))) from None
            except json.JSONDecodeError as error:
                if not _first_line_whole(content, error):
                    raise DataError(broken_json(content, error, str(path))) from None
                values = None  # one JSON value a line, the first an array: JSON lines
            except DataError:
                if line.strip() == "{":
                    raise
                values = None  # a JSON-lines file whose first line is broken: said of that line below
            except UnicodeDecodeError as error:
                from attncli.read_errors import decoding_error

                # The line and the encodings its bytes read as, as a JSON-lines or csv file's are.
                raise decoding_error(path, encoding) or DataError(
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
                value = json.loads(line)
            except RecursionError:
                raise too_deep(path, number, json_depth(line.encode("utf-8"))) from None
            except json.JSONDecodeError as error:
                raise DataError(
                    f"line {number} of {path} is not JSON: {json_problem(error)}; "
                    "give one JSON object per line"
                ) from None
            yield number, value


def json_source(
    path: Path, *, encoding: str, text_column: str | None, trained_column: str | None
) -> RecordSource:
    return _json_values_source(
        path,
        lambda: (value for _, value in json_rows(path, encoding=encoding)),
        columns=(text_column, trained_column),
        byte_order_mark=from_windows(path, encoding),
    )


def _json_values_source(
    path: Path,
    values: Callable[[], Iterator[Any]],
    *,
    columns: tuple[str | None, str | None],
    byte_order_mark: bool,
) -> RecordSource:
    """Records of the JSON values `values()` gives (read twice: once for every field, once to
    predict), each object's text from the text column chosen among every record's fields."""
    text_column, trained_column = columns
    rows = values()
    first = next(rows, None)
    if first is None:  # nothing to predict, as for a csv header alone: `jq` that matched no row
        return no_records(path, [])
    require_records(first, path)
    merged, mixed, total = _every_field(values()) if isinstance(first, dict) else ({}, set(), None)
    # A csv written from them has a column for each nested field, as datasets' flatten() names it.
    flat = flat_columns(merged, whole=mixed)
    column: str | None = None
    found: list[str] = []
    if flat:
        column, found = _text_column(layout_of_record(merged), text_column, trained_column, str(path))

    def records() -> Iterator[Record]:
        for index, value in enumerate(itertools.chain([first], rows)):
            yield json_record(index, value, column, flat)

    return RecordSource(
        name=str(path),
        chunks=in_chunks(records()),
        columns=flat,
        text_column=column,
        notes=found,
        count=None if total is None else lambda: total,
        byte_order_mark=byte_order_mark,
    )


def json_record(index: int, value: Any, column: str | None, columns: Collection[str]) -> Record:
    """The record of one value of a JSON-lines file or JSON array (a file, or lines piped in): an
    object's text from `column`, its fields carried; a bare string its own text, and its text
    column's where the records have one (a csv written from them keeps it); any other value no
    text, said for what it is (`[1, 2] instead of a text`)."""
    if isinstance(value, dict):
        cell = text_cell(value, column) if column is not None else None
        return Record(index=index, text=text_of(cell), fields=value, not_text=not_text(cell))
    if isinstance(value, str):
        carried = {column: value} if column is not None and column in columns else {}
        return Record(index=index, text=value, fields=carried)
    return Record(index=index, text=None, not_text=not_text(value))


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


def _every_field(values: Iterable[Any]) -> tuple[dict[str, Any], set[str], int]:
    """Every key the records hold, in the order first met, each with its first value that is not
    null; the dotted names of those that hold a record in one row and another value in another; and
    how many records there are: records need not all hold the same keys, the text column is chosen
    among them all (not only the first record's), and a csv written from them keeps each (a pass
    over a file of its own, before predicting)."""
    fields: dict[str, Any] = {}
    mixed: set[str] = set()
    count = 0
    for value in values:
        count += 1
        if isinstance(value, dict):
            _merge_into(fields, value, mixed)
    return fields, mixed, count


def _merge_into(fields: dict[str, Any], record: dict[str, Any], mixed: set[str], prefix: str = "") -> None:
    """`record`'s keys added to `fields` where missing or null, nested records merged the same way
    (a nested text path that only later records hold is found too); a key holding a record here and
    another value (not null) there is added to `mixed`, so that a csv keeps it one column, whole."""
    for key, value in record.items():
        known = fields.get(key)
        if isinstance(known, dict) and isinstance(value, dict):
            _merge_into(known, value, mixed, f"{prefix}{key}.")
        elif known is None:
            fields[key] = dict(value) if isinstance(value, dict) else value
        elif value is not None and isinstance(known, dict) != isinstance(value, dict):
            mixed.add(f"{prefix}{key}")


def parquet_source(
    path: Path, *, text_column: str | None, trained_column: str | None, pandas_index: bool = True
) -> RecordSource:
    """Records of a parquet file, with the range index pandas stored in its metadata as the column
    pandas reads it back as, where `pandas_index` and the file has one (`_range_index`)."""
    import pyarrow.parquet as parquet  # type: ignore[import-untyped]

    try:
        file = parquet.ParquetFile(path)
    except Exception as error:  # pyarrow raises its own error types for a damaged file
        raise DataError(f"could not read {path} as parquet ({error})") from None
    schema, batches = file.schema_arrow, lambda: file.iter_batches(batch_size=CHUNK_RECORDS)
    index = _range_index(schema, file.metadata.num_rows) if pandas_index else None
    if index is not None:
        schema, batches = _with_range_index(schema, batches, *index)
    return _table_source(
        str(path), schema, batches, count=lambda: file.metadata.num_rows, text_column=text_column,
        trained_column=trained_column,
    )  # fmt: skip


def _range_index(schema: Any, rows: int) -> tuple[str, int, int] | None:
    """The column name, start and step of the index pandas stored as a range in a parquet file's
    metadata, not as a column (`df.set_index("id").to_parquet(...)` of consecutive ids), where that
    index is named or is not the rows' own numbers: a file's ids were dropped from predict's output
    without a word. None for a file with no such index, or one of another length than its `rows`
    (rows filtered after it was stored, which pandas drops it for too)."""
    try:
        stored = json.loads((schema.metadata or {}).get(b"pandas", b"{}")).get("index_columns", [])
    except (ValueError, AttributeError):
        return None
    ranges = [index for index in stored if isinstance(index, dict) and index.get("kind") == "range"]
    if len(stored) != 1 or len(ranges) != 1:
        return None
    index = ranges[0]
    name, start, stop, step = (index.get(key) for key in ("name", "start", "stop", "step"))
    if not (isinstance(start, int) and isinstance(stop, int) and isinstance(step, int)) or step == 0:
        return None
    if len(range(start, stop, step)) != rows or (name is None and (start, step) == (0, 1)):
        return None
    column = str(name) if name is not None else PANDAS_INDEX
    return None if column in schema.names else (column, start, step)


def _with_range_index(
    schema: Any, batches: Callable[[], Iterable[Any]], column: str, start: int, step: int
) -> tuple[Any, Callable[[], Iterable[Any]]]:
    """`schema` and `batches` with the range index as their first column, as pandas reads it back."""
    import pyarrow

    def indexed() -> Iterator[Any]:
        row = 0
        for batch in batches():
            values = pyarrow.array(range(start + row * step, start + (row + len(batch)) * step, step))
            yield pyarrow.RecordBatch.from_arrays(
                [values, *batch.columns], names=[column, *batch.schema.names]
            )
            row += len(batch)

    return schema.insert(0, pyarrow.field(column, pyarrow.int64())), indexed


def arrow_source(
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
    """Records of a columnar file (parquet, Arrow), read a batch of Arrow rows at a time; a
    ClassLabel column (of a file `datasets` wrote) gives its names, not the indices stored."""
    column, found = _text_column(layout_of_schema(schema), text_column, trained_column, name)
    named = class_label_names(schema)
    notes = list(found)
    if named:
        listed = "; ".join(
            f"ClassLabel column {key!r} is written as its names ({', '.join(names[:3])}"
            f"{', ...' if len(names) > 3 else ''}), not the indices stored"
            for key, names in named.items()
        )
        notes.append(f"{name}: {listed}")

    def records() -> Iterator[Record]:
        index = 0
        for batch in batches():
            for row in batch.to_pylist():
                for key, names in named.items():
                    if isinstance(value := row.get(key), int) and 0 <= value < len(names):
                        row[key] = names[value]
                    elif value == -1:  # a ClassLabel's "no label" (GLUE's test splits)
                        row[key] = None
                cell = text_cell(row, column)
                yield Record(index=index, text=text_of(cell), fields=row, not_text=not_text(cell))
                index += 1

    return RecordSource(
        name=name,
        chunks=in_chunks(records()),
        columns=flat_columns(schema_fields(schema)),
        text_column=column,
        notes=notes,
        count=count,
    )


def class_label_names(schema: Any) -> dict[str, list[str]]:
    """The names of each top-level ClassLabel column, from the features `datasets` writes into the
    schema of its parquet and Arrow files: a predicted label beside the stored index (`business`
    beside 1) never matched, where eval reads the names."""
    try:
        features = json.loads((schema.metadata or {}).get(b"huggingface", b"{}"))["info"]["features"]
    except (ValueError, KeyError, TypeError):
        return {}
    if not isinstance(features, dict):
        return {}
    return {
        key: [str(name) for name in feature["names"]]
        for key, feature in features.items()
        if key in schema.names
        and isinstance(feature, dict)
        and feature.get("_type") == "ClassLabel"
        and isinstance(feature.get("names"), list)
    }


def _jq_wrapping(trained_column: str | None) -> str:
    """The jq filter that makes each line of input a record holding it whole, under the column the
    model was trained on (else `text`, found by its name), each line written as it comes: into a pipe,
    jq holds its output back, and `tail -f ... | jq -cR ... | attn predict` showed nothing (a support
    lead's trial)."""
    name = trained_column if trained_column and not is_joined(trained_column, ()) else "text"
    if "." in name:  # a nested path is no key of its own
        name = "text"
    key = name if re.fullmatch(r"[A-Za-z_]\w*", name) else json.dumps(name, ensure_ascii=False)
    return f"jq --unbuffered -cR '{{{key}: .}}'"


def json_lines_if_records(
    source: RecordSource, *, text_column: str | None, trained_column: str | None
) -> tuple[RecordSource, bool | None]:
    """Plain text input that arrives as it is written (standard input, a pipe), read as JSON lines
    where its first line is a JSON object (`jq -c ... | attn predict RUN`): each line a record, its
    text from `text_column` (else the column the model was trained on, else the usual names, among
    the keys of the first record) and its other fields carried to the output,
    as a .jsonl file's are; blank lines are skipped, as in a file. Else the input as it was, one text
    per line. Its first line is waited for. Returns the source and whether it is read as JSON lines
    (None: there was no input at all)."""
    chunks = iter(source.chunks)
    first_chunk = next(chunks, None)
    if not first_chunk:
        return dataclasses.replace(
            source, chunks=iter([first_chunk] if first_chunk is not None else [])
        ), None
    restored = itertools.chain([first_chunk], chunks)
    # Blank lines before the first record are skipped, as in a .jsonl file.
    lines = [record.text for record in first_chunk if (record.text or "").strip()]
    first = json_object(lines[0] if lines else None)
    if first is None:
        return dataclasses.replace(source, chunks=restored), False
    require_records(first, Path(source.name))
    # The text column is chosen from the first record alone, so that the same input gives the same
    # column however its lines arrive; one named by --text-column is taken as named, where the first
    # record lacks it ({"id": 1}, then records with a text).
    layout = layout_of_record(first)
    try:
        column, found = _text_column(layout, text_column, trained_column, source.name)
    except DataError as error:
        if text_column is None and not layout.columns:  # `{}`: no record to read either way
            raise
        if text_column is None:
            # Lines a logger wrote as JSON, given to a model trained on whole lines, have no text
            # column: an SRE's stream stopped here, with no way to read each line whole.
            whole = _jq_wrapping(trained_column)
            raise DataError(
                f"{error}; or, to read each line whole, as a text, pipe the lines through {whole} first"
            ) from None
        if any(layout.kinds.get(part) or layout.list_reached_into(part) for part in parts_of(text_column)):
            raise  # a column the first record has, of records or lists: refused as a file's is
        column, found = text_column, []
    if text_column is None and trained_column and is_joined(trained_column, layout.columns):
        # Records that leave out their empty keys ({"title": ...} first, then one with a body) are
        # read by the columns the model joined where the first has any of them, as a file is.
        names = (*layout.columns, *layout.paths)
        if column != trained_column and any(part in names for part in parts_of(trained_column)):
            absent = [part for part in parts_of(trained_column) if part not in names]
            column, found = (
                trained_column,
                [_first_record_lacks(source.name, absent, trained_column)] if absent else [],
            )

    def records() -> Iterator[list[Record]]:
        index = 0
        for chunk in restored:
            read: list[Record] = []
            for line in chunk:
                if not (line.text or "").strip():
                    continue
                try:
                    value = json.loads(line.text or "")
                except json.JSONDecodeError as error:
                    if read:  # the records before it still get their results
                        yield read
                    raise DataError(
                        f"line {line.index + 1} of {source.name} is not JSON: {json_problem(error)}; its "
                        "first line was a JSON object, so it is read as JSON lines: give one object per line"
                    ) from None
                read.append(json_record(index, value, column, columns))
                index += 1
            if read:
                yield read

    columns = flat_columns(first)  # a nested record's fields each a column, as in a .jsonl file's csv
    return dataclasses.replace(
        source, chunks=records(), columns=columns, text_column=column, notes=found
    ), True


def _first_record_lacks(name: str, absent: list[str], trained: str) -> str:
    """The warning for a stream read by the columns the model joined where its first record lacks
    some: raw helpdesk tickets piped in (a subject, and their bodies in a list of messages) were
    labelled by their subjects alone, where a file of them was warned of (a support lead's trial)."""
    lacked = " or ".join(repr(part) for part in absent)
    return (
        f"warning: the first record of {name} has no {lacked}, of the columns the model was trained on "
        f"joined ({trained!r}); each record is read by those of them it has; --text-column chooses others"
    )


def whole_json_if_begun(
    source: RecordSource, *, text_column: str | None, trained_column: str | None
) -> tuple[RecordSource, bool]:
    """Plain text input that arrives as it is written (standard input, a pipe), read to its end as JSON
    where its first line (past blank ones) begins JSON that is not one object a line (`opens_json`):
    a JSON array piped in (Scrapy's feed, PowerShell's ConvertTo-Json) or records written over several
    lines each (`jq .`) had each line labelled as a text, `[` and `{` included, exit 0 (two trials).
    JSON so begun and broken is refused saying how (`broken_json`). Returns the source and whether it
    is read as JSON."""
    chunks = iter(source.chunks)
    first_chunk = next(chunks, None)
    restored = itertools.chain([first_chunk] if first_chunk is not None else [], chunks)
    lines = [record.text or "" for record in first_chunk or [] if (record.text or "").strip()]
    if not (lines and opens_json(lines[0])):
        return dataclasses.replace(source, chunks=restored), False
    arrived = [record for chunk in restored for record in chunk]
    try:
        values = whole_json_values("\n".join(record.text or "" for record in arrived), source.name)
    except RecursionError:
        raise too_deep(Path(source.name), None) from None
    read = _json_values_source(
        Path(source.name),
        lambda: iter(values),
        columns=(text_column, trained_column),
        byte_order_mark=source.byte_order_mark,
    )
    read.notes.insert(
        0,
        f"{source.name} holds JSON records read whole (an array, or records over several lines), so no "
        "result comes before its end",
    )
    return dataclasses.replace(read, streaming=source.streaming), True


def csv_rows_if_table(
    source: RecordSource, *, text_column: str | None, trained_column: str | None, delimiter: str | None
) -> tuple[RecordSource, bool]:
    """Plain text input that arrives as it is written (standard input, a pipe), read as csv rows
    where its first line (past blank ones) is a header of short names naming the text column
    (`text_column`, else the one the model was trained on; in any case) over a row of as many cells:
    `head rows.csv | attn predict RUN --format csv` (each line was labelled whole, header and gold
    labels included, then refused). Each row is a record with its other columns carried, and its
    result goes out as soon as the row has arrived; a quote opened and never closed is refused as in
    a csv file. The delimiter is `delimiter`, else the one the two lines share. Else the input as it
    was, and False."""
    column = text_column or trained_column
    chunks = iter(source.chunks)
    held: list[Record] = []
    written: list[str] = []  # the lines held that are not blank
    for chunk in chunks:  # the header, and the line after it that tells a table from a text
        held += chunk
        written = [record.text or "" for record in held if (record.text or "").strip()]
        if not written:  # blank lines alone so far: the header is still to come
            continue
        if len(written) >= 2 or not (column and header_naming(written[0], column, delimiter)):
            break
    restored = itertools.chain([held] if held else [], chunks)
    as_text = dataclasses.replace(source, chunks=restored)
    # A header alone (a filter that matched no row) is a table of no rows, as a csv file's is.
    table = (
        table_header(written[0], written[1] if len(written) > 1 else None, column, delimiter)
        if column and written
        else None
    )
    if table is None:
        return as_text, False
    found, column = table  # the column as the header names it (Text, for the model's text)
    headed = next(csv.reader([written[0]], delimiter=found))
    header = unnamed_apart(headed)
    require_unique_columns(header, Path(source.name))
    end_of_arrival = [False]
    row_lines: list[str] = []  # the lines of the row being read, for a quote left open at the end

    def lines() -> Iterator[str]:
        for chunk in restored:
            for position, record in enumerate(chunk):
                end_of_arrival[0] = position == len(chunk) - 1
                row_lines.append((record.text or "") + "\n")
                yield row_lines[-1]

    def records() -> Iterator[list[Record]]:
        rows = csv.reader(lines(), delimiter=found)
        for row in rows:  # the header, past blank lines
            if holds_cells(row):
                break
        row_lines.clear()
        arrived: list[Record] = []
        index, start = 0, rows.line_num + 1
        try:
            for row in rows:
                spans = rows.line_num > start
                if len(row) > len(header):
                    if arrived:  # the rows before it still get their results
                        yield arrived
                    if spans:  # a quote that opened a cell, and closed none: the rows after it read in
                        raise DataError(
                            open_quote_message(source.name, start, rows.line_num, to_the_end=False)
                        )
                    raise ragged_row_error(
                        Path(source.name), line=start, fields=len(row), header=header, delimiter=found
                    )
                # Read on to the input's end inside a quote, over lines or on the last one alone (a
                # file still being written, `3,"New phone laun`: a data engineer's trial).
                if (spans or '"' in row_lines[-1]) and ends_inside_quote(row_lines, delimiter=found):
                    if arrived:
                        yield arrived
                    raise DataError(open_quote_message(source.name, start, rows.line_num, to_the_end=True))
                start = rows.line_num + 1
                row_lines.clear()
                if holds_cells(row):
                    fields = dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
                    arrived.append(Record(index=index, text=text_cell(fields, column) or None, fields=fields))
                    index += 1
                if arrived and end_of_arrival[0]:
                    yield arrived
                    arrived = []
        except csv.Error as error:
            if arrived:
                yield arrived
            raise DataError(
                f"line {rows.line_num} of {source.name} is not valid csv ({csv_reason(error)})"
            ) from None
        if arrived:
            yield arrived

    note = (
        f"{source.name} opens with a csv header naming the text {columns_named(column)}, so it is read as "
        "csv rows, each with its columns"
    )
    return dataclasses.replace(
        source, chunks=records(), columns=header, text_column=column, notes=[note],
        written_columns=headed if headed != header else None, delimiter=found if found != "\t" else None,
    ), True  # fmt: skip


def json_object(line: str | None) -> dict[str, Any] | None:
    """`line` as the JSON object it holds, if it holds one."""
    stripped = (line or "").strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
