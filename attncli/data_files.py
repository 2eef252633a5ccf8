"""Reading local data files into `datasets` splits, each file on its own and as people write them
(textfiles.py): csv/tsv cells as written, JSON columns of mixed types, the shards of a split joined."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from attncli.callers_state import SharedSetting
from attncli.csv_dialect import csv_dialect, delimiter_note, header_line
from attncli.csv_rows import Quoting, first_ragged_row, require_unique_columns, shown
from attncli.encodings import decodes, marked_encoding, marked_encoding_note, misread_warning
from attncli.errors import DataError, error_chain
from attncli.fasttext_files import is_fasttext_file, load_fasttext
from attncli.jsonfiles import readable_values, require_records, require_shallow_json
from attncli.origins import Origin
from attncli.raw_data import BINARY_BUILDERS, FILE_BUILDERS, PANDAS_INDEX, RawData
from attncli.read_errors import decoding_error, error_reason, holds_no_rows, local_cache_dir, read_error
from attncli.textfiles import BINARY_SUFFIXES, require_readable


def listed(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


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


def quiet_datasets() -> None:
    """No log lines or progress bars from `datasets`: every failure becomes a DataError that says
    what to do, and a bar per file read is noise (the Python API puts both back as they were)."""
    import datasets

    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    datasets.disable_progress_bars()


def load_files(files: dict[str, list[Path]], *, encoding: str, delimiter: str | None) -> RawData:
    """Each file on its own, so that one split's column types never have to fit another's (labels
    are compared as text: 1 in one file is "1" in another), nor its format (train.csv beside
    test.jsonl); the shards of a split, of one format, are joined. A file that opens with a UTF-16
    or UTF-32 byte-order mark is read in that encoding where UTF-8 is asked for (marked_encoding)."""
    quiet_datasets()
    asked = encoding
    read_in = {path: marked_encoding(path, asked) for paths in files.values() for path in paths}
    for split, paths in files.items():
        for path in paths:
            require_readable(path, read_in[path])
        require_one_format(paths, f"the shards of split {split!r}", "keep those of one download")
        suffixes = {path.suffix.lower() for path in paths}
        # Only a file of no data format is opened to see whether it is fastText's.
        if not suffixes <= set(FILE_BUILDERS) and not all(
            is_fasttext_file(path, encoding=read_in[path]) for path in paths
        ):
            tabs = _tab_separated_hint(paths[0], read_in[paths[0]])
            raise DataError(
                f"cannot read {paths[0].suffix or 'suffix-less'} files ({paths[0].name}); use one of "
                f"{', '.join(FILE_BUILDERS)}, or fastText's format (__label__NAME and the text on each "
                f"line){tabs}"
            )
    empty_shards: list[Path] = []
    files = {split: shards_with_rows(paths, empty_shards) for split, paths in files.items()}
    splits: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    detected: dict[tuple[str, str], list[Path]] = {}  # (suffix, delimiter read) -> files
    quoting_notes: list[str] = []
    fasttext_read: list[Path] = []
    for split, paths in files.items():
        shards = []
        for path in paths:
            encoding = read_in[path]
            used: str | None = None
            quoting: Quoting = csv.QUOTE_MINIMAL
            if path.suffix.lower() in (".csv", ".tsv"):
                dialect = csv_dialect(path, configured=delimiter, encoding=encoding)
                used, quoting = dialect.delimiter, dialect.quoting
                if dialect.sniffed:
                    detected.setdefault((path.suffix.lower(), used), []).append(path)
                quoting_notes += [dialect.quoting_note] if dialect.quoting_note else []
            if path.suffix.lower() not in FILE_BUILDERS:  # fastText's format (checked above)
                shards.append(load_fasttext(path, encoding=encoding))
                fasttext_read.append(path)
            else:
                shards.append(_load_file(path, encoding=encoding, delimiter=used, quoting=quoting))
            origins[split] = Origin(
                split=split, path=path, delimiter=used or ",", encoding=encoding, quoting=quoting
            )
        splits[split] = shards[0] if len(shards) == 1 else _joined_shards(shards, paths, split)
        if len(shards) > 1:  # rows are named by their place in the split, not in one file
            origins[split] = Origin(split=split)
    notes = tuple(delimiter_note(paths, used) for (_, used), paths in detected.items())
    if empty_shards:
        notes += (empty_shards_note(empty_shards),)
    if fasttext_read:  # said, as predict says it: a .txt of another layout read so would surprise
        named = ", ".join(str(path) for path in fasttext_read)
        notes += (
            f"{named} read in fastText's format: each line's __label__NAME, where it opens or ends the "
            "line, is its label, and the rest of the line its text",
        )
    misread = (
        misread_warning(path, read_in[path])
        for paths in files.values()
        for path in paths
        if path.suffix.lower() not in BINARY_SUFFIXES
    )
    marked = (marked_encoding_note(path, asked, used) for path, used in read_in.items())
    encoding_notes = tuple(note for note in (*marked, *misread) if note is not None)
    return RawData(splits=splits, origins=origins, notes=notes + tuple(quoting_notes) + encoding_notes)


def require_one_format(paths: list[Path], shards: str, remedy: str) -> None:
    """Refuse `shards` (a split's shards, a job's part files) of more than one format, by suffix."""
    suffixes = sorted({path.suffix.lower() for path in paths})
    if len(suffixes) > 1:
        raise DataError(f"{shards} mix formats ({', '.join(suffixes)}); {remedy}")


def shards_with_rows(paths: list[Path], left_out: list[Path]) -> list[Path]:
    """The shards of a split that hold rows, where some do, those that hold none added to `left_out`:
    Spark writes a part file of no rows for an empty partition, and one such shard failed the whole
    split as "empty" (datasets' parquet reader refuses a file of no rows)."""
    if len(paths) < 2:
        return paths
    kept = [path for path in paths if not holds_no_rows(path, FILE_BUILDERS.get(path.suffix.lower(), "text"))]
    if not kept:  # every shard empty: the first one's error says so
        return paths
    left_out += [path for path in paths if path not in kept]
    return kept


def renamed_shard(columns: list[list[str]]) -> int | None:
    """The shard (by its place; not the first) whose columns are a header renamed (Description as
    Beschreibung: it lacks a column every other shard has, and has one none of them has), where one
    is; a column added (notes) or columns in another order are not."""
    names = [set(shard) for shard in columns]
    for index, own in enumerate(names):
        others = names[:index] + names[index + 1 :]
        if not others:
            return None
        lacks = set.intersection(*others) - own
        if lacks and own - set().union(*others):
            return index or next(position for position, held in enumerate(names) if lacks <= held)
    return None


def empty_shards_note(paths: list[Path]) -> str:
    """Said of the shards (or part files) of a split left out for holding no rows."""
    return f"left out {listed([str(path) for path in paths])}: shards that hold no rows"


def _joined_shards(shards: list[Any], paths: list[Path], split: str) -> Any:
    """The shards of one split as one dataset; shards of other columns are refused, as `datasets`
    joins them into the union of their columns: an English export's 302 rows beside a German re-save's
    400 (Beschreibung, Kategorie) gave rows with neither text column, left out as "empty" (a trial)."""
    import datasets

    odd = renamed_shard([shard.column_names for shard in shards])
    if odd is not None:
        raise DataError(
            f"the shards of split {split!r} hold different columns: {paths[0]} has "
            f"{listed([repr(name) for name in shards[0].column_names])}, {paths[odd]} has "
            f"{listed([repr(name) for name in shards[odd].column_names])}; give every shard of a split "
            "the same header, or keep files of other columns apart (a split of their own)"
        )
    try:
        return datasets.concatenate_datasets(shards)
    except ValueError as error:
        raise DataError(
            f"the shards {listed([path.name for path in paths])} do not hold the same columns "
            f"({error_reason(error)}); give every shard of a split the same columns"
        ) from None


# A placeholder column of the file's number of rows (its name a key no export writes).
ROWS_COLUMN = "__attn_rows__"


def _download_counts() -> bool:
    return bool(sys.modules["datasets"].config.HF_UPDATE_DOWNLOAD_COUNTS)


def _count_downloads(on: bool) -> None:
    if (datasets := sys.modules.get("datasets")) is not None:
        datasets.config.HF_UPDATE_DOWNLOAD_COUNTS = on


# datasets counts each load of its readers ("json", "csv") with a request to the Hub's storage (a
# HEAD, 3 s timeout) unless offline, for a local file too: a service reading its own files, its
# outbound traffic filtered, waited on it (a user's trial). A local file is no download to count:
# loads hold the counts off, and the last of those under way in any thread puts them back.
_UNCOUNTED = SharedSetting(
    _download_counts, _count_downloads, change=lambda: _count_downloads(False), put_back_in_child=True
)


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
        keep_text = dict.fromkeys(range(width), _text_or_missing)  # by position: pandas renames repeats
        extra |= {"delimiter": delimiter, "converters": keep_text, "keep_default_na": False}
        extra |= {"na_values": [""], "quoting": quoting}
    if builder == "json":
        require_shallow_json(path, encoding=encoding)  # before Arrow's reader recurses into it
    try:
        with _UNCOUNTED.held():
            loaded = datasets.load_dataset(
                builder, data_files={"train": str(path)}, cache_dir=local_cache_dir(), **extra
            )
    except Exception as error:
        if builder == "json":  # its fallback for mixed types fails on a blank line: read it ourselves
            try:
                return _read_json_rows(path, error, encoding=encoding)
            except Exception as failure:
                raise _nested_too_deep(path, failure, encoding=encoding) or failure from error
        loaded = None
        if delimiter is not None and _typed_null(error):
            # Not where a row has more fields than the header: with the types given, datasets keeps
            # the named columns and drops pandas' index column, which shifted every text (below).
            if first_ragged_row(path, delimiter=delimiter, encoding=encoding, quoting=quoting) is None:
                loaded = _csv_as_text_columns(path, names, extra)
        if loaded is None:
            raise read_error(path, error, encoding=encoding, delimiter=delimiter, quoting=quoting) from error
    if builder == "json" and not decodes(path, encoding):  # Arrow's JSON reader does not check
        raise decoding_error(path, encoding) or DataError(f"{path} is not valid {encoding}; pass --encoding")
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
    if builder != "json":
        return dataset
    mixed = [name for name, feature in dataset.features.items() if type(feature).__name__ == "Json"]
    mixed += _columns_not_as_written(dataset.data.table)
    if not mixed:
        return dataset
    try:
        return _with_values_as_written(dataset, path, mixed, encoding=encoding)
    except (DataError, ValueError):  # a layout this reading does not follow: as datasets read it
        return dataset


def _nested_too_deep(path: Path, error: BaseException, *, encoding: str) -> DataError | None:
    """The error naming the line nested too deeply for Arrow's types, where `error` (or its cause)
    is the recursion that nesting made: Arrow's ArrowInvalid, or Python's RecursionError."""
    from attncli.jsonfiles import ARROW_JSON_LEVELS, deepest_line, too_deep

    causes = [error, error.__cause__, error.__context__]
    recursed = any(
        isinstance(cause, RecursionError) or "Recursion level" in str(cause) for cause in causes if cause
    )
    deepest = deepest_line(path, encoding=encoding, beyond=ARROW_JSON_LEVELS) if recursed else None
    return too_deep(path, *deepest) if deepest is not None else None


def _read_json_rows(path: Path, error: Exception, *, encoding: str) -> Any:
    """A JSON file `datasets` could not read, read by attn's own JSON reader (the one predict uses):
    `datasets` reads a column of mixed types (1 in one row, "01" in another) with pandas, which
    fails on a blank line. A column of one type is stored as that type, a mixed one as JSON. A file
    this reader cannot read either gets `datasets`' error, or the reader's own where it names a line."""
    import datasets

    from attncli.data_file_records import json_rows

    rows = [readable_values(value) for _, value in json_rows(path, encoding=encoding)]
    if rows:
        require_records(rows[0], path)
    if not rows or not all(isinstance(row, dict) for row in rows):
        raise read_error(path, error, encoding=encoding, delimiter=None) from error
    names = list(dict.fromkeys(name for row in rows for name in row))
    mixed = [
        name
        for name in names
        if len({type(row.get(name)) for row in rows} - {type(None)}) > 1
        or _all_objects([row.get(name) for row in rows])
    ]
    # A column of one row's length to add the others beside, in case every column is one of those.
    dataset = datasets.Dataset.from_dict(
        {ROWS_COLUMN: [None] * len(rows)}
        | {name: [row.get(name) for row in rows] for name in names if name not in mixed}
    )
    for name in mixed:
        dataset = _with_json_column(dataset, name, [row.get(name) for row in rows])
    return dataset.select_columns(names)


def _columns_not_as_written(table: Any) -> list[str]:
    """The columns whose values Arrow's JSON reader changed from what the file holds: strings it took
    for dates ("2024-04-16" came back as 2024-04-16 00:00:00, "10:55:00+02:00" in UTC without its
    offset: a label of dates was renamed, eval's rows differed from predict's) and integers past
    2**53 it stored as floats once one passed 64 bits (an id lost its last digits)."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    def holds_dates(kind: Any) -> bool:
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind):
            return True
        if pa.types.is_struct(kind):
            return any(holds_dates(kind.field(index).type) for index in range(kind.num_fields))
        return (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and holds_dates(kind.value_type)

    def holds_past_exact(values: Any) -> bool:  # integers past 2**53 as floats: no longer exact
        kind = values.type
        if pa.types.is_floating(kind):
            largest = pc.max(pc.abs(values)).as_py() if len(values) > values.null_count else None
            return largest is not None and largest >= 2**53
        if pa.types.is_struct(kind):
            return any(holds_past_exact(values.field(index)) for index in range(kind.num_fields))
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            return holds_past_exact(values.flatten())
        return False

    return [
        name
        for name, column in zip(table.column_names, table.columns, strict=True)
        if holds_dates(column.type) or any(holds_past_exact(chunk) for chunk in column.chunks)
    ]


def _with_values_as_written(dataset: Any, path: Path, columns: list[str], *, encoding: str) -> Any:
    """`dataset` with its columns of mixed JSON types (1 in one row, "01" in another) read again from
    `path`: `datasets` stores such a column as JSON text but leaves strings that look like JSON
    unquoted, so "01" came back as the number 1 (merging two labels) and "null" as no text; and the
    columns Arrow read as something else than written (`_columns_not_as_written`). Each value is
    stored again as its own JSON (strings as strings), so it reads back exactly as written."""

    from attncli.data_file_records import json_rows  # the reader predict uses for the same files

    # Only these columns' values are kept: a file of a million rows is not held whole.
    values: dict[str, list[Any]] = {name: [] for name in columns}
    for _, row in json_rows(path, encoding=encoding):
        for name, kept in values.items():
            kept.append(readable_values(row.get(name)) if isinstance(row, dict) else None)
    if any(len(kept) != len(dataset) for kept in values.values()):  # not the layout this reading expects
        return dataset
    order = list(dataset.column_names)
    for name, kept in values.items():
        dataset = _with_json_column(dataset, name, kept)
    return dataset.select_columns(order)


def _with_json_column(dataset: Any, name: str, values: list[Any]) -> Any:
    """`dataset` with column `name` (added, or in place of its own) holding `values`, each stored
    as its own JSON, so that it reads back exactly as written ("01" stays a string, 1 a number). A
    column of objects whose keys vary from row to row (an export's optional fields: `"lang"` in some
    rows' `data`, not in others) is stored as objects with every key instead, a missing one empty,
    so that its fields are columns (`--text-column data.text`) as in a file whose rows all have the
    same keys."""
    import datasets
    import pyarrow as pa  # type: ignore[import-untyped]

    # Added beside the column it replaces, then renamed: removed first, a dataset of that column
    # alone ({"data": {...}} a row) had no rows left to add it to.
    temporary = f"{name} (attn: replacing it)"  # Arrow keeps names to a NUL: none here
    added = None
    if all(value is None or isinstance(value, str) for value in values):  # dates, as written
        added = dataset.add_column(temporary, values, feature=datasets.Value("string"))
    elif _all_objects(values):
        try:  # each field was made one Arrow column can hold; datasets may still refuse the whole
            added = dataset.add_column(temporary, _fields_of_one_type(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
            pass
    if added is None:
        added = dataset.add_column(
            temporary, [json.dumps(_readable_json(value)) for value in values], feature=datasets.Json()
        )
    if name in dataset.column_names:
        added = added.remove_columns(name)
    return added.rename_column(temporary, name)


def _typed_null(error: BaseException) -> bool:
    """Whether `error` is datasets refusing a value in a column it typed "null" (its first 10,000
    values missing): `Couldn't cast array of type large_string to null` (datasets 5.0) or
    `Couldn't write column 'note': its type in this file is null` (5.2)."""
    return any(isinstance(cause, TypeError) and "null" in str(cause) for cause in error_chain(error))


def _csv_as_text_columns(path: Path, names: list[str], extra: dict[str, Any]) -> Any | None:
    """`path` read again with every column typed as text, or None where that fails too. datasets
    types each column from its first 10,000 rows, and a column empty in all of them (a notes column
    an export filled only lately) was "null", so its first value refused the whole file, a column
    attn never reads among them."""
    import warnings

    import datasets

    # pandas names a column without a name by its position, as training and predict show it.
    columns = [name if name != "" else f"Unnamed: {index}" for index, name in enumerate(names)]
    features = datasets.Features({name: datasets.Value("string") for name in columns})
    try:
        with _UNCOUNTED.held(), warnings.catch_warnings():
            # The types become pandas' dtype beside the converters, which pandas says it ignores.
            warnings.filterwarnings("ignore", message="Both a converter and dtype were specified")
            files, cache = {"train": str(path)}, local_cache_dir()
            return datasets.load_dataset("csv", data_files=files, cache_dir=cache, features=features, **extra)
    except Exception:
        return None


def _text_or_missing(cell: str) -> str | None:
    """A csv cell as written, or missing where it is empty. pandas before 3.1 passes an empty cell
    through a converter as "" (ignoring na_values), so a row without a text was "an empty text" there
    and "no text" with 3.1; each empty cell is now missing with either."""
    return cell if cell != "" else None


def _readable_json(value: Any) -> Any:
    """`value` with each integer past 64 bits as its digits in a string: `datasets` reads its JSON
    column back with ujson, which refuses such a number ("Value is too big!") and ended the run."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return str(value)
    if isinstance(value, list):
        return [_readable_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _readable_json(item) for key, item in value.items()}
    return value


def _one_arrow_column(values: list[Any]) -> bool:
    """Whether Arrow can store `values` as one column (not: 1 beside "a", [1, "a"], 2**64)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    try:
        pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
        return False
    return True


def _all_objects(values: list[Any]) -> bool:
    return any(value is not None for value in values) and all(
        value is None or isinstance(value, dict) for value in values
    )


def _fields_of_one_type(objects: list[dict[str, Any] | None]) -> list[dict[str, Any] | None]:
    """The objects with each field that one Arrow column cannot hold written as text: values that
    differ in type from row to row (an id that is 1 in one row and "a" in another), lists of mixed
    values, integers past 64 bits; a string as it is, any other value as its JSON. Nested objects
    the same, field by field."""
    names = list(dict.fromkeys(name for value in objects if value is not None for name in value))
    columns: dict[str, list[Any]] = {}
    for name in names:
        values = [value.get(name) if value is not None else None for value in objects]
        kinds = {float if type(value) is int else type(value) for value in values if value is not None}
        if _all_objects(values):
            values = _fields_of_one_type(values)
        elif len(kinds) > 1 or not _one_arrow_column(values):
            values = [
                value if value is None or isinstance(value, str) else json.dumps(value) for value in values
            ]
        columns[name] = values
    return [
        None if value is None else {name: columns[name][row] for name in names}
        for row, value in enumerate(objects)
    ]
