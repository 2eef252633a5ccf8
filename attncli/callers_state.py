"""What attn changes in its process while it works, put back when a Python API call ends: the
global random generators that training seeds (dropout draws from torch's), and `datasets`' logging
and progress bars, which loading quiets because every failure becomes a message of attn's own. A
notebook that seeded its own work, or that shows `datasets`' progress, finds both as it left them."""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import sys
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def callers_state_kept() -> Iterator[None]:
    """Python's and torch's random states (the CPU's, and those of the CUDA devices already in
    use), and datasets' verbosity and progress bars, as they were before the block (datasets' own
    defaults where the block first imported it)."""
    import torch

    python_state = random.getstate()
    quieted = _datasets_state()
    # A CUDA device not yet in use has no state of the caller's to keep; asking would start CUDA.
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    try:
        with torch.random.fork_rng(devices=cuda):
            yield
    finally:
        random.setstate(python_state)
        _put_back_datasets_state(quieted)


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
    """`function` run inside `callers_state_kept`."""

    @functools.wraps(function)
    def kept(*args: P.args, **kwargs: P.kwargs) -> R:
        with callers_state_kept():
            return function(*args, **kwargs)

    return kept
