"""Running out of memory, told apart from other failures and said in a line that names the settings
that size the allocations: torch's CPU allocator and CUDA raise it in words of their own (`[enforce
fail at alloc_cpu.cpp:127] ... you tried to allocate 25600000000 bytes`), which say nothing of what
to change."""

from __future__ import annotations

import re

from attncli.config import Config

# What torch's CPU allocator says (a RuntimeError) when the system refuses its request.
CPU_ALLOCATOR_FAILED = "can't allocate memory"
_CPU_BYTES = re.compile(r"tried to allocate (\d+) bytes", re.IGNORECASE)
_CUDA_SIZE = re.compile(r"tried to allocate (\d+(?:\.\d+)? [KMGT]?i?B)", re.IGNORECASE)


def is_out_of_memory(error: BaseException) -> bool:
    """Whether `error` is an allocation the CPU or the GPU refused (Python's, torch's or CUDA's)."""
    import torch

    if isinstance(error, (MemoryError, torch.OutOfMemoryError)):
        return True
    return isinstance(error, RuntimeError) and CPU_ALLOCATOR_FAILED in str(error)


def failed_allocation(error: BaseException) -> str:
    """The allocation that failed, in words: "an allocation of 23.8 GiB" where the error says its size."""
    text = str(error)
    found = _CPU_BYTES.search(text)
    if found is not None:
        size = int(found.group(1))
        shown = f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.1f} MiB"
        return f"an allocation of {shown}"
    found = _CUDA_SIZE.search(text)
    return f"an allocation of {found.group(1)}" if found is not None else "an allocation"


def training_advice(config: Config) -> str:
    """What to lower, with the values the run had: the batch's texts and their length size a step's
    activations."""
    return (
        f"lower --batch-size (train.batch_size, {config.train.batch_size}) or --max-length "
        f"(model.max_length, {config.model.length})"
    )


def model_advice(config: Config, vocab_size: int) -> str:
    """What to lower when the model itself does not fit: its position tables grow with max_length,
    its embeddings with the vocabulary and the width."""
    return (
        f"lower --max-length (model.max_length, {config.model.length:,}), model.embed_dim "
        f"({config.model.width}) or tokenizer.vocab_size (a vocabulary of {vocab_size:,})"
    )
