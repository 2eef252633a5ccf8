"""`StopRequest`: the signals (and, under torchrun, the launcher's death) that ask the training loop
to stop after its current step."""

from __future__ import annotations

import os
import signal
from typing import Any

from attncli.signals import STOP_SIGNALS, handled


class StopRequest:
    """Ctrl-C, SIGTERM or SIGHUP (the terminal closed, an ssh connection dropped) asks the loop to
    stop after the current step; a second Ctrl-C stops at once. Under torchrun, so does the
    launcher's death (`watch_launcher`): its processes run in sessions of their own, so a launcher
    killed by SIGKILL (or the OOM killer) left them training on, out of reach of Ctrl-C. A signal
    ignored at launch (nohup's SIGHUP, a background job's SIGINT) stays ignored."""

    def __init__(self, *, watch_launcher: bool = False) -> None:
        self.signal_name: str | None = None
        self.handlers = handled(STOP_SIGNALS, self._handle)
        self.launcher = os.getppid() if watch_launcher else None

    # What stopped this process when another training process received the signal first: the
    # processes stop at the same step, and this one may have none of its own yet (it said SIGTERM
    # for a SIGINT that `timeout -s INT` sent to the launcher).
    ANOTHER_PROCESS = "a signal to another training process"

    def requested(self) -> str | None:
        """Why the loop should stop now (a signal's name), or None."""
        if self.signal_name is None and self.launcher is not None and os.getppid() != self.launcher:
            self.signal_name = "the launcher stopped"  # this process was handed to another parent
        return self.signal_name

    def __enter__(self) -> StopRequest:
        self.handlers.__enter__()
        return self

    def _handle(self, number: int, frame: Any) -> None:
        if self.signal_name is not None and number == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(number).name

    def __exit__(self, *exc: object) -> None:
        self.handlers.__exit__(None, None, None)
