"""Data files that are git-lfs pointers: a dataset repository cloned without git-lfs (as `git clone`
of a Hub dataset leaves it where git-lfs is not installed) holds, in place of each parquet, arrow or
large csv file, a few lines naming the file's hash. Read as data they gave "Parquet magic bytes not
found in footer", or a csv whose one column was named `version https://git-lfs.github.com/spec/v1`
with advice to add a header line (a researcher's trial)."""

from __future__ import annotations

import shlex
from pathlib import Path

from attncli.errors import DataError

# The first line of every git-lfs pointer file.
LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def require_no_lfs_pointer(path: Path, head: bytes) -> None:
    """Refuse `path`, whose first bytes are `head`, where it is a git-lfs pointer, saying how to fetch
    the file it stands for."""
    if not head.startswith(LFS_POINTER):
        return
    root = next((folder for folder in path.absolute().parents if (folder / ".git").exists()), None)
    install = "git lfs install first, if git-lfs is new there"
    if root is not None:
        inside = path.absolute().relative_to(root).as_posix()
        fetch = (
            f"run git lfs pull in {shlex.quote(str(root))} ({install}; git lfs pull --include "
            f"{shlex.quote(inside)} fetches this file alone)"
        )
    else:
        fetch = f"run git lfs pull in the repository it was cloned into ({install})"
    raise DataError(
        f"{path} is a git-lfs pointer, not the data it stands for (the repository was cloned without "
        f"git-lfs); {fetch}, or download the file"
    )


def require_no_lfs_pointer_file(path: Path) -> None:
    """`require_no_lfs_pointer` of a binary data file, read from its start; one that cannot be
    opened is left to its reader, which says why in its own words (a review)."""
    try:
        with path.open("rb") as file:
            head = file.read(len(LFS_POINTER))
    except OSError:
        return
    require_no_lfs_pointer(path, head)
