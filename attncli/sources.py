"""Naming and locating a data source, and reading it into `datasets` splits, untouched: a Hub
dataset, a save_to_disk folder or a folder of split files (data_folders.py), or one file
(data_files.py); a failure names the file and, where it can, the line."""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import os
import re
import shlex
import unicodedata
from pathlib import Path
from typing import Any

from attncli.data_files import load_files, quiet_datasets
from attncli.data_folders import label_layout, load_folder, with_repository_labels
from attncli.errors import ArgumentError, DataError, error_chain
from attncli.local_paths import local_path
from attncli.raw_data import FILE_BUILDERS, RawData, raw_data_of
from attncli.read_errors import error_reason


def names_a_local_path(source: str) -> bool:
    """A name with a data-file suffix, a path prefix, more than two parts (a Hub dataset is `name`
    or `owner/name`) or a first part that is a folder here means a local path, never a Hub dataset:
    a mistyped `data/news` is said to be missing at once, not after half a minute of asking the Hub."""
    if Path(source).suffix.lower() in FILE_BUILDERS or source.startswith((".", "/", "~")):
        return True
    parts = Path(source).parts
    return len(parts) > 2 or (len(parts) == 2 and Path(parts[0]).is_dir())


NO_DATASET = "no dataset given; pass DATA (a file, folder or Hub name) or set data.source"


def require_data_source(source: str | None) -> None:
    """Refuse a local path that does not exist before torch and datasets load (seconds of imports
    for a typo)."""
    if source and _meant_as_a_local_path(source) and not local_path(source).exists():
        raise DataError(f"{missing_path_message(source)}; pass an existing file, folder or Hub dataset name")


def _meant_as_a_local_path(source: str) -> bool:
    """A local path by its form, or a name with a suffix (`tickets.cvs`, a mistyped data file's)
    that looks like a file here: it was asked of the Hub, which took half a minute to say nothing of
    the file meant."""
    if names_a_local_path(source):
        return True
    return (
        len(Path(source).parts) == 1 and bool(Path(source).suffix) and bool(_suggestion(Path.cwd(), source))
    )


def missing_path_message(source: str) -> str:
    """`source does not exist (where it was looked for, and what is there that looks like it)`: the
    deepest folder of the path that exists, from the working folder for a relative path."""
    path = local_path(source)
    if _matches_as_a_pattern(path):
        # 'spark_train/*.parquet', quoted so that no shell expanded it, was "does not exist (spark_train
        # has no *.parquet)", beside three .parquet files.
        return (
            f"{shlex.quote(source)} is a wildcard pattern, which attn does not expand: it reads a file, or a "
            "folder whole (a folder of split files, or of a job's part files)"
        )
    folder, missing = (path if path.is_absolute() else Path.cwd() / path).parent, path.name
    while not folder.is_dir() and folder != folder.parent:
        folder, missing = folder.parent, folder.name
    return f"{source} does not exist ({folder} has no {missing}{_suggestion(folder, missing)})"


# The characters of a shell's wildcard pattern.
WILDCARDS = re.compile(r"[*?[]")


def _matches_as_a_pattern(path: Path) -> bool:
    """Whether `path`, which does not exist, is a wildcard pattern that names files that do (in any of
    its parts: 'exports/*/*.parquet'); a name that merely holds '[' or '?' (data[1].csv) is not."""
    if not WILDCARDS.search(str(path)) or "**" in str(path):  # '**' walks whole trees: not on an error's way
        return False
    anchor, pattern = (
        (Path(path.anchor), path.relative_to(path.anchor)) if path.is_absolute() else (Path.cwd(), path)
    )
    try:
        return any(True for _ in anchor.glob(str(pattern)))
    except (ValueError, OSError, NotImplementedError):
        return False


