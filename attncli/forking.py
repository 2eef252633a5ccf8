"""A process forked after torch ran on several threads: a service that loads its model once and
forks its workers (gunicorn's --preload, Celery's prefork pool, multiprocessing's fork). torch's CPU
build runs its threads on GNU OpenMP, whose thread pool does not survive a fork: the child's first
operation on several threads waits forever for threads that were not copied (a worker forked after
`load_checkpoint` hung at its first prediction). A child forked after attn has loaded or trained a
model runs torch on one thread, as torch's own DataLoader workers do (raising it again there hangs
as well: a worker that wants several threads loads its own model, unforked)."""

from __future__ import annotations

import os
import threading
from types import TracebackType

_lock = threading.Lock()
_registered = False


def one_thread_in_forked_children() -> None:
    """From now on, a child this process forks starts with torch on one thread (once a process)."""
    global _registered
    with _lock:
        if _registered:
            return
        import torch  # noqa: F401 (loads its thread pool's library, to be found below)

        # Other thread pools (LLVM's and Intel's OpenMP, as macOS's wheels have; TBB) survive a fork.
        if _gnu_openmp_loaded():
            os.register_at_fork(after_in_child=_one_thread)
        _registered = True


def _gnu_openmp_loaded() -> bool:
    """Whether GNU OpenMP (libgomp, which torch's Linux wheels bring) is loaded in this process."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return any("libgomp" in line for line in maps)
    except OSError:  # no /proc: not Linux, so not GNU OpenMP's wheels
        return False


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


class ForkSafeLock:
    """A lock that a child forked while another thread held it gets fresh, free: the holder's work
    does not go on there, so it would never be released. Reentrant: a thread that holds it (a
    reporter's callback that trains) takes it again rather than waiting on itself forever. Each
    thread releases the lock it took, so that one forked inside its block still leaves it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._taken = threading.local()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._renew)

    def _renew(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        lock = self._lock
        lock.acquire()
        self._taken.__dict__.setdefault("locks", []).append(lock)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._taken.locks.pop().release()
