"""Folders as Spark (and Hadoop, Hive, pandas' partitioned writes) leave data: a job's output folder of
part files (part-00000-<uuid>-c000.snappy.parquet, ...) beside its bookkeeping (_SUCCESS, .crc
checksums), and split folders of such files (train/, or Hive's split=train/). Each is read as the
shards of a split; a folder partitioned by another column (label=sport/) is refused, naming it."""

from __future__ import annotations

import re
from pathlib import Path

from attncli.errors import DataError
from attncli.raw_data import FILE_BUILDERS, SPLIT_ALIASES

# A part file of a job's output, by name: Spark's part-00000-<uuid>-c000.snappy.parquet, Hadoop's
# part-r-00000 and part-m-00000, pandas' and pyarrow's part-0.parquet.
PART_FILE = re.compile(r"part-(?:[rm]-)?\d+(?=[-_.])", re.IGNORECASE)
# A folder of a Hive-style partition: its rows' value of one column, which their files do not hold.
PARTITION = re.compile(r"(?P<column>[^=]+)=(?P<value>.*)")


def is_bookkeeping(path: Path) -> bool:
    """Whether a file or folder of a job's output is its bookkeeping, as Hadoop's readers skip it: a
    name that begins with '_' (_SUCCESS, _committed_..., _metadata, _temporary/) or '.' (.crc
    checksums of each part)."""
    return path.name.startswith(("_", "."))


def part_files(folder: Path) -> list[Path] | None:
    """The part files of a job's output folder, by name: files named part-N with a data suffix,
    beside nothing but bookkeeping; None where `folder` is no such folder."""
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError:
        return None
    parts = []
    for child in children:
        if is_bookkeeping(child):
            continue
        if not (child.is_file() and PART_FILE.match(child.name) and child.suffix.lower() in FILE_BUILDERS):
            return None
        parts.append(child)
    return parts or None


def _data_files(folder: Path) -> list[Path] | None:
    """The files of a split folder that holds data files only (train/a.parquet, train/b.parquet),
    bookkeeping aside; None where it holds anything else (label folders, texts)."""
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError:
        return None
    files = [child for child in children if not is_bookkeeping(child)]
    if not files or not all(file.is_file() and file.suffix.lower() in FILE_BUILDERS for file in files):
        return None
    return files


def spark_splits(folder: Path) -> dict[str, list[Path]]:
    """The splits of a folder Spark wrote: its own part files as the train split, or its split folders
    (train/, validation/, test/ and their other names, or Hive's split=train/), each of part files or
    of data files alone, other files beside them left alone (README.md); none for any other folder."""
    parts = part_files(folder)
    if parts:
        return {"train": parts}
    splits: dict[str, list[Path]] = {}
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError:
        return {}
    for child in children:
        if is_bookkeeping(child) or (child.is_file() and child.suffix.lower() not in FILE_BUILDERS):
            continue
        partition = PARTITION.fullmatch(child.name)
        split = SPLIT_ALIASES.get((partition["value"] if partition else child.name).lower())
        files = _data_files(child) if child.is_dir() and split is not None else None
        if split is None or files is None or split in splits:
            return {}
        splits[split] = files
    return splits


def is_job_output(folder: Path) -> bool:
    """Whether `folder` is one job's output folder of part files: one split's rows, read whole."""
    return folder.is_dir() and part_files(folder) is not None


def require_no_column_partitions(folder: Path) -> None:
    """Refuse a folder partitioned Hive-style by a column other than the split (label=sport/,
    date=2024-01-01/, as `partitionBy` writes it), or whose split partitions are (split=train/label=
    sport/): the column's values are in the folder names, not in the rows, and a label partition's
    folders were taken for labels holding data files."""
    try:
        folders = sorted(
            (child for child in folder.iterdir() if child.is_dir() and not is_bookkeeping(child)),
            key=lambda child: child.name,
        )
    except OSError:
        return
    partitions = [found for child in folders if (found := PARTITION.fullmatch(child.name))]
    columns = sorted({found["column"] for found in partitions if found["value"].lower() not in SPLIT_ALIASES})
    if not columns:
        for split_folder in (folder / found.string for found in partitions):
            require_no_column_partitions(split_folder)
        return
    shown = ", ".join(f"{found.string}/" for found in partitions[:3]) + (
        ", ..." if len(partitions) > 3 else ""
    )
    column = columns[0]
    raise DataError(
        f"{folder} is partitioned by the column {column!r} ({shown}), as Spark's partitionBy writes it: "
        f"its rows hold no {column!r}, which attn does not read from folder names; write the data "
        f"without partitionBy({column!r}) (or partition it by split: split=train/, split=test/)"
    )
