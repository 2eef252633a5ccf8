"""Arrow files as `datasets` writes them (the IPC stream format; feather's file format too), and the
folder `save_to_disk` writes, read a batch at a time for predict and inspect. pyarrow comes with
datasets; it is imported only when such a file is read."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attncli.errors import DataError
from attncli.lfs_pointers import require_no_lfs_pointer_file

# What save_to_disk writes beside the data files: the list of them, and a DatasetDict's splits.
STATE_FILE = "state.json"
DATASET_DICT_FILE = "dataset_dict.json"


def is_saved_dataset(path: Path) -> bool:
    """Whether `path` is a folder save_to_disk wrote, of one Dataset or of a DatasetDict's splits."""
    return path.is_dir() and ((path / STATE_FILE).is_file() or (path / DATASET_DICT_FILE).is_file())


def saved_dataset_files(path: Path) -> list[Path]:
    """The data files of a Dataset saved with save_to_disk, in row order. A DatasetDict's folder is
    refused naming its splits' folders, each of which is one Dataset."""
    if (path / DATASET_DICT_FILE).is_file():
        splits = sorted(child.name for child in path.iterdir() if (child / STATE_FILE).is_file())
        shown = ", ".join(splits) or "none"
        example = (
            f"; pass one split's folder, such as --file {shlex.quote(str(path / splits[0]))}"
            if splits
            else ""
        )
        of = "of one split" if len(splits) == 1 else "of several splits"
        raise DataError(f"{path} is a saved DatasetDict {of} ({shown}){example}")
    try:
        files = listed_data_files(path)
    except UNREADABLE_STATE as error:
        raise DataError(
            f"{path / STATE_FILE} cannot be read ({error}); save the dataset again with save_to_disk"
        ) from None
    require_data_files(files, path)
    return files


# What reading a state.json that is missing, damaged or of another layout raises.
UNREADABLE_STATE = (OSError, ValueError, KeyError, TypeError)


def listed_data_files(folder: Path) -> list[Path]:
    """The data files a saved Dataset's state.json lists, in row order; UNREADABLE_STATE where it
    cannot be read."""
    state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    return [folder / str(entry["filename"]) for entry in state["_data_files"]]


def require_data_files(files: list[Path], where: Path | str) -> None:
    """Refuse a saved Dataset one of whose data files is gone, naming it."""
    for file in files:
        if not file.is_file():
            raise DataError(f"{where} lacks its data file {file.name}; copy or save the dataset again")
        require_no_lfs_pointer_file(file)


def _reader(path: Path) -> Any:
    """A reader of the record batches of one Arrow file, in either of Arrow's two formats."""
    import pyarrow as arrow  # type: ignore[import-untyped]

    source = arrow.memory_map(str(path))
    try:
        return arrow.ipc.open_stream(source)
    except arrow.ArrowInvalid:
        pass
    try:
        return arrow.ipc.open_file(source)
    except arrow.ArrowInvalid as error:
        raise feather_v1_error(path) or DataError(
            f"could not read {path} as an Arrow file ({error})"
        ) from None


def feather_v1_error(path: Path) -> DataError | None:
    """The error for a file of Feather's first version (written before Arrow 0.17, or asked for with
    version 1), which is not an Arrow IPC file: none where `path` is not one."""
    try:
        with path.open("rb") as file:
            if file.read(4) != b"FEA1":
                return None
    except OSError:
        return None
    return DataError(
        f"{path} is a Feather file of its first version, not an Arrow IPC file as later versions are; "
        "write it again as version 2, write_feather's default (R's arrow::write_feather, pandas' to_feather)"
    )


def arrow_schema(files: list[Path]) -> Any:
    """The schema of the data files (the first's: save_to_disk writes them all alike); None for
    none, a Dataset saved without rows."""
    return _reader(files[0]).schema if files else None


def arrow_batches(files: list[Path]) -> Iterator[Any]:
    """The record batches of every file, in order, read as they are needed (memory-mapped)."""
    for path in files:
        reader = _reader(path)
        if hasattr(reader, "num_record_batches"):  # the file format
            for number in range(reader.num_record_batches):
                yield reader.get_batch(number)
        else:
            yield from reader


def arrow_rows(files: list[Path]) -> int:
    """How many rows the files hold, from their batches' headers (no column is read)."""
    return sum(batch.num_rows for batch in arrow_batches(files))
