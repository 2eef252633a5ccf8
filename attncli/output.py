"""Where `attn predict` writes machine-readable results: JSON lines or CSV, to standard output or to
a file that appears only once it is complete (written beside its final name, then renamed)."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import math
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from attncli.column_detection import detected_label_column
from attncli.errors import DISK_FULL, DataError, unusable_path, why_unwritten
from attncli.prediction import Prediction
from attncli.signals import handled
from attncli.streams import writes_unicode
from attncli.textfiles import DECOMPRESS
from attncli.tokenizer import LONE_SURROGATE, readable_text

FORMATS = ("table", "jsonl", "json", "csv", "tsv")
# A .json file is read whole by most tools (json.load, pandas.read_json): it gets one JSON array.
SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "json", ".ndjson": "jsonl"}
# Data formats read as input but not written: a csv or jsonl written under such a name would be
# taken for one by the next tool to open it.
UNWRITTEN_SUFFIXES = (".parquet", ".arrow", ".xlsx", ".xls")


def choose_format(requested: str | None, *, as_json: bool, output: Path | None) -> str:
    """--format (in any case: CSV is csv), else --json, else the output file's suffix, else a table."""
    requested = requested.lower() if requested is not None else None
    if requested is not None and requested not in FORMATS:
        raise DataError(f"--format must be one of {', '.join(FORMATS)}, not {requested!r}")
    if output is not None and output.suffix.lower() in UNWRITTEN_SUFFIXES:  # whatever the format asked
        raise DataError(
            f"attn predict does not write {output.suffix} files; write a csv or jsonl file "
            f"(-o {output.with_suffix('.csv')}), and convert that"
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
                f"cannot tell the format of {output} from its suffix (.jsonl, .ndjson, .json, .csv or "
                ".tsv); pass --format table, jsonl, json, csv or tsv"
            )
        return chosen
    return "table"


def check_output_file(
    path: Path | None, option: str = "--output", *, replaces: tuple[str, ...] | None = None
) -> None:
    """Refuse, before any work is done, a path that cannot become the file `option` writes, one
    inside a checkpoint, and, where `replaces` names suffixes, an existing file with another suffix
    (`--html notes.txt`: a slip that would replace the notes with a heatmap)."""
    from attncli.checkpoint_folder import CONFIG_FILE, WEIGHTS_FILE

    if path is None:
        return
    if path.suffix.lower() in DECOMPRESS:  # the bytes would be plain text under a compressed name
        raise DataError(
            f"{option} {path.name}: attn writes files uncompressed; pass {path.with_suffix('').name} and "
            "compress it once written"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if (folder / CONFIG_FILE).is_file() and (folder / WEIGHTS_FILE).is_file():
        # Its files are checked against config.json's checksums, and training replaces it whole.
        raise DataError(f"{option} {path} is inside the checkpoint {folder}; write it to another folder")
    if replaces and path.is_file() and path.suffix.lower() not in replaces:
        raise DataError(
            f"{option} {path} exists and is not a {' or '.join(replaces)} file; pass a new file name, "
            f"or an existing {replaces[0]} file to replace"
        )
    if (why := unusable_path(path)) is not None:
        raise DataError(f"cannot write {option} {path} ({why}); pass another {option}")
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder} is a file, not a folder; pass another {option}")
    if not folder.is_dir():
        raise DataError(f"folder {folder} does not exist; create it or pass another {option}")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass {option} the name of a file, such as one inside it")
    if _is_device_path(path) and not path.exists():
        raise DataError(
            f"{path} does not exist, and nothing new can be made under /dev or /proc; pass another {option}"
        )


def _termination_raises() -> contextlib.AbstractContextManager[None]:
    """SIGTERM and SIGHUP raise SystemExit (exit status 128 + the signal) in the block, as Ctrl-C
    raises KeyboardInterrupt, so cleanups run; the handlers before are put back after it."""

    def terminate(number: int, frame: Any) -> None:
        raise SystemExit(128 + number)

    return handled((signal.SIGTERM, signal.SIGHUP), terminate)


