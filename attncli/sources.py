"""Reading a data source into `datasets` splits, untouched: a Hub dataset, a save_to_disk folder, a
folder of split files or one file. Local files are read as people write them (textfiles.py), each
on its own, and a failure names the file and, where it can, the line."""

from __future__ import annotations

import atexit
import codecs
import csv
import dataclasses
import difflib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attncli.arrowfiles import (
    DATASET_DICT_FILE,
    STATE_FILE,
    UNREADABLE_STATE,
    is_saved_dataset,
    listed_data_files,
    require_data_files,
)
from attncli.csv_dialect import csv_dialect, delimiter_note, header_line
from attncli.csv_rows import Quoting, first_ragged_row, require_unique_columns, shown
from attncli.encodings import decodes, first_undecodable_line, is_wide
from attncli.errors import DISK_FULL, DataError, why_unwritten
from attncli.jsonfiles import first_bad_json_line, is_json_array, require_records
from attncli.origins import Origin
from attncli.textfiles import require_readable, require_uncompressed

# File suffix -> the `datasets` builder that reads it.
FILE_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
FILE_BUILDERS |= {".parquet": "parquet", ".arrow": "arrow"}
# Formats whose files are binary: no text encoding, no lines.
BINARY_BUILDERS = ("parquet", "arrow")
# A shard of a split as the Hub names it: train-00000-of-00002.parquet, or with the fingerprint of its
# data, as `push_to_hub` of older datasets versions wrote it: train-00000-of-00002-6d3c0a9e1f2b4c5d.parquet.
SHARD = re.compile(r"-(?P<index>\d{5})-of-(?P<total>\d{5})(?P<fingerprint>-[0-9a-f]{16})?$")
# Where a dataset repository on the Hub keeps its split files.
HUB_DATA_FOLDER = "data"
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}


@dataclass(frozen=True)
class RawData:
    """The splits of a source as read, and where their rows came from."""

    splits: dict[str, Any]
    """Split name -> `datasets.Dataset`."""
    origins: dict[str, Origin]
    notes: tuple[str, ...] = ()
    """What the reader decided on its own, for the user (a delimiter read off a header line)."""


def names_a_local_path(source: str) -> bool:
    """A name with a data-file suffix, a path prefix, more than two parts (a Hub dataset is `name`
    or `owner/name`) or a first part that is a folder here means a local path, never a Hub dataset:
    a mistyped `data/news` is said to be missing at once, not after half a minute of asking the Hub."""
    if Path(source).suffix.lower() in FILE_BUILDERS or source.startswith((".", "/", "~")):
        return True
    parts = Path(source).parts
    return len(parts) > 2 or (len(parts) == 2 and Path(parts[0]).is_dir())


def require_data_source(source: str | None) -> None:
    """Refuse a local path that does not exist before torch and datasets load (seconds of imports
    for a typo)."""
    if source and names_a_local_path(source) and not Path(source).expanduser().exists():
        raise DataError(f"{missing_path_message(source)}; pass an existing file, folder or Hub dataset name")


def missing_path_message(source: str) -> str:
    """`source does not exist (where it was looked for, and what is there that looks like it)`: the
    deepest folder of the path that exists, from the working folder for a relative path."""
    path = Path(source).expanduser()
    folder, missing = (path if path.is_absolute() else Path.cwd() / path).parent, path.name
    while not folder.is_dir() and folder != folder.parent:
        folder, missing = folder.parent, folder.name
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if not entry.name.startswith("."))
    except OSError:
        names = []
    # The same name but for case (EV.CSV for ev.csv) first: difflib compares case-sensitively.
    same = [name for name in names if name.lower() == missing.lower()]
    close = same or difflib.get_close_matches(missing, names, n=3, cutoff=0.7)
    suggestion = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"{source} does not exist ({folder} has no {missing}{suggestion})"


def same_source(given: str, recorded: str | None) -> bool:
    """Whether `given` names the data recorded as `recorded` (a run's absolute data path, or the
    source as typed where it kept none): the same file or folder by any path (a relative one beside
    the absolute path), else, where no such path exists (a Hub name), the same name."""
    if not recorded:
        return False
    path = Path(given).expanduser()
    if not path.exists():
        return given == recorded
    return path.resolve() == Path(recorded).expanduser().resolve()


