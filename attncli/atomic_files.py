"""An output file (`--output`, `--html`, `--svg`, metrics.jsonl): a path that cannot become one refused
before any work, then the file written beside its final name and renamed over it, so that it appears
only once complete; a pipe or a device is written into as it is."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import itertools
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from attncli.errors import DISK_FULL, DataError, unusable_path, why_unwritten
from attncli.signals import termination_raises
from attncli.streams import results_on_standard_error
from attncli.textfiles import DECOMPRESS


def check_output_file(
    path: Path | None,
    option: str = "--output",
    *,
    replaces: tuple[str, ...] | None = None,
    own: bool = False,
) -> None:
    """Refuse, before any work is done, a path that cannot become the file `option` writes, one
    inside a checkpoint, and, where `replaces` names suffixes, an existing file with another suffix
    (`--html notes.txt`: a slip that would replace the notes with a heatmap). `own`: a file of
    attn's own (a run's metrics.jsonl), which no option can move elsewhere."""
    from attncli.checkpoint_folder import CONFIG_FILE, WEIGHTS_FILE

    if path is None:
        return
    if path.suffix.lower() in DECOMPRESS:  # the bytes would be plain text under a compressed name
        raise DataError(
            f"{option} {path.name}: attn writes files uncompressed; pass {path.with_suffix('').name} and "
            "compress it once written"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if (folder / CONFIG_FILE).is_file() and (folder / WEIGHTS_FILE).is_file():
        # Its files are checked against config.json's checksums, and training replaces it whole.
        raise DataError(f"{option} {path} is inside the checkpoint {folder}; write it to another folder")
    if replaces and path.is_file() and not _is_device_path(path) and path.suffix.lower() not in replaces:
        raise DataError(
            f"{option} {path} exists and is not a {' or '.join(replaces)} file; pass a new file name, "
            f"or an existing {replaces[0]} file to replace"
        )
    if (why := unusable_path(path)) is not None:
        raise DataError(f"cannot write {option} {path} ({why}); pass another {option}")
    if _planted_link(path):
        raise DataError(
            f"{option} {path} is a symbolic link of another user's in a folder anyone may write to (as "
            f"/tmp), which the system does not follow for you, and nor does attn; pass another {option}"
        )
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder} is a file, not a folder; pass another {option}")
    if not folder.is_dir():
        raise DataError(f"folder {folder} does not exist; create it or pass another {option}")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass {option} the name of a file, such as one inside it")
    if not _is_device_path(path) and not os.access(folder, os.W_OK | os.X_OK):
        # The file appears by a rename in its folder, so the folder must take a new file: refused at
        # once, where inspect --html computed 500 heatmaps before failing to save them (a trial).
        raise DataError(
            f"cannot write {option} {path}: this user may not add files to {folder} (read-only, or "
            f"another user's); pass another {option}"
        )
    if path.is_file() and not _is_device_path(path) and not _writable(path):
        # Replacing it by a rename would succeed, as the folder is writable; the shell's `>` and cp
        # refuse a file its owner made read-only, and so does attn.
        elsewhere = "" if own else f", or pass another {option}"
        raise DataError(f"{path} is read-only; make it writable (chmod u+w) to replace it{elsewhere}")
    if _is_device_path(path) and not path.exists():
        raise DataError(
            f"{path} does not exist, and nothing new can be made under /dev or /proc; pass another {option}"
        )


STANDARD_ERROR_NAMES = ("/dev/stderr", "/dev/fd/2", "/proc/self/fd/2")


def _writable(path: Path) -> bool:
    """Whether the file's own permissions let this user write it. A file on a read-only file system
    counts as writable here: writing it fails with its own message, which names the file system."""
    if os.access(path, os.W_OK):
        return True
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return True


def _planted_link(path: Path) -> bool:
    """Whether `path` is a symbolic link that Linux's protected_symlinks would not follow for this
    user: in a sticky folder anyone may write to, owned neither by this user nor by the folder's
    owner. attn resolves links itself to replace their target whole (a rename the kernel does not
    check), so someone else's link in /tmp redirected an --html onto a file of the user's (a trial)."""
    if not hasattr(os, "geteuid"):  # Windows: no sticky folders, no owners by number
        return False
    try:
        link = path.lstat()
        folder = (path.parent if str(path.parent) else Path(".")).stat()
    except OSError:
        return False
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    return bool(stat.S_ISLNK(link.st_mode) and shared and link.st_uid not in (os.geteuid(), folder.st_uid))


def _is_device_path(path: Path) -> bool:
    return str(path.absolute()).startswith(("/dev/", "/proc/"))


def _regular_file_to_replace(path: Path) -> Path | None:
    """The regular file that `path` names, through any symbolic links (to be replaced whole), or
    None for a pipe, a terminal or a device such as /dev/stdout, which are written into as they are."""
    if _is_device_path(path):
        return None  # /dev/stdout, /dev/fd/N: the open file behind them, whatever it is, not replaced
    try:
        mode = path.stat().st_mode  # follows links
    except FileNotFoundError:
        return Path(os.path.realpath(path))  # a new file (where a dangling link points, if one)
    return Path(os.path.realpath(path)) if stat.S_ISREG(mode) else None


@contextlib.contextmanager
def atomic_output(path: Path | None, option: str | None = "--output") -> Iterator[IO[str]]:
    """Standard output, or a text stream to `path` that replaces it only when the block succeeds;
    on any failure (Ctrl-C, SIGTERM and SIGHUP included) the file is left as it was and nothing
    half-written remains. A symbolic link is followed: its target is replaced, the link kept. A pipe
    or a device (`/dev/stdout`, `/dev/null`, a shell's `>(...)`) is written into directly."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    if str(path) in STANDARD_ERROR_NAMES:
        # Through attn's own descriptor 2: opened again, at its own offset, the results and attn's
        # messages overwrote each other in a file the shell opened with `2>`.
        stream = results_on_standard_error()
        yield stream
        stream.flush()
        return
    check_output_file(path, option or "--output", own=option is None)
    target = _regular_file_to_replace(path)
    if target is None:
        try:
            # Appended, not truncated: /dev/stdout may be a file the shell opened for appending (>>).
            with open(path, "a", encoding="utf-8", newline="") as stream:
                yield stream
        except OSError as error:
            if error.errno in WRITE_FAILURES:
                raise _write_failed(path, error, option) from error
            raise
        return
    with termination_raises():
        yield from _replaced(target, option)


def _replaced(path: Path, option: str | None) -> Iterator[IO[str]]:
    """A text stream to a temporary file beside `path`, renamed over it once the caller's block is done."""
    folder = path.parent if str(path.parent) else Path(".")
    stem = _partial_stem(path.name)
    _remove_orphaned_partials(folder, stem)
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{stem}.{os.getpid()}.", suffix=".partial", dir=folder
        )
    except OSError as error:
        raise _write_failed(path, error, option) from error
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path, temporary))  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.errno in WRITE_FAILURES:
            raise _write_failed(path, error, option) from error
        raise