def _is_device_path(path: Path) -> bool:
    return str(path.absolute()).startswith(("/dev/", "/proc/"))


def _regular_file_to_replace(path: Path) -> Path | None:
    """The regular file that `path` names, through any symbolic links (to be replaced whole), or
    None for a pipe, a terminal or a device such as /dev/stdout, which are written into as they are."""
    if _is_device_path(path):
        return None  # /dev/stdout, /dev/fd/N: the open file behind them, whatever it is, not replaced
    try:
        mode = path.stat().st_mode  # follows links
    except FileNotFoundError:
        return Path(os.path.realpath(path))  # a new file (where a dangling link points, if one)
    return Path(os.path.realpath(path)) if stat.S_ISREG(mode) else None


@contextlib.contextmanager
def atomic_output(path: Path | None, option: str | None = "--output") -> Iterator[IO[str]]:
    """Standard output, or a text stream to `path` that replaces it only when the block succeeds;
    on any failure (Ctrl-C, SIGTERM and SIGHUP included) the file is left as it was and nothing
    half-written remains. A symbolic link is followed: its target is replaced, the link kept. A pipe
    or a device (`/dev/stdout`, `/dev/null`, a shell's `>(...)`) is written into directly."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    check_output_file(path, option or "--output")
    target = _regular_file_to_replace(path)
    if target is None:
        try:
            # Appended, not truncated: /dev/stdout may be a file the shell opened for appending (>>).
            with open(path, "a", encoding="utf-8", newline="") as stream:
                yield stream
        except OSError as error:
            if error.errno in WRITE_FAILURES:
                raise _write_failed(path, error, option) from error
            raise
        return
    with _termination_raises():
        yield from _replaced(target, option)


def _replaced(path: Path, option: str | None) -> Iterator[IO[str]]:
    """A text stream to a temporary file beside `path`, renamed over it once the caller's block is done."""
    folder = path.parent if str(path.parent) else Path(".")
    stem = _partial_stem(path.name)
    _remove_orphaned_partials(folder, stem)
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{stem}.{os.getpid()}.", suffix=".partial", dir=folder
        )
    except OSError as error:
        raise _write_failed(path, error, option) from error
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path, temporary))  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.errno in WRITE_FAILURES:
            raise _write_failed(path, error, option) from error
        raise


def _partial_stem(name: str) -> str:
    """`name` as the temporary file beside it starts: whole, or, where the temporary name would pass
    the file system's 255 bytes, its first 100 characters and a digest of the rest."""
    if len(name.encode()) <= 200:
        return name
    return f"{name[:100]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def _remove_orphaned_partials(folder: Path, name: str) -> None:
    """Remove the temporary files that earlier writes of `name` left when their process was killed
    (SIGKILL leaves no time to clean up): those whose writing process is gone. A write still going
    on in another process keeps its own; this machine's processes only are seen, so two machines
    writing one name in a shared folder at once could lose one's partial file (and its write)."""
    for partial in folder.glob(f".{glob.escape(name)}.*.partial"):
        writer = partial.name[len(name) + 2 :].split(".", 1)[0]
        if writer.isdigit() and not _alive(int(writer)):
            with contextlib.suppress(OSError):
                partial.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _mode_for(path: Path, temporary: str) -> int:
    """The permissions of the file `path` replaces, whose owner and group its replacement also gets
    where it can (a private file stays private); for a new file, what the umask gives."""
    try:
        old = os.stat(path)
    except FileNotFoundError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask
    with contextlib.suppress(OSError):
        os.chown(temporary, old.st_uid, old.st_gid)
    return stat.S_IMODE(old.st_mode)


