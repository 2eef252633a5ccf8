"""Folders as Spark (and pandas' or pyarrow's partitioned writes, and Hive) leave data: a job's output
folder of part files (part-00000-<uuid>-c000.snappy.parquet, ...) beside its bookkeeping (_SUCCESS,
.crc checksums), and split folders of such files (train/, or Hive's split=train/). Each is read as the
shards of a split; a folder partitioned by another column (label=sport/) is refused, naming it, and so
is a Delta table, whose folder holds the part files its updates replaced beside those it reads."""

from __future__ import annotations

import re
from pathlib import Path

from attncli.errors import DataError
from attncli.raw_data import FILE_BUILDERS, SPLIT_ALIASES

# A part file of a job's output, by name: Spark's part-00000-<uuid>-c000.snappy.parquet, Hadoop's and
# parquet-mr's part-r-00000.snappy.parquet, pandas' and pyarrow's part-0.parquet (a data suffix is asked
# for beside it: part-00000 alone is no data file).
PART_FILE = re.compile(r"part-(?:[rm]-)?\d+(?=[-_.])", re.IGNORECASE)
# A folder of a Hive-style partition: its rows' value of one column, which their files do not hold.
PARTITION = re.compile(r"(?P<column>[^=]+)=(?P<value>.*)")
# The partition columns whose values are splits (split=train/): any other column is data.
SPLIT_COLUMNS = ("split", "subset", "set")
# Suffixes of compressed part files (Spark's compression=gzip writes part-00000-....csv.gz), each with
# the command that decompresses them in place (each part there once, not beside its compressed copy).
DECOMPRESS_IN_PLACE = {".gz": "gunzip", ".bz2": "bunzip2", ".xz": "unxz", ".zst": "unzstd --rm"}
COMPRESSED_SUFFIXES = (*DECOMPRESS_IN_PLACE, ".deflate", ".lz4", ".snappy")
# Where a Delta table keeps its log of which part files hold its rows.
DELTA_LOG = "_delta_log"


def is_bookkeeping(path: Path) -> bool:
    """Whether a file or folder of a job's output is its bookkeeping, as Hadoop's readers skip it: a
    name that begins with '_' (_SUCCESS, _committed_..., _metadata, _temporary/) or '.' (.crc
    checksums of each part)."""
    return path.name.startswith(("_", "."))


def _entries(folder: Path) -> list[Path] | None:
    """The entries of `folder` but its bookkeeping, by name; None where it cannot be listed."""
    try:
        return sorted(
            (child for child in folder.iterdir() if not is_bookkeeping(child)), key=lambda c: c.name
        )
    except OSError:
        return None


def _is_part(path: Path) -> bool:
    """A part file by its name and suffix, compressed ones included (read, they are refused as such)."""
    suffix = path.suffix.lower()
    if suffix in COMPRESSED_SUFFIXES:
        suffix = Path(path.stem).suffix.lower()
    return bool(PART_FILE.match(path.name)) and suffix in FILE_BUILDERS and path.is_file()


def _parts_among(entries: list[Path]) -> list[Path] | None:
    """`entries` where every one is a part file; None where any is not."""
    return entries if entries and all(map(_is_part, entries)) else None


def _require_not_delta(folder: Path) -> None:
    """Refuse a Delta table: its folder keeps the part files its updates replaced beside those it reads."""
    if (folder / DELTA_LOG).is_dir():
        raise DataError(
            f"{folder} is a Delta table ({DELTA_LOG}/), whose folder keeps the part files its updates "
            "replaced beside those it reads; write its rows out as plain parquet (spark.read.format("
            "'delta').load(...).write.parquet(...)) and pass that folder"
        )


def part_files(folder: Path) -> list[Path] | None:
    """The part files of a job's output folder, by name: files named part-N with a data suffix,
    beside nothing but bookkeeping; None where `folder` is no such folder (a Delta table is refused)."""
    _require_not_delta(folder)
    entries = _entries(folder)
    return _parts_among(entries) if entries is not None else None


