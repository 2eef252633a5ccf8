"""The folders a user points attn's temporary files at (TMPDIR, HF_DATASETS_CACHE), checked before a
run reads its data: one that cannot be used was passed over without a word (Python's `tempfile` falls
back to /tmp, and `datasets` goes on without its cache), where a cluster job points them at scratch
because /tmp on its node is small (an HPC trial)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def scratch_warnings(environ: Mapping[str, str] = os.environ) -> list[str]:
    """A warning for each of TMPDIR and HF_DATASETS_CACHE that is set to a folder attn cannot write
    its files in, saying where they go instead or what to do."""
    warnings = []
    temporary = environ.get("TMPDIR")
    if temporary and (why := _unwritable(Path(temporary), made=False)) is not None:
        warnings.append(
            f"warning: TMPDIR={temporary} {why}, so temporary files (attn's copies of the data) go to "
            f"{tempfile.gettempdir()}; create it, or point TMPDIR at a folder you can write to"
        )
    cache = environ.get("HF_DATASETS_CACHE")
    if cache and (why := _unwritable(Path(cache).expanduser(), made=True)) is not None:
        warnings.append(
            f"warning: HF_DATASETS_CACHE={cache} {why}, so datasets cannot keep its copies of the data "
            "there; point it at a folder you can write to, or unset it"
        )
    return warnings


def _unwritable(folder: Path, *, made: bool) -> str | None:
    """Why files cannot be written in `folder` (None where they can); `made`: whether the folder is
    created where it is missing (datasets makes its cache folder, Python's tempfile does not)."""
    if folder.is_dir():
        return None if os.access(folder, os.W_OK | os.X_OK) else "is a folder you cannot write to"
    if folder.exists():
        return "is a file, not a folder"
    if not made:
        return "does not exist"
    parent = next((above for above in folder.parents if above.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return f"does not exist and cannot be made in {parent}"
    return None
