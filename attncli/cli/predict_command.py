"""`attn predict`: one result per input record, in order, as a table, JSON lines, JSON, csv or tsv."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from attncli.cli.edge import (
    file_encoding,
    is_standard_output,
    load_for_command,
    refuse_swapped_file,
    run_command,
    say,
    stdout_console,
)
from attncli.cli.inputs import (
    blank_lines_hint,
    check_inputs,
    note_when_nothing_read,
    record_source,
    refuse_writing_over_input,
)
from attncli.cli.options import (
    BatchOption,
    CheckpointArg,
    DebugOption,
    DeviceOption,
    EncodingOption,
    FileOption,
    FileTextColumnOption,
    InputDelimiterOption,
    JsonOption,
    PredictFallbackOption,
    QuietOption,
    ThreadsOption,
    ThresholdOption,
    WholeFileOption,
    checked_delimiter,
    given_path,
)
from attncli.errors import AttnError, ConfigError
from attncli.streams import in_utf8

if TYPE_CHECKING:
    from attncli.model_config import ModelConfig
    from attncli.prediction import PredictionStats

# The labels a result lists where --top-k is not given.
DEFAULT_TOP_K = 3


def predict(
    checkpoint: CheckpointArg,
    texts: Annotated[
        list[str] | None,
        typer.Argument(
            help="Texts to label; '-' or none reads lines from standard input.",
            metavar="TEXT",
            show_default=False,
        ),
    ] = None,
    file: FileOption = None,
    text_column: FileTextColumnOption = None,
    whole_file: WholeFileOption = False,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="table, jsonl, json (one array), csv, tsv or parquet (to a file) (default: from --output's "
            "suffix, else table).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write results to this file (it appears once complete); - is standard output.",
            show_default=False,
            parser=given_path,
        ),
    ] = None,
    top_k: Annotated[
        int | None,
        typer.Option(
            "--top-k", min=1, show_default=False, help="How many labels to list per text. [default: 3]"
        ),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            show_default=False,
            help="Give no label where the best label's probability is below this (0 to 1); such a "
            "result keeps its score and says why.",
        ),
    ] = None,
    thresholds: ThresholdOption = None,
    fallback: PredictFallbackOption = None,
    encoding: EncodingOption = None,
    delimiter: InputDelimiterOption = None,
    byte_order_mark: Annotated[
        bool,
        typer.Option(
            "--bom",
            help="Open csv or tsv output with a UTF-8 byte-order mark, so that Excel reads its Chinese, "
            "Arabic or accents (it reads UTF-8 without one in the system's code page); given by default "
            "where the input came from Windows tools.",
        ),
    ] = False,
    as_json: JsonOption = False,
    batch_size: BatchOption = 64,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Label texts: one result per input line or row, in order, numbered from 0."""
    output = None if is_standard_output(output) else output  # `-o -`: standard output, as --file -
    top_k_given, top_k = top_k is not None, top_k or DEFAULT_TOP_K  # given: said where it does nothing

    def action() -> None:
        from attncli.atomic_files import atomic_output, check_output_file
        from attncli.joined_columns import parts_of
        from attncli.output import choose_format
        from attncli.prediction import PredictionStats, predict_stream, require_min_score
        from attncli.prediction_writers import CsvWriter, JsonArrayWriter, JsonLinesWriter, ParquetWriter
        from attncli.progress import counted_chunks
        from attncli.thresholds import (
            parse_threshold_options,
            refuse_two_decisions,
            require_fallback_label,
            resolve_fallback,
            resolve_thresholds,
        )

        check_output_file(output)
        chosen = choose_format(output_format, as_json=as_json, output=output, reading=file)
        if byte_order_mark and chosen not in ("csv", "tsv"):
            raise ConfigError(
                f"--bom opens csv or tsv output for Excel, and this output is {chosen}; drop --bom, or "
                "pass --format csv"
            )
        require_min_score(min_score)  # before the model loads
        refuse_swapped_file(checkpoint, file, command="predict")
        check_inputs(texts or [], file, text_column, delimiter, encoding or "utf-8", whole_file)
        refuse_writing_over_input(output, "--output", texts or [], file)
        decided_by = parse_threshold_options(thresholds or [])  # before the model loads
        refuse_two_decisions(decided_by, min_score)
        if fallback is not None:
            require_fallback_label(fallback)  # before the model loads
        loaded = load_for_command(checkpoint, device, command="predict", others=texts or [])
        resolve_thresholds(decided_by, loaded.label_names)  # before any input is read
        given = resolve_fallback(fallback, loaded.label_names)
        fallback_label = None if given is None else loaded.label_names[given]  # as the model writes it
        source = record_source(
            texts or [], file, encoding=file_encoding(loaded, file, encoding),
            text_column=text_column,
            trained_column=loaded.config.data.text_column, delimiter=checked_delimiter(delimiter),
            trained_encoding=loaded.config.data.encoding, whole_file=whole_file,
        )  # fmt: skip
        stats = PredictionStats()
        # A file of results this run replaces: replaced by none, a job whose input came empty (cron's
        # /dev/null) lost yesterday's results with exit 0 and a note (a container trial).
        replacing = output is not None and _holds_results(output, chosen)
        counted = counted_chunks(source.chunks, streaming=source.streaming, count=source.count)
        chunks = predict_stream(
            loaded, counted, top_k=top_k, batch_size=batch_size, stats=stats, min_score=min_score,
            thresholds=decided_by, fallback=fallback,
        )  # fmt: skip
        renamed = None  # where a csv or parquet output's predicted labels went, if not to `label`
        with atomic_output(output) as stream:
            if chosen == "jsonl":
                json_writer = JsonLinesWriter(stream, text_column=source.text_column)
                for predictions in chunks:
                    json_writer.write(predictions)
            elif chosen == "json":
                array_writer = JsonArrayWriter(stream, text_column=source.text_column)
                try:
                    for predictions in chunks:
                        array_writer.write(predictions)
                except (AttnError, KeyboardInterrupt, SystemExit):
                    # An input that fails halfway, Ctrl-C, SIGTERM or SIGHUP still leave standard
                    # output one array (a file is not written at all); one that fails before any
                    # result, nothing, as the other formats do.
                    if output is None and array_writer.started:
                        array_writer.close()
                    raise
                array_writer.close()
            elif chosen == "parquet":
                parquet_writer = ParquetWriter(
                    stream, input_columns=source.columns, label_names=loaded.label_names,
                    top_k=top_k if top_k_given else 0, label_column=loaded.config.data.label_column,
                    text_columns=parts_of(source.text_column) if source.text_column else (),
                )  # fmt: skip
                for predictions in chunks:
                    parquet_writer.write(predictions)
                parquet_writer.finish()
                renamed = parquet_writer.renamed_label_note()
            elif chosen in ("csv", "tsv"):
                # A csv file keeps the delimiter of the csv it came from (`;` in many Excel locales);
                # standard output, read by scripts, stays comma-separated.
                kept = source.delimiter if output is not None else None
                separator = "\t" if chosen == "tsv" else (kept or ",")
                with in_utf8(stream) as utf8:  # data, whatever the terminal's encoding
                    csv_writer = CsvWriter(
                        utf8, input_columns=source.columns, label_names=loaded.label_names,
                        delimiter=separator,
                        # Asked for, or to a file where the input came with one.
                        byte_order_mark=byte_order_mark or (source.byte_order_mark and output is not None),
                        on_terminal=writes_to_terminal(stream),  # standard output, or -o /dev/tty
                        written_columns=source.written_columns,
                        top_k=top_k if top_k_given else 0,  # else the columns stay as they were
                        label_column=loaded.config.data.label_column,
                        text_columns=parts_of(source.text_column) if source.text_column else (),
                    )  # fmt: skip
                    for predictions in chunks:
                        csv_writer.write(predictions)
                    csv_writer.finish()
                    renamed = csv_writer.renamed_label_note()
            else:
                _print_prediction_table(
                    chunks, loaded.label_names, top_k=top_k, stream=stream, top_k_given=top_k_given
                )
        if replacing and stats.records == 0:
            say(f"warning: {source.name} held no texts, so {output}, which held results, now holds none")
        else:
            note_when_nothing_read(source, records=stats.records, verb="predict")
        if renamed is not None and stats.records:  # said once the rows are written, of rows written
            say(renamed)
        _report_prediction_stats(
            stats, model=loaded.config.model, fallback=fallback_label,
            hint=blank_lines_hint(source, whole_file=whole_file), column=source.text_column,
            sized_to_documents="model.max_length" in ((loaded.metrics or {}).get("sized") or {}),
        )  # fmt: skip
        if output is not None:
            say(f"wrote {stats.records:,} result{'s' * (stats.records != 1)} to {output}")

    run_command(action, debug=debug, threads=threads, quiet=quiet)


