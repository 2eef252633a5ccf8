"""The errors attn raises for problems a user can fix; only the CLI turns them into messages."""

import errno
import os
from collections.abc import Iterator
from pathlib import Path

# What a full disk or a quota raises while writing.
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, then the errors it was raised from or while handling, each once (a chain of causes
    may loop back on itself): where a library wraps the error that says what went wrong."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


def why_unwritten(error: OSError, folder: Path) -> tuple[str, str]:
    """Why a file attn writes could not be written, and what to do about it, in words: the one
    wording of every write failure (checkpoints, the training log, predictions)."""
    if error.errno == errno.EFBIG:  # the disk may have room: a limit on one file's size was met
        return "the file size limit was reached", "raise the limit (ulimit -f) or write elsewhere"
    if error.errno in DISK_FULL:
        return "the disk is full", "free some space"
    if error.errno in (errno.EMFILE, errno.ENFILE):  # no folder to blame: the process's limit
        return "too many files are open", "raise the limit on open files (ulimit -n 4096)"
    return error.strerror or str(error), f"make sure {folder} can be written"


def unusable_path(path: Path) -> str | None:
    """Why `path` cannot be a path at all, if it cannot: a name too long for the file system, a link
    that leads to itself (pathlib's exists() raises on the first and says False to the second). A
    link to a file not made yet is a path: writing it makes the file."""
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a link that leads to itself"
        if error.errno == errno.ENAMETOOLONG:
            return error.strerror
    return None


class AttnError(Exception):
    """A problem attn can explain in one line. `exit_code` is what the CLI exits with; `rank_local`
    marks one that only this process met (under torchrun), which it then says itself."""

    exit_code = 1
    rank_local = False


class ConfigError(AttnError):
    """A setting is unknown, malformed or contradicts another one."""

    exit_code = 2


class DataError(AttnError):
    """The data cannot be found, read or used for classification."""

    exit_code = 2


class ArgumentError(AttnError, TypeError):
    """A Python API argument of the wrong kind (a path where a loaded checkpoint goes, one text where
    a list of them goes, 1.0 for a count). A TypeError, as Python's own are, and an AttnError, so
    that a service's one `except AttnError` maps every bad input it is given to an answer (a trial
    had to catch TypeError apart)."""

    exit_code = 2


class CheckpointError(AttnError):
    """A checkpoint folder is missing, incomplete, or would overwrite existing work."""

    exit_code = 2


class InspectError(AttnError):
    """The view of attention asked for (a layer, head, rollout, the pooling's) does not exist in
    this model."""

    exit_code = 2


class TrainingError(AttnError):
    """Training failed while running (for example the loss became NaN)."""

    exit_code = 1


class OutOfMemory(AttnError):
    """A model or a step that does not fit in the memory of this process's device."""

    exit_code = 1
    rank_local = True


class ModelTooLarge(ConfigError):
    """A model its settings make too large to build in this process's memory (exit 2: the settings
    are the cause)."""

    rank_local = True


class TrainingInterrupted(AttnError):
    """Training stopped on Ctrl-C or SIGTERM after saving its state; the message says how to resume,
    and `resume` is that command (None: there is nothing to resume)."""

    exit_code = 130

    def __init__(self, message: str, *, resume: str | None = None) -> None:
        super().__init__(message)
        self.resume = resume