def is_job_output(folder: Path) -> bool:
    """Whether `folder` is one job's output folder of part files: one split's rows, read whole."""
    return folder.is_dir() and part_files(folder) is not None


def spark_splits(folder: Path, children: list[Path] | None = None) -> dict[str, list[Path]]:
    """The splits of a folder Spark wrote: its own part files as the train split, or its split folders
    (train/, validation/, test/ and their other names, or Hive's split=train/), each of part files or
    of data files alone, other files beside them left alone (README.md); none for any other folder.
    `children`: the folder's entries, where the caller has listed them."""
    _require_not_delta(folder)
    entries = (
        _entries(folder)
        if children is None
        else sorted((child for child in children if not is_bookkeeping(child)), key=lambda child: child.name)
    )
    if not entries:
        return {}
    parts = _parts_among(entries)
    if parts:
        return {"train": parts}
    splits: dict[str, list[Path]] = {}
    for child in entries:
        if child.is_file() and child.suffix.lower() not in FILE_BUILDERS:
            continue
        files = _entries(child) if child.is_dir() else None
        split = _split_folder_name(child.name)
        if split is None or split in splits or not files or not all(map(_is_data_file, files)):
            return {}
        splits[split] = files
    return splits


def _split_folder_name(name: str) -> str | None:
    """The split a folder's name is (train, dev, split=train), else None (label=train is a label's)."""
    partition = PARTITION.fullmatch(name)
    if partition is not None and partition["column"].lower() not in SPLIT_COLUMNS:
        return None
    return SPLIT_ALIASES.get((partition["value"] if partition else name).lower())


def _is_data_file(path: Path) -> bool:
    return path.is_file() and (path.suffix.lower() in FILE_BUILDERS or _is_part(path))


def require_no_column_partitions(folder: Path) -> None:
    """Refuse a folder partitioned Hive-style by a column other than the split
    (label=sport/, date=2024-01-01/, as `partitionBy` writes it), or whose split partitions are
    (split=train/label=sport/): the column's values are in the folder names, not in the rows, and a
    label partition's folders were taken for labels holding data files."""
    folders = [child for child in _entries(folder) or [] if child.is_dir()]
    partitions = [found for child in folders if (found := PARTITION.fullmatch(child.name))]
    by_column = [found for found in partitions if found["column"].lower() not in SPLIT_COLUMNS]
    if not by_column:
        for split_folder in (folder / found.string for found in partitions):
            require_no_column_partitions(split_folder)
        return
    shown = ", ".join(f"{found.string}/" for found in by_column[:3]) + (", ..." if len(by_column) > 3 else "")
    column = by_column[0]["column"]
    raise DataError(
        f"{folder} is partitioned by the column {column!r} ({shown}), as Spark's partitionBy writes it: "
        f"its rows hold no {column!r}, which attn does not read from folder names; write the data "
        f"without partitionBy({column!r}) (or partition it by split: split=train/, split=test/)"
    )


def require_uncompressed_parts(parts: list[Path]) -> None:
    """Refuse part files of which some are compressed, for the folder as a whole: one part's command
    (`gunzip -k part-00000.csv.gz`) read half the rows, then the copies beside them mixed formats."""
    packed = [part for part in parts if part.suffix.lower() in COMPRESSED_SUFFIXES]
    if not packed:
        return
    import shlex

    folder = packed[0].parent
    command = DECOMPRESS_IN_PLACE.get(packed[0].suffix.lower())
    how = (
        f"run `{command} {shlex.quote(str(folder))}/*{packed[0].suffix}` (each part then is there once, "
        "uncompressed)"
        if command is not None
        else "decompress each in place"
    )
    more = f" and {len(packed) - 1:,} more" if len(packed) > 1 else ""
    raise DataError(
        f"{folder} holds compressed part files ({packed[0].name}{more}), and attn reads them uncompressed; "
        f"{how}, and pass the folder"
    )
