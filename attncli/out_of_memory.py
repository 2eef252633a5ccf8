"""Running out of memory, told apart from other failures and said in a line that names the settings
that size the allocations: torch's CPU allocator, CUDA and MPS raise it in words of their own
(`[enforce fail at alloc_cpu.cpp:127] ... you tried to allocate 25600000000 bytes`), which say
nothing of what to change."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attncli.config import Config
from attncli.errors import OutOfMemory
from attncli.unused_settings import unused_tokenizer_settings

# What the allocators say in a plain RuntimeError when the system refuses a request: torch's CPU
# allocator, the MPS backend, and CUDA where the failure comes through a CUDA call rather than
# torch's caching allocator (which raises OutOfMemoryError).
REFUSALS = ("can't allocate memory", "mps backend out of memory", "cuda error: out of memory")
_BYTES = re.compile(r"tried to allocate (\d+) bytes", re.IGNORECASE)
_SIZE = re.compile(r"tried to allocate (\d+(?:\.\d+)? [KMGT]?i?B)\b", re.IGNORECASE)


def is_out_of_memory(error: BaseException) -> bool:
    """Whether `error` is an allocation the CPU or a GPU refused (Python's, torch's, CUDA's or MPS's)."""
    import torch

    # torch.cuda.OutOfMemoryError is torch.OutOfMemoryError where the latter exists (torch 2.5 and
    # later); the former is there from torch 1.13, on builds without CUDA too.
    if isinstance(error, (MemoryError, torch.cuda.OutOfMemoryError)):
        return True
    return isinstance(error, RuntimeError) and any(words in str(error).lower() for words in REFUSALS)


def in_units(size: int) -> str:
    """`size` bytes in GiB, MiB or KiB, one decimal."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


# A container's memory limit and use (cgroup v2, then v1): /proc/meminfo shows the host's.
CGROUP_LIMITS = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
)


def available_memory() -> int | None:
    """Bytes the CPU's processes can still take: on Linux the system's available memory and free
    swap, within a container's limit; None where not known (another system)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo if ":" in line)
        available = sum(int(fields[name].split()[0]) * 1024 for name in ("MemAvailable", "SwapFree"))
    except (OSError, KeyError, ValueError, IndexError):
        return None
    for limit_file, usage_file in CGROUP_LIMITS:
        try:
            limit = int(Path(limit_file).read_text().strip())  # "max" (no limit) is no number
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        return max(0, min(available, limit - usage))
    return available


def failed_allocation(error: BaseException) -> str:
    """The allocation that failed, in words: "an allocation of 23.8 GiB" where the error says its size."""
    text = str(error)
    found = _BYTES.search(text)
    if found is not None:
        return f"an allocation of {in_units(int(found.group(1)))}"
    found = _SIZE.search(text)
    return f"an allocation of {found.group(1)}" if found is not None else "an allocation"


def training_advice(config: Config) -> str:
    """What to lower, with the values the run had (as the options take them): the batch's texts and
    their length size a step's activations."""
    return (
        f"lower --batch-size (train.batch_size, {config.train.batch_size}) or --max-length "
        f"(model.max_length, {config.model.length})"
    )


def model_advice(config: Config, vocab_size: int) -> str:
    """What to lower when the model itself does not fit: its position tables grow with max_length,
    its embeddings with the vocabulary and the width; only settings the run reads are named (not
    the width pretrained vectors fix, nor the vocabulary size beside a tokenizer given whole)."""
    settings = [f"--max-length (model.max_length, {config.model.length})"]
    if not config.model.embeddings_init:
        settings.append(f"model.embed_dim ({config.model.width})")
    unused = unused_tokenizer_settings(dataclasses.asdict(config.tokenizer))
    if "vocab_size" not in unused:
        settings.append(f"tokenizer.vocab_size (a vocabulary of {vocab_size:,})")
    listed = settings[0] if len(settings) == 1 else f"{', '.join(settings[:-1])} or {settings[-1]}"
    return f"lower {listed}"


# What to do about a model that fitted once (a checkpoint's, a resumed run's): its settings are its own.
FREE_MEMORY = "free memory, or use a machine with more"


def does_not_fit(what: str, where: str, error: BaseException, advice: str = FREE_MEMORY) -> str:
    """`what` does not fit in memory `where` (on cpu, say), with the allocation that failed and `advice`."""
    return f"{what} does not fit in memory {where} ({failed_allocation(error)} failed); {advice}"


@contextlib.contextmanager
def said_when_out_of_memory(what: str, device: Any) -> Iterator[None]:
    """Turn an allocation refused in the block into one line: `what` (a checkpoint's model, say)
    does not fit on `device`."""
    try:
        yield
    except (RuntimeError, MemoryError) as error:
        if not is_out_of_memory(error):
            raise
        raise OutOfMemory(does_not_fit(what, f"on {device}", error)) from error
