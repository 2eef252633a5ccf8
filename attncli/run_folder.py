"""The output folder of `attn train`: `best/` and `last/` checkpoints, `metrics.jsonl`, and the lock
that keeps two runs out of one folder. Checked before any data loads, so a bad --output fails in
the first second, and --overwrite never replaces anything but an earlier attn run."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shlex
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from attncli.checkpoint_folder import (
    BEST,
    CONFIG_FILE,
    LAST,
    LOCK_FILE,
    METRICS_FILE,
    MOVING_ASIDE,
    REPLACED,
    REQUIRED_FILES,
    STATE_FILE,
    STATE_TENSORS_FILE,
)
from attncli.checkpoint_saving import recover_interrupted_swap
from attncli.errors import CheckpointError, unusable_path
from attncli.file_locks import NO_FOLLOW, try_lock

METRICS_LOG = "metrics.jsonl"
TENSORBOARD_FOLDER = "tensorboard"
# What an attn run folder may hold: its own entries, the files of a checkpoint written at the top by
# attn before best/ and last/ existed, and hidden staging folders of an interrupted save.
RUN_ENTRIES = {
    BEST,
    LAST,
    METRICS_LOG,
    TENSORBOARD_FOLDER,
    LOCK_FILE,
    *REQUIRED_FILES,
    METRICS_FILE,
    STATE_FILE,
    STATE_TENSORS_FILE,
}


# The earlier run's entries on their way aside (--overwrite, MOVING_ASIDE), and on their way out once
# the new run has finished: each step is one rename, so a process killed at any moment leaves a
# state the next run on the folder can finish (`finish_replacing`).
DROPPING = f"{REPLACED}-dropping"
ASIDE = (REPLACED, MOVING_ASIDE, DROPPING)


def _is_run_entry(name: str) -> bool:
    return name in RUN_ENTRIES or name in ASIDE or name.startswith((f".{BEST}.", f".{LAST}."))


def _run_entries(path: Path) -> list[Path]:
    """What a run wrote in its folder: everything attn's but the lock and a run moved aside."""
    return [path / name for name in run_entries_and_others(path)[0]]


def run_entries_and_others(path: Path) -> tuple[list[str], list[str]]:
    """The names in a run folder of what a run wrote there (everything attn's but the lock and a run
    moved aside), and of the rest but its lock: files attn did not write, or a run moved aside by an
    --overwrite."""
    names = [child.name for child in path.iterdir() if child.name != LOCK_FILE]
    entries = [name for name in names if name not in ASIDE and _is_run_entry(name)]
    return entries, [name for name in names if name not in entries]


