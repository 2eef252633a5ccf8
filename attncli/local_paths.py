"""A path the user typed, as the shell would have read it: a leading `~` (or `~user`) is the home
folder, unless a file of that literal name is here or no such user exists. `Path.expanduser`
alone read `./~notes.csv` as the home of a user "notes.csv" and failed on it with "Could not
determine home directory" (exit 1), and took a folder named `~root` here for /root."""

from __future__ import annotations

import os
from pathlib import Path


def local_path(typed: str | os.PathLike[str]) -> Path:
    path = Path(typed)
    if not str(typed).startswith("~") or path.exists():
        return path
    try:
        return path.expanduser()
    except RuntimeError:  # no such user: a name that only begins with ~
        return path
