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
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_datasets_lock = threading.Lock()
_calls_under_way = 0
_datasets_found: tuple[int, bool] | None = None


def _forget_calls_under_way() -> None:
    """In a child forked while another thread was in a call: that call does not go on there, so it
    would never end (datasets' settings never put back), and the lock it may hold is never freed."""
    global _datasets_lock, _calls_under_way
    _datasets_lock, _calls_under_way = threading.Lock(), 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_calls_under_way)


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


@contextlib.contextmanager
def datasets_state_kept() -> Iterator[None]:
    """datasets' verbosity and progress bars as they were before the first of the calls under way
    began (its own defaults where a call first imported it), put back when the last of them ends."""
    global _calls_under_way, _datasets_found
    with _datasets_lock:
        if not _calls_under_way:
            _datasets_found = _datasets_state()
        _calls_under_way += 1
    try:
        yield
    finally:
        with _datasets_lock:
            _calls_under_way -= 1
            if not _calls_under_way:
                _put_back_datasets_state(_datasets_found)


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


def keeps_callers_state(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `callers_state_kept`: for what seeds the random generators."""

    @functools.wraps(function)
    def kept(*args: P.args, **kwargs: P.kwargs) -> R:
        with callers_state_kept():
            return function(*args, **kwargs)

    return kept


def keeps_datasets_state(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `datasets_state_kept`: for what loads data but draws no random numbers,
    whose caller's other threads must not have their draws rewound."""

    @functools.wraps(function)
    def kept(*args: P.args, **kwargs: P.kwargs) -> R:
        with datasets_state_kept():
            return function(*args, **kwargs)

    return kept
