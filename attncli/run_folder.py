"""The output folder of `attn train`: `best/` and `last/` checkpoints, `metrics.jsonl`, and the lock
that keeps two runs out of one folder. Checked before any data loads, so a bad --output fails in
the first second, and --overwrite never replaces anything but an earlier attn run."""

from __future__ import annotations

import errno
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from attncli.checkpoint import (
    BEST,
    CONFIG_FILE,
    LAST,
    METRICS_FILE,
    REQUIRED_FILES,
    STATE_FILE,
    STATE_TENSORS_FILE,
    recover_interrupted_swap,
)
from attncli.errors import CheckpointError

METRICS_LOG = "metrics.jsonl"
LOCK_FILE = ".attn-train.lock"
# What an attn run folder may hold: its own entries, the files of a checkpoint written at the top by
# attn before best/ and last/ existed, and hidden staging folders of an interrupted save.
RUN_ENTRIES = {
    BEST,
    LAST,
    METRICS_LOG,
    LOCK_FILE,
    *REQUIRED_FILES,
    METRICS_FILE,
    STATE_FILE,
    STATE_TENSORS_FILE,
}


def _is_run_entry(name: str) -> bool:
    return name in RUN_ENTRIES or name.startswith((f".{BEST}.", f".{LAST}.", f".{METRICS_LOG}."))


@dataclass
class RunFolder:
    path: Path
    lock: Path
    created: bool = False
    """True when this run made the folder: one left empty is removed when the run ends."""
    owns_lock: bool = True
    """False on torchrun's other ranks, which use the folder rank 0 locked."""

    @property
    def best(self) -> Path:
        return self.path / BEST

    @property
    def last(self) -> Path:
        return self.path / LAST

    @property
    def metrics_log(self) -> Path:
        return self.path / METRICS_LOG

    def remove_flat_checkpoint(self) -> None:
        """Files of a checkpoint an earlier attn wrote at the top, once best/ has replaced them."""
        for name in (*REQUIRED_FILES, METRICS_FILE):
            (self.path / name).unlink(missing_ok=True)

    def release(self) -> None:
        if not self.owns_lock:
            return
        self.lock.unlink(missing_ok=True)
        if self.created and not any(self.path.iterdir()):
            self.path.rmdir()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _acquire_lock(folder: Path) -> Path:
    """Create the lock file, clearing one left by a process that no longer runs on this machine."""
    lock = folder / LOCK_FILE
    this_host = socket.gethostname()
    for _ in range(2):
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text(encoding="utf-8"))
                pid, host = int(holder["pid"]), str(holder["host"])
            except (OSError, ValueError, KeyError, TypeError):
                pid, host = -1, this_host  # unreadable: written by a run killed mid-write
            if host != this_host:
                raise CheckpointError(
                    f"--output {folder} is in use by a training run on {host} (pid {pid}); wait for it, "
                    f"pass another folder, or delete {lock} if that run is gone"
                ) from None
            if pid > 0 and _process_alive(pid):
                raise CheckpointError(
                    f"--output {folder} is in use by another attn train (pid {pid}); wait for it to finish "
                    "or pass another folder"
                ) from None
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        except OSError as error:
            raise CheckpointError(
                f"cannot write to --output {folder} ({error.strerror}); pass a folder you can write to"
            ) from error
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump({"pid": os.getpid(), "host": this_host}, file)
        return lock
    raise CheckpointError(f"could not take the lock {lock}; delete it if no training run uses {folder}")


def open_run_folder(path: Path, *, overwrite: bool, resume: bool = False) -> RunFolder:
    """Check that `path` can take this run, create it, and lock it; before any data loads."""
    if path.exists() and not path.is_dir():
        raise CheckpointError(f"--output {path} is a file; pass a folder path")
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = "a part of the path is a file" if error.errno == errno.ENOTDIR else error.strerror
        raise CheckpointError(
            f"cannot create --output {path} ({reason}); pass a folder you can write to"
        ) from error
    lock = _acquire_lock(path)
    try:
        run = RunFolder(path=path, lock=lock, created=created)
        for folder in (run.best, run.last):
            recover_interrupted_swap(folder)
        others = sorted(child.name for child in path.iterdir() if child.name != LOCK_FILE)
        if resume:
            if not (run.last / CONFIG_FILE).is_file():
                raise CheckpointError(
                    f"{path} has no last/ checkpoint to resume from; train it with attn train -o"
                )
        elif others and not overwrite:
            raise CheckpointError(
                f"--output {path} is not empty; pass --overwrite to replace the attn run in it, "
                "or another folder"
            )
        elif others:
            foreign = [name for name in others if not _is_run_entry(name)]
            if foreign:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise CheckpointError(
                    f"--output {path} holds files attn did not write ({shown}); --overwrite replaces only "
                    "an attn run folder, so pass another folder"
                )
        return run
    except BaseException:
        RunFolder(path=path, lock=lock, created=created).release()
        raise