@dataclass
class RunFolder:
    path: Path
    lock: Path
    created: bool = False
    """True when this run made the folder: one left empty is removed when the run ends."""
    lock_descriptor: int | None = None
    """The open lock file whose flock this run holds; None on torchrun's other ranks, which use the
    folder rank 0 locked."""
    overwrite: bool = False
    """The run replaces an earlier one here (--overwrite)."""
    put_back: bool = False
    """Taking the folder put back a run that an --overwrite stopped before its first best/ had
    moved aside (said to the user: it is that earlier run the folder holds now)."""

    @property
    def best(self) -> Path:
        return self.path / BEST

    @property
    def last(self) -> Path:
        return self.path / LAST

    @property
    def metrics_log(self) -> Path:
        return self.path / METRICS_LOG

    def clear_previous_run(self) -> None:
        """With --overwrite, move the earlier run's entries aside (into .attn-replaced/) once this run
        is ready to train, so nothing of the old run is mistaken for the new one; data or settings
        that fail to load before this leave the earlier run as it was. eval, predict and inspect read
        the run aside until this one finishes (`resolve_checkpoint`), and it is removed then
        (`drop_replaced_run`); a run that fails or is stopped before saving a best/ of its own gets it
        back, and one stopped or killed after keeps it aside, for a --resume to finish the run."""
        if not self.overwrite:
            return
        if (self.path / REPLACED).is_dir():
            # The folder holds an --overwrite run that did not finish (`finish_replacing` left it): that
            # run is what this one replaces, and the finished run it was replacing stays aside until a
            # run here finishes. best/ goes first, so a process killed halfway leaves no best/, and
            # the next run on the folder puts the earlier run back.
            dropping = self.path / DROPPING
            dropping.mkdir()
            for child in sorted(_run_entries(self.path), key=lambda entry: entry.name != BEST):
                child.rename(dropping / child.name)
            shutil.rmtree(dropping)
            return
        entries = _run_entries(self.path)
        if not entries:  # a new or empty folder: no run to keep aside (an empty one read as a run)
            return
        moving = self.path / MOVING_ASIDE
        moving.mkdir()
        for child in entries:
            child.rename(moving / child.name)
        moving.rename(self.path / REPLACED)

    def drop_replaced_run(self) -> None:
        """Remove the run --overwrite moved aside: this run has finished, and replaces it now."""
        _drop_aside(self.path)

    def replaces_a_run(self) -> bool:
        """Whether an earlier run waits aside for this one to finish (--overwrite)."""
        return _holds_a_run_aside(self.path)

    def put_back_replaced_run(self) -> None:
        """Put back the run --overwrite moved aside: this run stopped before its first best/."""
        finish_replacing(self.path)

    def discard_this_run(self) -> None:
        """Remove what this run wrote (it failed before saving a checkpoint: its log) and put back the
        run --overwrite moved aside; the folder is then as it was before the run, or empty and
        removed on release if the run made it."""
        for child in _run_entries(self.path):
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        finish_replacing(self.path)

    def release(self) -> None:
        if self.lock_descriptor is None:
            return
        # Best effort: a folder made read-only during the run keeps its lock file, which the next
        # run takes over as stale; failing here would hide the error that ended this run. Windows
        # removes no open file: closed first there (elsewhere removed first, so that no run takes
        # the lock of a file about to go).
        if sys.platform == "win32":
            os.close(self.lock_descriptor)
        with contextlib.suppress(OSError):
            self.lock.unlink(missing_ok=True)
        if sys.platform != "win32":
            os.close(self.lock_descriptor)  # releases the lock
        self.lock_descriptor = None
        with contextlib.suppress(OSError):
            if self.created and not any(self.path.iterdir()):
                self.path.rmdir()


def mend(path: Path) -> None:
    """Finish in `path` what a stopped or killed run left half done (a swap of best/ or last/, an
    --overwrite's moves), where no other run holds it: for a command that reports a run with nothing
    left to do, whose run aside must then go (`finish_replacing`)."""
    with contextlib.suppress(CheckpointError, OSError):
        open_run_folder(path, overwrite=False, resume=True).release()


def replaced_kept(path: Path) -> str:
    """Where the run an unfinished --overwrite into `path` replaces stays meanwhile, for the words that
    say what a stopped or failed run keeps; nothing where no run waits aside."""
    if not _holds_a_run_aside(path):
        return ""
    return f"; the run it replaces stays in use ({path / REPLACED}) until a run in {path} finishes"


def _holder(lock: Path) -> str:
    """Who holds `lock`, in words, from what it wrote there."""
    try:
        holder = json.loads(lock.read_text(encoding="utf-8"))
        return f"pid {int(holder['pid'])} on {holder['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that is still starting"


def training_now(folder: Path) -> bool:
    """Whether an attn train holds the lock of the run folder `folder` now (read only: a lock file a
    killed run left is held by none)."""
    try:
        descriptor = os.open(folder / LOCK_FILE, os.O_RDONLY | NO_FOLLOW)
    except OSError:
        return False
    try:
        return not try_lock(descriptor, shared=True)
    except OSError:
        return False
    finally:
        os.close(descriptor)  # which releases a lock taken


