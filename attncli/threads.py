"""--threads: how many CPU threads a command's work may take (fastText's -thread).

torch's intra-op threads are most of a command's work on the CPU; the tokenizer's threads (rayon's
pool, sized from RAYON_NUM_THREADS when it starts) and Arrow's (sized from OMP_NUM_THREADS) read
and tokenize the data. Each pool is sized once, when first used: the variables are set for those
not started yet and for the processes `attn train --nproc` starts, and torch, if already imported
(a notebook, a test's in-process command), is told directly. OpenMP caps the variable at the cores,
so a count above them loads torch at once to tell it."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

# What each thread pool reads when it starts: OpenMP's (torch's, and Arrow's CPU pool) and rayon's
# (the tokenizer's).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "RAYON_NUM_THREADS")


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity: a container's or taskset's share)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def too_many_threads_note(count: int) -> str | None:
    """A note where --threads asks for more threads than the process has cores: they take turns on
    the cores, and each step waits for the slowest."""
    cores = usable_cores()
    if count <= cores:
        return None
    return (
        f"note: --threads {count} is more than the {cores} CPU core{'s' * (cores != 1)} this process may "
        f"use: threads beyond them take turns and slow each other; --threads {cores} or fewer is faster"
    )


@contextlib.contextmanager
def limited_threads(count: int | None) -> Iterator[None]:
    """Run the block with `count` CPU threads (None: as the environment says, one a core by default).
    The variables are put back afterwards, and so is torch's count where torch was imported before."""
    if count is None:
        yield
        return
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    for name in THREAD_VARIABLES:
        os.environ[name] = str(count)
    if torch is None and count > usable_cores():
        # OpenMP reads the variable when torch loads, but caps it at the cores: asked for more (the
        # note says what that costs), torch is loaded now and told.
        import torch

        torch_threads = None  # loaded for this block: its count is the block's from here on
    if torch is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if torch is not None and torch_threads is not None:
            torch.set_num_threads(torch_threads)
