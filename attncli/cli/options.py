"""The options and arguments the commands share, and the defaults train's --help shows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from attncli.config import DEVICES


def setting_default(key: str) -> str:
    """The default of a config setting, for train's --help (its options default to the config)."""
    from attncli.config import Config

    # Read from the dataclass fields: building a ModelConfig would import torch (its registry).
    section, name = key.split(".")
    section_class = {item.name: item.default_factory for item in dataclasses.fields(Config)}[section]
    default = {item.name: item.default for item in dataclasses.fields(section_class)}[name]  # type: ignore[arg-type]
    return "sized to the data" if default is None else str(default)


def complete_from(values: tuple[str, ...]) -> Callable[[str], list[str]]:
    """Shell completion of an option's usual values (others, such as cuda:1, are still accepted)."""
    return lambda incomplete: [value for value in values if value.startswith(incomplete)]


def not_empty(value: str, remedy: str) -> str:
    """`value` as given, refused where empty or blank (an unset shell variable): as a path it is the
    current folder, where predict used whatever run was there and train wrote its run."""
    if not value.strip():
        raise typer.BadParameter(f"is empty (an unset shell variable?); {remedy}")
    return value


def given_path(value: str) -> Path:
    """A path argument or option as given, refused where empty."""
    return Path(not_empty(value, "pass a path"))


def given_source(value: str) -> str:
    """DATA as given, refused where empty (`attn eval RUN "$DATA"` with DATA unset)."""
    return not_empty(value, "pass the data, or leave DATA out")


CheckpointArg = Annotated[
    Path,
    typer.Argument(
        help="Checkpoint folder written by `attn train`.",
        metavar="CHECKPOINT",
        show_default=False,
        parser=given_path,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object per line instead of tables.")]
# eval and info print one report: one object, however many lines it takes.
JsonReportOption = Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")]


ThresholdOption = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        metavar="LABEL=P",
        show_default=False,
        help="Give LABEL wherever its probability reaches P (spam=0.2), else the most probable label "
        "without a threshold; repeat for more labels. predict, eval and inspect decide alike.",
    ),
]


FallbackOption = Annotated[
    str | None,
    typer.Option(
        "--fallback",
        metavar="LABEL",
        show_default=False,
        help="With --min-score: give LABEL (a label of the model, such as an intent set's oos) where the "
        "best label's probability is below it, instead of no label.",
    ),
]
# predict's: its records without a text get no label either, which a submission cannot leave empty.
PredictFallbackOption = Annotated[
    str | None,
    typer.Option(
        "--fallback",
        metavar="LABEL",
        show_default=False,
        help="Give LABEL (a label of the model, such as an intent set's oos) to records that get none: "
        "empty ones, and with --min-score those whose best label's probability is below it.",
    ),
]


DeviceOption = Annotated[
    str,
    typer.Option(
        "--device", help="auto, cpu, cuda (cuda:N for one GPU) or mps.", autocompletion=complete_from(DEVICES)
    ),
]


ThreadsOption = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        metavar="N",
        help="CPU threads to compute with (fastText's -thread).",
        show_default="OMP_NUM_THREADS, else one per core",
    ),
]


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Say only warnings, errors and how a command was stopped on standard error: no notes, "
        "stages or progress (results still go to standard output).",
    ),
]


BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Texts per forward pass.")]


def _detected(value: str | None) -> str | None:
    """A column option given `auto`: found in the data, as `--set data.text_column=auto` is; an empty
    one is refused (`--text-column "$COL"` with COL unset was looked for as a column named '')."""
    if value is not None:
        not_empty(value, "name a column, or leave the option out to find it by its name")
    return None if value == "auto" else value


TextColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column holding the text (detected if not given, or auto); a dotted path (data.text) reaches "
        "nested JSON; several, comma-separated (title,body), are read as one text, a line each.",
        callback=_detected,
    ),
]
LabelColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column of the label (detected if not given, or auto); a dotted path (data.label) reaches "
        "nested JSON.",
        callback=_detected,
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Encoding of --file or standard input (e.g. cp1252, latin-1, utf-16); a file of the model's "
        "training data is read in the encoding training read it in, unless it is UTF-8.",
        show_default="utf-8",
    ),
]
DataEncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Encoding of local csv/tsv/json/jsonl and text files (default utf-8; e.g. cp1252, utf-16); a "
        "folder's text files that are valid UTF-8 are read as UTF-8.",
    ),
]
DelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="Column separator of csv/tsv files, e.g. ';' or '\\t' (default: ',' or tab, or what the "
        "header line shows).",
        show_default=False,
    ),
]
# predict's and inspect's: csv rows may come on standard input too.
InputDelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="Column separator of csv/tsv rows (--file, or standard input that opens with a header), e.g. "
        "';' or '\\t' (default: ',' or tab, or what the header line shows).",
        show_default=False,
    ),
]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show the full traceback of an error (or set ATTN_DEBUG=1).")
]


# predict's and inspect's: their --file may be a data file (training's --text-column is TextColumnOption).
FileTextColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column of --file (or of JSON lines or csv rows on standard input) holding the text (default: "
        "as in training); several, comma-separated (title,body), are joined as training joins them.",
        callback=_detected,
    ),
]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        "-f",
        help=(
            "Texts to read: one per line, a csv/tsv/json/jsonl/parquet/arrow/feather file, a save_to_disk "
            "folder, or a folder of text files, one text each ('-': standard input, one text per line, or "
            "JSON lines where its first line is a JSON object)."
        ),
        show_default=False,
        parser=given_path,
    ),
]


WholeFileOption = Annotated[
    bool,
    typer.Option(
        "--whole-file",
        help="Read --file (or standard input) whole, as one text: an essay or article with blank lines "
        "between its paragraphs. A folder given to --file is read so, a text each file.",
    ),
]


def checked_delimiter(value: str | None) -> str | None:
    """--delimiter checked as data.delimiter is: one character, \\t or tab meaning a tab."""
    from attncli.config import DataConfig

    return DataConfig(delimiter=value).delimiter if value is not None else None
