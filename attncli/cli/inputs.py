"""Where predict and inspect read their records (TEXT arguments, --file, standard input), checked
before the model loads, and the output files they refuse to write over their input."""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli.cli.edge import say, say_note
from attncli.encodings import BINARY_SUFFIXES
from attncli.errors import ConfigError, DataError
from attncli.fasttext_files import fasttext_records, is_fasttext_file, mostly_labelled

if TYPE_CHECKING:
    from attncli.records import Record, RecordSource


def check_inputs(
    texts: list[str],
    file: Path | None,
    text_column: str | None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    whole_file: bool = False,
) -> None:
    """Refuse contradictory inputs before the model loads."""
    from attncli.encodings import is_utf8
    from attncli.lines import codec_name
    from attncli.record_sources import STDIN, require_input_file

    if texts and STDIN not in texts and not is_utf8(codec_name(encoding)):
        raise ConfigError(
            f"--encoding {encoding} reads --file and standard input; TEXT arguments are already text, so "
            "drop --encoding"
        )

    if texts and file is not None:
        said = "pass texts as TEXT arguments or with --file, not both"
        if text_column is not None and "," not in text_column and len(texts) == 1 and len(texts[0]) <= 40:
            # `--text-column title,body` unquoted from PowerShell: `body` came as a TEXT argument.
            from attncli.cli.usage import comma_split_hint

            said += f"; {comma_split_hint('--text-column', text_column, texts[0])}"
        from attncli.cli.usage import decimal_comma_hint

        split = decimal_comma_hint(sys.argv[1:], texts)  # `--min-score 0,6` from PowerShell, likewise
        raise ConfigError(said if split is None else f"{said}; {split}")
    _require_no_data_file_as_text(texts)
    if STDIN in texts and len(texts) > 1:
        raise ConfigError("'-' reads standard input; pass it alone, without other TEXT arguments")
    if text_column is not None and texts and texts != [STDIN]:
        raise ConfigError(
            "--text-column names a column of --file or of JSON lines or csv rows on standard input; TEXT "
            "arguments have none"
        )
    if file is not None and not is_utf8(codec_name(encoding)):
        from attncli.arrowfiles import is_saved_dataset

        suffix, saved = file.suffix.lower(), is_saved_dataset(file)
        kind = "a save_to_disk folder" if saved else f"a {suffix[1:]} file"
        if saved or suffix in BINARY_SUFFIXES:
            raise ConfigError(
                f"--encoding {encoding} reads text files; {file.name} is {kind}, whose texts are UTF-8: "
                "drop --encoding"
            )
    if delimiter is not None and (
        (texts and texts != [STDIN]) or (file is not None and file.suffix.lower() in _UNDELIMITED_SUFFIXES)
    ):
        raise ConfigError(
            "--delimiter splits the columns of csv/tsv rows (a --file, or standard input that opens with a "
            "header); pass such rows, or drop --delimiter"
        )
    whole_file = whole_file or _one_message(file)  # a .eml, read whole as --whole-file reads a file
    if delimiter is not None and (whole_file or _is_folder_of_texts(file)):
        raise ConfigError("--delimiter splits csv rows; a text read whole has none: drop --delimiter")
    if whole_file and texts and texts != [STDIN]:
        raise ConfigError("--whole-file reads --file or standard input as one text; TEXT arguments are texts")
    if text_column is not None and (whole_file or _is_folder_of_texts(file)):
        raise ConfigError("--text-column names a column of a data file; a whole text file has none")
    if file is not None and str(file) != STDIN:
        require_input_file(file)
    if file is not None and _is_folder_of_texts(file):
        from attncli.documents import require_folder_of_texts

        # A folder with no files, data files or a file that is no text: said before the model loads.
        require_folder_of_texts(file, encoding=encoding)
    elif whole_file and file is not None and str(file) != STDIN:
        from attncli.documents import require_text_file

        require_text_file(file)


