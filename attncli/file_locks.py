"""Advisory locks on an open file, held until it is closed, on every system attn runs on: `flock` where
the system has it (Linux, macOS), a lock on one byte through `msvcrt` on Windows, which has no
`fcntl` (attn failed there at its first import: a trial). Either kind the system releases however
the process ends, so a lock file left by a killed run is simply taken over."""

from __future__ import annotations

import os

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

# Opening flags that refuse a symbolic link as the file itself (Windows has no such flag: none there).
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
# The byte Windows locks, far past anything written in the file: a byte-range lock there also
# keeps other processes from reading the bytes it covers, and the holder's pid is read from the start.
_WINDOWS_LOCKED_BYTE = 2**30


def try_lock(descriptor: int, *, shared: bool = False) -> bool:
    """Lock the open file `descriptor` without waiting: True when this process now holds it, False
    when another process does. A `shared` lock only tells whether another process holds one: readers
    may share it where `flock` is, and on Windows, whose byte locks are exclusive, it is released at
    once. Other failures (a file system without locks) raise OSError."""
    if fcntl is not None:
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # type: ignore[import-not-found,unused-ignore]

    position = os.lseek(descriptor, 0, os.SEEK_CUR)
    os.lseek(descriptor, _WINDOWS_LOCKED_BYTE, os.SEEK_SET)
    try:
        msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        if shared:
            msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)
    except PermissionError:  # EACCES: another process holds the byte
        return False
    finally:
        os.lseek(descriptor, position, os.SEEK_SET)
    return True
