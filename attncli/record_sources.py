"""Where the records of `attn predict` and `attn inspect` come from: command-line arguments, a plain
text file (one text per line) or standard input, read as it arrives, and a data file by its suffix.
Lines end at "\\n" (or "\\r\\n") only. Plain Python readers: no `datasets`, no type guessing."""

from __future__ import annotations

import codecs
import dataclasses
import functools
import itertools
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from attncli.arrowfiles import is_saved_dataset, saved_dataset_files
from attncli.csv_rows import is_type_line, shown, table_header, type_line_error
from attncli.data_file_records import arrow_source, csv_source, json_object, json_source, parquet_source
from attncli.encodings import encoding_marked_by, is_utf8, is_wide, marked_encoding, marked_encoding_note
from attncli.errors import DataError
from attncli.joined_columns import columns_named, parts_of
from attncli.jsonfiles import opens_json
from attncli.lines import (
    END_OF_FILE,
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
from attncli.raw_data import FILE_BUILDERS
from attncli.records import Record, RecordSource, from_windows, in_chunks, is_pipe
from attncli.spark_folders import is_job_output, part_files, require_uncompressed_parts
from attncli.textfiles import require_readable

STDIN = "-"
# The name of the records of TEXT arguments, as messages give it.
ARGUMENTS = "arguments"
# Data file suffixes a pipe may carry: read as it arrives, one record a line.
STREAMED_SUFFIXES = (".jsonl", ".ndjson", ".jl")


def _plain(text: str) -> str:
    return text.removesuffix("\n").removesuffix("\r")


def _arriving_records(
    descriptor: int, *, encoding: str, name: str = "standard input"
) -> Iterator[list[Record]]:
    """Records of standard input (or another pipe) as they arrive: the complete lines of each block
    are handed on at once, so a result can be printed before the input ends."""
    pending, index, beyond_ascii = b"", 0, False
    # UTF-16 or UTF-32 with its byte-order mark (PowerShell's pipes) is read as such, as a file is.
    arrived = arrivals(descriptor)
    first = next(arrived, b"")
    encoding = encoding_marked_by(first, encoding)
    blocks, encoding = line_chunks(
        narrow(itertools.chain([first] if first else [], arrived), encoding=encoding, name=name),
        encoding=encoding,
        name=name,
    )
    for block in with_end(iter(blocks)):
        if block is None:  # the input ended; a last line without a newline is still a record
            complete, pending = ([pending] if pending else []), b""
        else:
            *complete, pending = (pending + block).split(b"\n")
        records: list[Record] = []
        for line in complete:
            try:
                text = decode(line, encoding=encoding, number=index + 1, name=name, utf8_before=beyond_ascii)
            except DataError:
                if records:  # the lines before it, read whole, still get their results
                    yield records
                raise
            beyond_ascii = beyond_ascii or not line.isascii()
            text = text.removeprefix("\ufeff") if index == 0 else text
            if block is None:  # the last line, which no line end closes: where Ctrl-Z ends DOS text
                text = text.removesuffix(END_OF_FILE)
                if not text:
                    continue
            records.append(Record(index=index, text=text.removesuffix("\r")))
            index += 1
        if records:
            yield records


def from_arguments(texts: list[str]) -> RecordSource:
    records = [Record(index=index, text=argument_text(text)) for index, text in enumerate(texts)]
    return RecordSource(name=ARGUMENTS, chunks=iter([records]))


def argument_text(text: str) -> str:
    """A command-line argument as the UTF-8 its bytes are. Under an ASCII locale with Python's UTF-8
    mode off (LC_ALL=C PYTHONUTF8=0), Python reads `Café` as `Caf` and two escaped bytes, which
    were then read as two unknown characters; bytes that are not UTF-8 stay as Python read them."""
    if not any("\udc80" <= character <= "\udcff" for character in text):
        return text
    try:
        return os.fsencode(text).decode("utf-8", "surrogateescape")
    except UnicodeError:
        return text


def from_stdin(*, encoding: str = "utf-8") -> RecordSource:
    import io
    import sys

    readable_encoding(encoding)  # refused before anything is read
    from attncli.streams import input_closed

    if sys.stdin is None or input_closed():  # started with descriptor 0 closed (`<&-`)
        # It read as an empty input, exit 0: a script whose texts were lost reported success.
        raise DataError(
            "standard input is closed (<&-); pass the texts as arguments or with --file, or pipe them in"
        )
    try:
        descriptor = sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # replaced by a test or an embedding host
        stream = getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode(encoding))
        blocks = narrow(file_chunks(stream), encoding=encoding)
        lines = decoded_lines(blocks, encoding=encoding, name="standard input")
        records = (Record(index=index, text=_plain(line)) for index, line in enumerate(lines))
        return RecordSource(
            name="standard input",
            chunks=in_chunks(records),
            streaming=True,
            byte_order_mark=not is_utf8(encoding),
        )
    return RecordSource(
        name="standard input",
        chunks=_arriving_records(descriptor, encoding=encoding),
        streaming=True,
        byte_order_mark=not is_utf8(encoding),
    )