def _one_message(file: Path | None) -> bool:
    """Whether `file` is a file of one message (.eml), which --file reads whole."""
    from attncli.documents import WHOLE_SUFFIXES

    return file is not None and file.suffix.lower() in WHOLE_SUFFIXES and file.is_file()


# Formats whose records have no delimiter to choose.
_UNDELIMITED_SUFFIXES = (".json", ".jsonl", ".ndjson", ".jl", *BINARY_SUFFIXES)


def _note_plain_text_for_joined_columns(name: str, trained_column: str | None) -> None:
    """Say where plain text goes to a model trained on columns joined into one text: each text is
    read in place of them all (a trial's log lines, piped to a model of four columns, got labels
    without a word, where a csv lacking those columns gets a note)."""
    from attncli.joined_columns import is_joined, parts_of
    from attncli.record_sources import ARGUMENTS

    if not is_joined(trained_column, ()):
        return
    parts = parts_of(trained_column or "")
    shown = ", ".join(parts[:-1]) + f" and {parts[-1]}"
    said = "each text given is" if name == ARGUMENTS else f"each line of {name} is"
    say(
        f"note: the model was trained on the columns {shown} joined into one text, a line each; {said} "
        "read in place of them all: pass a data file with those columns (--file) to read them as training did"
    )


def _is_folder_of_texts(file: Path | None) -> bool:
    """A --file that is a folder of texts, a file each (not a save_to_disk folder, nor a job's output
    folder of part files, whose rows are records)."""
    from attncli.arrowfiles import is_saved_dataset
    from attncli.spark_folders import is_job_output

    return file is not None and file.is_dir() and not is_saved_dataset(file) and not is_job_output(file)


def record_source(
    texts: list[str],
    file: Path | None,
    *,
    encoding: str,
    text_column: str | None,
    trained_column: str | None,
    delimiter: str | None = None,
    trained_encoding: str = "utf-8",
    whole_file: bool = False,
) -> RecordSource:
    """Where the records come from: TEXT arguments, --file, or standard input ('-' or nothing); a
    folder's files, or with `whole_file` the file or standard input, each one text.
    The inputs were checked by `check_inputs` before the model loaded. A file that is not UTF-8,
    read as UTF-8, is refused with the encoding the model's training data was read in
    (`trained_encoding`), which the same system's exports are likely in."""
    try:
        source = _record_source(
            texts, file, encoding=encoding, text_column=text_column, trained_column=trained_column,
            delimiter=delimiter, whole_file=whole_file,
        )  # fmt: skip
    except DataError as error:
        hinted = _with_trained_encoding(error, encoding, trained_encoding)
        if hinted is None:
            raise
        raise hinted from error
    from attncli.joined_columns import is_joined

    # Joined-ness first: it is cheap, where telling a folder of texts lists the folder.
    plain = not source.columns and not whole_file
    if plain and is_joined(trained_column, ()) and not _is_folder_of_texts(file):
        _note_plain_text_for_joined_columns(source.name, trained_column)
    hinting = _hinting(source.chunks, encoding, trained_encoding)
    held = _held_until_some_text(hinting, source.name, source.text_column, streaming=source.streaming)
    return dataclasses.replace(source, chunks=held)


def _hinting(chunks: Iterator[Any], encoding: str, trained_encoding: str) -> Iterator[Any]:
    try:
        yield from chunks
    except DataError as error:
        hinted = _with_trained_encoding(error, encoding, trained_encoding)
        if hinted is None:
            raise
        raise hinted from error


def _with_trained_encoding(error: DataError, encoding: str, trained_encoding: str) -> DataError | None:
    from attncli.encodings import is_utf8, trained_encoding_hint
    from attncli.lines import codec_name

    hint = trained_encoding_hint(trained_encoding, str(error)) if is_utf8(codec_name(encoding)) else None
    return None if hint is None else DataError(f"{error}{hint}")