def _print_prediction_table(
    chunks, label_names: list[str], *, top_k: int, stream, top_k_given: bool = False
) -> None:
    from attncli.render import prediction_layout, render_prediction_header, render_prediction_row

    console = stdout_console(file=stream, soft_wrap=True)
    # Texts are cut to the terminal's width; piped into a file or a pager, they are kept whole.
    width = console.width if console.is_terminal else 1 << 20
    layout = prediction_layout(label_names, top_k=top_k, width=width)
    if top_k_given and top_k > 1 and len(label_names) > 1 and not layout.others_width:
        # A cataloguer's --top-k 5 on an 80-column terminal showed no next label, and nothing said so.
        say(
            f"note: the terminal's {width} columns leave no room for the next labels (--top-k {top_k}); "
            "widen it, or pass --json or -o FILE.csv for every one"
        )
    # The header comes with the first results, so an input refused as it is first read (binary, in
    # another encoding) leaves standard output empty, not a header over an error.
    headed = False
    for predictions in chunks:
        if not headed:
            console.print(render_prediction_header(layout))
            headed = True
        for prediction in predictions:
            console.print(render_prediction_row(prediction, layout))
        stream.flush()
    if not headed:  # no input at all: the empty table
        console.print(render_prediction_header(layout))


def _report_prediction_stats(
    stats: PredictionStats,
    *,
    model: ModelConfig,
    fallback: str | None = None,
    hint: str = "",
    column: str | None = None,
    sized_to_documents: bool = False,
) -> None:
    """A closing note on standard error (standard output stays results only); `hint`: what to do
    about records with no text; `column`: the text column records were read by, named where some had
    no text in it (a teacher's 179 ungraded answers had none in the comment column training chose);
    `sized_to_documents`: whether max_length was sized to the training texts, so that a long one says
    they were documents."""
    if (note := stats.truncation_note(model.length, model.truncation)) is not None:
        say(note)
    if stats.without_label:
        got = f"label {fallback!r} (--fallback)" if fallback is not None else "no label"
        # A submission needs a label on every row: its 0/1 column read back as floats with gaps (a
        # student's trial found --fallback by searching the README).
        given = "" if fallback is not None else " (--fallback LABEL gives them one)"
        from attncli.joined_columns import columns_named

        read = f" in {columns_named(column)}" if column is not None else ""
        empty = f"{stats.without_label:,} of {stats.records:,} records had no text{read} to read"
        say(f"note: {empty} and got {got}{given}{hint}")
    elif hint and sized_to_documents and _short_lines(stats, model.length):
        # A contract copied without blank lines, given to a model of whole documents, got a label a
        # line (530 of them), with no word of --whole-file (a legal analyst's trial).
        mean = stats.tokens / stats.records
        say(
            f"note: each of the {stats.records:,} lines was read as a text ({mean:.0f} tokens on average, "
            f"where the model reads up to {model.length}){hint}"
        )
    if (warning := stats.missing_marker_note()) is not None:
        say(warning)
    if (warning := stats.unknown_note(warned_only=True)) is not None:
        say(warning)
    if stats.below_min_score:
        got = (
            f"label {fallback!r} (--fallback; their probabilities are kept)"
            if fallback is not None
            else "no label (their score and probabilities are kept)"
        )
        below = f"{stats.below_min_score:,} of {stats.records:,} records"
        say(f"note: {below} scored below --min-score and got {got}")


