"""Running a trained model over many texts in padded batches, in the texts' own order.
Shared by validation during training and by eval, predict and inspect."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from attncli.device import autocast
from attncli.errors import DataError
from attncli.packing import PackedSequences, pad_batch

if TYPE_CHECKING:
    import torch

    from attncli.model.classifier import ModelOutput


# Padded positions a batch may hold: long documents go a few at a time, which keeps the activations
# in cache (BBC articles on a 2-core CPU: 8-16 a batch ran 10% faster than 64), short texts many at a
# time.
MAX_BATCH_TOKENS = 4096


def token_budget_batches(lengths: torch.Tensor, *, batch_size: int, max_tokens: int) -> list[torch.Tensor]:
    """Row indices in batches, shortest texts first; a batch grows while its padded size (rows x
    its longest) stays within `max_tokens` and its rows within `batch_size`."""
    import torch

    order = torch.argsort(lengths, stable=True)
    sorted_lengths = lengths[order].tolist()
    batches, start = [], 0
    for end in range(1, len(order) + 1):
        full = end - start > batch_size or (end - start) * sorted_lengths[end - 1] > max_tokens
        if full and end - 1 > start:
            batches.append(order[start : end - 1])
            start = end - 1
    batches.append(order[start:])
    return batches


def forward_batches(
    model: torch.nn.Module,
    sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor] | PackedSequences,
    *,
    pad_id: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
    max_tokens: int = MAX_BATCH_TOKENS,
    return_attentions: bool = False,
) -> Iterator[tuple[torch.Tensor, ModelOutput]]:
    """The model's output over `sequences` in padded batches, each with its rows (indices into
    `sequences`): texts batched by length to cut padding, at most `batch_size` texts and about
    `max_tokens` padded positions a batch (at least one text), in eval mode and without autograd."""
    import torch

    if batch_size < 1:  # the commands' --batch-size is checked by its option; the Python API's here
        raise DataError(f"batch_size must be at least 1, not {batch_size}")
    if isinstance(sequences, PackedSequences):
        lengths = sequences.lengths()
    else:
        lengths = torch.tensor([len(ids) for ids in sequences], dtype=torch.long)
    if len(lengths) == 0:  # torch.split of an empty tensor still yields one (empty) batch
        return
    extra = {"return_attentions": True} if return_attentions else {}
    was_training = model.training
    model.eval()
    try:
        for rows in token_budget_batches(lengths, batch_size=batch_size, max_tokens=max_tokens):
            input_ids = (
                sequences.padded(rows, pad_id=pad_id)
                if isinstance(sequences, PackedSequences)
                else pad_batch([sequences[row] for row in rows.tolist()], pad_id=pad_id)
            ).to(device)
            with torch.inference_mode(), autocast(device, precision):
                output = model(input_ids, **extra)
            yield rows, output
    finally:
        model.train(was_training)


def batched_forward(
    model: torch.nn.Module,
    sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor] | PackedSequences,
    *,
    pad_id: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
    max_tokens: int = MAX_BATCH_TOKENS,
    on_batch: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Logits (N, num_labels) in fp32 on the CPU, in the order of `sequences`, batched as
    `forward_batches` batches them. `on_batch(done, total)` is called after each batch (a progress
    bar)."""
    import torch

    logits: torch.Tensor | None = None
    done, total = 0, len(sequences)
    batches = forward_batches(
        model, sequences, pad_id=pad_id, batch_size=batch_size, device=device, precision=precision,
        max_tokens=max_tokens,
    )  # fmt: skip
    with torch.inference_mode():
        for rows, output in batches:
            if logits is None:
                logits = torch.empty(total, output.logits.size(-1))
            logits[rows] = output.logits.float().cpu()  # written in place: no tensor per text
            if on_batch is not None:
                done += len(rows)
                on_batch(done, total)
    return logits if logits is not None else torch.empty(0, 0)