def _record_source(
    texts: list[str],
    file: Path | None,
    *,
    encoding: str,
    text_column: str | None,
    trained_column: str | None,
    delimiter: str | None,
    whole_file: bool,
) -> RecordSource:
    from attncli import documents, record_sources
    from attncli.csv_dialect import line_feeds_command
    from attncli.encodings import misread_warning
    from attncli.records import is_pipe
    from attncli.sources import FILE_BUILDERS

    if texts and texts != [record_sources.STDIN]:
        _note_texts_naming_paths(texts)
        from attncli.cli.usage import decimal_comma_hint

        split = decimal_comma_hint(sys.argv[1:], texts)
        if split is not None:
            say(f"note: {split}")
        return record_sources.from_arguments(texts)
    if _is_folder_of_texts(file):
        folder = documents.from_folder(file, encoding=encoding)  # type: ignore[arg-type]
        for note in folder.notes:
            say_note(note)
        return folder
    if file is not None and not whole_file and _one_message(file):
        # One message a file: read line by line, its header lines got labels of their own, where
        # the folder it came from is read a file a text (a spam analyst's trial).
        say(f"note: {file} is read whole, as one text: a {file.suffix.lower()} file holds one message")
        whole_file = True
    if whole_file and file is not None and str(file) != record_sources.STDIN:
        return documents.from_whole_file(file, encoding=encoding)
    if whole_file:
        return documents.from_whole_stdin(encoding=encoding)
    if file is not None and str(file) != record_sources.STDIN:
        source = record_sources.from_file(
            file, encoding=encoding, text_column=text_column, trained_column=trained_column,
            delimiter=delimiter,
        )  # fmt: skip
        for note in source.notes:
            say_note(note)
        if not is_pipe(file) and file.is_file():
            warning = misread_warning(file, encoding)
            if warning is not None:
                say(warning)
        if is_pipe(file):  # read as it arrives, as standard input is (--file <(jq -c ... rows.jsonl))
            records_only = file.suffix.lower() in record_sources.STREAMED_SUFFIXES
            return _streamed(
                source, text_column=text_column, trained_column=trained_column, delimiter=delimiter,
                records_only=records_only,
            )  # fmt: skip
        if source.columns or file.suffix.lower() in FILE_BUILDERS:
            return source
        to_line_feeds = (
            f"convert them to line feeds first, for example with {line_feeds_command(file, encoding)}"
        )
        if text_column is None and is_fasttext_file(file, encoding=encoding):
            say(_fasttext_note(file))
            checked = _refusing_lone_carriage_returns(source.chunks, str(file), to_line_feeds)
            return dataclasses.replace(
                source, chunks=fasttext_records(checked, file), columns=["label", "text"], text_column="text"
            )
        # Plain text, or a data file under another suffix.
        remedy = "give the file its format's suffix (.jsonl, .csv) and pass that"
        # Excel's "Unicode Text" and "Text (Tab delimited)" save a table as a .txt of tab-separated lines.
        tabbed = f'rename it {file.stem}.tsv (tab-separated, as Excel saves "Unicode Text") and pass that'
        chunks = _noting_record_shaped(
            source.chunks,
            trained_column,
            name=str(file),
            remedy=remedy,
            tabbed_remedy=tabbed,
            refuse_tables=True,
        )
        refusing = _refusing_lone_carriage_returns(
            chunks, str(file), to_line_feeds, one_stray=_ends_with_a_bare_line_feed(file)
        )
        return dataclasses.replace(source, chunks=refusing)
    if sys.stdin.isatty():
        # Said under --quiet too: a prompt, without which the command looks hung.
        end = "Ctrl-Z then Enter" if sys.platform == "win32" else "Ctrl-D"
        say(f"reading texts from standard input, one per line, or JSON lines ({end} to end)", always=True)
    source = record_sources.from_stdin(encoding=encoding)
    return _streamed(source, text_column=text_column, trained_column=trained_column, delimiter=delimiter)