def record_shaped(line: str, *, text_column: str | None) -> str | None:
    """What a line of plain text input looks like when it is rather a record of a data file: a JSON
    object, or a csv/tsv header naming the text column, or one whose names are a text column's and an
    id's or label's (None: a text like any other)."""
    if json_object(line) is not None:
        return "a JSON object"
    stripped = line.strip()
    headers = [[name.strip().strip('"') for name in stripped.split(delimiter)] for delimiter in ",;\t"]
    if text_column and any(all(part.strip() in names for part in parts_of(text_column)) for names in headers):
        return f"a csv/tsv header naming the text {columns_named(text_column)}"
    texts = header_text_column(line)
    return f"{GUESSED_HEADER} ({texts!r})" if texts is not None else None


def header_text_column(line: str) -> str | None:
    """The text column of a line that reads as a csv/tsv header by its names (`_named_text_column`),
    pandas' unnamed index column first allowed (`,url,text,topic`); None where it reads as none."""
    for delimiter in ",;\t":
        names = [name.strip().strip('"') for name in line.strip().split(delimiter)]
        texts = _named_text_column(names[1:] if names[:1] == [""] else names)
        if texts is not None:
            return texts
    return None


# What record_shaped says of a header it guessed by its names (noted, never refused: "Order status,
# delivery message, refund category" may be a text).
GUESSED_HEADER = "a csv/tsv header with a text column"


# A header's cell, where a header is guessed by its names: a name of at most three words, not a
# number or a sentence.
HEADER_NAME = re.compile(r"[^\W\d][\w .#/()-]{0,39}")


def _named_text_column(names: list[str]) -> str | None:
    """The text column of a header whose names are all short, one of which a text column's name and
    another an id's or a label's (ticket_id,created_at,message_body: a helpdesk export piped in was
    read as 593 texts, header and signature lines included, where the model was trained on another
    column name and nothing was said). A sentence with a comma ("text, images and video") is none."""
    from attncli.column_detection import (
        CODE_WORDS,
        NOT_TEXT_WORDS,
        detect,
        detected_label_column,
        name_words,
        text_role,
    )
    from attncli.layouts import Layout

    if len(names) < 2 or not all(HEADER_NAME.fullmatch(name) and len(name.split()) <= 3 for name in names):
        return None
    # Found as a data file's header finds it: review_body beside review_id, which was taken for the
    # texts (a trial's piped export labelled each row by its id, exit 0), or took the two for texts.
    text = detect(Layout(columns=tuple(names)), text_role(None), taken=None)[0]
    others = [name for name in names if name != text]
    described = any(set(name_words(name)) & (NOT_TEXT_WORDS | CODE_WORDS) for name in others)
    return text if text is not None and others and (described or detected_label_column(others)) else None


def require_input_file(path: Path) -> None:
    """Refuse a --file that does not exist, or is a folder of split files (a folder datasets'
    save_to_disk wrote is read as a dataset, a job's output folder as its part files' rows, any other
    as texts, a file each); a pipe (`<(zcat
    texts.gz)`, /dev/stdin, a named pipe) is read as plain text."""
    if is_saved_dataset(path):
        saved_dataset_files(path)  # a DatasetDict, or a data file gone: said before the model loads
    elif path.is_dir():
        one = _one_split_file(path)  # none for a job's output folder: its part files' rows are read
        if one:
            raise DataError(
                f"--file {path} is a folder of split files; pass one split's "
                f"{'folder' if one.is_dir() else 'file'}, such as --file {one}"
            )
    elif not path.is_file() and not is_pipe(path):
        from attncli.sources import missing_path_message

        # Where it was looked for, and a name there that looks like it, as train says (a trial's
        # `--file tst.csv` was offered nothing, where train offered test.csv).
        raise DataError(
            f"--file {missing_path_message(str(path))}; pass a text file (one text per line), a folder of "
            "text files (a text each) or a data file"
        )


