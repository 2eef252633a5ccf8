"""`attn eval`: a checkpoint's metrics on labelled data, as a report or one JSON object."""

from __future__ import annotations

from typing import Annotated

import typer

from attncli.cli.edge import load_for_command, print_json, run_command, say_note, stdout_console
from attncli.cli.options import (
    BatchOption,
    CheckpointArg,
    DataEncodingOption,
    DebugOption,
    DelimiterOption,
    DeviceOption,
    FallbackOption,
    JsonReportOption,
    LabelColumnOption,
    QuietOption,
    TextColumnOption,
    ThreadsOption,
    ThresholdOption,
    checked_delimiter,
    given_source,
)
from attncli.errors import DataError


def evaluate(
    checkpoint: CheckpointArg,
    data: Annotated[
        str | None,
        typer.Argument(
            help="Data to evaluate on (default: the training data's test split, else its validation split, "
            "unless the run's refit trained on it). "
            "A single file, or one folder per label of text files, is evaluated whole.",
            metavar="DATA",
            show_default=False,
            parser=given_source,
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="Split of a folder or Hub dataset to evaluate: train, validation (or dev, valid, val), "
            "test, or a split its files or shards name (test_matched) (default: test, else validation). "
            "Where training carved its validation rows out of train, train and validation mean those two "
            "parts."
        ),
    ] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    errors: Annotated[
        int, typer.Option("--errors", min=0, metavar="N", help="List the N most confident mistakes.")
    ] = 0,
    encoding: DataEncodingOption = None,
    delimiter: DelimiterOption = None,
    ignore_unknown_labels: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown-labels",
            help="Drop rows whose label the model never saw (and say how many) instead of stopping.",
        ),
    ] = False,
    drop_invalid: Annotated[
        bool,
        typer.Option(
            "--drop-invalid",
            help="Leave out rows with no text or no label (and say how many) instead of stopping "
            "(default: as the run was trained, data.drop_invalid).",
        ),
    ] = False,
    thresholds: ThresholdOption = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            show_default=False,
            help="Score predict's --min-score (0 to 1): how many rows reach it and how often their label "
            "is right (predict gives the rest no label); with --fallback, that label is scored below it.",
        ),
    ] = None,
    fallback: FallbackOption = None,
    top_k: Annotated[
        int | None,
        typer.Option(
            "--top-k",
            min=1,
            metavar="K",
            show_default=False,
            help="Also report top-K accuracy: the share of rows whose label is among the K most probable "
            "(fastText's R@K; its P@K is that over K).",
        ),
    ] = None,
    as_json: JsonReportOption = False,
    batch_size: BatchOption = 64,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Report accuracy, macro- and weighted-F1, per-class scores, the confusion matrix and calibration."""

    def action() -> None:
        from attncli.config import DataConfig
        from attncli.evaluation import evaluate as run_evaluation
        from attncli.prediction import require_min_score
        from attncli.progress import rows_progress
        from attncli.sources import require_data_source
        from attncli.thresholds import parse_threshold_options, require_scored_fallback

        if data == "-":
            raise DataError(
                "attn eval reads DATA from a file, a folder or a Hub dataset, not standard input; save the "
                "labelled rows to a file (csv, jsonl, ...) and pass it"
            )
        require_data_source(data)  # a mistyped DATA is said at once, not after loading the model
        if encoding is not None:
            DataConfig(encoding=encoding)  # refused as training refuses it, before the model loads
        decided_by = parse_threshold_options(thresholds or [])  # before the model loads
        require_min_score(min_score)
        require_scored_fallback(min_score, fallback, decided_by)
        loaded = load_for_command(checkpoint, device, command="eval", others=[data] if data else [])
        with rows_progress() as on_batch:
            result = run_evaluation(
                loaded,
                data,
                split=split,
                text_column=text_column,
                label_column=label_column,
                batch_size=batch_size,
                errors=errors,
                ignore_unknown_labels=ignore_unknown_labels,
                encoding=encoding,
                delimiter=checked_delimiter(delimiter),
                drop_invalid=drop_invalid,
                on_batch=on_batch,
                thresholds=decided_by,
                top_k=top_k,
                min_score=min_score,
                fallback=fallback,
            )
        if as_json:
            for note in result.notes:  # the table shows them; beside JSON they go to stderr, marked
                say_note(note)
            print_json([result.to_json()])
        else:
            from attncli.render import render_eval
            from attncli.render.consoles import width_asked

            console = stdout_console(unwrapped_when_piped=True)
            shades = None if console.no_color else console.color_system
            # Piped with COLUMNS set, the console wraps at that width: the matrix must fit it too
            # (it was drawn for a report's width, then wrapped into unreadable cells).
            piped = not console.is_terminal and not width_asked()
            console.print(render_eval(result, width=console.width, piped=piped, color_system=shades))

    run_command(action, debug=debug, threads=threads, quiet=quiet)