def _streamed(
    source: RecordSource,
    *,
    text_column: str | None,
    trained_column: str | None,
    delimiter: str | None,
    records_only: bool = False,
) -> RecordSource:
    """Input read as it arrives (standard input, a pipe): JSON lines where its first line is a JSON
    object, csv rows where it is a header naming the text column over a row of as many cells, else
    one text per line, with a note where the first line looks like a csv header, and refused at a
    lone carriage return; `records_only`: a pipe named as JSON lines (rows.jsonl), which must be."""
    from attncli.columns import other_than_trained_note
    from attncli.csv_rows import is_type_line, shown, type_line_error
    from attncli.data_file_records import csv_rows_if_table, json_lines_if_records, whole_json_if_begun
    from attncli.record_sources import header_text_column

    read, as_records = json_lines_if_records(source, text_column=text_column, trained_column=trained_column)
    if as_records and delimiter is not None:
        raise ConfigError(
            f"--delimiter splits csv rows, and {source.name} holds JSON lines (its first line is a JSON "
            "object); drop --delimiter"
        )
    if as_records:
        for note in read.notes:
            say_note(note)
        return read
    if as_records is None:  # no input: said as for any empty input ("held no texts")
        return read
    read, as_json = whole_json_if_begun(read, text_column=text_column, trained_column=trained_column)
    if as_json:
        for note in read.notes:
            say_note(note)
        return read
    if records_only:
        raise DataError(
            f"the first line of {source.name} is no JSON object, and its name says JSON lines; give one JSON "
            "object per line, or a name without .jsonl to read it as plain text"
        )
    read, line = _first_line(read)
    if line is not None and is_type_line(line):  # as a .csv file's is refused
        raise type_line_error(source.name, line)
    read, as_rows = csv_rows_if_table(
        read, text_column=text_column, trained_column=trained_column, delimiter=delimiter
    )
    if not as_rows and text_column is None:
        # A header that names no column the model was trained on, but one of the usual text names
        # (`url,text,topic` where the model read `body`): read by that column, as JSON lines are.
        guessed = header_text_column(line) if line is not None else None
        if guessed is not None:
            read, as_rows = csv_rows_if_table(
                read, text_column=guessed, trained_column=trained_column, delimiter=delimiter
            )
            other = other_than_trained_note(source.name, guessed, trained=trained_column, named=None)
            if as_rows and other is not None:
                read.notes.append(other)
    if as_rows:
        for note in read.notes:
            say_note(note)
        return read
    if text_column is not None:
        raise ConfigError(
            f"--text-column names a column of JSON lines or csv rows, and the first line of {source.name} is "
            f"neither a JSON object nor a csv header naming {text_column!r} over a row of as many cells: it "
            "is read as one text per line; drop --text-column, or pass a data file with --file"
        )
    if delimiter is not None:
        raise ConfigError(
            f"--delimiter {shown(delimiter)} splits csv rows, and the first line of {source.name} is no csv "
            f"header naming {trained_column or 'the text column'!r} at it over a row of as many cells: it is "
            "read as one text per line; drop --delimiter, or pass a data file with --file"
        )
    first = next(read.chunks, None)
    arriving = itertools.chain([first] if first is not None else [], read.chunks)
    if first and mostly_labelled([record.text or "" for record in first]):  # fastText's test file piped in
        say(_fasttext_note(source.name))
        checked = _refusing_lone_carriage_returns(arriving, source.name, PIPE_TO_LINE_FEEDS)
        return dataclasses.replace(
            read, chunks=fasttext_records(checked, Path(source.name)), columns=["label", "text"],
            text_column="text",
        )  # fmt: skip
    # A table piped in (`type test.csv | attn predict ...` on Windows) is refused as a file's is: each
    # line, header and gold labels included, was labelled, and a csv written of them, exit 0.
    chunks = _noting_record_shaped(
        arriving, trained_column, name=source.name, remedy=save_as_data_file, refuse_tables=True
    )
    return dataclasses.replace(
        read, chunks=_refusing_lone_carriage_returns(chunks, source.name, PIPE_TO_LINE_FEEDS)
    )


