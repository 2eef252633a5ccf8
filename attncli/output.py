"""Which format `attn predict` writes its results in: --format (table, jsonl, json, csv, tsv or
parquet), else --json, else the output file's suffix, else a table; the suffix of a data format it only
reads is refused, and parquet, a binary file, on standard output."""

from __future__ import annotations

import shlex
from pathlib import Path

from attncli.errors import DataError

FORMATS = ("table", "jsonl", "json", "csv", "tsv", "parquet")
# A .json file is read whole by most tools (json.load, pandas.read_json): it gets one JSON array.
SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "json", ".ndjson": "jsonl"}
SUFFIX_FORMATS |= {".jl": "jsonl"}
SUFFIX_FORMATS[".parquet"] = "parquet"  # a data lake's: the input's types kept (a trial)
# Data formats read as input but not written: a csv or jsonl written under such a name would be
# taken for one by the next tool to open it.
UNWRITTEN_SUFFIXES = (".arrow", ".feather", ".xlsx", ".xls")


def choose_format(
    requested: str | None, *, as_json: bool, output: Path | None, reading: Path | None = None
) -> str:
    """--format (in any case: CSV is csv), else --json, else the output file's suffix, else a table.
    `reading`: the --file read, which a name suggested for the output must not be."""
    chosen = _chosen_format(requested, as_json=as_json, output=output, reading=reading)
    if chosen == "parquet" and output is None:
        raise DataError(
            "--format parquet writes a binary file; pass --output FILE.parquet (standard output takes "
            "jsonl, json, csv or tsv)"
        )
    return chosen


def _chosen_format(requested: str | None, *, as_json: bool, output: Path | None, reading: Path | None) -> str:
    requested = requested.lower() if requested is not None else None
    if requested is not None and requested not in FORMATS:
        raise DataError(f"--format must be one of {', '.join(FORMATS)}, not {requested!r}")
    if output is not None and output.suffix.lower() in UNWRITTEN_SUFFIXES:  # whatever the format asked
        suggested = output.with_suffix(".csv")
        if reading is not None and suggested.absolute() == reading.absolute():
            # Not the file being read (`-f today.csv -o today.xlsx` was told `-o today.csv`: a trial).
            suggested = output.with_name(f"{output.stem}-predictions.csv")
        raise DataError(
            f"attn predict does not write {output.suffix} files; write a csv or jsonl file "
            f"(-o {shlex.quote(str(suggested))}), and convert that"
        )
    if as_json:
        if requested not in (None, "jsonl"):
            raise DataError(f"--json means --format jsonl; drop one of --json and --format {requested}")
        if output is not None and SUFFIX_FORMATS.get(output.suffix.lower(), "jsonl") != "jsonl":
            array = " (a .json file gets one JSON array)" if output.suffix.lower() == ".json" else ""
            raise DataError(
                f"--json writes JSON lines, not into {output.name}; drop --json{array} or rename it"
            )
        return "jsonl"
    if requested is not None:
        said = SUFFIX_FORMATS.get(output.suffix.lower()) if output is not None else None
        if requested == "csv" and said == "tsv":
            return "tsv"  # a tab-separated csv, as the name asks (and as spreadsheets call it)
        if output is not None and said is not None and said != requested:
            raise DataError(
                f"--format {requested} does not write the {said} that the name {output.name} promises; "
                f"drop --format (the suffix chooses {said}), or give the file a name that fits"
            )
        return requested
    if output is not None:
        chosen = SUFFIX_FORMATS.get(output.suffix.lower())
        if chosen is None:
            raise DataError(
                f"cannot tell the format of {output} from its suffix (.jsonl, .ndjson, .json, .csv, .tsv "
                "or .parquet); pass --format table, jsonl, json, csv, tsv or parquet"
            )
        return chosen
    return "table"