def _acquire_lock(folder: Path, option: str = "--output") -> tuple[Path, int]:
    """Lock `folder` for this run: a lock on its lock file (attncli/file_locks.py), which the system
    releases however the process ends, so a lock file left by a killed run is simply taken over."""
    lock = folder / LOCK_FILE
    while True:
        try:
            # Never through a link: one in a run folder from elsewhere had the pid written over its target.
            descriptor = os.open(lock, os.O_CREAT | os.O_RDWR | NO_FOLLOW, 0o644)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise CheckpointError(_linked_entry_refusal(lock)) from None
            raise CheckpointError(
                f"cannot write to {option} {folder} ({error.strerror}); pass a folder you can write to"
            ) from error
        if not try_lock(descriptor):
            os.close(descriptor)
            raise CheckpointError(
                f"{option} {folder} is in use by another attn train ({_holder(lock)}); wait for it to "
                "finish or pass another folder"
            ) from None
        try:
            same_file = os.stat(lock).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            same_file = False
        if not same_file:  # its holder removed it between our open and our lock: try again
            os.close(descriptor)
            continue
        os.ftruncate(descriptor, 0)
        os.write(descriptor, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        return lock, descriptor


def _holds_a_run_aside(path: Path) -> bool:
    """Whether `path` keeps a run aside for an --overwrite (an empty folder aside, left by a kill
    between a put-back's last move and its removal, keeps none)."""
    aside = path / REPLACED
    return aside.is_dir() and any(aside.iterdir())


def _drop_aside(path: Path) -> None:
    """Remove the run --overwrite moved aside in `path`, in one rename out of readers' sight first."""
    if (path / REPLACED).exists():
        (path / REPLACED).rename(path / DROPPING)
        shutil.rmtree(path / DROPPING)


def finish_replacing(path: Path) -> bool:
    """Bring the folder to a whole state after --overwrite's moves, however a process was stopped
    among them: a move aside begun is undone, a run aside whose replacement never saved its best/
    is put back (entry by entry, each replacing its namesake, so a put-back stopped halfway goes on
    the next time), and one on its way out is removed. A run aside whose replacement has a best/
    stays aside while that run has work left (a --resume finishes it), and goes once it has none
    (killed between its end and the removal). Whether a run was put back."""
    shutil.rmtree(path / DROPPING, ignore_errors=True)
    with contextlib.suppress(OSError):  # one that is empty keeps nothing
        (path / REPLACED).rmdir()
    if _holds_a_run_aside(path) and (path / BEST / CONFIG_FILE).is_file():
        from attncli.resuming import work_left

        if work_left(path / LAST) is False:
            _drop_aside(path)
        return False
    put_back = False
    for aside in (path / MOVING_ASIDE, path / REPLACED):
        if not aside.is_dir():
            continue
        # best/ last: a put-back stopped halfway leaves no best/ at the top, which would read as the
        # replacing run's own (above), and the next run goes on with it.
        entries = sorted(aside.iterdir(), key=lambda entry: entry.name == BEST)
        put_back = put_back or bool(entries)  # an empty one (a kill before its first move) put back nothing
        for child in entries:
            target = path / child.name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            child.rename(target)
        aside.rmdir()
    return put_back


def _checkpoint_at_or_above(path: Path) -> Path | None:
    """The best/ or last/ checkpoint of a run that `path` is (through links too) or lies inside: a
    run trained there was deleted when the outer run saved again, resumed, or was overwritten."""
    resolved = path.resolve()
    for folder in (resolved, *resolved.parents):
        if folder.name in (BEST, LAST) and (folder / CONFIG_FILE).is_file():
            return folder
    return None


def _as_typed(path: Path, folder: Path) -> Path:
    """`folder` as the user's `path` spells it (`path` or one of its parents), unless a link in
    between leads there: then `folder` itself."""
    for typed in (path, *path.parents):
        if typed.name == folder.name and not typed.is_symlink() and typed.resolve() == folder:
            return typed
    return folder


def _linked_entry_refusal(entry: Path) -> str:
    """Why a run folder whose own entry is a symbolic link is refused: attn writes, replaces and
    removes its entries itself, and a run folder received from someone else wrote its metrics.jsonl
    over the file its link named (a user's file, with exit 0)."""
    return (
        f"{entry} is a symbolic link (to {os.readlink(entry)}): attn writes, replaces and removes the "
        f"entries of a run folder itself, and would write through it; remove the link (rm "
        f"{shlex.quote(str(entry))}) and run again"
    )


def open_run_folder(path: Path, *, overwrite: bool, resume: bool = False) -> RunFolder:
    """Check that `path` can take this run, create it, and lock it; before any data loads."""
    option = "--resume" if resume else "--output"
    if (why := unusable_path(path)) is not None:
        raise CheckpointError(f"cannot create {option} {path} ({why}); pass another folder")
    if resume and not path.exists():
        raise CheckpointError(f"--resume {path} does not exist; pass the folder an attn train -o wrote")
    if path.is_symlink() and not path.exists():
        raise CheckpointError(
            f"--output {path} is a link to {os.readlink(path)}, which does not exist; create that folder, "
            "or pass another"
        )
    if path.exists() and not path.is_dir():
        raise CheckpointError(f"{option} {path} is a file; pass a folder path")
    if (checkpoint := _checkpoint_at_or_above(path)) is not None:
        shown = _as_typed(path, checkpoint)
        if checkpoint == path.resolve():  # a run would nest in a run
            raise CheckpointError(
                f"{option} {path} is the {checkpoint.name}/ checkpoint of the run in {shown.parent}; pass "
                f"the run folder itself{'' if resume else ', or another folder'}"
            )
        raise CheckpointError(
            f"{option} {path} is inside the {checkpoint.name}/ checkpoint of the run in {shown.parent}, "
            "which each save replaces whole (with everything in it); pass a folder outside it"
        )
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = "a part of the path is a file" if error.errno == errno.ENOTDIR else error.strerror
        # Where a relative path leads: a scheduled job runs in a folder of the scheduler's choosing.
        within = "" if path.is_absolute() else f" in {Path.cwd()}"
        raise CheckpointError(
            f"cannot create --output {path}{within} ({reason}); pass a folder you can write to"
        ) from error
    lock, descriptor = _acquire_lock(path, option)
    run = RunFolder(path=path, lock=lock, created=created, lock_descriptor=descriptor, overwrite=overwrite)
    try:
        # Every entry attn writes, moves or removes: its own, a run moved aside, a save's staging.
        # A run moved aside is put back entry by entry, links too: one inside it named metrics.jsonl
        # was then written through, as one at the top was (a review).
        asides = [path / name for name in ASIDE if (path / name).is_dir() and not (path / name).is_symlink()]
        linked = sorted(
            child
            for folder in (path, *asides)
            for child in folder.iterdir()
            if (folder != path or _is_run_entry(child.name)) and child.is_symlink()
        )
        if linked:
            raise CheckpointError(_linked_entry_refusal(linked[0]))
        # Swaps first: a best/ that a kill left as .best.old-* is the replacing run's own, which keeps
        # the run aside from being put back over it; then those of the entries a put-back brought.
        for folder in (run.best, run.last):
            recover_interrupted_swap(folder)
        run.put_back = finish_replacing(path)
        for folder in (run.best, run.last):
            recover_interrupted_swap(folder)
        others = sorted(child.name for child in path.iterdir() if child.name != LOCK_FILE)
        log = path / METRICS_LOG
        # A run that died before its first epoch ended (an abort under `ulimit -v`, SIGKILL, a second
        # Ctrl-C) left its log alone, empty or with that epoch's step lines: nothing to keep.
        log_alone = others == [METRICS_LOG] and log.is_file() and not log.is_symlink() and no_epoch_in(log)
        if not resume and log_alone:  # "not empty; pass --overwrite" misled
            log.unlink()
            others = []
        foreign = [name for name in others if not _is_run_entry(name)]  # files attn did not write
        listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        if resume:
            if not (run.last / CONFIG_FILE).is_file() and foreign:
                # Data given to --resume (attn train --resume data/): no run folder, nor one to make.
                raise CheckpointError(
                    f"{path} is no run folder: it holds files attn did not write ({listed}); --resume takes "
                    "the --output folder of an earlier attn train"
                )
            if not (run.last / CONFIG_FILE).is_file():
                # -o alone refuses a folder that holds anything but a log of no whole epoch (above).
                flag = " --overwrite" if others and not log_alone else ""
                raise CheckpointError(
                    f"{path} has no last/ checkpoint to resume from; train a run there with attn train DATA "
                    f"-o {shlex.quote(str(path))}{flag}"
                )
        elif others:
            # Files attn did not write first: --overwrite would not take such a folder either.
            if foreign:
                raise CheckpointError(
                    f"--output {path} holds files attn did not write ({listed}); --overwrite replaces only "
                    "an attn run folder, so pass another folder"
                )
            if not overwrite:
                back = " (it holds the earlier run again: an --overwrite had stopped before its first epoch)"
                raise CheckpointError(
                    f"--output {path} is not empty{back if run.put_back else ''}; pass --overwrite to "
                    f"replace the attn run in it, or another folder{_unfinished_hint(run.last)}"
                )
        return run
    except BaseException:
        run.release()
        raise


# A training log larger than this is not read to see whether it records an epoch: it surely does.
LOG_CHECK_BYTES = 1 << 20


def no_epoch_in(log: Path) -> bool:
    """Whether a training log is what a run killed in its first epoch leaves: empty, or step lines
    of epoch 1 alone, one per line, the last maybe cut short by the kill. Anything else (a finished
    epoch, a refit, a later epoch's steps, a line that is no such record) is a log to keep."""
    import json

    if log.stat().st_size > LOG_CHECK_BYTES:
        return False
    lines = log.read_bytes().splitlines()
    for position, line in enumerate(lines):
        try:
            record = json.loads(line)
        except ValueError:
            if position == len(lines) - 1:
                continue  # the line the kill cut
            return False
        if not isinstance(record, dict) or set(record) - STEP_LINE_KEYS or record.get("epoch") != 1:
            return False
        if not isinstance(record.get("step"), int):
            return False
    return True


# The fields of a training step's line in metrics.jsonl (an epoch's end and a refit's add others).
STEP_LINE_KEYS = frozenset({"step", "epoch", "loss", "lr", "tokens_per_second"})


def _unfinished_hint(last: Path) -> str:
    """How to carry on the run in a folder whose last/ has epochs or a refit left (a run stopped
    by Ctrl-C, say), for the error that refuses to train over it; nothing where it has none, or
    where last/ does not read."""
    from attncli.resuming import work_left

    if not work_left(last):
        return ""
    folder = last.parent
    if _holds_a_run_aside(folder):  # an --overwrite stopped after its first epoch
        return (
            f"; its run is an --overwrite that has not finished, and {resume_command(folder)} carries it on "
            f"(the run it replaces is kept in {folder / REPLACED} until then)"
        )
    return f"; its run is unfinished, and {resume_command(folder)} carries it on"


def resume_command(path: Path, world_size: int = 1, *, epochs: int | None = None) -> str:
    """The command that continues the run in `path` from its last/, on as many processes (and to
    `epochs`, where a --resume raised the ceiling)."""
    ceiling = f" --epochs {epochs}" if epochs is not None else ""
    processes = f" --nproc {world_size}" if world_size > 1 else ""
    return f"attn train --resume {shlex.quote(str(path))}{ceiling}{processes}"
