"""The checkpoint folder: its files and format version, which folder a path names (`resolve_checkpoint`),
its config.json read and checked (`read_header`), and reads done again while a run replaces it
(`read_steadily`). Importing it loads no torch, safetensors or tokenizers (`attn info` relies on that)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from attncli.checksums import check_header
from attncli.errors import CheckpointError

# A checkpoint is `config.json` (resolved config, label names, versions), `model.safetensors` (fp32
# weights), `tokenizer.json` and `metrics.json`; the `last/` checkpoint of a run adds
# `training_state.safetensors` and `training_state.json` (optimizer, schedule, random states, position
# in the run). config.json records the SHA-256 and size of every other file, and loading checks the
# files against it (checkpoints written before that record load unchecked).

# 2: model zoo (attention kinds, pooling methods, multi-head pooling); format 1 is migrated on load.
FORMAT_VERSION = 2
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
METRICS_FILE = "metrics.json"
STATE_TENSORS_FILE = "training_state.safetensors"
STATE_FILE = "training_state.json"
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE)
# The files a checkpoint's config.json records (checkpoint_saving.py), and may record.
RECORDED_FILES = frozenset((WEIGHTS_FILE, TOKENIZER_FILE, METRICS_FILE, STATE_TENSORS_FILE, STATE_FILE))
BEST, LAST = "best", "last"
# The lock an attn train holds on its output folder while it runs (run_folder.py).
LOCK_FILE = ".attn-train.lock"
# Where `attn train --overwrite` keeps the run it replaces until it has finished: eval, predict, inspect
# and info read the run there meanwhile; and where its entries are on their way there.
REPLACED = ".attn-replaced"
MOVING_ASIDE = f"{REPLACED}-moving"
# Files other tools save weights in: pickles, which attn never loads (unpickling can run any code).
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
# A checkpoint that a training run replaces while it is read is read again, this often at most: about
# 2 s of epochs a fraction of a second long (small data; each pause is jittered, 1-3 s in all). One
# that stays in place is read once.
READ_ATTEMPTS, READ_RETRY_SECONDS = 40, 0.05
# Its own generator: a read during training must not move the seeded global one.
_RETRY_JITTER = random.Random()
# The files a save writes: a reader watches these for a swap or a copy, not a user's notes beside them.
CHECKPOINT_FILES = frozenset((*REQUIRED_FILES, METRICS_FILE, STATE_TENSORS_FILE, STATE_FILE))
T = TypeVar("T")


def is_checkpoint_or_run(path: Path) -> bool:
    """Whether `path` is a checkpoint folder or a run's output folder (best/, last/): `attn eval R R`
    read it as data."""
    if (path / CONFIG_FILE).is_file() and (path / WEIGHTS_FILE).is_file():
        return True
    return any((path / kept / CONFIG_FILE).is_file() for kept in (BEST, LAST))


def retired(folder: Path) -> list[Path]:
    """Previous copies of `folder` that a swap moved aside, newest first."""
    return sorted(folder.parent.glob(f".{folder.name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)


def resolve_checkpoint(path: Path) -> Path:
    """The checkpoint folder `path` names: a run's output folder means its `best/` (its `last/` when
    a run stopped before any epoch ended); `best/`, `last/` or a folder written by an earlier attn
    (files at the top) mean themselves. Where a process was killed halfway through replacing a
    checkpoint, the previous copy it moved aside is used; where an --overwrite run has not finished
    (still training, stopped or killed), the best/ of the run it is replacing, which stays in use until
    it has: a nightly retrain killed halfway served its first epochs' model."""
    for inside in (path, path / BEST):  # whether we may look inside the folder, and its best/
        try:
            (inside / CONFIG_FILE).stat()
        except PermissionError:
            # Every place inside looked missing, and the error named the last one tried, a folder
            # the run did not have (`RUN/.attn-replaced/best/config.json`: an ops trial's 0700 run).
            raise CheckpointError(
                f"{inside} cannot be read (permission denied); give yourself access to it (chmod, chown)"
            ) from None
        except OSError:
            pass
    for folder in (
        path / REPLACED / BEST,
        path / MOVING_ASIDE / BEST,  # the few milliseconds of the move aside, or a kill among them
        path / BEST,
        path,
        path / LAST,
        path / REPLACED / LAST,
    ):
        if (folder / CONFIG_FILE).is_file():
            return folder
        survivors = [old for old in retired(folder) if (old / CONFIG_FILE).is_file()]
        if survivors and not folder.exists():
            return survivors[0]
        if folder == path / BEST and folder.is_dir():  # damaged: its error, never a quiet switch to last/
            return folder
    return path


