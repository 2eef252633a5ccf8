"""What went wrong reading a local data file, said so the user can act on it (the line, the
encoding, an empty file, a full disk), and the temporary folder `datasets` writes its Arrow
copies of local files to, which those messages name."""

from __future__ import annotations

import atexit
import codecs
import contextlib
import csv
import errno
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attncli.arrowfiles import feather_v1_error
from attncli.csv_rows import Quoting, first_ragged_row
from attncli.encoding_guess import GUESS_BYTES, likely_encodings_text
from attncli.encodings import (
    decodes,
    first_undecodable_line,
    is_utf8,
    is_wide,
    mostly_utf8,
    reads_as_utf8,
    stray_bytes_advice,
)
from attncli.errors import DISK_FULL, DataError, error_chain, why_unwritten
from attncli.jsonfiles import first_bad_json_line, is_json_array
from attncli.raw_data import BINARY_BUILDERS, FILE_BUILDERS

_RUN_CACHE: tempfile.TemporaryDirectory[str] | None = None
RUN_CACHE_PREFIX = "attn-datasets-"
# A file in each run's folder, locked while the run lives. A process killed outright (SIGKILL, the
# OOM killer) cannot remove its folder, and each such run left one in TMPDIR: a folder whose lock
# can be taken has lost its run, and the next run on the same host removes it. A lock, not a
# process id: processes of another PID namespace (a container) may share /tmp.
RUN_LOCK = ".attn-running"
YOUNG_SECONDS = 60


# The folders of the `call_cache` blocks under way in each thread, innermost last.
_CALL_CACHES = threading.local()


@contextlib.contextmanager
def call_cache() -> Iterator[None]:
    """Arrow copies made in the block go to a folder of its own, removed as it ends: `evaluate`,
    called again and again from one long-lived process (a service), kept each file's copy in the
    process's folder until it exited (1 MB a call of the BBC articles). A copy already mapped by a
    Dataset stays readable after its file is removed (POSIX)."""
    base = local_cache_dir()
    if base is None:  # the user's own cache (HF_DATASETS_CACHE): theirs to keep
        yield
        return
    folder = tempfile.mkdtemp(prefix="call-", dir=base)
    stack = _CALL_CACHES.__dict__.setdefault("folders", [])
    stack.append(folder)
    try:
        yield
    finally:
        stack.pop()
        shutil.rmtree(folder, ignore_errors=True)


def local_cache_dir() -> str | None:
    """Where `datasets` puts its Arrow copies of local files: a temporary folder of this process,
    removed when it exits, so trying things leaves nothing in the user's Hugging Face cache (inside
    a `call_cache` block, that block's folder in it); or, when the user set HF_DATASETS_CACHE,
    their cache (None: datasets' default)."""
    global _RUN_CACHE
    if os.environ.get("HF_DATASETS_CACHE"):
        return None
    if folders := getattr(_CALL_CACHES, "folders", None):
        return str(folders[-1])
    if _RUN_CACHE is None:
        remove_abandoned_caches(Path(tempfile.gettempdir()))
        # A cleanup that fails at exit (under a low `ulimit -n`) printed a traceback; the folder is
        # left, its lock file last, for the next run to remove (`_remove_run_cache`).
        _RUN_CACHE = tempfile.TemporaryDirectory(prefix=RUN_CACHE_PREFIX, ignore_cleanup_errors=True)
        lock = (Path(_RUN_CACHE.name) / RUN_LOCK).open("w")
        _lock(lock)  # held until the exit handler below closes it
        lock.write(socket.gethostname())
        lock.flush()
        # Removed as the command ends, rather than by the garbage collector at shutdown, which warns
        # (a traceback under PYTHONWARNINGS=error); the lock closed after (exit handlers run last
        # registered first), so no other run finds it free meanwhile.
        atexit.register(lock.close)
        atexit.register(_remove_run_cache, _RUN_CACHE)
    return _RUN_CACHE.name


def remove_abandoned_caches(folder: Path) -> None:
    """Remove the run folders in `folder` whose run is gone: their lock is free. Folders without a
    lock (a run that has not made it yet, or an older attn's) and those of other users are left."""
    for cache in folder.glob(f"{RUN_CACHE_PREFIX}*"):
        try:
            # A run makes its lock file a moment before it locks it: a young one may be starting.
            if time.time() - (cache / RUN_LOCK).stat().st_mtime < YOUNG_SECONDS:
                continue
            with (cache / RUN_LOCK).open("r+") as lock:
                # Another host's run: a TMPDIR on NFS may lock per host, where its lock looks free.
                if lock.read() != socket.gethostname() or _lock(lock) is None:
                    continue  # its run is alive, or may be
                _remove_lock_last(cache)
        except OSError:  # no lock file, not ours to open, or gone meanwhile
            continue