# A model whose max_length was sized to this many tokens or more was trained on documents (the rule
# gives room for 99% of the training texts); lines this many times shorter on average may be a
# document's lines. A max_length the user gave says nothing of the texts.
DOCUMENT_LENGTH, SHORTER_LINES = 256, 8


def _short_lines(stats: PredictionStats, max_length: int) -> bool:
    """Whether plain text's lines, three or more, are far shorter than the documents the model reads."""
    return (
        stats.records >= 3
        and max_length >= DOCUMENT_LENGTH
        and stats.tokens * SHORTER_LINES <= max_length * stats.records
    )


def _holds_results(path: Path, output_format: str) -> bool:
    """Whether the file at `path` holds results of `output_format` (past a csv's or a table's header
    line; an empty JSON array is none), judged from its start; a device (/dev/tty) is not read."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as file:
            start = file.read(1 << 16)
    except OSError:  # not a file, or not readable: nothing said of it
        return False
    if output_format == "json":
        return start.strip() not in (b"", b"[]")
    if output_format == "parquet":
        return _parquet_rows(path) > 0
    lines = [line for line in start.splitlines() if line.strip()]
    return len(lines) >= (1 if output_format == "jsonl" else 2)


def _parquet_rows(path: Path) -> int:
    """The rows of a parquet file, none where it is no parquet file that reads."""
    import pyarrow.parquet as parquet  # type: ignore[import-untyped]

    try:
        return int(parquet.ParquetFile(path).metadata.num_rows)
    except Exception:  # pyarrow's own errors for a file that is not parquet
        return 0


def writes_to_terminal(stream: IO[str]) -> bool:
    """Whether `stream` is a terminal (a stream without a descriptor, as tests give, is not)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