# What a full disk, a quota, a read-only or forbidden folder raise while writing.
WRITE_FAILURES = (*DISK_FULL, errno.EROFS, errno.EACCES, errno.EPERM)


def _write_failed(path: Path, error: OSError, option: str | None) -> DataError:
    """`option`: the command-line option that named `path`, offered as the way out (None: none)."""
    reason, remedy = why_unwritten(error, path.parent)
    kept = f"{path} is left as it was" if path.exists() else "no partial file was left"
    other = f", or pass another {option}" if option else ""
    return DataError(f"could not write {path} ({reason}); {kept}; {remedy}{other}")


class JsonLinesWriter:
    """One JSON object per prediction, flushed as it is written (for pipelines)."""

    def __init__(self, stream: IO[str], *, text_column: str | None = None) -> None:
        self.stream, self.text_column, self.escaped = stream, text_column, not writes_unicode(stream)

    def write(self, predictions: Sequence[Prediction]) -> None:
        for prediction in predictions:
            self.stream.write(_json_text(prediction, self.text_column, self.escaped) + "\n")
        self.stream.flush()


class JsonArrayWriter:
    """One JSON array of the objects JsonLinesWriter writes, one per line; `close` ends the array."""

    def __init__(self, stream: IO[str], *, text_column: str | None = None) -> None:
        self.stream, self.text_column, self.separator = stream, text_column, "[\n"
        self.escaped = not writes_unicode(stream)

    def write(self, predictions: Sequence[Prediction]) -> None:
        for prediction in predictions:
            self.stream.write(self.separator + _json_text(prediction, self.text_column, self.escaped))
            self.separator = ",\n"
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("[]\n" if self.separator == "[\n" else "\n]\n")
        self.stream.flush()


def _json_text(prediction: Prediction, text_column: str | None, escaped: bool) -> str:
    """One prediction as a JSON object on one line; `escaped` escapes every other character, for a
    stream whose encoding could not hold them."""
    row = prediction.to_json(text_column=text_column)
    try:  # the common case at once; only a row JSON cannot hold as it is goes through json_safe
        text = json.dumps(row, ensure_ascii=False, allow_nan=False, default=as_text)
        clean = LONE_SURROGATE.search(text) is None
    except ValueError:  # NaN or an infinity
        clean = False
    if clean and not escaped:
        return text
    return json.dumps(
        row if clean else json_safe(row), ensure_ascii=escaped, allow_nan=False, default=as_text
    )


def as_text(value: Any) -> str:
    """A carried-through value JSON has no type for (a date, bytes): its ISO form or its text."""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    return str(value)


def json_safe(value: Any) -> Any:
    """NaN and infinities (from a parquet column, say) as null: JSON has no spelling for them; a
    lone surrogate (from a JSON "\\ud800" escape) as U+FFFD, which UTF-8 can hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return readable_text(value)
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return readable_text(json.dumps(value, ensure_ascii=False))
    return readable_text(str(value))


# What attn predict adds to a JSON row (which keeps the input's own columns under "fields").
JSON_ADDED = ("label", "score", "top_k", "truncated_tokens", "reason")


def predicted_columns(
    columns: Sequence[str], label_names: Sequence[str], paths: Sequence[str] = ()
) -> tuple[str, ...]:
    """The columns attn predict added to a table that is its output (a JSON row's keys, or CsvWriter's
    label, score and probability columns), or none where the table is not such an output. `paths`
    are the dotted paths into records: an output of predict run on an output of predict holds the
    first one's row under "fields", whose label is a prediction too (JSON's or the csv's), and so
    on down."""
    names, found, prefix = set(columns) | set(paths), [], ""
    level = list(columns)
    while True:
        found += [prefix + column for column in _csv_added(level, label_names)]  # the csv's own first
        if not {f"{prefix}top_k", f"{prefix}truncated_tokens"} <= names:
            return tuple(found)
        found += [
            prefix + name for name in JSON_ADDED if prefix + name in names and prefix + name not in found
        ]
        prefix += "fields."
        level = [path.removeprefix(prefix) for path in paths if path.startswith(prefix)]


def _csv_added(columns: Sequence[str], label_names: Sequence[str]) -> tuple[str, ...]:
    """CsvWriter's label, score, probability and reason columns, where `columns` has them."""
    probabilities = [f"prob_{label}" for label in label_names]
    for start in range(2, len(columns) - len(probabilities) + 1):
        names = columns[start : start + len(probabilities)]
        if all(_added_as(name, wanted) for name, wanted in zip(names, probabilities, strict=True)) and (
            _added_as(columns[start - 1], "score") and _added_as(columns[start - 2], "label")
        ):
            end = start + len(probabilities)
            end += end < len(columns) and _added_as(columns[end], "reason")
            return tuple(columns[start - 2 : end])
    return ()