def load_raw(
    source: str, *, config_name: str | None = None, encoding: str = "utf-8", delimiter: str | None = None
) -> RawData:
    """Load `source`; local text files are read in `encoding`, csv/tsv with `delimiter` (None: the
    suffix's, or the one the header line shows)."""
    import datasets

    # Every failure becomes a DataError that says what to do; datasets' own log lines would repeat it.
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    datasets.disable_progress_bars()
    path = Path(source).expanduser()
    if path.is_dir():
        return _load_folder(path, encoding=encoding, delimiter=delimiter)
    if path.is_file():
        return _load_files({"train": [path]}, encoding=encoding, delimiter=delimiter)
    require_data_source(source)
    if names_a_local_path(source):  # there, but neither a file nor a folder (a socket, a device)
        raise DataError(f"{source} is neither a file nor a folder; pass a data file or a folder of them")
    try:
        loaded = datasets.load_dataset(source, config_name)
    except Exception as error:  # the Hub client raises many types; all mean "could not load"
        configurations = _configurations_offered(error)
        if configurations is not None:
            unknown = f"has no configuration {config_name!r}" if config_name else "has several configurations"
            raise DataError(
                f"{source!r} {unknown}; pick one of {configurations} with --set data.config=NAME"
            ) from error
        raise DataError(
            f"could not load {source!r} as a local path or from the Hugging Face Hub ({_reason(error)}); "
            f"{_offline_hint() or 'check the name, or pass a local file or folder'}"
        ) from error
    return _whole(dict(loaded))