def _partial_stem(name: str) -> str:
    """`name` as the temporary file beside it starts: whole, or, where the temporary name would pass
    the file system's 255 bytes, its first 100 characters and a digest of the rest."""
    # As the file system stores it: in a locale that is not UTF-8, a name typed in UTF-8 holds the
    # bytes Python could not decode as surrogates, which str.encode refuses.
    stored = os.fsencode(name)
    if len(stored) <= 200:
        return name
    head = ""
    for character in name:  # at most 100 bytes: 100 emoji were 400
        if len(os.fsencode(head + character)) > 100:
            break
        head += character
    return f"{head}-{hashlib.sha256(stored).hexdigest()[:12]}"


# A temporary file `_replaced` makes: .NAME.PID.XXXXXXXX.partial (mkstemp's 8 random characters).
PARTIAL_FILE = re.compile(r"\..+\.(?P<writer>\d+)\.[a-z0-9_]{8}\.partial")


def _remove_orphaned_partials(folder: Path, name: str) -> None:
    """Remove the temporary files that earlier writes into `folder` left when their process was
    killed (SIGKILL leaves no time to clean up): those whose writing process is gone, whatever name
    they were writing (a cron job's dated names, out-01.csv, out-02.csv, never wrote one twice, and
    its partial files piled up), another name's once it has not been written to for an hour. A
    write still going on in another process keeps its own; this process's view of processes only is
    seen, so a write of the same name from another machine or container at the same moment could
    lose its partial file (and its write). `name`: the file about to be written, whose own are found
    even in a folder too large to list."""
    for partial in folder.glob(f".{glob.escape(name)}.*.partial"):
        writer = partial.name[len(name) + 2 :].split(".", 1)[0]
        if writer.isdigit() and not _alive(int(writer)):
            with contextlib.suppress(OSError):
                partial.unlink()
    with contextlib.suppress(OSError):
        with os.scandir(folder) as entries:
            for entry in itertools.islice(entries, 10_000):  # a huge folder is not read whole
                if entry.name.startswith(".") and entry.name.endswith(".partial"):
                    _remove_if_orphaned(Path(entry.path))


# Another name's partial file is left alone until it has not been written to for this long: its
# writer may be alive where this process cannot see it (another PID namespace: a container writing
# into the same folder), which a write of that same name alone risked before.
OTHER_NAMES_IDLE_SECONDS = 3600
# Linux's largest process id (pid_max at most 2**22): a larger number is no writer of attn's.
LARGEST_PID = 2**22


def _remove_if_orphaned(partial: Path) -> None:
    matched = PARTIAL_FILE.fullmatch(partial.name)
    if matched is None or int(matched["writer"]) > LARGEST_PID or _alive(int(matched["writer"])):
        return
    with contextlib.suppress(OSError):
        if time.time() - partial.stat().st_mtime > OTHER_NAMES_IDLE_SECONDS:
            partial.unlink()


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # where os.kill(pid, 0) is no probe: it ends the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process; no process id at all
        return True
    return True


def _mode_for(path: Path, temporary: str) -> int:
    """The permissions of the file `path` replaces, whose owner and group its replacement also gets
    where it can (a private file stays private); for a new file, what the umask gives."""
    try:
        old = os.stat(path)
    except FileNotFoundError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask
    with contextlib.suppress(OSError):
        os.chown(temporary, old.st_uid, old.st_gid)
    return stat.S_IMODE(old.st_mode)


# What a full disk, a quota, a read-only or forbidden folder raise while writing.
WRITE_FAILURES = (*DISK_FULL, errno.EROFS, errno.EACCES, errno.EPERM)


def _write_failed(path: Path, error: OSError, option: str | None) -> DataError:
    """`option`: the command-line option that named `path`, offered as the way out (None: none)."""
    reason, remedy = why_unwritten(error, path.parent)
    kept = f"{path} is left as it was" if path.exists() else "no partial file was left"
    other = f", or pass another {option}" if option else ""
    return DataError(f"could not write {path} ({reason}); {kept}; {remedy}{other}")