def _first_line(source: RecordSource) -> tuple[RecordSource, str | None]:
    """`source` as it was, and its first line past blank ones (None: none in its first chunk, which
    is waited for)."""
    chunks = iter(source.chunks)
    first = next(chunks, None)
    restored = dataclasses.replace(
        source, chunks=itertools.chain([first] if first is not None else [], chunks)
    )
    return restored, next((record.text or "" for record in first or [] if (record.text or "").strip()), None)


def _fasttext_note(name: str | Path) -> str:
    """Said where input in fastText's format is read: its labels are not classified with the text."""
    return (
        f"note: {name} is in fastText's format: each line's __label__ is carried as its label field, and the "
        "rest of the line is the text"
    )


# How a pipe's lone carriage returns become line ends.
PIPE_TO_LINE_FEEDS = "convert them to line feeds first, for example by piping it through tr '\\r' '\\n'"


def save_as_data_file(shape: str, line: str) -> str:
    """What reads records that came as plain text (standard input, a pipe) by their text column: a
    file of their format's suffix (a csv's rows were told to be saved as FILE.jsonl)."""
    suffix = ".jsonl" if "JSON" in shape else ".tsv" if "\t" in line else ".csv"
    return f"save them to a file and pass --file FILE{suffix}"


def _noting_record_shaped(
    chunks: Iterator[list[Any]],
    text_column: str | None,
    *,
    name: str,
    remedy: str | Callable[[str, str], str],
    tabbed_remedy: str | None = None,
    refuse_tables: bool = False,
) -> Iterator[list[Any]]:
    """The chunks, with a note when the first line of plain text input looks like a data file's
    (each line would be classified whole, braces, ids and gold labels included); `tabbed_remedy`
    is the remedy where that line is split by tabs; `refuse_tables`: refused instead where the line
    is a header of several columns over a line of as many."""
    from attncli.csv_rows import header_naming, table_delimiter
    from attncli.record_sources import GUESSED_HEADER, record_shaped

    first = True
    for chunk in chunks:
        if first and chunk:
            first = False
            line = chunk[0].text or ""
            following = (chunk[1].text or "") if len(chunk) > 1 else None
            shape = record_shaped(line, text_column=text_column)
            if shape is not None:
                said = remedy(shape, line) if callable(remedy) else remedy
                if tabbed_remedy and "\t" in line and "JSON" not in shape:
                    said = tabbed_remedy
                told = (
                    f"{name} is read as one text per line, and its first line looks like {shape}; to read "
                    f"the records' text column, {said}"
                )
                # A file's table read as lines labels each whole line, header, ids and gold labels
                # included: refused before any result (a trial's Excel "Unicode Text" .txt gave its
                # header a label at 97%, exit 0). Only a header of several columns over a row of as
                # many is taken for one: a text may begin "text, images and video", or be JSON.
                guessed = shape.startswith(GUESSED_HEADER)
                # Of short names, as a header's: "text, images and video are great" over "hello,
                # world" is two texts (a review of the csv reading that took them for a table).
                named = bool(text_column and header_naming(line, text_column, None))
                table = following is not None and named and table_delimiter(line, following) is not None
                if refuse_tables and not guessed and table:
                    raise DataError(
                        f"the first line of {name} looks like {shape}, so it holds records, not one text a "
                        f"line; to read the records' text column, {said}"
                    )
                say(f"note: {told}")
        yield chunk


def _note_texts_naming_paths(texts: list[str]) -> None:
    """Say on standard error when TEXT arguments name files here (or save_to_disk folders): `attn predict RUN
    notes.txt` labels the text "notes.txt", and a loop over files without --file got one confident
    label per file name and exit 0. A note, not a refusal: a word may be a file's name too."""
    named = [text for text in texts if _names_a_path(text)]
    if not named:
        return
    shown = ", ".join(repr(text) for text in named[:3]) + (
        f" and {len(named) - 3:,} more" if len(named) > 3 else ""
    )
    what = "names a file here, and is" if len(named) == 1 else "name files here, and are"
    say(
        f"note: TEXT {shown} {what} labelled as text; to read a file's lines (or a data file's rows), "
        "pass it with --file, and a file whole as one text with --file FILE --whole-file (a folder's files "
        "with --file FOLDER)"
    )