def _one_split_file(folder: Path) -> Path | None:
    """A file of a folder of split files (the test split's first, as eval would read it), at its
    top or in its data/ folder (a Hub repository's layout), or the folder of a split's part files
    (test/ of a Spark job's output), which --file reads whole; none for a job's output folder itself."""
    from attncli.data_folders import HUB_DATA_FOLDER, split_files

    for place in (folder, folder / HUB_DATA_FOLDER):
        files = split_files(place) if place.is_dir() else {}
        if place == folder and list(files) == ["train"] and is_job_output(folder):
            return None  # spark_splits' one split of a job's part files
        for split in ("test", "validation", *files):
            if files.get(split):
                first = files[split][0]  # a shard of several is read alone: --file takes one file
                return first.parent if is_job_output(first.parent) and first.parent != place else first
    return None


def from_file(
    path: Path,
    *,
    encoding: str = "utf-8",
    text_column: str | None = None,
    trained_column: str | None = None,
    delimiter: str | None = None,
) -> RecordSource:
    """Records of a file (`_file_records`), in UTF-16 or UTF-32 where the file opens with that
    byte-order mark and UTF-8 is asked for (as training reads it), with a note saying so."""
    readable_encoding(encoding)  # refused before anything is read
    used = encoding if is_pipe(path) else marked_encoding(path, encoding)
    source = _file_records(path, used, (text_column, trained_column), delimiter)
    note = marked_encoding_note(path, encoding, used)
    if note is not None:
        source.notes.insert(0, note)
    return source


# XML documents of texts: a translation memory's exports (XLIFF, TMX), .NET's and Android's string
# resources; and any file that opens with an XML declaration.
XML_SUFFIXES = (".xml", ".xliff", ".xlf", ".sdlxliff", ".tmx", ".resx")
XML_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[\s?]")


def _require_no_xml(path: Path, suffix: str) -> None:
    """Refuse an XML document given as plain text: each line of an XLIFF export, declaration and tags
    included, got a label, exit 0, where train and eval refuse the file (a localisation trial)."""
    with path.open("rb") as file:
        head = file.read(256)
    opens_tag = head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<")  # not a text file so named
    if (suffix in XML_SUFFIXES and opens_tag) or XML_DECLARATION.match(head):
        raise DataError(
            f"--file {path} is an XML document, which would be read a line at a time, tags and all; export "
            "its texts to a csv, tsv or jsonl file (an XLIFF's or TMX's units a row each, their source and "
            "target each a column) and pass that"
        )


