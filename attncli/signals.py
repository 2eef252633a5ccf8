"""Signal handlers set for a block of code and put back after it, the way every command that
handles Ctrl-C, SIGTERM or SIGHUP needs them: only in the main thread (the only one Python lets set
them; attn used as a library from a thread keeps the process's own), and never for a signal the user
chose to ignore (`nohup`, a script's background job), which stays ignored."""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

Handler = Callable[[int, FrameType | None], None]


@contextlib.contextmanager
def handled(numbers: Sequence[int], handler: Handler) -> Iterator[None]:
    """`handler` for each signal of `numbers` inside the block; the handlers before it after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        number: signal.signal(number, handler)
        for number in numbers
        if signal.getsignal(number) != signal.SIG_IGN
    }
    try:
        yield
    finally:
        for number, before in previous.items():
            signal.signal(number, before if before is not None else signal.SIG_DFL)


def termination_raises() -> contextlib.AbstractContextManager[None]:
    """SIGTERM and SIGHUP raise SystemExit (exit status 128 + the signal) in the block, as Ctrl-C
    raises KeyboardInterrupt, so cleanups run (an output file's partial copy, the temporary folder of
    datasets' Arrow copies); the handlers before are put back after it."""

    def terminate(number: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + number)

    return handled(TERMINATION_SIGNALS, terminate)


def present(*names: str) -> tuple[signal.Signals, ...]:
    """The signals of `names` that this system has: Windows has no SIGHUP, SIGPIPE or SIGQUIT, and
    attn failed there at its first import (a trial)."""
    return tuple(getattr(signal, name) for name in names if hasattr(signal, name))


# What a scheduler, `timeout` or a closed terminal sends to end a command.
TERMINATION_SIGNALS = present("SIGTERM", "SIGHUP")
# The signals that stop a command, held while a module that must not be left half-imported loads.
STOP_SIGNALS = present("SIGINT", "SIGTERM", "SIGHUP")


def import_whole(*names: str) -> None:
    """Import the modules `names` with Ctrl-C, SIGTERM and SIGHUP held until they have loaded, then
    delivered: one that came in the middle of torch's import (numpy's, under it) was lost, the run
    training to its end with exit 0, or left numpy half-imported, the run failing at its first save
    with exit 1 (`module 'numpy' has no attribute 'multiply'`); a notebook interrupted in the first
    `train` call's imports failed in every later cell (`partially initialized module 'torch'`) until
    its kernel restarted (a trial). Held, it stops the command or call as it does a moment later.
    Where signals cannot be held (another thread, a platform without the call), a plain import."""
    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        for name in missing:
            importlib.import_module(name)
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        for name in missing:
            importlib.import_module(name)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