def _remove_run_cache(cache: tempfile.TemporaryDirectory[str]) -> None:
    """Remove this run's folder as it exits, its lock file last (`_remove_lock_last`): a removal in
    the folder's listing order may take the lock first and then fail (too many open files), and an
    unlocked folder is never swept."""
    with contextlib.suppress(OSError):
        _remove_lock_last(Path(cache.name))
    if not os.path.exists(cache.name):
        cache.cleanup()  # nothing left to remove: it only stops the finalizer warning at shutdown
    else:
        cache._finalizer.detach()  # type: ignore[attr-defined]  # left, locked, for the next sweep


def _remove_lock_last(cache: Path) -> None:
    """Remove an abandoned run's folder, its lock file last: a removal that fails halfway (too many
    open files) left a folder without its lock, which no later run would touch again."""
    for entry in cache.iterdir():
        if entry.name == RUN_LOCK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if any(entry.name != RUN_LOCK for entry in cache.iterdir()):
        return  # the next run tries again
    shutil.rmtree(cache, ignore_errors=True)


def _lock(file: Any) -> Any:
    """`file`, holding an exclusive lock on it, or None where another process holds one (or this
    system has no flock: nothing is then swept)."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held elsewhere, or a file system without flock (ENOLCK on some NFS, Lustre)
        return None
    return file


def read_error(
    path: Path,
    error: Exception,
    *,
    encoding: str,
    delimiter: str | None,
    quoting: Quoting = csv.QUOTE_MINIMAL,
) -> DataError:
    """What went wrong reading `path`, with the line where the file can say it."""
    builder = FILE_BUILDERS[path.suffix.lower()]
    reason = error_reason(error)
    # `datasets` wraps what failed writing its copy (a full disk, an unwritable cache) in errors of
    # its own: a container's full temporary folder was said to be the data file's fault (a trial).
    error = _os_error_within(error) or error
    if "Not enough disk space" in str(error):  # `datasets`' own check of the room its copy needs
        error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    cache = os.environ.get("HF_DATASETS_CACHE")
    if cache and isinstance(error, OSError) and _on_the_way(error.filename, Path(cache).expanduser()):
        # `datasets` writes its Arrow copy of the file there: the cache failed, not the file.
        return DataError(
            f"could not write the Arrow copy of {path.name} to HF_DATASETS_CACHE={cache} "
            f"({error.strerror}); point HF_DATASETS_CACHE at a folder you can write to, or unset it"
        )
    if isinstance(error, OSError) and error.errno in DISK_FULL:  # the Arrow copy failed, not the file
        cache = os.environ.get("HF_DATASETS_CACHE")
        where = cache or (_RUN_CACHE.name if _RUN_CACHE is not None else tempfile.gettempdir())
        why, remedy = why_unwritten(error, Path(where))
        elsewhere = "point HF_DATASETS_CACHE elsewhere" if cache else "point TMPDIR at a folder with room"
        return DataError(
            f"could not write the Arrow copy of {path.name} to {where} ({why}); {remedy}, or {elsewhere}"
        )
    if holds_no_rows(path, builder):  # each reader said so its own way: StopIteration, "BatchSize ..."
        return DataError(f"{path.name} is empty (no rows); give it labelled rows")
    decoding = decoding_error(path, encoding) if builder not in BINARY_BUILDERS else None
    if decoding is not None:  # `datasets` hides a decoding error behind a generic one
        return decoding
    ragged = (
        first_ragged_row(path, delimiter=delimiter, encoding=encoding, quoting=quoting) if delimiter else None
    )
    if ragged is not None:
        return ragged
    if builder == "arrow" and (old := feather_v1_error(path)) is not None:
        return old
    if builder == "json":
        bad = first_bad_json_line(path, encoding=encoding)
        if bad is not None and not is_json_array(path):
            return DataError(f"line {bad[0]} of {path} is {bad[1]}; give one JSON object per line")
    if "corresponds to no data" in reason:  # what `datasets` says of a file with no rows
        return DataError(f"{path.name} is empty (no rows); give it labelled rows")
    return DataError(f"could not read {path.name} as {path.suffix[1:]}: {reason}")


def holds_no_rows(path: Path, builder: str) -> bool:
    """Whether a data file holds nothing: no bytes but whitespace, or a parquet or Arrow file of no
    rows (`builder`: its reader's name, FILE_BUILDERS')."""
    try:
        if builder == "parquet":
            import pyarrow.parquet as parquet  # type: ignore[import-untyped]

            return bool(parquet.ParquetFile(path).metadata.num_rows == 0)  # `datasets` reads it so
        if builder == "arrow":
            from attncli.arrowfiles import arrow_rows

            return arrow_rows([path]) == 0
        with path.open("rb") as file:  # a UTF-8 byte-order mark alone, as editors save it, is no row
            return not file.read(1 << 16).removeprefix(codecs.BOM_UTF8).strip() and not file.read(1)
    except Exception:  # unreadable as parquet, or at all: the other checks name why
        return False


# What a folder that may not be written says.
UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _on_the_way(filename: Any, folder: Path) -> bool:
    """Whether the file an OSError names is `folder`, in it, or a folder above it that it would be
    made in (HF_DATASETS_CACHE=/nonexistent/hf was refused at /nonexistent), all made absolute."""
    if not filename:
        return False
    named, cache = Path(os.path.abspath(filename)), Path(os.path.abspath(folder))
    return named.is_relative_to(cache) or cache.is_relative_to(named)


def _os_error_within(error: BaseException) -> OSError | None:
    """The failed write an error was raised from, itself or through the errors that wrap it: a full
    disk or quota, or a folder it may not write (a missing file met on the way is no such cause)."""
    return next(
        (
            cause
            for cause in error_chain(error)
            if isinstance(cause, OSError) and cause.errno in (*DISK_FULL, *UNWRITABLE)
        ),
        None,
    )


def decoding_error(path: Path, encoding: str) -> DataError | None:
    """The first line of `path` that is not valid `encoding`, as an error, if a line is not."""
    line = first_undecodable_line(path, encoding)
    if line is None:
        return None
    if not is_wide(encoding) and decodes(path, "utf-8"):
        return DataError(
            f"line {line} of {path} is not valid {encoding}, but the file is valid UTF-8: leave --encoding "
            "out, or pass --encoding utf-8 where a --config file sets data.encoding"
        )
    sample, beyond_ascii = _bytes_from_line(path, line)
    if is_utf8(encoding):
        first, _, after = sample.partition(b"\n")
        # Where nothing before it shows UTF-8, what follows it may (a pasted byte on line 3 of a
        # UTF-8 file): advised cp1252, it was then read as such, 'café' as 'cafÃ©', exit 0 (a review).
        stray = stray_bytes_advice(first, utf8_before=beyond_ascii, utf8_after=mostly_utf8(after))
        if stray is not None:
            return DataError(f"line {line} of {path} is not valid {encoding}: {stray}")
    elif not is_wide(encoding) and reads_as_utf8(sample.split(b"\n", 1)[0]):
        # A UTF-8 file with a pasted byte of another encoding, which the UTF-8 check of its first
        # bytes did not see as UTF-8 (the byte was among them): name the line that is not UTF-8.
        utf8_line = first_undecodable_line(path, "utf-8") or 0  # the file is not all UTF-8 (above)
        utf8_sample, utf8_before = _bytes_from_line(path, utf8_line)
        stray = stray_bytes_advice(utf8_sample.split(b"\n", 1)[0], utf8_before=utf8_before)
        if utf8_line and stray is not None:
            return DataError(
                f"line {line} of {path} is not valid {encoding} but is UTF-8, as the file is apart from line "
                f"{utf8_line}: {stray}"
            )
    return DataError(
        f"line {line} of {path} is not valid {encoding}; pass --encoding "
        "(data.encoding in a config file) with the "
        f"file's encoding{likely_encodings_text(sample, besides=encoding)}"
    )


def _bytes_from_line(path: Path, number: int) -> tuple[bytes, bool]:
    """What the encodings are guessed by: bytes of `path` from the start of its line `number`, and
    whether a line before it holds a byte above 0x7F."""
    beyond_ascii = False
    with path.open("rb") as file:
        for _ in range(number - 1):
            beyond_ascii = not file.readline().isascii() or beyond_ascii
        return file.read(GUESS_BYTES), beyond_ascii


def error_reason(error: BaseException) -> str:
    """The first line of what went wrong, from the underlying error where `datasets` wraps one."""
    cause = error.__cause__ if type(error).__name__ == "DatasetGenerationError" else None
    text = str(cause or error).strip()
    return text.splitlines()[0] if text else type(cause or error).__name__