def _file_records(
    path: Path,
    encoding: str,
    columns: tuple[str | None, str | None],
    delimiter: str | None,
    *,
    pandas_index: bool = True,
) -> RecordSource:
    """Records of a file: a dataset file by its suffix (text from the column named, else the column
    the model was trained on: `columns`, else the usual names), any other file one text per line. A
    csv/tsv file is split at `delimiter`, else at its suffix's, else at the one its header line shows.
    `pandas_index`: whether a range index stored in a parquet file's metadata is carried (not for a
    part of a folder alone, as pandas reads such a folder)."""
    text_column, trained_column = columns
    parts = part_files(path) if path.is_dir() else None
    if parts:
        return _job_output_records(path, parts, encoding, columns, delimiter)
    require_input_file(path)
    if is_saved_dataset(path):
        return arrow_source(
            path, saved_dataset_files(path), text_column=text_column, trained_column=trained_column
        )
    suffix = path.suffix.lower()
    if is_pipe(path):
        if suffix in FILE_BUILDERS and suffix not in STREAMED_SUFFIXES:
            raise DataError(
                f"--file {path} is a pipe, and a {suffix} file is read more than once (its header "
                "first); write it to a file and pass that, or pipe plain text (one text per line) or "
                "JSON lines"
            )
    else:  # a pipe is read once: what these checks read first would be lost to it
        require_readable(path, encoding)
        if suffix not in FILE_BUILDERS:
            _require_no_xml(path, suffix)
    if is_pipe(path):
        # Read as it arrives, as standard input is: `--file <(tail -f log)` printed nothing until
        # 2,048 lines had come, or the input ended. JSON lines are told by their first line.
        return RecordSource(
            name=str(path),
            chunks=_pipe_chunks(path, encoding=encoding),
            streaming=True,
            byte_order_mark=from_windows(path, encoding),
        )
    table = (
        None
        if suffix in FILE_BUILDERS
        else _table_delimiter(path, encoding, text_column or trained_column, delimiter)
    )
    if delimiter is not None and suffix not in (".csv", ".tsv") and table is None:
        column = text_column or trained_column
        raise DataError(
            f"--delimiter {shown(delimiter)} splits csv rows, and the first line of {path} is no csv header "
            f"naming the text column{f' {column!r}' if column else ''} at it over a row of as many cells; "
            "name the text column with --text-column, or give the file a .csv suffix"
        )
    if table is not None:
        # A table under a plain-text name (Excel's "Unicode Text" and "Text (Tab delimited)" save one
        # as a .txt): read as a csv file is, said so; each line, header included, was labelled whole.
        source = csv_source(
            path, encoding=encoding, text_column=text_column, trained_column=trained_column, delimiter=table
        )
        source.notes.insert(
            0,
            f"{path} opens with a csv header naming the text {columns_named(source.text_column or '')}, so "
            "it is read as csv rows, each with its columns",
        )
        return source
    if suffix in (".csv", ".tsv"):
        return csv_source(
            path,
            encoding=encoding,
            text_column=text_column,
            trained_column=trained_column,
            delimiter=delimiter,
        )
    if FILE_BUILDERS.get(suffix) == "json":
        return json_source(path, encoding=encoding, text_column=text_column, trained_column=trained_column)
    if suffix == ".parquet":
        return parquet_source(
            path, text_column=text_column, trained_column=trained_column, pandas_index=pandas_index
        )
    if FILE_BUILDERS.get(suffix) == "arrow":  # .arrow, and .feather, which is the same format
        return arrow_source(path, [path], text_column=text_column, trained_column=trained_column)
    if _holds_json_lines(path, encoding):
        # JSON lines under a plain-text name (`jq -c ... > export.txt`) are read as a .jsonl file is,
        # and as the same lines piped in are: each line was labelled whole, braces and keys
        # included, exit 0, or the file was refused as a table by the commas of its first two lines.
        source = json_source(path, encoding=encoding, text_column=text_column, trained_column=trained_column)
        source.notes.insert(
            0, f"the lines of {path} are JSON objects, so it is read as JSON lines, as a .jsonl file is"
        )
        return source
    first = _first_line_of(path, encoding)
    if opens_json(first):  # `jq . > export.txt`, a JSON array saved as .txt
        source = json_source(path, encoding=encoding, text_column=text_column, trained_column=trained_column)
        source.notes.insert(0, f"{path} holds JSON records read whole, so it is read as a .json file is")
        return source
    if is_type_line(first):  # a table PowerShell exported under a plain-text name: as a .csv's
        raise type_line_error(str(path), first)
    if text_column is not None:
        raise DataError(
            f"--text-column needs a data file (csv/tsv/json/jsonl/parquet/arrow); {path} is plain text"
        )

    def records() -> Iterator[Record]:
        with path.open("rb") as file:
            lines = decoded_lines(file_chunks(file), encoding=encoding, name=str(path))
            for index, line in enumerate(lines):
                yield Record(index=index, text=_plain(line))

    return RecordSource(
        name=str(path),
        chunks=in_chunks(records()),
        count=functools.partial(_lines_in, path, encoding=encoding),
        byte_order_mark=from_windows(path, encoding),
    )