def _suggestion(folder: Path, missing: str) -> str:
    """`; did you mean NAME?` for the names in `folder` that look like `missing`, or nothing."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if not entry.name.startswith("."))
    except OSError:
        names = []
    # The same name but for case (EV.CSV for ev.csv) first: difflib compares case-sensitively.
    same = [name for name in names if _comparable(name) == _comparable(missing)]
    close = same or difflib.get_close_matches(missing, names, n=3, cutoff=0.7)
    suggestion = f"; did you mean {' or '.join(close)}?" if close else ""
    if any(unicodedata.normalize("NFC", name) == unicodedata.normalize("NFC", missing) for name in same):
        # café.csv typed, café.csv there with its accent as a mark of its own (as macOS names files):
        # the suggestion looked the same as what was typed.
        suggestion = (
            f"; it has {same[0]}, the same name with its accents written as marks of their own (NFD, as "
            "macOS writes names): pass that name, or rename it (convmv -f utf8 -t utf8 --nfc)"
        )
    return suggestion


def _comparable(name: str) -> str:
    """A file name as compared for a suggestion: ignoring case and how accents are written."""
    return unicodedata.normalize("NFC", name).lower()


def same_source(given: str, recorded: str | None) -> bool:
    """Whether `given` names the data recorded as `recorded` (a run's absolute data path, or the
    source as typed where it kept none): the same file or folder by any path (a relative one beside
    the absolute path), else, where no such path exists (a Hub name), the same name."""
    if not recorded:
        return False
    path = local_path(given)
    try:
        if not path.exists():
            return given == recorded
        return path.resolve() == local_path(recorded).resolve()
    except ValueError:  # a name this locale's encoding cannot spell (😀 under latin-1), or a NUL: not here
        return given == recorded


def load_raw(
    source: str,
    *,
    config_name: str | None = None,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    validation: str | None = None,
) -> RawData:
    """Load `source`; local text files are read in `encoding`, csv/tsv with `delimiter` (None: the
    suffix's, or the one the header line shows); `validation`, a file, is its validation split."""
    raw = _load_raw(source, config_name=config_name, encoding=encoding, delimiter=delimiter)
    if validation is None:
        return raw
    if "validation" in raw.splits:
        raise DataError(
            f"{source} has a validation split of its own ({raw.origins['validation'].name}); drop "
            "--validation (from a config file: --set data.validation_file=null), or train on its train file "
            "alone"
        )
    return with_validation_file(raw, source, validation, encoding=encoding, delimiter=delimiter)


def with_validation_file(
    raw: RawData, source: str, validation: str, *, encoding: str, delimiter: str | None
) -> RawData:
    """`raw` with the file `validation` as its validation split, read in the same `encoding` and
    with the same `delimiter` as the data (None: its suffix's, or its header line's). One of the
    data's own split files is refused: its test file as validation rows chose the best epoch, and
    eval then scored it as test."""
    path = local_path(validation)
    if not path.is_file():
        # Label folders' own validation rows are a split folder of theirs (a user's trial).
        folders = (
            "; a folder of label folders gives its validation rows as a validation/ (or dev/) folder of "
            "label folders beside train/ in DATA"
            if label_layout(path) is not None
            else ""
        )
        raise DataError(
            f"--validation {validation} (data.validation_file) is not a file; pass a csv/tsv/json/jsonl/"
            f"parquet/arrow file of validation rows{folders}"
        )
    for origin in raw.origins.values():
        if origin.path is not None and origin.path.resolve() == path.resolve():
            raise DataError(
                f"--validation {validation} is the {origin.split!r} split of {source}; pass a file of "
                "validation rows of its own"
            )
    held = load_files({"validation": [path]}, encoding=encoding, delimiter=delimiter)
    return RawData(
        splits={**raw.splits, **held.splits},
        origins={**raw.origins, **held.origins},
        notes=raw.notes + held.notes,
    )


def _load_raw(
    source: str, *, config_name: str | None = None, encoding: str = "utf-8", delimiter: str | None = None
) -> RawData:
    import datasets

    quiet_datasets()
    path = local_path(source)
    if path.is_dir():
        return load_folder(path, encoding=encoding, delimiter=delimiter, config_name=config_name)
    if path.is_file():
        raw = load_files({"train": [path]}, encoding=encoding, delimiter=delimiter)
        return with_repository_labels(path, raw, config_name)
    require_data_source(source)
    if names_a_local_path(source):  # there, but neither a file nor a folder (a socket, a device)
        raise DataError(f"{source} is neither a file nor a folder; pass a data file or a folder of them")
    try:
        from datasets.packaged_modules import _PACKAGED_DATASETS_MODULES as packaged
    except ImportError:  # a datasets that keeps them elsewhere: its own error then says what it met
        packaged = {}
    if source in packaged:
        # `attn eval R eval` (a folder meant, not there): datasets runs its own 'eval' loader over
        # every file in the working folder, and failed on one of them.
        raise DataError(
            f"{source} is no file or folder here, and no Hub dataset but datasets' own {source!r} loader, "
            "which reads every file in the working folder; pass a path (a file, a folder) or a Hub name "
            "(owner/name)"
        )
    try:
        loaded = datasets.load_dataset(source, config_name)
    except Exception as error:  # the Hub client raises many types; all mean "could not load"
        configurations = _configurations_offered(error)
        if configurations is not None:
            unknown = f"has no configuration {config_name!r}" if config_name else "has several configurations"
            raise DataError(
                f"{source!r} {unknown}; pick one of {configurations} with --set data.config=NAME"
            ) from error
        advice = (
            _unexpanded_hint(source)
            or _offline_hint()
            or _unreachable_hint(error)
            or "check the name, or pass a local file or folder"
        )
        # A relative path from a config file (a checkpoint's config.json used elsewhere) read as a Hub
        # name: say where it was looked for, which the Hub's own reason does not.
        where = (
            f"; no file or folder {source!r} in {Path.cwd()}, where a relative path is read from"
            if not Path(source).is_absolute()
            else ""
        )
        raise DataError(
            f"could not load {source!r} as a local path or from the Hugging Face Hub "
            f"({error_reason(error)}){where}; {advice}"
        ) from error
    return raw_data_of(dict(loaded))


def raw_of_datasets(given: Any) -> RawData:
    """A Dataset or DatasetDict object (given to the Python API), read as a saved one is; a pandas
    DataFrame as the Dataset it makes (a notebook's data is one more often than not)."""
    import datasets

    if isinstance(given, datasets.DatasetDict):
        return raw_data_of(dict(given))
    if isinstance(given, datasets.Dataset):
        return raw_data_of({"train": given})
    if _is_a_dataframe(given):
        notes: tuple[str, ...] = ()
        try:
            # Its index is the frame's, not a column of the data (it would be carried as __index_level_0__).
            frame = datasets.Dataset.from_pandas(given, preserve_index=False)
        except (TypeError, ValueError) as error:  # pyarrow's ArrowInvalid/ArrowTypeError among them
            mixed = _mixed_columns(given)
            if not mixed:
                raise _unreadable_frame(error) from error
            # Values of several types in one column (labels 0 and 'tech'): read as text, as a csv of
            # the frame is, where Arrow's "Could not convert 'tech' with type str: tried to convert
            # to int64" was the message (a notebook user's trial).
            given = given.assign(**{name: given[name].map(_as_text) for name in mixed})
            try:
                frame = datasets.Dataset.from_pandas(given, preserve_index=False)
            except (TypeError, ValueError) as again:  # another column Arrow cannot read
                raise _unreadable_frame(again) from again
            notes = (f"the DataFrame's {_columns_said(mixed)} values of several types: read as text",)
        raw = raw_data_of({"train": frame})
        return dataclasses.replace(raw, notes=(*raw.notes, *notes))
    raise ArgumentError(
        "the data must be a path, a Hub dataset name, a Dataset, a DatasetDict or a pandas DataFrame, "
        f"not {type(given).__name__}"
    )


def _unreadable_frame(error: BaseException) -> DataError:
    return DataError(
        f"the DataFrame given cannot be read as a table of texts ({error_reason(error)}); give its text "
        "and label columns as strings"
    )


def _mixed_columns(frame: Any) -> list[str]:
    """The columns of a DataFrame holding values of more than one type beside missing ones."""
    return [
        name
        for name in frame.columns
        if frame[name].dtype == object
        and len({type(value) for value in frame[name] if not _missing(value)}) > 1
    ]


def _missing(value: Any) -> bool:
    """A missing cell: None, a NaN, or pandas' NA and NaT (which a csv of the frame writes empty)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)


def _as_text(value: Any) -> Any:
    """A cell as a csv of it reads back: text, or missing."""
    return None if _missing(value) else value if isinstance(value, str) else str(value)


def _columns_said(names: list[str]) -> str:
    listed = ", ".join(repr(str(name)) for name in names)
    return f"column {listed} holds" if len(names) == 1 else f"columns {listed} hold"


def _is_a_dataframe(given: Any) -> bool:
    # By name, so that nothing imports pandas to ask (datasets depends on it, attn does not).
    kinds = type(given).__mro__
    return any(kind.__module__.split(".")[0] == "pandas" and kind.__name__ == "DataFrame" for kind in kinds)


def _unexpanded_hint(source: str) -> str | None:
    """`$HOME/data` in --set or a config file (the shell expands it on the command line, not there)."""
    if re.search(r"\$\{?[A-Za-z_]", source) is None:
        return None
    return (
        "attn does not expand environment variables such as $HOME in a setting; write the path out "
        "(a leading ~ is the home folder)"
    )


def _offline_hint() -> str | None:
    """What to do when the Hub was not asked because offline mode is on: only the cache is read."""
    set_to = {name: os.environ.get(name, "") for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    on = [
        f"{name}={value}"
        for name, value in set_to.items()
        if value.strip().lower() in ("1", "true", "yes", "on")
    ]
    if not on:
        return None
    return (
        f"offline mode is on ({', '.join(on)}), so only datasets already in the local cache load; unset it "
        "to download, or pass a local file or folder"
    )


def _unreachable_hint(error: BaseException) -> str | None:
    """What to do when the Hub could not be reached (no network, a name server that does not answer):
    the Hub client's LocalEntryNotFoundError, after half a minute of retries, spoke only of the name."""
    for seen in itertools.islice(error_chain(error), 20):
        if type(seen).__name__ in (
            "LocalEntryNotFoundError",
            "ConnectionError",
            "ConnectError",
            "ConnectTimeout",
        ):
            return (
                "the Hugging Face Hub could not be reached (no network?) and the dataset is not in the local "
                "cache; check the connection, or pass a local file or folder (HF_HUB_OFFLINE=1 skips asking "
                "the Hub)"
            )
    return None


def _configurations_offered(error: Exception) -> str | None:
    """The configurations `datasets` lists when a dataset's configuration is missing or unknown
    ("Please pick one among the available configs: ['a', 'b']", "Available: [...]"), as text."""
    found = re.search(r"(?:available configs|Available): \[(.*?)\]", str(error))
    if found is None:
        return None
    names = re.findall(r"'([^']*)'", found.group(1))
    return ", ".join(names[:20]) + (f" ({len(names) - 20} more)" if len(names) > 20 else "")
