"""What attn changes in its process while it works, put back when a Python API call ends: the
global random generators that training seeds (dropout draws from torch's), and `datasets`' logging
and progress bars, which loading quiets because every failure becomes a message of attn's own. A
notebook that seeded its own work, or that shows `datasets`' progress, finds both as it left them.

datasets' settings belong to the process, and calls from several threads overlap: the first call to
begin keeps them and the last to end puts them back (each call putting back what it found left them
quiet for good whenever two overlapped: a service's threads evaluating at once). The random states
are put back by the call that changed them, training: the draws other threads made meanwhile are
drawn again after it, which a process that trains in one thread while another draws cannot avoid."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import random
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Generic, ParamSpec, TypeVar

from attncli.forking import ForkSafeLock

P = ParamSpec("P")
R = TypeVar("R")

T = TypeVar("T")


class SharedSetting(Generic[T]):
    """A setting of the process that calls from several threads share: the first call to begin keeps
    what it found (and `change` sets the call's own value, if any), the last to end puts it back.
    Each call putting back what it found left the setting changed for good whenever two overlapped.
    A child forked while a call was under way starts with none (that call does not go on there, so
    it would never end, and the lock it may hold would never be freed); `put_back_in_child` puts
    the setting back there too."""

    def __init__(
        self,
        found: Callable[[], T],
        put_back: Callable[[T], None],
        *,
        change: Callable[[], None] | None = None,
        put_back_in_child: bool = False,
    ) -> None:
        self._found, self._put_back, self._change = found, put_back, change
        self._put_back_in_child = put_back_in_child
        self.lock, self.under_way = threading.Lock(), 0
        self.kept: T | None = None
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget_calls_under_way)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self.lock:
            if not self.under_way:
                self.kept = self._found()
                if self._change is not None:
                    self._change()
            self.under_way += 1
        try:
            yield
        finally:
            with self.lock:
                self.under_way -= 1
                if not self.under_way:
                    self._put_back(self.kept)  # type: ignore[arg-type]

    def _forget_calls_under_way(self) -> None:
        if self.under_way and self._put_back_in_child:
            self._put_back(self.kept)  # type: ignore[arg-type]
        self.lock, self.under_way = threading.Lock(), 0


@contextlib.contextmanager
def callers_state_kept() -> Iterator[None]:
    """Python's and torch's random states (the CPU's, and those of the CUDA devices already in
    use) as they were before the block, and datasets' verbosity and progress bars as
    `datasets_state_kept` keeps them."""
    import torch

    python_state = random.getstate()
    # A CUDA device not yet in use has no state of the caller's to keep; asking would start CUDA.
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    try:
        with datasets_state_kept(), torch.random.fork_rng(devices=cuda):
            yield
    finally:
        random.setstate(python_state)


def datasets_state_kept() -> contextlib.AbstractContextManager[None]:
    """datasets' verbosity and progress bars as they were before the first of the calls under way
    began (its own defaults where a call first imported it), put back when the last of them ends."""
    return DATASETS_STATE.held()


def _datasets_state() -> tuple[int, bool] | None:
    """datasets' verbosity and whether its progress bars show; None where it is not imported."""
    datasets = sys.modules.get("datasets")
    if datasets is None:
        return None
    return datasets.logging.get_verbosity(), datasets.is_progress_bar_enabled()


def _put_back_datasets_state(state: tuple[int, bool] | None) -> None:
    datasets = sys.modules.get("datasets")
    if datasets is None:
        return
    if state is None:  # imported by the block: as a fresh import has them
        default_level = getattr(datasets.utils.logging, "_get_default_logging_level", lambda: logging.WARNING)
        state = default_level(), not datasets.config.HF_DATASETS_DISABLE_PROGRESS_BARS
    verbosity, bars = state
    datasets.logging.set_verbosity(verbosity)
    # Only a change is made: an environment variable that forces either state warns at any call.
    if bars and not datasets.is_progress_bar_enabled():
        datasets.enable_progress_bars()
    elif not bars and datasets.is_progress_bar_enabled():
        datasets.disable_progress_bars()


DATASETS_STATE: SharedSetting[tuple[int, bool] | None] = SharedSetting(
    _datasets_state, _put_back_datasets_state
)


def keeps_callers_state(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `callers_state_kept`: for what seeds the random generators, one call at a
    time in the process. Two trainings in threads at once drew from the process's one generator in
    turn, so that the seed no longer decided either model (a notebook user's hyperparameter loop on
    a thread pool); the second now waits for the first."""

    @functools.wraps(function)
    def kept(*args: P.args, **kwargs: P.kwargs) -> R:
        with _ONE_SEEDED_CALL_AT_A_TIME, callers_state_kept():
            return function(*args, **kwargs)

    return kept


_ONE_SEEDED_CALL_AT_A_TIME = ForkSafeLock()


def keeps_datasets_state(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `datasets_state_kept`: for what loads data but draws no random numbers,
    whose caller's other threads must not have their draws rewound."""

    @functools.wraps(function)
    def kept(*args: P.args, **kwargs: P.kwargs) -> R:
        with datasets_state_kept():
            return function(*args, **kwargs)

    return kept