def _added_as(column: str, name: str) -> bool:
    """Whether `column` is CsvWriter's name for its column `name` (name, attn_name, attn_name_2, ...)."""
    prefix = f"attn_{name}"
    return column in (name, prefix) or (
        column.startswith(f"{prefix}_") and column[len(prefix) + 1 :].isdigit()
    )


class CsvWriter:
    """The input's columns (for plain text: index and text), then `label`, `score`, one
    `prob_<label>` column per label and `reason` (why a row has no label: no text, an empty one).
    A name that clashes with an input column (ignoring case, as spreadsheets and SQL do) is prefixed
    `attn_`, and numbered as well (`attn_label_2`) while that too is taken, so every column has its
    own name. So is `label` wherever the input has a column eval could take for true labels
    (`category`, `sentiment_label`; also `label_count`, to be safe): an evaluation by a model whose
    labels the output's `prob_` columns do not name would take a `label` column for them."""

    def __init__(
        self,
        stream: IO[str],
        *,
        input_columns: Sequence[str],
        label_names: Sequence[str],
        delimiter: str = ",",
        byte_order_mark: bool = False,
    ) -> None:
        self.input_columns = list(input_columns) or ["index", "text"]
        added = ["label", "score", *(f"prob_{label}" for label in label_names), "reason"]
        taken = {column.strip().lower() for column in self.input_columns}
        if detected_label_column(self.input_columns) is not None:
            taken.add("label")
        self.added = []
        for name in added:  # compared as the input's names are: ignoring case and edge spaces
            free = name if name.strip().lower() not in taken else f"attn_{name}"
            number = 2
            while free.strip().lower() in taken:
                free, number = f"attn_{name}_{number}", number + 1
            taken.add(free.strip().lower())
            self.added.append(free)
        self.stream, self.plain, self.delimiter = stream, not input_columns, delimiter
        if byte_order_mark:
            stream.write("\ufeff")
        self._write_row([_cell(name) for name in [*self.input_columns, *self.added]])

    def write(self, predictions: Sequence[Prediction]) -> None:
        for prediction in predictions:
            row = {"index": prediction.index, "text": prediction.text} if self.plain else prediction.fields
            values = [_cell(row.get(column)) for column in self.input_columns]
            scores = [_cell(prediction.label), _cell(prediction.score)]
            probabilities = [_cell(p) for p in prediction.probabilities] or [""] * (len(self.added) - 3)
            self._write_row([*values, *scores, *probabilities, _cell(prediction.reason)])
        self.stream.flush()

    def _write_row(self, cells: Sequence[str]) -> None:
        # Python's csv module quotes a field holding "\n" but not one holding a lone "\r" (with
        # "\n" as the line end), which every csv reader, its own included, takes for a line break.
        special = (self.delimiter, '"', "\n", "\r")
        quoted = (
            '"' + cell.replace('"', '""') + '"' if any(mark in cell for mark in special) else cell
            for cell in cells
        )
        self.stream.write(self.delimiter.join(quoted) + "\n")