def raw_of_datasets(given: Any) -> RawData:
    """A Dataset or DatasetDict object (given to the Python API), read as a saved one is."""
    import datasets

    if isinstance(given, datasets.DatasetDict):
        return _whole(dict(given))
    if isinstance(given, datasets.Dataset):
        return _whole({"train": given})
    raise TypeError(
        f"the data must be a path, a Hub dataset name, a Dataset or a DatasetDict, not {type(given).__name__}"
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


def _configurations_offered(error: Exception) -> str | None:
    """The configurations `datasets` lists when a dataset's configuration is missing or unknown
    ("Please pick one among the available configs: ['a', 'b']", "Available: [...]"), as text."""
    found = re.search(r"(?:available configs|Available): \[(.*?)\]", str(error))
    if found is None:
        return None
    names = re.findall(r"'([^']*)'", found.group(1))
    return ", ".join(names[:20]) + (f" ({len(names) - 20} more)" if len(names) > 20 else "")


def _whole(splits: dict[str, Any]) -> RawData:
    """Splits of a Hub or save_to_disk dataset under the names attn uses (`dev` is validation, as
    for split files), unless a split of that name exists too; messages keep the dataset's names."""
    named: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for name, dataset in splits.items():
        # A format set before saving (with_format("numpy"), "torch", "arrow") would hand the columns
        # over as arrays, tensors or Arrow scalars, where attn reads Python values.
        dataset = dataset.with_format(None)
        canonical = SPLIT_ALIASES.get(name.lower(), name)
        key = canonical if canonical == name or (canonical not in splits and canonical not in named) else name
        named[key], origins[key] = dataset, Origin(split=name)
    return RawData(splits=named, origins=origins)


def _require_saved_data_files(path: Path) -> None:
    """Refuse a save_to_disk folder with a split that has no rows or a data file gone, naming it:
    datasets writes no .arrow file for an empty split, and fails reading it back with an IndexError."""
    dict_file = path / DATASET_DICT_FILE
    try:
        names = json.loads(dict_file.read_text(encoding="utf-8"))["splits"] if dict_file.is_file() else [None]
    except UNREADABLE_STATE:
        return  # datasets' own reading says what is wrong
    for name in names:
        folder = path / name if isinstance(name, str) else path
        try:
            data_files = listed_data_files(folder)
        except UNREADABLE_STATE:
            continue
        split = f"split '{name}' of {path}" if isinstance(name, str) else str(path)
        if not data_files:
            raise DataError(
                f"{split} has no rows (save_to_disk wrote no data file for it); give it rows, or save the "
                "dataset without it"
            )
        require_data_files(data_files, split)


def holds_one_dataset(path: Path) -> bool:
    """Whether `path` is one file, or a save_to_disk folder of one Dataset (not a DatasetDict): data
    that is evaluated whole, since `datasets` calls its one split "train", which it need not be."""
    if path.is_file():
        return True
    return (path / STATE_FILE).is_file() and not (path / DATASET_DICT_FILE).is_file()


def _load_folder(path: Path, *, encoding: str, delimiter: str | None) -> RawData:
    import datasets

    if is_saved_dataset(path):
        _require_saved_data_files(path)
        try:
            loaded = datasets.load_from_disk(str(path))
        except (OSError, ValueError, KeyError, IndexError) as error:
            raise DataError(
                f"{path} was saved by datasets' save_to_disk but cannot be read back ({error}); save it again"
            ) from error
        return _whole(dict(loaded) if isinstance(loaded, datasets.DatasetDict) else {"train": loaded})
    files, others = _split_files(path)
    if not files and (path / HUB_DATA_FOLDER).is_dir():  # a Hub repository's layout: data/train-*.parquet
        inner = _split_files(path / HUB_DATA_FOLDER)
        if inner[0]:  # the notes below then name data/, where the files are
            path, (files, others) = path / HUB_DATA_FOLDER, inner
    found = f" ({_listed(others)} name no split)" if others else ""
    if not files:
        raise DataError(
            f"{path} holds no split files{found}; name them train/validation/test with a suffix among "
            f"{', '.join(FILE_BUILDERS)} (for example train.csv)"
        )
    raw = _load_files(files, encoding=encoding, delimiter=delimiter)
    if not others:
        return raw
    left_out = (
        f"left out {_listed(others)} in {path}: a split file is named train, validation (valid, val, dev) "
        "or test"
    )
    return dataclasses.replace(raw, notes=(*raw.notes, left_out))


def _split_files(path: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """The split files of a folder (several shards of a split as the Hub names them:
    train-00000-of-00002.parquet, ...), and the names of its data files that name no split."""
    files: dict[str, list[Path]] = {}
    others: list[str] = []  # data files that name no split
    for child in sorted(path.iterdir()):
        # train.csv.gz alone (not beside the train.csv `gunzip -k` leaves): compressed, not missing
        inner = child.with_suffix("")
        if inner.suffix.lower() in FILE_BUILDERS and _split_of(inner) is not None and not inner.exists():
            require_uncompressed(child)
        if not child.is_file() or child.suffix.lower() not in FILE_BUILDERS:
            continue
        split = _split_of(child)
        if split is None:
            others.append(child.name)
            continue
        earlier = files.setdefault(split, [])
        if earlier and not (SHARD.search(child.stem) and SHARD.search(earlier[0].stem)):
            first, second = earlier[0].name, child.name
            if SHARD.search(child.stem) or SHARD.search(earlier[0].stem):  # a whole file beside shards
                whole = second if SHARD.search(earlier[0].stem) else first
                raise DataError(
                    f"{path} holds split {split!r} twice: {whole}, and shards such as "
                    f"{first if whole == second else second}; move {whole} or the shards out of the folder"
                )
            raise DataError(
                f"{path} holds two files for split {split!r}: {first} and {second}; move one of them out "
                "of the folder (or rename it so that it names no split)"
            )
        earlier.append(child)
    for split, paths in files.items():
        _require_every_shard(paths, split)
    return files, others


def _require_every_shard(paths: list[Path], split: str) -> None:
    """Refuse the shards of a split when one is missing (train-00001-of-00003 gone) or they count
    differently: read as they are, they would be the whole split, silently short."""
    shards = [SHARD.search(path.stem) for path in paths]
    if not all(shards):
        return  # one whole file
    numbers = [(int(found["index"]), int(found["total"])) for found in shards if found]
    totals = {total for _, total in numbers}
    if len(totals) > 1:
        counts = ", ".join(map(str, sorted(totals)))
        raise DataError(
            f"the shards of split {split!r} count to different totals ({counts}); keep those of one download"
        )
    total = totals.pop()
    missing = sorted(set(range(total)) - {number for number, _ in numbers})
    if missing:
        fingerprint = "-*" if shards[0] and shards[0]["fingerprint"] else ""  # each shard has its own
        name = SHARD.sub(f"-{missing[0]:05d}-of-{total:05d}{fingerprint}", paths[0].stem) + paths[0].suffix
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise DataError(
            f"split {split!r} is missing its shard {name}{more}; put every shard of it in the folder"
        )


def _split_of(path: Path) -> str | None:
    """The split a file's name gives it: train.csv and train-00000-of-00002.csv are both train."""
    return SPLIT_ALIASES.get(SHARD.sub("", path.stem).lower())


def _listed(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


_RUN_CACHE: tempfile.TemporaryDirectory[str] | None = None


def local_cache_dir() -> str | None:
    """Where `datasets` puts its Arrow copies of local files: a temporary folder of this process,
    removed when it exits, so trying things leaves nothing in the user's Hugging Face cache; or,
    when the user set HF_DATASETS_CACHE, their cache (None: datasets' default)."""
    global _RUN_CACHE
    if os.environ.get("HF_DATASETS_CACHE"):
        return None
    if _RUN_CACHE is None:
        _RUN_CACHE = tempfile.TemporaryDirectory(prefix="attn-datasets-")
        # Removed as the command ends, rather than by the garbage collector at shutdown, which warns
        # (a traceback under PYTHONWARNINGS=error).
        atexit.register(_RUN_CACHE.cleanup)
    return _RUN_CACHE.name


def _tab_separated_hint(path: Path, encoding: str) -> str:
    """A hint for a .txt file whose first line holds tabs (Excel's "Unicode Text" and "Text (Tab
    delimited)" save tables so): read as .tsv, it is a table."""
    try:
        first = header_line(path, encoding=encoding)
    except (DataError, OSError):
        return ""
    if "\t" not in first:
        return ""
    return (
        f' (its first line holds tabs, as Excel\'s "Unicode Text" saves a table: rename it {path.stem}.tsv)'
    )


def _load_files(files: dict[str, list[Path]], *, encoding: str, delimiter: str | None) -> RawData:
    """Each file on its own, so that one split's column types never have to fit another's (labels
    are compared as text: 1 in one file is "1" in another), nor its format (train.csv beside
    test.jsonl); the shards of a split, of one format, are joined."""
    for split, paths in files.items():
        for path in paths:
            require_readable(path, encoding)
        suffixes = {path.suffix.lower() for path in paths}
        if len(suffixes) > 1:
            raise DataError(
                f"the shards of split {split!r} mix formats ({', '.join(sorted(suffixes))}); "
                "keep those of one download"
            )
        if not suffixes <= set(FILE_BUILDERS):
            tabs = _tab_separated_hint(paths[0], encoding)
            raise DataError(
                f"cannot read {paths[0].suffix or 'suffix-less'} files ({paths[0].name}); use one of "
                f"{', '.join(FILE_BUILDERS)}{tabs}"
            )
    splits: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    detected: dict[tuple[str, str], list[Path]] = {}  # (suffix, delimiter read) -> files
    quoting_notes: list[str] = []
    for split, paths in files.items():
        shards = []
        for path in paths:
            used: str | None = None
            quoting: Quoting = csv.QUOTE_MINIMAL
            if path.suffix.lower() in (".csv", ".tsv"):
                dialect = csv_dialect(path, configured=delimiter, encoding=encoding)
                used, quoting = dialect.delimiter, dialect.quoting
                if dialect.sniffed:
                    detected.setdefault((path.suffix.lower(), used), []).append(path)
                quoting_notes += [dialect.quoting_note] if dialect.quoting_note else []
            shards.append(_load_file(path, encoding=encoding, delimiter=used, quoting=quoting))
            origins[split] = Origin(
                split=split, path=path, delimiter=used or ",", encoding=encoding, quoting=quoting
            )
        splits[split] = shards[0] if len(shards) == 1 else _joined_shards(shards, paths)
        if len(shards) > 1:  # rows are named by their place in the split, not in one file
            origins[split] = Origin(split=split)
    notes = tuple(delimiter_note(paths, used) for (_, used), paths in detected.items())
    return RawData(splits=splits, origins=origins, notes=notes + tuple(quoting_notes))


def _joined_shards(shards: list[Any], paths: list[Path]) -> Any:
    import datasets

    try:
        return datasets.concatenate_datasets(shards)
    except ValueError as error:
        raise DataError(
            f"the shards {_listed([path.name for path in paths])} do not hold the same columns "
            f"({_reason(error)}); give every shard of a split the same columns"
        ) from None


# The column pandas makes of a csv's first field when each row has one more field than the header.
PANDAS_INDEX = "__index_level_0__"


def _load_file(
    path: Path, *, encoding: str, delimiter: str | None, quoting: Quoting = csv.QUOTE_MINIMAL
) -> Any:
    """One file as a `datasets.Dataset`. A csv/tsv cell is read as written ("007" stays "007",
    "NA" stays "NA"); only an empty cell is missing, as predict reads it."""
    import datasets

    builder = FILE_BUILDERS[path.suffix.lower()]
    extra: dict[str, Any] = {} if builder in BINARY_BUILDERS else {"encoding": encoding}
    if delimiter is not None:
        names = next(
            csv.reader([header_line(path, encoding=encoding)], delimiter=delimiter, quoting=quoting), []
        )
        require_unique_columns(names, path)
        width = len(names)
        keep_text = dict.fromkeys(range(width), str)  # by position: pandas renames repeated names
        extra |= {"delimiter": delimiter, "converters": keep_text, "keep_default_na": False}
        extra |= {"na_values": [""], "quoting": quoting}
    try:
        loaded = datasets.load_dataset(
            builder, data_files={"train": str(path)}, cache_dir=local_cache_dir(), **extra
        )
    except Exception as error:
        if builder == "json":  # its fallback for mixed types fails on a blank line: read it ourselves
            return _read_json_rows(path, error, encoding=encoding)
        raise _read_error(path, error, encoding=encoding, delimiter=delimiter, quoting=quoting) from error
    if builder == "json" and not decodes(path, encoding):  # Arrow's JSON reader does not check
        raise _decoding_error(path, encoding) or DataError(f"{path} is not valid {encoding}; pass --encoding")
    dataset = loaded["train"]
    if delimiter is not None and PANDAS_INDEX in dataset.column_names and PANDAS_INDEX not in names:
        # pandas takes a first column without a header name for the index when every row has one
        # field more than the header: a text holding an unquoted comma lost its first part.
        raise first_ragged_row(path, delimiter=delimiter, encoding=encoding, quoting=quoting) or DataError(
            f"the rows of {path} have more fields than its header line; put a text that holds "
            f"{shown(delimiter)} in double quotes"
        )
    # datasets reads rows that are arrays as one column "text" of lists; one row may be whole columns.
    if builder == "json" and (len(dataset) == 1 or dataset.column_names == ["text"]):
        from attncli.data_file_records import json_rows

        require_records(next(value for _, value in json_rows(path, encoding=encoding)), path)
    mixed = [name for name, feature in dataset.features.items() if type(feature).__name__ == "Json"]
    if builder != "json" or not mixed:
        return dataset
    try:
        return _with_values_as_written(dataset, path, mixed, encoding=encoding)
    except (DataError, ValueError):  # a layout this reading does not follow: as datasets read it
        return dataset


def _read_json_rows(path: Path, error: Exception, *, encoding: str) -> Any:
    """A JSON file `datasets` could not read, read by attn's own JSON reader (the one predict uses):
    `datasets` reads a column of mixed types (1 in one row, "01" in another) with pandas, which
    fails on a blank line. A column of one type is stored as that type, a mixed one as JSON. A file
    this reader cannot read either gets `datasets`' error, or the reader's own where it names a line."""
    import datasets

    from attncli.data_file_records import json_rows

    rows = [value for _, value in json_rows(path, encoding=encoding)]
    if rows:
        require_records(rows[0], path)
    if not rows or not all(isinstance(row, dict) for row in rows):
        raise _read_error(path, error, encoding=encoding, delimiter=None) from error
    names = list(dict.fromkeys(name for row in rows for name in row))
    mixed = [name for name in names if len({type(row.get(name)) for row in rows} - {type(None)}) > 1]
    dataset = datasets.Dataset.from_dict(
        {name: [row.get(name) for row in rows] for name in names if name not in mixed}
    )
    for name in mixed:
        dataset = _with_json_column(dataset, name, rows)
    return dataset.select_columns(names)


def _with_values_as_written(dataset: Any, path: Path, columns: list[str], *, encoding: str) -> Any:
    """`dataset` with its columns of mixed JSON types (1 in one row, "01" in another) read again from
    `path`: `datasets` stores such a column as JSON text but leaves strings that look like JSON
    unquoted, so "01" came back as the number 1 (merging two labels) and "null" as no text. Each
    value is stored again as its own JSON, so it reads back exactly as written."""

    from attncli.data_file_records import json_rows  # the reader predict uses for the same files

    rows = [value for _, value in json_rows(path, encoding=encoding)]
    if len(rows) != len(dataset):  # not the layout this reading expects: keep what datasets read
        return dataset
    order = list(dataset.column_names)
    for name in columns:
        dataset = _with_json_column(dataset.remove_columns(name), name, rows)
    return dataset.select_columns(order)


def _with_json_column(dataset: Any, name: str, rows: list[Any]) -> Any:
    """`dataset` with column `name` added from `rows`, each value stored as its own JSON, so that
    it reads back exactly as written ("01" stays a string, 1 a number)."""
    import datasets

    values = [json.dumps(row.get(name) if isinstance(row, dict) else None) for row in rows]
    return dataset.add_column(name, values, feature=datasets.Json())


def _read_error(
    path: Path,
    error: Exception,
    *,
    encoding: str,
    delimiter: str | None,
    quoting: Quoting = csv.QUOTE_MINIMAL,
) -> DataError:
    """What went wrong reading `path`, with the line where the file can say it."""
    builder = FILE_BUILDERS[path.suffix.lower()]
    reason = _reason(error)
    cache = os.environ.get("HF_DATASETS_CACHE")
    if cache and isinstance(error, OSError) and _inside(error.filename, Path(cache).expanduser()):
        # `datasets` writes its Arrow copy of the file there: the cache failed, not the file.
        return DataError(
            f"could not write the Arrow copy of {path.name} to HF_DATASETS_CACHE={cache} "
            f"({error.strerror}); point HF_DATASETS_CACHE at a folder you can write to, or unset it"
        )
    if isinstance(error, OSError) and error.errno in DISK_FULL:  # the Arrow copy failed, not the file
        cache = os.environ.get("HF_DATASETS_CACHE")
        where = cache or (_RUN_CACHE.name if _RUN_CACHE is not None else tempfile.gettempdir())
        why, remedy = why_unwritten(error, Path(where))
        elsewhere = "point HF_DATASETS_CACHE elsewhere" if cache else "point TMPDIR at a folder with room"
        return DataError(
            f"could not write the Arrow copy of {path.name} to {where} ({why}); {remedy}, or {elsewhere}"
        )
    if _holds_no_rows(path, builder):  # each reader said so its own way: StopIteration, "BatchSize ..."
        return DataError(f"{path.name} is empty (no rows); give it labelled rows")
    decoding = _decoding_error(path, encoding) if builder not in BINARY_BUILDERS else None
    if decoding is not None:  # `datasets` hides a decoding error behind a generic one
        return decoding
    ragged = (
        first_ragged_row(path, delimiter=delimiter, encoding=encoding, quoting=quoting) if delimiter else None
    )
    if ragged is not None:
        return ragged
    if builder == "json":
        bad = first_bad_json_line(path, encoding=encoding)
        if bad is not None and not is_json_array(path):
            return DataError(f"line {bad[0]} of {path} is {bad[1]}; give one JSON object per line")
    if "corresponds to no data" in reason:  # what `datasets` says of a file with no rows
        return DataError(f"{path.name} is empty (no rows); give it labelled rows")
    return DataError(f"could not read {path.name} as {path.suffix[1:]}: {reason}")


def _holds_no_rows(path: Path, builder: str) -> bool:
    """Whether a data file that failed to load holds nothing: no bytes but whitespace, or a parquet
    file of no rows."""
    try:
        if builder == "parquet":
            import pyarrow.parquet as parquet  # type: ignore[import-untyped]

            return bool(parquet.ParquetFile(path).metadata.num_rows == 0)  # `datasets` reads it so
        if builder == "arrow":
            from attncli.arrowfiles import arrow_rows

            return arrow_rows([path]) == 0
        with path.open("rb") as file:  # a UTF-8 byte-order mark alone, as editors save it, is no row
            return not file.read(1 << 16).removeprefix(codecs.BOM_UTF8).strip() and not file.read(1)
    except Exception:  # unreadable as parquet, or at all: the other checks name why
        return False


def _inside(filename: Any, folder: Path) -> bool:
    """Whether the file an OSError names is `folder` or in it (both made absolute)."""
    if not filename:
        return False
    return Path(os.path.abspath(filename)).is_relative_to(os.path.abspath(folder))


def _decoding_error(path: Path, encoding: str) -> DataError | None:
    """The first line of `path` that is not valid `encoding`, as an error, if a line is not."""
    line = first_undecodable_line(path, encoding)
    if line is None:
        return None
    if not is_wide(encoding) and decodes(path, "utf-8"):
        return DataError(
            f"line {line} of {path} is not valid {encoding}, but the file is valid UTF-8: leave --encoding "
            "out, or pass --encoding utf-8 where a --config file sets data.encoding"
        )
    return DataError(
        f"line {line} of {path} is not valid {encoding}; pass --encoding (or set "
        "data.encoding) with the file's encoding, for example cp1252 (from Windows) or latin-1"
    )


def _reason(error: BaseException) -> str:
    """The first line of what went wrong, from the underlying error where `datasets` wraps one."""
    cause = error.__cause__ if type(error).__name__ == "DatasetGenerationError" else None
    text = str(cause or error).strip()
    return text.splitlines()[0] if text else type(cause or error).__name__
