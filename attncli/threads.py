"""--threads: how many CPU threads a command's work may take (fastText's -thread).

torch's intra-op threads are most of a command's work on the CPU; the tokenizer's threads (rayon's
pool, sized from RAYON_NUM_THREADS when it starts) and Arrow's (sized from OMP_NUM_THREADS) read
and tokenize the data. Each pool is sized once, when first used: the variables are set for those
not started yet, and torch is told directly."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

# What each thread pool reads when it starts: OpenMP's (torch's, and Arrow's CPU pool) and rayon's
# (the tokenizer's).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "RAYON_NUM_THREADS")


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity: a container's or taskset's share)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def too_many_threads_note(count: int, processes: int = 1) -> str | None:
    """A note where --threads (in each of `processes`, --nproc) asks for more threads than the
    process has cores: they take turns on the cores, and each step waits for the slowest."""
    cores = usable_cores()
    if count * processes <= cores:
        return None
    on = f"the {cores} CPU core{'s' * (cores != 1)} {'this process' if processes == 1 else 'they'} may use"
    asked = (
        f"--threads {count} is more than {on}"
        if processes == 1
        else f"--nproc {processes} --threads {count} puts {count * processes} threads on {on}"
    )
    fewer = (
        f"--threads {cores // processes} or fewer is faster"
        if cores >= processes
        else f"--nproc {cores} or fewer with --threads 1 is faster"
    )
    return f"note: {asked}: threads beyond them take turns and slow each other; {fewer}"


@contextlib.contextmanager
def limited_threads(count: int | None) -> Iterator[None]:
    """Run the block with `count` CPU threads (None: as the environment says, one a core by default).
    torch is loaded at once to be told (OpenMP caps the variable at the cores, and a count read from
    it could not be put back), and the variables and torch's count are put back afterwards."""
    if count is None:
        yield
        return
    import torch

    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    torch_threads = torch.get_num_threads()
    for name in THREAD_VARIABLES:
        os.environ[name] = str(count)
    torch.set_num_threads(count)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        torch.set_num_threads(torch_threads)