# Runs named where a folder of runs is passed for one (`attn info runs` for runs/bbc).
RUNS_NAMED = 3


def _runs_inside(folder: Path) -> str:
    """The output folders or checkpoints just inside `folder`, newest first, for a message; empty
    where there are none."""
    try:
        runs = [
            child
            for child in folder.iterdir()
            if (child / CONFIG_FILE).is_file() or (child / BEST / CONFIG_FILE).is_file()
        ]
        runs.sort(key=lambda child: child.stat().st_mtime, reverse=True)
    except OSError:
        return ""
    more = len(runs) - RUNS_NAMED
    return ", ".join(str(child) for child in runs[:RUNS_NAMED]) + (f" and {more} more" if more > 0 else "")


def saved_device(header: dict[str, Any]) -> str:
    """The `train.device` a run saved in its header (config.json), `auto` where it saved none."""
    return str(header.get("config", {}).get("train", {}).get("device", "auto"))


# config.json holds the settings and the label names: a million labels of 40 characters make 45 MB.
# A larger one was made by no attn: a trial's 1 GB config.json took 3.2 GB and 16 s to be read.
MOST_CONFIG_BYTES = 64 << 20


def read_header(path: Path, *, complete: bool = True) -> dict[str, Any]:
    """config.json of the checkpoint at `path`, after checking the folder is complete and its values
    are those saved (`complete` False: that config.json is there and reads; `attn info` reports the
    state of every file, config.json's own included, itself)."""
    if path.is_file():
        from attncli.fasttext_files import FASTTEXT_MAGIC

        with contextlib.suppress(OSError), path.open("rb") as file:
            if file.read(4) == FASTTEXT_MAGIC:  # a fastText user's first try (a trial)
                raise CheckpointError(
                    f"{path} is a fastText model, which attn cannot load; train attn on the same data "
                    "(attn train DATA -o RUN) and pass RUN"
                )
        raise CheckpointError(
            f"{path} is a file, not a checkpoint; pass the folder `attn train` wrote (its --output)"
        )
    if not path.is_dir():
        raise CheckpointError(f"checkpoint {path} does not exist; pass a folder written by `attn train`")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing and (complete or CONFIG_FILE in missing):
        pickles = sorted(item.name for item in path.iterdir() if item.suffix.lower() in PICKLE_SUFFIXES)
        refused = (
            f"; attn never loads {', '.join(pickles)}: a pickle can run any code when loaded"
            if pickles and WEIGHTS_FILE in missing
            else ""
        )
        if len(missing) == len(REQUIRED_FILES):
            if (path / LOCK_FILE).exists():
                from attncli.run_folder import training_now

                if training_now(path):
                    raise CheckpointError(
                        f"{path} holds no checkpoint yet: the attn train running there has not saved its "
                        "first epoch; pass it again once its best/ is written"
                    )
                # Killed before then (by the system's out-of-memory killer, say, which leaves no
                # word): "pass it again once its best/ is written" read as if it were still running.
                # Killed while saving it, the log holds that epoch, and -o alone refuses the folder.
                from attncli.run_folder import METRICS_LOG, no_epoch_in

                log = path / METRICS_LOG
                saving = log.is_file() and not no_epoch_in(log)
                when = "while it saved its first epoch" if saving else "before its first epoch ended"
                raise CheckpointError(
                    f"{path} holds no checkpoint: the attn train started there stopped {when}, saving "
                    f"nothing (killed, for memory or by a signal); train it again with attn train DATA -o "
                    f"{shlex.quote(str(path))}{' --overwrite' if saving else ''}"
                )
            inside = _runs_inside(path)
            raise CheckpointError(
                f"{path} is not an attn checkpoint (no {', '.join(REQUIRED_FILES)}); "
                + (
                    f"it holds the runs {inside}: pass one of them"
                    if inside
                    else "pass a folder written by `attn train`"
                )
            )
        newest = path.parent / LAST
        instead = (
            f"pass {newest} to use the newest epoch, or train again"
            if path.name == BEST and (newest / CONFIG_FILE).is_file()
            else "train it again with `attn train`"
        )
        raise CheckpointError(
            f"checkpoint {path} is incomplete (missing {', '.join(missing)}{refused}); {instead}"
        )
    size = (path / CONFIG_FILE).stat().st_size
    if size > MOST_CONFIG_BYTES:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is not config.json as attn writes it ({size:,} bytes, over the "
            f"{MOST_CONFIG_BYTES >> 20} MB attn reads: it holds settings and label names, a few kilobytes "
            "for most models); train the checkpoint again"
        )
    try:
        # utf-8-sig: an editor that saves with a byte-order mark (Notepad) changes no value, and the
        # digest is of the values (it was "not valid JSON ...; train the checkpoint again").
        header = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is not valid JSON ({error}); train the checkpoint again"
        ) from error
    except RecursionError:  # arrays within arrays, 200,000 deep: no attn wrote it
        raise CheckpointError(
            f"{path / CONFIG_FILE} is not config.json as attn writes it (JSON nested too deeply to read); "
            "train the checkpoint again"
        ) from None
    version = header.get("format_version") if isinstance(header, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format {version!r}; this attn reads formats 1 to {FORMAT_VERSION}, "
            "so upgrade attn (pip install -U attncli) or retrain it with this version"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        # Another program's JSON, or one written over attn's: no newer attn reads it either.
        absent = not isinstance(header, dict) or "format_version" not in header
        # JSON's words for what it holds: "{}" said "its format_version is None", Python's spelling.
        said = "it has no format_version" if absent else f"its format_version is {json.dumps(version)}"
        raise CheckpointError(
            f"{path / CONFIG_FILE} is not the config.json attn wrote ({said}); "
            "restore the file from a backup of the checkpoint, or train it again"
        )
    if complete:
        check_header(header, path)
    return header


def read_steadily(path: Path, read: Callable[[Path], T]) -> T:
    """`read(folder)` of the checkpoint folder `path` names (`resolve_checkpoint`), done again when
    a training run replaced that folder while it was read, or a copy wrote over its files: they
    would then come from two checkpoints, and a whole one would look damaged to eval, predict or
    info during an --overwrite, a --resume or a deployment. A checkpoint that stays as it is while
    it fails is damaged."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        folder = resolve_checkpoint(path)
        before = _identity(folder)
        try:
            result = read(folder)
        except (CheckpointError, OSError) as error:  # OSError: a file gone between being found and opened
            if not _changed_since(path, before):
                raise
            if attempt == READ_ATTEMPTS:  # still being written: not damaged, and not readable yet
                seconds = READ_ATTEMPTS * READ_RETRY_SECONDS
                raise CheckpointError(
                    f"{folder} kept changing while attn read it, for about {seconds:.0f} s (is a copy or a "
                    "training run writing it?); wait until it ends; to replace a checkpoint in use, copy the "
                    "new one beside it and rename it into place"
                ) from error
        else:
            if attempt == READ_ATTEMPTS or _identity(resolve_checkpoint(path)) == before:
                return result
        # Half to one and a half times the pause: a writer that saves on a fixed beat (a loop of
        # cp or rsync, a test) would otherwise meet every attempt at the same point of its beat.
        time.sleep(READ_RETRY_SECONDS * (0.5 + _RETRY_JITTER.random()))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _changed_since(path: Path, before: tuple[Any, ...] | None) -> bool:
    """Whether the checkpoint at `path` changed since `before` (`_identity`), looked at now and once
    more a moment later: a copy caught between truncating a file and writing it may leave the same
    size and time for a few milliseconds (times are kept to the kernel's tick)."""
    if _identity(resolve_checkpoint(path)) != before:
        return True
    time.sleep(READ_RETRY_SECONDS)
    return _identity(resolve_checkpoint(path)) != before


def _identity(folder: Path) -> tuple[Any, ...] | None:
    """What changes when a swap puts another folder at `folder`'s path, or when a copy (`cp -r
    new/. folder/`, rsync) writes over its files in place: the folder's inode and change time, and
    each file's size and modification time (None: nothing there)."""
    try:
        status = folder.stat()
        files = sorted(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
            for entry in os.scandir(folder)
            if entry.name in CHECKPOINT_FILES and entry.is_file()
        )
    except OSError:
        return None
    return str(folder), status.st_ino, status.st_ctime_ns, tuple(files)