def _job_output_records(
    folder: Path,
    parts: list[Path],
    encoding: str,
    columns: tuple[str | None, str | None],
    delimiter: str | None,
) -> RecordSource:
    """Records of a job's output folder (Spark's part-00000-....parquet and the rest), its part files'
    one after another as one file's, numbered on across them, as training reads them: of one format,
    a part of no rows left out where others hold some, columns in another order or one added, not a
    header renamed. Each part is opened as it is read (Spark writes hundreds; a process may hold 256
    files), and a pandas range index is not made up for each part alone (as pandas reads such a folder)."""
    from attncli.data_files import empty_shards_note, renamed_shard, require_one_format, shards_with_rows

    require_uncompressed_parts(parts)
    require_one_format(parts, f"the part files of {folder}", "keep those of one job")
    empty: list[Path] = []
    kept = shards_with_rows(parts, empty)

    def opened(part: Path) -> RecordSource:
        return _file_records(part, encoding, columns, delimiter, pandas_index=False)

    first = opened(kept[0])  # kept for the source's own attributes (its delimiter, byte-order mark)
    others = map(opened, kept[1:])  # each dropped, and its file closed, once its head is taken
    heads = [
        (source.columns, source.text_column, source.notes) for source in itertools.chain([first], others)
    ]
    odd = renamed_shard([names for names, _, _ in heads])
    if odd is not None:
        shown = [", ".join(map(repr, heads[index][0])) for index in (0, odd)]
        raise DataError(
            f"the part files of {folder} hold different columns: {kept[0].name} has {shown[0]}, "
            f"{kept[odd].name} has {shown[1]}; give every part the same columns"
        )
    texts = {text for _, text, _ in heads}
    if len(texts) > 1:
        raise DataError(
            f"the part files of {folder} hold their texts in different columns "
            f"({', '.join(map(repr, sorted(map(str, texts))))}); name the one with --text-column"
        )

    def chunks() -> Iterator[list[Record]]:
        offset = 0
        for part in kept:
            last = -1
            for chunk in opened(part).chunks:
                yield [dataclasses.replace(record, index=record.index + offset) for record in chunk]
                last = chunk[-1].index if chunk else last
            offset += last + 1

    def count() -> int | None:
        counts = [source.count() if source.count is not None else None for source in map(opened, kept)]
        return None if None in counts else sum(counted for counted in counts if counted is not None)

    notes = list(dict.fromkeys(note for _, _, said in heads for note in said))
    notes += [empty_shards_note(empty)] if empty else []
    every_column = list(dict.fromkeys(name for names, _, _ in heads for name in names))
    return dataclasses.replace(
        first, name=str(folder), chunks=chunks(), count=count, notes=notes, columns=every_column
    )


# Lines of a plain-text name looked at to tell JSON lines: a text file whose first line merely is
# a JSON object, its others prose, stays text (noted), not a refusal at its second line.
JSON_LINES_LOOKED_AT = 20


def _table_delimiter(path: Path, encoding: str, column: str | None, delimiter: str | None) -> str | None:
    """The delimiter of the table a plain-text file holds: its first line a header naming `column`
    (given by --text-column, else the model's) at `delimiter` (else at a tab, ';' or ','), over a
    line of as many cells (None: no such table)."""
    if column is None:
        return None
    with path.open("rb") as file:
        lines = decoded_lines(file_chunks(file), encoding=encoding, name=str(path))
        try:
            first, following = (
                _plain(line) for line in itertools.islice(itertools.chain(lines, ["", ""]), 2)
            )
        except DataError:  # a line not in the encoding: the reading of its lines says so, in order
            return None
    table = table_header(first, following, column, delimiter) if following else None
    return table[0] if table is not None else None


def _holds_json_lines(path: Path, encoding: str) -> bool:
    """Whether the first lines of `path` that are not blank (up to JSON_LINES_LOOKED_AT) are each
    a JSON object (a byte-order mark aside); lines that do not decode are the plain reader's to name."""
    looked_at = 0
    try:
        with path.open("rb") as file:
            for line in decoded_lines(file_chunks(file), encoding=encoding, name=str(path)):
                if not line.strip():
                    continue
                if json_object(line.lstrip("\ufeff")) is None:
                    return False
                looked_at += 1
                if looked_at == JSON_LINES_LOOKED_AT:
                    break
    except (DataError, UnicodeError):
        return False
    return looked_at > 0


def _first_line_of(path: Path, encoding: str) -> str:
    """The first line of `path` that is not blank ("" where none, or where it does not decode: the
    plain reader's to name)."""
    try:
        with path.open("rb") as file:
            lines = decoded_lines(file_chunks(file), encoding=encoding, name=str(path))
            return next((line for line in lines if line.strip()), "").rstrip("\r\n")
    except (DataError, UnicodeError):
        return ""


def _pipe_chunks(path: Path, *, encoding: str) -> Iterator[list[Record]]:
    """The records of what `is_pipe` calls a pipe (a named pipe, `<(...)`, a terminal or another
    character device), as they arrive."""
    with path.open("rb", buffering=0) as file:
        yield from _arriving_records(file.fileno(), encoding=encoding, name=str(path))


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