def _require_no_data_file_as_text(texts: list[str]) -> None:
    """Refuse a TEXT argument that names a data file here (rows.parquet, a save_to_disk folder) or a
    job's output folder of part files: no text is the name of a data file, and a CI job's `attn predict
    RUN rows.parquet` got one label for the name, exit 0, and a note it did not read (a trial). A name
    to label as a text still can be, on standard input."""
    import shlex

    from attncli.raw_data import FILE_BUILDERS
    from attncli.spark_folders import is_job_output

    for text in texts:
        if not _names_a_path(text, also=is_job_output):
            continue
        path = Path(text)
        if path.is_dir() or path.suffix.lower() in FILE_BUILDERS:
            kind = "a folder of data files" if path.is_dir() else "a data file"
            raise ConfigError(
                f"TEXT {text!r} names {kind} here, whose rows are the texts: pass it with --file "
                f"{shlex.quote(text)} (to label the name itself as a text, give it on standard input)"
            )


def _names_a_path(text: str, also: Callable[[Path], bool] | None = None) -> bool:
    """Whether `text` names what --file reads: a file, or a save_to_disk folder (not any folder:
    "." or "/" as a text is no slip that --file would put right), or a folder that is `also`."""
    from attncli.arrowfiles import is_saved_dataset

    if not text.strip() or "\n" in text or len(text) > 4096:
        return False
    try:
        path = Path(text)
        return path.is_file() or is_saved_dataset(path) or (also is not None and also(path))
    except (OSError, ValueError):  # too long for a path, or holding a NUL
        return False


def _ends_with_a_bare_line_feed(file: Path) -> bool:
    """Whether a file ends with a line feed that no carriage return comes before, in UTF-8, an 8-bit
    encoding, or UTF-16 or UTF-32 by their byte-order marks: its one line, with a carriage return
    inside, is not Mac OS's lines."""
    from attncli.encodings import marked_codec

    try:
        with file.open("rb") as stream:
            codec = marked_codec(stream.read(4)) or "latin-1"
            unit = 4 if codec.startswith("utf-32") else 2 if codec.startswith("utf-16") else 1
            stream.seek(max(0, file.stat().st_size - 2 * unit))
            last_two = stream.read().decode(codec, errors="replace")  # the last two characters
    except OSError:
        return False  # the reader says why
    return last_two.endswith("\n") and not last_two.endswith("\r\n")


def _refusing_lone_carriage_returns(
    chunks: Iterator[list[Any]], name: str, remedy: str, *, one_stray: bool = False
) -> Iterator[list[Any]]:
    """The chunks of plain text input, refused when the whole input came as one record holding a
    carriage return: its lines end with a carriage return alone (classic Mac OS, some exports), and
    N texts would have become one result. A csv with such line ends is refused alike (csv_dialect).
    Only a first chunk of one such record waits for the next one, to know. `one_stray`: a file that
    ends with a bare line feed, whose one line may hold one carriage return of its own."""
    first = next(chunks, None)
    if first is None:
        return
    inside = (first[0].text or "").rstrip("\r").count("\r") if len(first) == 1 else 0  # "\r\r\n": one line
    # One carriage return in the one line of a file that ends with a bare line feed is that text's own.
    if inside and not (one_stray and inside == 1):
        try:
            second = next(chunks, None)
        except DataError:  # a line the encoding cannot read: the first line's result still goes out
            yield first
            raise
        if second is None:
            raise DataError(
                f"{name} ends its lines with a carriage return alone (as classic Mac OS wrote them), so "
                f"it reads as one text; {remedy}"
            )
        yield first
        yield second
    else:
        yield first
    yield from chunks


# Records held back while none has a text in the column read, at most this many.
HELD_WITHOUT_TEXT = 10_000


