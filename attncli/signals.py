"""Signal handlers set for a block of code and put back after it, the way every command that
handles Ctrl-C, SIGTERM or SIGHUP needs them: only in the main thread (the only one Python lets set
them; attn used as a library from a thread keeps the process's own), and never for a signal the user
chose to ignore (`nohup`, a script's background job), which stays ignored."""

from __future__ import annotations

import contextlib
import signal
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

    return handled((signal.SIGTERM, signal.SIGHUP), terminate)