def _held_until_some_text(
    chunks: Iterator[list[Record]], name: str, column: str | None, *, streaming: bool = False
) -> Iterator[list[Record]]:
    """Records of a data file or JSON lines, held back while none so far has a text in `column`: a
    wrong --text-column (numbers, or nothing) gave a "no text" result for each record, and exit 0,
    which a pipeline took for success, and later, refused at the end, still sent 200 null results
    down `... | attn predict RUN --json | jq` (a nightly job's trial). Refused once the input ends, or
    HELD_WITHOUT_TEXT records have come, with none; handed on together, and from then on as they
    come, once one has. An input whose every record holds the column as a text, blank or empty
    (JSON's `""`; a csv's empty cell is missing), is handed on at its end rather than refused: a
    helpdesk's ticket with an empty subject and body, alone on standard input, was refused, one
    process a ticket (a support lead's trial); one record with no such text among them still
    refuses them all, as a wrong column would give them. Plain text (`column` None)
    is handed on as it comes: a blank line is a record of its own. A stream (`streaming`) says once
    that it holds them, where a person watching would see nothing; a record that does not read hands
    the held ones on before its error."""
    from attncli.joined_columns import columns_named

    held: list[list[Record]] | None = []
    count = 0
    remedy = "if another column holds the texts, pass --text-column with its name"
    named = columns_named(column or "")
    while True:
        try:
            chunk = next(chunks, None)
        except DataError:
            yield from held or []  # the input failed after them: they keep their results
            raise
        if chunk is None:
            break
        if held is None or column is None:
            yield chunk
            continue
        if any(record.has_text for record in chunk):
            yield from [*held, chunk]
            held = None
            continue
        if streaming and not held:
            say(
                f"note: the first records of {name} have no text in {named}; their results "
                "wait for a record that has one"
            )
        held.append(chunk)
        count += len(chunk)
        if count >= HELD_WITHOUT_TEXT:
            raise DataError(f"the first {count:,} records of {name} have no text in {named}; {remedy}")
    if held and all(record.text is not None for chunk in held for record in chunk):
        yield from held  # each holds the column, empty: that is what they say, not a wrong column
    elif held:
        raise DataError(f"no record of {name} has a text in {named} ({count:,} read); {remedy}")


def note_when_nothing_read(source: RecordSource, *, records: int, verb: str) -> None:
    """Say on standard error that the input held no records: an empty file or pipe gave no result and
    no word (exit 0 stays right for a pipeline whose input is empty)."""
    if records == 0:
        say(f"note: {source.name} held no texts, so there was nothing to {verb}")


def blank_lines_hint(source: RecordSource, *, whole_file: bool) -> str:
    """Said after the count of records with no text where they are blank lines of plain text, which
    may be a document's paragraph breaks: an article given to --file was read as 19 records, 9 of
    them empty, with no word of --whole-file (a trial)."""
    from attncli.record_sources import ARGUMENTS

    if whole_file or source.columns or source.name == ARGUMENTS:
        return ""
    return "; plain text is read a text a line: --whole-file reads a file as one text"


def refuse_writing_over_input(output: Path | None, option: str, texts: list[str], file: Path | None) -> None:
    """Refuse an output file that is the input being read: --file, or the file on standard input."""
    from attncli.record_sources import STDIN

    if output is None:
        return
    if file is not None and _same_file(output, file):
        raise DataError(f"{option} {output} is the --file being read; write the results to another file")
    if file is None and texts in ([], [STDIN]) and _is_standard_input(output):
        raise DataError(f"{option} {output} is the file on standard input; write the results to another file")


def _is_standard_input(path: Path) -> bool:
    """Whether standard input is the file `path` names (`< texts.txt -o texts.txt`)."""
    try:
        return path.exists() and os.path.samestat(os.fstat(sys.stdin.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):  # no descriptor (a test's, an embedding host's)
        return False


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one existing file (through links, or spelled differently)."""
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return False
